//! `tillbook`: argv and stdin in, tillbook-core out. Only this file knows about
//! argv and JSON Lines; every operation is a call into the core's dispatcher.

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tillbook_core::clock::SystemClock;
use tillbook_core::config::{self, Config};
use tillbook_core::db::Db;
use tillbook_core::{Dispatcher, Error, Session};

#[derive(Parser)]
#[command(
    name = "tillbook",
    version,
    about = "Tillbook: an offline point of sale and back office"
)]
struct Cli {
    /// The shop's database file (default: TILLBOOK_DB, else <data dir>/tillbook/tillbook.db).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a shop file and its owner. The password is read from a prompt, or
    /// from the first line of stdin when stdin is not a terminal.
    Init(InitArgs),
    /// Serve JSON Lines requests on stdin, one response line each on stdout.
    Api,
    /// Check the file: integrity, references, the audit chain. Exit 1 on any drift.
    Verify,
    /// Create a new file at PATH filled with demo data; refuses a file that has data.
    Demo { path: PathBuf },
    /// Take an online backup of the shop into the new file DEST, integrity-checked.
    Backup { dest: PathBuf },
    /// Restore the backup file BACKUP into the new file given by --db.
    Restore { backup: PathBuf },
    /// Write data out as CSV on stdout, streamed row by row (memory stays flat however big).
    Export {
        #[command(subcommand)]
        what: Export,
    },
    /// Head-office sync: push the shop's events, show and check where they are.
    Sync {
        #[command(subcommand)]
        cmd: tillbook_sync::cli::SyncCommand,
    },
    /// Measure performance on a new temporary file; see docs/BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
}

#[derive(Args)]
struct InitArgs {
    #[arg(long)]
    shop_name: String,
    #[arg(long, default_value = "EUR")]
    currency: String,
    #[arg(long, default_value_t = 2)]
    currency_scale: u32,
    #[arg(long)]
    username: String,
    #[arg(long)]
    display_name: String,
}

#[derive(Subcommand)]
enum Export {
    /// Every order line sold from FROM to TO (UTC dates, both included; at most 400 days).
    SalesLines {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Barcode lookup and as-you-type search over many products.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        products: usize,
        #[arg(long, default_value_t = 2_000)]
        samples: usize,
        /// Keep the database here instead of a temporary file (must not exist).
        #[arg(long, value_name = "PATH")]
        keep: Option<PathBuf>,
    },
    /// sales.checkout through the dispatcher vs the same rows as a bare
    /// transaction, at synchronous=FULL and NORMAL.
    Confirm {
        #[arg(long, default_value_t = 2_000)]
        ops: usize,
    },
    /// Concurrent checkouts from several tills (one Db handle each) on one file.
    Tills {
        #[arg(long, default_value_t = 8)]
        tills: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// FULL or NORMAL.
        #[arg(long, default_value = "FULL")]
        synchronous: String,
    },
    /// Time from start to the first signed-in read on a file of realistic size.
    ColdStart {
        #[arg(long, default_value_t = 200_000)]
        orders: usize,
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Build the file here and keep it (must not exist).
        #[arg(long, value_name = "PATH")]
        keep: Option<PathBuf>,
    },
    /// One start, for `cold-start` to time as a separate process.
    #[command(hide = true)]
    ColdStartChild { path: PathBuf },
    /// Sales reports and the CSV export over many orders, against a baseline.
    Reports {
        #[arg(long, default_value_t = 1_000_000)]
        orders: usize,
        #[arg(long, default_value_t = 100_000)]
        baseline: usize,
    },
    /// Home's dashboard read over many orders, against a baseline.
    Dashboard {
        #[arg(long, default_value_t = 1_000_000)]
        orders: usize,
        #[arg(long, default_value_t = 100_000)]
        baseline: usize,
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
}

/// One request line: longer is refused rather than read into memory.
const MAX_LINE_BYTES: usize = 1024 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TILLBOOK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tillbook: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    // `demo` names its own file; it must not need a default path to exist.
    let cli_db = match &cli.command {
        Command::Demo { path } => Some(path.clone()),
        _ => cli.db,
    };
    let config = Config::load(
        cli_db,
        |k| std::env::var(k).ok(),
        config::default_db_path(dirs::data_dir()),
    )
    .map_err(|e| e.to_string())?;
    match cli.command {
        Command::Bench { which } => bench(which),
        Command::Export {
            what: Export::SalesLines { from, to },
        } => export_sales_lines(&config, &from, &to),
        Command::Demo { path } => demo(&config, &path),
        Command::Init(owner) => init(&config, owner),
        Command::Backup { dest } => backup(&config, &dest),
        Command::Restore { backup } => restore(&config, &backup),
        Command::Verify => verify(&config),
        Command::Sync { cmd } => tillbook_sync::cli::run(open(&config)?, cmd),
        Command::Api => {
            let db = open(&config)?;
            serve_api(&Dispatcher::new(db, Arc::new(SystemClock)))
        }
    }
}

fn export_sales_lines(config: &Config, from: &str, to: &str) -> Result<ExitCode, String> {
    use tillbook_core::accounts::parse_date;
    use tillbook_core::shared::calendar::DAY_MS;
    let from_ms = parse_date("--from", from).map_err(|e| e.to_string())? * DAY_MS;
    let to_ms = (parse_date("--to", to).map_err(|e| e.to_string())? + 1) * DAY_MS;
    let db = open(config)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let rows = db
        .read(|conn| tillbook_core::reports::export_sales_csv(conn, from_ms, to_ms, &mut out))
        .map_err(|e| e.to_string())?;
    out.flush()
        .map_err(|e| format!("writing the export: {e}"))?;
    eprintln!("{rows} order lines exported");
    Ok(ExitCode::SUCCESS)
}

fn demo(config: &Config, path: &Path) -> Result<ExitCode, String> {
    let creds = tillbook_core::ops::demo::create(path, config.open.clone(), Arc::new(SystemClock))
        .map_err(|e| e.to_string())?;
    println!(
        "Demo shop created in {}. Logins (shown once):",
        path.display()
    );
    for c in creds {
        println!("  {:<8} {:<8} {}", c.role, c.username, c.password);
    }
    Ok(ExitCode::SUCCESS)
}

fn init(config: &Config, owner: InitArgs) -> Result<ExitCode, String> {
    if let Some(dir) = config.db_path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let db = open(config)?;
    let password = read_password()?;
    let d = Dispatcher::new(db, Arc::new(SystemClock));
    let mut session = None;
    let key = format!("init-{}-{}", std::process::id(), d.now_ms());
    d.dispatch(
        &mut session,
        "setup.create_owner",
        json!({
            "idempotency_key": key,
            "shop_name": owner.shop_name,
            "currency_code": owner.currency,
            "currency_scale": owner.currency_scale,
            "username": owner.username,
            "display_name": owner.display_name,
            "password": password,
        }),
    )
    .map_err(|e| e.to_string())?;
    println!(
        "Created {} with owner {} in {}",
        owner.shop_name,
        owner.username,
        config.db_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn backup(config: &Config, dest: &Path) -> Result<ExitCode, String> {
    let db = open(config)?;
    let r = db.backup_to(dest).map_err(|e| e.to_string())?;
    println!(
        "Backed up {} to {} ({} pages, schema {}); integrity check: ok",
        config.db_path.display(),
        r.path.display(),
        r.pages,
        r.schema_version
    );
    Ok(ExitCode::SUCCESS)
}

fn restore(config: &Config, backup: &Path) -> Result<ExitCode, String> {
    let r = tillbook_core::db::backup::restore(backup, &config.db_path, config.open.clone())
        .map_err(|e| e.to_string())?;
    println!(
        "Restored {} into {} (schema {}); integrity check: ok",
        backup.display(),
        r.path.display(),
        r.schema_version
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(config: &Config) -> Result<ExitCode, String> {
    let db = open(config)?;
    let report = tillbook_core::ops::verify::run(&db).map_err(|e| e.to_string())?;
    println!("audit rows: {}", report.audit_rows);
    if report.is_clean() {
        println!("ok: no drift found in {}", config.db_path.display());
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &report.problems {
            println!("DRIFT: {p}");
        }
        Ok(ExitCode::from(1))
    }
}

fn bench(which: Bench) -> Result<ExitCode, String> {
    use tillbook_bench as bench;
    let err = |e: Error| e.to_string();
    // Every benchmark but `search --keep` works in a private temporary folder.
    let dir = std::env::temp_dir().join(format!("tillbook-bench-{}", std::process::id()));
    let in_dir = |f: &dyn Fn(&std::path::Path) -> Result<String, String>| {
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let out = f(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        out
    };
    let text = match which {
        Bench::Search {
            products,
            samples,
            keep,
        } => {
            let path = keep.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!("tillbook-bench-{}.db", std::process::id()))
            });
            let report = bench::search(&path, products, samples);
            if keep.is_none() {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            report.map_err(err)?.table()
        }
        Bench::Confirm { ops } => in_dir(&|d| Ok(bench::confirm(d, ops).map_err(err)?.table()))?,
        Bench::Tills {
            tills,
            seconds,
            synchronous,
        } => {
            let sync = tillbook_core::db::Synchronous::parse(&synchronous)
                .ok_or("--synchronous must be FULL or NORMAL")?;
            in_dir(&|d| Ok(bench::tills(d, tills, seconds, sync).map_err(err)?.table()))?
        }
        Bench::ColdStart { orders, runs, keep } => in_dir(&|d| {
            cold_start(
                &keep.clone().unwrap_or_else(|| d.join("cold.db")),
                orders,
                runs,
            )
        })?,
        Bench::ColdStartChild { path } => bench::cold_start_once(&path).map_err(err)?.line(),
        Bench::Reports { orders, baseline } => {
            in_dir(&|d| Ok(bench::reports(d, orders, baseline).map_err(err)?.table()))?
        }
        Bench::Dashboard {
            orders,
            baseline,
            samples,
        } => in_dir(&|d| {
            Ok(bench::dashboard(d, orders, baseline, samples)
                .map_err(err)?
                .table())
        })?,
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// T32: builds a file of `orders` orders, then starts on it `runs` times in
/// this process and `runs` times as a new `tillbook` process (spawn to exit).
fn cold_start(path: &std::path::Path, orders: usize, runs: usize) -> Result<String, String> {
    use tillbook_bench as bench;
    let (db, info) = bench::build_orders(path, orders).map_err(|e| e.to_string())?;
    drop(db);
    let mut out = format!(
        "{} orders ({} lines), {} MiB file\n\n",
        info.orders,
        info.lines,
        info.file_bytes / (1024 * 1024)
    );
    let mut inside = Vec::new();
    for _ in 0..runs {
        inside.push(bench::cold_start_once(path).map_err(|e| e.to_string())?);
    }
    out.push_str(&bench::phases_table("In process", &inside));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut spawned = Vec::new();
    let mut wall = Vec::new();
    for _ in 0..runs {
        let t = std::time::Instant::now();
        let child = std::process::Command::new(&exe)
            .args(["bench", "cold-start-child"])
            .arg(path)
            .output()
            .map_err(|e| format!("starting {}: {e}", exe.display()))?;
        wall.push(t.elapsed());
        let line = String::from_utf8_lossy(&child.stdout);
        spawned.push(
            bench::Phases::parse(line.trim())
                .ok_or_else(|| format!("cold-start-child said {line:?}"))?,
        );
    }
    out.push('\n');
    out.push_str(&bench::phases_table("As a new process", &spawned));
    wall.sort_unstable();
    out.push_str(&format!(
        "| process spawn to exit | {} | {} |\n",
        wall.get(wall.len() / 2)
            .copied()
            .unwrap_or_default()
            .as_millis(),
        wall.last().copied().unwrap_or_default().as_millis()
    ));
    Ok(out)
}

fn open(config: &Config) -> Result<Db, String> {
    Db::open(&config.db_path, config.open.clone()).map_err(|e| e.to_string())
}

fn read_password() -> Result<String, String> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Owner password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("reading the password from stdin: {e}"))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    Ok(password)
}

/// The JSON Lines transport. The session lives as long as this process.
fn serve_api(d: &Dispatcher) -> Result<ExitCode, String> {
    let mut session: Option<Session> = None;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("reading stdin: {e}"))?;
        if n == 0 {
            return Ok(ExitCode::SUCCESS);
        }
        let response = if buf.len() > MAX_LINE_BYTES {
            // Skip the rest of the oversized line before answering.
            let mut rest = Vec::new();
            let _ = input.read_until(b'\n', &mut rest);
            error_line(
                Value::Null,
                &Error::validation(
                    "request",
                    format!("a line may be at most {MAX_LINE_BYTES} bytes"),
                ),
            )
        } else if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            handle_line(d, &mut session, &buf)
        };
        writeln!(out, "{response}").map_err(|e| format!("writing stdout: {e}"))?;
        out.flush().map_err(|e| format!("writing stdout: {e}"))?;
    }
}

fn handle_line(d: &Dispatcher, session: &mut Option<Session>, line: &[u8]) -> Value {
    let request: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            return error_line(
                Value::Null,
                &Error::validation("request", format!("not JSON: {e}")),
            )
        }
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(obj) = request.as_object() else {
        return error_line(id, &Error::validation("request", "must be a JSON object"));
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "id" | "cmd" | "args"))
    {
        return error_line(
            id,
            &Error::validation(k.clone(), "unknown field in the request envelope"),
        );
    }
    let Some(cmd) = obj.get("cmd").and_then(Value::as_str) else {
        return error_line(
            id,
            &Error::validation("cmd", "must be a string naming a command"),
        );
    };
    let args = obj.get("args").cloned().unwrap_or(Value::Null);
    match d.dispatch(session, cmd, args) {
        Ok(data) => json!({ "id": id, "ok": true, "data": data }),
        Err(e) => error_line(id, &e),
    }
}

fn error_line(id: Value, e: &Error) -> Value {
    json!({ "id": id, "ok": false, "error": e.to_json() })
}
