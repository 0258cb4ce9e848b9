//! `tillbook sync …`: the CLI's host for the engine. `run` and `verify` are the
//! machine's own work on the file (like `tillbook verify`) and need no
//! sign-in; `status` and `target set` are dispatcher commands (`sync.status`,
//! `sync.set_target`), so they sign in and the role table decides.

use crate::client::Limits;
use crate::run::{run_once, verify_once};
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tillbook_core::clock::SystemClock;
use tillbook_core::db::Db;
use tillbook_core::records::sync_state::DEFAULT_TARGET;
use tillbook_core::{Dispatcher, Session};

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Send the shop's events to head office (`--once`: one attempt, then exit).
    Run {
        #[arg(long)]
        once: bool,
        #[arg(long, default_value = DEFAULT_TARGET)]
        target: String,
    },
    /// Show whether the shop's events reached head office. Signs in as USERNAME
    /// (password from a prompt, or the first line of stdin).
    Status {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = DEFAULT_TARGET)]
        target: String,
    },
    /// Check that head office holds exactly this shop's events, once each. Exit 1 if not.
    Verify {
        #[arg(long, default_value = DEFAULT_TARGET)]
        target: String,
    },
    /// Where the shop sends its events.
    Target {
        #[command(subcommand)]
        what: TargetCommand,
    },
}

#[derive(Subcommand)]
pub enum TargetCommand {
    /// Set the head-office server (owner only). Signs in as USERNAME.
    Set {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = DEFAULT_TARGET)]
        name: String,
        #[arg(long)]
        host: String,
        #[arg(long, default_value_t = 3306)]
        port: u16,
        #[arg(long)]
        database: String,
        #[arg(long)]
        user: String,
        /// `verify` (the default) or `insecure` (no certificate checks; audited).
        #[arg(long, default_value = "verify")]
        tls_mode: String,
        /// The CA certificate (PEM) that signed the server's certificate.
        #[arg(long, value_name = "PATH")]
        ca_file: Option<PathBuf>,
        /// Keep the target but send nothing.
        #[arg(long)]
        disabled: bool,
    },
}

/// Runs one `tillbook sync` command on the open file.
pub fn run(db: Db, cmd: SyncCommand) -> Result<ExitCode, String> {
    let lim = Limits::default();
    match cmd {
        SyncCommand::Run { once, target } => {
            if !once {
                return Err("only `tillbook sync run --once` exists so far".into());
            }
            let r = run_once(&db, &SystemClock, &target, &lim).map_err(|e| e.message)?;
            match r.error {
                None => {
                    println!(
                        "up to date: {} events sent in {} batches; head office has {}",
                        r.pushed.sent, r.pushed.batches, r.pushed.acked_seq
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(e) => {
                    println!("{}: {}", r.state.as_str(), e.message);
                    Ok(ExitCode::from(1))
                }
            }
        }
        SyncCommand::Verify { target } => {
            let r = verify_once(&db, &target, &lim).map_err(|e| e.message)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?
            );
            if r.is_exact() {
                println!(
                    "exact: head office holds these {} events once each",
                    r.local_last_id
                );
                Ok(ExitCode::SUCCESS)
            } else {
                Ok(ExitCode::from(1))
            }
        }
        SyncCommand::Status { username, target } => {
            let v = signed_in(db, &username, "sync.status", json!({ "target": target }))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        SyncCommand::Target {
            what:
                TargetCommand::Set {
                    username,
                    name,
                    host,
                    port,
                    database,
                    user,
                    tls_mode,
                    ca_file,
                    disabled,
                },
        } => {
            let ca_pem = match ca_file {
                Some(p) => Some(
                    std::fs::read_to_string(&p)
                        .map_err(|e| format!("cannot read {}: {e}", p.display()))?,
                ),
                None => None,
            };
            let v = signed_in(
                db,
                &username,
                "sync.set_target",
                json!({
                    "name": name, "host": host, "port": port, "database": database, "user": user,
                    "tls_mode": tls_mode, "ca_pem": ca_pem, "enabled": !disabled,
                }),
            )?;
            println!(
                "{}",
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Signs in and runs one command through the dispatcher.
fn signed_in(db: Db, username: &str, cmd: &str, args: Value) -> Result<Value, String> {
    let password = read_password()?;
    let d = Dispatcher::new(db, Arc::new(SystemClock));
    let mut session: Option<Session> = None;
    d.dispatch(
        &mut session,
        "auth.login",
        json!({ "username": username, "password": password }),
    )
    .map_err(|e| e.to_string())?;
    d.dispatch(&mut session, cmd, args)
        .map_err(|e| e.to_string())
}

fn read_password() -> Result<String, String> {
    use std::io::{BufRead, IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password: ").map_err(|e| e.to_string());
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(1024)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
