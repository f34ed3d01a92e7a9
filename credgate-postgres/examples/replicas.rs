//! The multi-replica proof, full size: N OS processes × M tasks share one OAuth 2.0 token
//! through PostgreSQL for S seconds, against a loopback token server that issues 2-second
//! access tokens and single-use rotating refresh tokens (a reused one is `invalid_grant`
//! and revokes the family). Prints the figures and exits non-zero if a requirement fails:
//! one token request per expiry, 0 `invalid_grant`, 0 lost refresh tokens, every process
//! on the new token within 100 ms of its issue.
//!
//! ```sh
//! cargo run -p credgate-postgres --example replicas                    # 8 × 50 × 60 s
//! cargo run -p credgate-postgres --example replicas -- --processes 2 --tasks 5 --seconds 10
//! ```
//!
//! It starts its own PostgreSQL from the system's binaries (`apt-get install -y
//! postgresql`), or uses `--database-url 'host=... dbname=...'`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::ExitCode;

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match flag(args, name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name} takes a whole number, got {v:?}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    if support::proof::child_main().await {
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("replicas [--processes 8] [--tasks 50] [--seconds 60] [--database-url URL]");
        return ExitCode::SUCCESS;
    }
    let parsed = (|| -> Result<(u64, u64, u64), String> {
        Ok((
            number(&args, "--processes", 8)?,
            number(&args, "--tasks", 50)?,
            number(&args, "--seconds", 60)?,
        ))
    })();
    let (processes, tasks, seconds) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("replicas: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (_server, url) = match flag(&args, "--database-url") {
        Some(url) => (None, url),
        None => {
            let server = match support::PgServer::start() {
                Ok(server) => server,
                Err(e) => {
                    eprintln!("replicas: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let db = match server.create_database().await {
                Ok(db) => db,
                Err(e) => {
                    eprintln!("replicas: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let url = server.url(&db);
            (Some(server), url)
        }
    };
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("replicas: cannot find this program to start the replicas");
        return ExitCode::FAILURE;
    };
    println!("{processes} processes × {tasks} tasks × {seconds} s ...");
    let figures = support::proof::run_proof(
        &url,
        usize::try_from(processes).unwrap_or(1),
        usize::try_from(tasks).unwrap_or(1),
        seconds,
        || tokio::process::Command::new(&exe),
    )
    .await;
    print!("{figures}");
    let failures = support::proof::failures(&figures, 100);
    if failures.is_empty() {
        println!("all requirements hold");
        ExitCode::SUCCESS
    } else {
        for failure in failures {
            println!("FAILED: {failure}");
        }
        ExitCode::FAILURE
    }
}
