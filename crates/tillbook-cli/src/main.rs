//! `tillbook`: argv and stdin in, tillbook-core out. Only this file knows about
//! argv and JSON Lines; every operation is a call into the core's dispatcher.

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
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
    Init {
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
    },
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
    /// Measure performance on a new temporary file; see docs/BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        which: Bench,
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
        Command::Demo { path } => {
            let creds = tillbook_core::demo::create(&path, config.open, Arc::new(SystemClock))
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
        Command::Init {
            shop_name,
            currency,
            currency_scale,
            username,
            display_name,
        } => {
            if let Some(dir) = config.db_path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let db = open(&config)?;
            let password = read_password()?;
            let d = Dispatcher::new(db, Arc::new(SystemClock));
            let mut session = None;
            let key = format!("init-{}-{}", std::process::id(), d.now_ms());
            d.dispatch(
                &mut session,
                "setup.create_owner",
                json!({
                    "idempotency_key": key,
                    "shop_name": shop_name,
                    "currency_code": currency,
                    "currency_scale": currency_scale,
                    "username": username,
                    "display_name": display_name,
                    "password": password,
                }),
            )
            .map_err(|e| e.to_string())?;
            println!(
                "Created {} with owner {username} in {}",
                shop_name,
                config.db_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { dest } => {
            let db = open(&config)?;
            let r = db.backup_to(&dest).map_err(|e| e.to_string())?;
            println!(
                "Backed up {} to {} ({} pages, schema {}); integrity check: ok",
                config.db_path.display(),
                r.path.display(),
                r.pages,
                r.schema_version
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { backup } => {
            let r = tillbook_core::db::backup::restore(&backup, &config.db_path, config.open)
                .map_err(|e| e.to_string())?;
            println!(
                "Restored {} into {} (schema {}); integrity check: ok",
                backup.display(),
                r.path.display(),
                r.schema_version
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => {
            let db = open(&config)?;
            let report = tillbook_core::verify::run(&db).map_err(|e| e.to_string())?;
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
        Command::Api => {
            let db = open(&config)?;
            serve_api(&Dispatcher::new(db, Arc::new(SystemClock)))
        }
    }
}

fn bench(which: Bench) -> Result<ExitCode, String> {
    let Bench::Search {
        products,
        samples,
        keep,
    } = which;
    let path = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tillbook-bench-{}.db", std::process::id()))
    });
    let report = tillbook_core::bench::search(&path, products, samples);
    if keep.is_none() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    println!("{}", report.map_err(|e| e.to_string())?.table());
    Ok(ExitCode::SUCCESS)
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
