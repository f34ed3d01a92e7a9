//! Test support: a real PostgreSQL on loopback, started from the system's binaries.
//!
//! * One server per test binary ([`server`]), a fresh database per test ([`fresh_db`]).
//! * The binaries (`initdb`, `pg_ctl`) are looked up in `PATH`, then in
//!   `/usr/lib/postgresql/*/bin` (newest version first). Missing binaries fail with the
//!   package to install: `apt-get install -y postgresql`.
//! * The cluster lives in a temporary directory, listens on `127.0.0.1` only, on a random
//!   free port, with its Unix socket in that directory. Run as root, every command runs as
//!   the `postgres` user (`runuser -u postgres --`), which owns the directory.
//! * It is stopped (`pg_ctl stop -m immediate`) and its directory removed when the
//!   [`PgServer`] is dropped, and also when the process that started it exits by any means
//!   (a test binary's static is never dropped; a killed process runs no destructor): a
//!   watchdog shell waits for end-of-file on a pipe only this process holds.
//!
//! Use from an integration test with `mod support;`, from an example with
//! `#[path = "../tests/support/mod.rs"] mod support;`.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod proof;

use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const INSTALL_HINT: &str = "PostgreSQL's server binaries (initdb, pg_ctl) were not found in PATH \
     nor in /usr/lib/postgresql/*/bin: install them with `apt-get install -y postgresql`";

/// A PostgreSQL cluster of its own, on loopback.
#[derive(Debug)]
pub struct PgServer {
    dir: PathBuf,
    pg_ctl: PathBuf,
    port: u16,
    as_postgres: bool,
    /// The watchdog's stdin: closed (by drop or by this process's exit), it stops the server.
    watchdog: Option<(Child, ChildStdin)>,
}

fn find_bin(name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let candidate = entry.path().join("bin").join(name);
            candidate.is_file().then_some((version, candidate))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, path)| path)
}

fn running_as_root() -> bool {
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

impl PgServer {
    /// Creates and starts a cluster.
    ///
    /// # Errors
    /// The binaries are missing (the message names the package), or `initdb` or `pg_ctl`
    /// failed (the message carries the server log's tail).
    pub fn start() -> Result<Self, String> {
        let initdb = find_bin("initdb").ok_or(INSTALL_HINT)?;
        let pg_ctl = find_bin("pg_ctl").ok_or(INSTALL_HINT)?;
        let as_postgres = running_as_root();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("credgate-pg-{}-{nanos:08x}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let mut server = PgServer {
            dir,
            pg_ctl,
            port: 0,
            as_postgres,
            watchdog: None,
        };
        if as_postgres {
            let status = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&server.dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "chown postgres {} failed: is there a `postgres` user? ({INSTALL_HINT})",
                    server.dir.display()
                ));
            }
        }
        server.arm_watchdog()?;
        let data = server.data_dir();
        let output = server
            .command(&initdb)
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
            .arg("--no-sync")
            .output()
            .map_err(|e| format!("running {}: {e}", initdb.display()))?;
        if !output.status.success() {
            return Err(format!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            server.port = free_port()?;
            match server.start_again() {
                Ok(()) => return Ok(server),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn arm_watchdog(&mut self) -> Result<(), String> {
        let stop = self.stop_command_line();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "read _ ; {stop} >/dev/null 2>&1 ; rm -rf '{}'",
                self.dir.display()
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the watchdog shell: {e}"))?;
        let stdin = child.stdin.take().ok_or("the watchdog has no stdin")?;
        self.watchdog = Some((child, stdin));
        Ok(())
    }

    fn stop_command_line(&self) -> String {
        let prefix = if self.as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        };
        format!(
            "{prefix}'{}' -D '{}' stop -m immediate",
            self.pg_ctl.display(),
            self.data_dir().display()
        )
    }

    fn command(&self, program: &Path) -> Command {
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Starts the (stopped) server again on the same port and directory.
    ///
    /// # Errors
    /// `pg_ctl start` failed; the message carries the server log's tail.
    pub fn start_again(&self) -> Result<(), String> {
        let options = format!(
            // fsync off: a killed server loses nothing (the OS keeps its writes), only a
            // machine crash would. synchronous_commit stays on: a commit's WAL is written
            // before it answers, so `stop -m immediate` loses no committed row.
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off \
             -c max_connections=400",
            self.port,
            self.dir.display()
        );
        let output = self
            .command(&self.pg_ctl)
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .map_err(|e| format!("running {}: {e}", self.pg_ctl.display()))?;
        if output.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.log_file()).unwrap_or_default();
        let tail: String = log.lines().rev().take(10).collect::<Vec<_>>().join("\n");
        Err(format!(
            "pg_ctl start on port {} failed: {}{}\n{tail}",
            self.port,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`): every connection drops.
    pub fn stop_immediate(&self) {
        let _ = self
            .command(&self.pg_ctl)
            .arg("-D")
            .arg(self.data_dir())
            .args(["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A libpq-style connection string for the database `dbname`.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={dbname} connect_timeout=5",
            self.port
        )
    }

    /// A configuration for the database `dbname`.
    pub fn config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(self.port)
            .user("postgres")
            .dbname(dbname)
            .connect_timeout(std::time::Duration::from_secs(5));
        config
    }

    /// Creates a new, empty database and returns its name.
    ///
    /// # Errors
    /// The server refused the connection or the `CREATE DATABASE`.
    pub async fn create_database(&self) -> Result<String, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let (client, connection) = self
            .config("postgres")
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("connecting to the test server: {e}"))?;
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
        drop(client);
        let _ = driver.await;
        Ok(name)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop_immediate();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((mut child, mut stdin)) = self.watchdog.take() {
            let _ = stdin.write_all(b"\n");
            drop(stdin);
            let _ = child.wait();
        }
    }
}

/// This test binary's server, started on first use.
///
/// # Panics
/// The server could not be started (the message says why and what to install).
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    match SERVER.get_or_init(PgServer::start) {
        Ok(server) => server,
        Err(e) => panic!("test PostgreSQL: {e}"),
    }
}

/// A fresh database on this binary's server, as a connection configuration.
///
/// # Panics
/// The server could not be started or the database not created.
pub async fn fresh_db() -> tokio_postgres::Config {
    let server = server();
    match server.create_database().await {
        Ok(name) => server.config(&name),
        Err(e) => panic!("test PostgreSQL: {e}"),
    }
}

/// A fresh database's connection string (for child processes).
///
/// # Panics
/// The server could not be started or the database not created.
pub async fn fresh_db_url() -> String {
    let server = server();
    match server.create_database().await {
        Ok(name) => server.url(&name),
        Err(e) => panic!("test PostgreSQL: {e}"),
    }
}
