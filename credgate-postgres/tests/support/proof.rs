//! The multi-replica proof, shared by `tests/replicas.rs` (short) and
//! `examples/replicas.rs` (8 processes × 50 tasks × 60 s by default).
//!
//! * A loopback **token server** (a small HTTP/1.1 server on tokio) issues 2-second access
//!   tokens and **single-use rotating refresh tokens**: presenting a spent one answers
//!   `invalid_grant` and revokes the whole family, as real servers do.
//! * **Replicas** are OS processes (the same binary, re-executed): each builds a
//!   `LiveConnection` on one shared `PgTokenStore` row and runs many tasks that authorize
//!   requests with `authorize_with_async`, recording when each access token is first and
//!   last used (wall clock, milliseconds), and prints that as one `CREDGATE-PROOF` line.
//! * The parent checks the figures: one token request per expiry across all processes,
//!   0 `invalid_grant`, 0 lost refresh tokens (the store ends with the server's live
//!   refresh token, every issued credential was published), every process switching to a
//!   new token within 100 ms of its issue (issue precedes publication, so this bounds the
//!   publication-to-use time from above), and no token used after it expired.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credgate::auth::oauth2::{AsyncTokenStore, LeaseHolder, TokenOwner, TokenStoreOptions};
use credgate::{AuthSchemeConfig, Connection, ConnectionCredential, Credential, LiveConnection};
use credgate_postgres::{Keyring, PgTokenStore};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

pub const ACCESS_LIFETIME_SECS: u64 = 2;
pub const EXPIRY_BUFFER_SECS: u64 = 1;
pub const OWNER: &str = "connection:proof";
pub const REPORT_PREFIX: &str = "CREDGATE-PROOF ";

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

pub fn keyring() -> Keyring {
    Keyring::new("proof-key", &[0x5A; 32]).expect("keyring")
}

// ---------------------------------------------------------------------------------------
// The token server.

#[derive(Debug, Default)]
pub struct ServerState {
    /// The family's live refresh token; `None` once revoked.
    pub current_refresh: Option<String>,
    pub revoked: bool,
    /// Issued tokens, by number: (issue time ms, the process that asked).
    pub issued: BTreeMap<u64, (u64, String)>,
    pub spent: HashSet<String>,
    pub token_requests: u64,
    pub invalid_grants: u64,
    /// Requests whose answer never reached the client (it hung up first).
    pub lost_answers: u64,
    next: u64,
    /// Hold the next refresh's answer this long before rotating (a fault test's window).
    pub hold_next: Option<Duration>,
    /// Set while a refresh is held: the process that sent it.
    pub holding: Option<String>,
    /// Every token request: time, process, refresh token presented, answer.
    pub log: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TokenServer {
    pub url: String,
    pub state: Arc<Mutex<ServerState>>,
}

impl TokenServer {
    /// Starts the server with token number 0 issued (returned as the first credential).
    pub async fn start() -> (TokenServer, credgate::OAuth2TokenCredential) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/token", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(ServerState::default()));
        let first = {
            let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
            issue(&mut s, "parent")
        };
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        let credential = serde_json::from_value(first).expect("credential");
        (TokenServer { url, state }, credential)
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Issues the next token pair; the credential as the store holds it.
fn issue(s: &mut ServerState, process: &str) -> serde_json::Value {
    let n = s.next;
    s.next += 1;
    let at = unix_ms();
    s.issued.insert(n, (at, process.to_owned()));
    s.current_refresh = Some(format!("rt-{n}"));
    serde_json::json!({
        "accessToken": format!("at-{n}"),
        "refreshToken": format!("rt-{n}"),
        "expiresAt": rfc3339(at / 1000 + ACCESS_LIFETIME_SECS),
    })
}

fn rfc3339(unix_seconds: u64) -> String {
    // Days to civil date (Howard Hinnant's algorithm), for `expiresAt`.
    let days = i64::try_from(unix_seconds / 86_400).unwrap_or(0);
    let secs = unix_seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<ServerState>>) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_end, content_length) = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while buffer.len() < head_end + content_length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let process = head
        .lines()
        .find_map(|l| l.strip_prefix("x-proof-process:"))
        .map_or_else(|| "?".to_owned(), |v| v.trim().to_owned());
    let body = String::from_utf8_lossy(&buffer[head_end..head_end + content_length]).into_owned();
    let form: HashMap<&str, &str> = body.split('&').filter_map(|p| p.split_once('=')).collect();
    let presented = form
        .get("refresh_token")
        .map(|s| (*s).to_owned())
        .unwrap_or_default();

    // A held refresh: the answer waits, and is given (and the token rotated) only if the
    // client is still there.
    let hold = {
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        s.token_requests += 1;
        let hold = s.hold_next.take();
        if hold.is_some() {
            s.holding = Some(process.clone());
        }
        hold
    };
    if let Some(hold) = hold {
        let mut probe = [0u8; 1];
        let gone = tokio::select! {
            () = tokio::time::sleep(hold) => false,
            read = stream.read(&mut probe) => matches!(read, Ok(0) | Err(_)),
        };
        if gone {
            let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
            s.lost_answers += 1;
            s.holding = None;
            return Ok(());
        }
    }
    let (status, reply) = {
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        s.holding = None;
        let line = format!("{} process {process} presented {presented}", unix_ms());
        s.log.push(line);
        if form.get("grant_type") != Some(&"refresh_token") {
            (400, serde_json::json!({"error": "unsupported_grant_type"}))
        } else if !s.revoked && s.current_refresh.as_deref() == Some(presented.as_str()) {
            s.spent.insert(presented);
            let credential = issue(&mut s, &process);
            (
                200,
                serde_json::json!({
                    "access_token": credential["accessToken"],
                    "refresh_token": credential["refreshToken"],
                    "token_type": "Bearer",
                    "expires_in": ACCESS_LIFETIME_SECS,
                }),
            )
        } else {
            // A spent (or unknown) refresh token: the family is revoked.
            s.invalid_grants += 1;
            s.revoked = true;
            s.current_refresh = None;
            (400, serde_json::json!({"error": "invalid_grant"}))
        }
    };
    let body = reply.to_string();
    let response = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Bad Request" },
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

// ---------------------------------------------------------------------------------------
// A replica.

/// What a replica process is told, by environment variables.
#[derive(Debug, Clone)]
pub struct ChildConfig {
    pub index: usize,
    pub db_url: String,
    pub token_url: String,
    pub tasks: usize,
    pub seconds: u64,
    pub lease_ttl_ms: u64,
}

impl ChildConfig {
    pub fn to_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CREDGATE_PROOF_INDEX", self.index.to_string()),
            ("CREDGATE_PROOF_DB", self.db_url.clone()),
            ("CREDGATE_PROOF_TOKEN_URL", self.token_url.clone()),
            ("CREDGATE_PROOF_TASKS", self.tasks.to_string()),
            ("CREDGATE_PROOF_SECONDS", self.seconds.to_string()),
            ("CREDGATE_PROOF_LEASE_MS", self.lease_ttl_ms.to_string()),
        ]
    }

    pub fn from_env() -> Option<ChildConfig> {
        let var = |name: &str| std::env::var(name).ok();
        Some(ChildConfig {
            index: var("CREDGATE_PROOF_INDEX")?.parse().ok()?,
            db_url: var("CREDGATE_PROOF_DB")?,
            token_url: var("CREDGATE_PROOF_TOKEN_URL")?,
            tasks: var("CREDGATE_PROOF_TASKS")?.parse().ok()?,
            seconds: var("CREDGATE_PROOF_SECONDS")?.parse().ok()?,
            lease_ttl_ms: var("CREDGATE_PROOF_LEASE_MS")?.parse().ok()?,
        })
    }
}

/// One replica's figures.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ChildReport {
    pub index: usize,
    pub pid: u32,
    pub authorizations: u64,
    pub errors: u64,
    pub error_samples: Vec<String>,
    /// Token number → (first use, last use), unix ms.
    pub uses: BTreeMap<u64, (u64, u64)>,
}

/// Sends a token request over a fresh loopback connection; no redirects are followed.
async fn send(
    mut request: http::Request<Vec<u8>>,
    process: usize,
) -> Result<http::Response<Vec<u8>>, std::io::Error> {
    let authority = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or_else(|| std::io::Error::other("no authority"))?;
    request
        .headers_mut()
        .insert("x-proof-process", http::HeaderValue::from(process));
    let mut stream = TcpStream::connect(&authority).await?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\ncontent-length: {}\r\n",
        request.method(),
        request.uri().path_and_query().map_or("/", |p| p.as_str()),
        request.body().len()
    );
    for (name, value) in request.headers() {
        if name != http::header::CONTENT_LENGTH && name != http::header::HOST {
            head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or("")));
        }
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(request.body()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no response head"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let mut response = http::Response::builder().status(status);
    for line in head.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            response = response.header(name.trim(), value.trim());
        }
    }
    response
        .body(raw[end + 4..].to_vec())
        .map_err(std::io::Error::other)
}

pub fn live_connection(
    token_url: &str,
    credential: credgate::OAuth2TokenCredential,
    store: Arc<PgTokenStore>,
    index: usize,
    lease_ttl: Duration,
) -> LiveConnection {
    let scheme: AuthSchemeConfig = serde_json::from_value(serde_json::json!({"type": "oauth2",
        "oauth2": {"id": "proof", "tokenUrl": token_url,
            "expiryBufferSeconds": EXPIRY_BUFFER_SECS,
            "grant": {"type": "authorizationCode",
                "authorizationCode": {"clientId": "client-1", "clientSecret": "secret-1"}}}}))
    .expect("scheme");
    let connection = Connection::new(vec![ConnectionCredential::new(
        scheme,
        Credential::OAuth2Token(credential),
    )]);
    let options = TokenStoreOptions::new(TokenOwner::new(OWNER))
        .with_holder(LeaseHolder::new(format!(
            "replica-{index}-{}",
            std::process::id()
        )))
        .with_lease_ttl(lease_ttl);
    LiveConnection::builder(&connection)
        .base_url("https://api.example")
        .async_token_store(store, options)
        .build()
        .expect("live connection")
}

/// Runs one replica for `config.seconds` and returns its figures.
pub async fn run_child(config: ChildConfig) -> ChildReport {
    let db: tokio_postgres::Config = config.db_url.parse().expect("db url");
    let store = Arc::new(PgTokenStore::connect(db, keyring()).await.expect("store"));
    let owner = TokenOwner::new(OWNER);
    let stored = store.read(&owner).await.expect("read").expect("seeded");
    let live = live_connection(
        &config.token_url,
        stored.credential.clone(),
        Arc::clone(&store),
        config.index,
        Duration::from_millis(config.lease_ttl_ms),
    );
    live.offer_stored(&owner, &stored);
    let live = Arc::new(live);
    let _follow = (std::env::var("CREDGATE_PROOF_FOLLOW").as_deref() != Ok("0"))
        .then(|| store.follow(owner.clone(), &live));
    let report = Arc::new(Mutex::new(ChildReport {
        index: config.index,
        pid: std::process::id(),
        ..ChildReport::default()
    }));
    let stop_at = tokio::time::Instant::now() + Duration::from_secs(config.seconds);
    let mut tasks = Vec::new();
    for _ in 0..config.tasks {
        let (live, report) = (Arc::clone(&live), Arc::clone(&report));
        let index = config.index;
        tasks.push(tokio::spawn(async move {
            while tokio::time::Instant::now() < stop_at {
                let mut request = http::Request::get("/items")
                    .body(Vec::<u8>::new())
                    .expect("request");
                let result = live
                    .authorize_with_async(&mut request, |token_request| send(token_request, index))
                    .await;
                let now = unix_ms();
                {
                    let mut r = report.lock().unwrap_or_else(PoisonError::into_inner);
                    match result {
                        Ok(()) => {
                            r.authorizations += 1;
                            let number = request
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.strip_prefix("Bearer at-"))
                                .and_then(|n| n.parse::<u64>().ok());
                            if let Some(n) = number {
                                let entry = r.uses.entry(n).or_insert((now, now));
                                entry.1 = now;
                            }
                        }
                        Err(e) => {
                            r.errors += 1;
                            if r.error_samples.len() < 5 {
                                r.error_samples.push(e.to_string());
                            }
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    report
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

// ---------------------------------------------------------------------------------------
// The parent's checks.

/// The figures across all replicas.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub processes: usize,
    pub seconds: u64,
    pub token_requests: u64,
    pub issued_after_start: u64,
    pub invalid_grants: u64,
    pub revoked: bool,
    pub lost_refresh_tokens: u64,
    pub authorizations: u64,
    pub errors: u64,
    /// Issue → first use, per (token, process), ms: an upper bound of the time from
    /// publication (the issue precedes it by the token response and the publish).
    pub switch_max_ms: u64,
    pub switch_p50_ms: u64,
    pub switch_p99_ms: u64,
    /// Publication (the row's `updated_at`, stamped by PostgreSQL in the publishing
    /// statement) → first use, per (token, process), ms.
    pub published_max_ms: u64,
    pub published_p50_ms: u64,
    pub published_p99_ms: u64,
    /// Tokens whose publication time was not caught (the issue time stands in).
    pub unstamped: u64,
    pub late_switches: Vec<String>,
    pub expired_uses: Vec<String>,
    pub final_version: u64,
    pub server_log: Vec<String>,
    pub error_samples: Vec<String>,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "processes: {}, seconds: {}",
            self.processes, self.seconds
        )?;
        writeln!(
            f,
            "token requests: {} (tokens issued: {}, store version at the end: {})",
            self.token_requests, self.issued_after_start, self.final_version
        )?;
        writeln!(
            f,
            "invalid_grant: {}, family revoked: {}, lost refresh tokens: {}",
            self.invalid_grants, self.revoked, self.lost_refresh_tokens
        )?;
        writeln!(
            f,
            "authorizations: {}, errors: {}",
            self.authorizations, self.errors
        )?;
        writeln!(
            f,
            "issue → first use per process: p50 {} ms, p99 {} ms, max {} ms",
            self.switch_p50_ms, self.switch_p99_ms, self.switch_max_ms
        )?;
        writeln!(
            f,
            "publication → first use per process: p50 {} ms, p99 {} ms, max {} ms ({} unstamped)",
            self.published_p50_ms, self.published_p99_ms, self.published_max_ms, self.unstamped
        )?;
        writeln!(
            f,
            "switches over 100 ms: {}, uses after expiry: {}",
            self.late_switches.len(),
            self.expired_uses.len()
        )?;
        if self.invalid_grants > 0 || self.errors > 0 {
            writeln!(f, "token requests: {:#?}", self.server_log)?;
            writeln!(f, "errors: {:#?}", self.error_samples)?;
        }
        Ok(())
    }
}

/// Combines the server's log, the replicas' reports and the store's last row.
pub fn figures(
    server: &ServerState,
    reports: &[ChildReport],
    seconds: u64,
    stored_refresh: Option<String>,
    final_version: u64,
    published: &BTreeMap<u64, u64>,
) -> Figures {
    let mut figures = Figures {
        processes: reports.len(),
        seconds,
        token_requests: server.token_requests,
        issued_after_start: u64::try_from(server.issued.len().saturating_sub(1)).unwrap_or(0),
        invalid_grants: server.invalid_grants,
        revoked: server.revoked,
        final_version,
        server_log: server.log.clone(),
        error_samples: reports
            .iter()
            .flat_map(|r| {
                r.error_samples
                    .iter()
                    .map(move |e| format!("process {}: {e}", r.index))
            })
            .collect(),
        ..Figures::default()
    };
    // Every issued refresh token was either presented (spent) or is the one the store
    // holds and the server still accepts.
    for n in server.issued.keys() {
        let rt = format!("rt-{n}");
        let live_and_stored = server.current_refresh.as_deref() == Some(rt.as_str())
            && stored_refresh.as_deref() == Some(rt.as_str());
        if !server.spent.contains(&rt) && !live_and_stored {
            figures.lost_refresh_tokens += 1;
        }
    }
    let mut switches = Vec::new();
    let mut from_publication = Vec::new();
    let last = server.issued.keys().next_back().copied().unwrap_or(0);
    for (&n, &(issued_at, _)) in &server.issued {
        // The next token's issue time: the end of this token's reign.
        let replaced_at = server.issued.get(&(n + 1)).map(|(at, _)| *at);
        for report in reports {
            match report.uses.get(&n) {
                Some(&(first, last_use)) => {
                    if n > 0 {
                        switches.push(first.saturating_sub(issued_at));
                        // Token n is version n + 1 (the seed is version 1), as checked by
                        // the final version.
                        let published_at = published.get(&(n + 1)).copied();
                        let switch = first.saturating_sub(published_at.unwrap_or(issued_at));
                        from_publication.push(switch);
                        if switch > 100 {
                            figures.late_switches.push(format!(
                                "process {} took at-{n} {switch} ms after its publication",
                                report.index
                            ));
                        }
                    }
                    // Whole seconds: the expiry is `expires_in` from the issue's second.
                    let expiry = (issued_at / 1000 + ACCESS_LIFETIME_SECS) * 1000 + 999;
                    if last_use > expiry {
                        figures.expired_uses.push(format!(
                            "process {} used at-{n} {} ms after its expiry",
                            report.index,
                            last_use - expiry
                        ));
                    }
                }
                None => {
                    // A token that reigned long enough must reach every process.
                    let reign = replaced_at.unwrap_or(u64::MAX).saturating_sub(issued_at);
                    if n > 0 && n != last && reign > 150 {
                        figures.late_switches.push(format!(
                            "process {} never used at-{n} (reigned {reign} ms)",
                            report.index
                        ));
                    }
                }
            }
        }
    }
    figures.unstamped = server
        .issued
        .keys()
        .filter(|n| **n > 0 && !published.contains_key(&(**n + 1)))
        .count() as u64;
    let pick = |values: &mut Vec<u64>, q: f64| -> u64 {
        values.sort_unstable();
        if values.is_empty() {
            return 0;
        }
        let i = ((values.len() - 1) as f64 * q).round() as usize;
        values[i.min(values.len() - 1)]
    };
    figures.switch_p50_ms = pick(&mut switches, 0.5);
    figures.switch_p99_ms = pick(&mut switches, 0.99);
    figures.switch_max_ms = pick(&mut switches, 1.0);
    figures.published_p50_ms = pick(&mut from_publication, 0.5);
    figures.published_p99_ms = pick(&mut from_publication, 0.99);
    figures.published_max_ms = pick(&mut from_publication, 1.0);
    figures.authorizations = reports.iter().map(|r| r.authorizations).sum();
    figures.errors = reports.iter().map(|r| r.errors).sum();
    figures
}

/// Spawns `processes` replicas (`command` builds each one's process), waits for their
/// reports, and returns the figures.
pub async fn run_proof(
    db_url: &str,
    processes: usize,
    tasks: usize,
    seconds: u64,
    command: impl Fn() -> tokio::process::Command,
) -> Figures {
    let (server, first) = TokenServer::start().await;
    let db: tokio_postgres::Config = db_url.parse().expect("db url");
    let store = PgTokenStore::connect(db, keyring()).await.expect("store");
    let owner = TokenOwner::new(OWNER);
    store
        .publish(&owner, 0, &first, &LeaseHolder::new("parent"))
        .await
        .expect("seed");
    let published = record_publications(db_url).await;
    let mut children = Vec::new();
    for index in 0..processes {
        let config = ChildConfig {
            index,
            db_url: db_url.to_owned(),
            token_url: server.url.clone(),
            tasks,
            seconds,
            lease_ttl_ms: 5_000,
        };
        let mut cmd = command();
        cmd.envs(config.to_env())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true);
        children.push(cmd.spawn().expect("spawn a replica"));
    }
    let mut reports = Vec::new();
    for child in children {
        let output = child.wait_with_output().await.expect("replica output");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report = stdout
            .lines()
            .find_map(|l| {
                l.find(REPORT_PREFIX)
                    .map(|at| &l[at + REPORT_PREFIX.len()..])
            })
            .and_then(|json| serde_json::from_str::<ChildReport>(json).ok());
        match report {
            Some(report) => reports.push(report),
            None => panic!(
                "a replica printed no report (status {}):\n{stdout}",
                output.status
            ),
        }
    }
    let stored = store
        .read(&owner)
        .await
        .expect("final read")
        .expect("stored");
    let stored_refresh = stored
        .credential
        .refresh_token
        .as_ref()
        .map(|s| s.expose_secret().to_owned());
    let published = published
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let state = server.lock();
    figures(
        &state,
        &reports,
        seconds,
        stored_refresh,
        stored.version,
        &published,
    )
}

/// Records when each version of the proof's row was published, as PostgreSQL stamped it
/// (`updated_at`, the publishing statement's `now()`), learned by `LISTEN` on a connection
/// of its own.
async fn record_publications(db_url: &str) -> Arc<Mutex<BTreeMap<u64, u64>>> {
    let published = Arc::new(Mutex::new(BTreeMap::new()));
    let config: tokio_postgres::Config = db_url.parse().expect("db url");
    let (client, mut connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    let (sender, mut notified) = tokio::sync::mpsc::unbounded_channel::<()>();
    tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                    if sender.send(()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client
        .batch_execute("LISTEN credgate_tokens")
        .await
        .expect("listen");
    let record = Arc::clone(&published);
    tokio::spawn(async move {
        while notified.recv().await.is_some() {
            let row = client
                .query_one(
                    "SELECT version, (extract(epoch FROM updated_at) * 1000)::bigint
                     FROM credgate_tokens WHERE owner = $1",
                    &[&OWNER],
                )
                .await;
            if let Ok(row) = row {
                let (version, at): (i64, i64) = (row.get(0), row.get(1));
                record
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(u64::try_from(version).unwrap_or(0))
                    .or_insert(u64::try_from(at).unwrap_or(0));
            }
        }
    });
    published
}

/// A replica's entry point: runs from the environment and prints its report.
pub async fn child_main() -> bool {
    let Some(config) = ChildConfig::from_env() else {
        return false;
    };
    let report = run_child(config).await;
    println!(
        "\n{REPORT_PREFIX}{}",
        serde_json::to_string(&report).expect("report json")
    );
    true
}

/// The requirements that do not hold, in words; empty when all do. `latency_bound_ms` is
/// the longest publication → first use allowed: the issue's 100 ms for the example (a
/// release build, measured), longer for the short test, a debug build sharing CI's cores
/// with other tests, where a timing bound must not make the run flaky.
pub fn failures(figures: &Figures, latency_bound_ms: u64) -> Vec<String> {
    let mut failed = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            failed.push(what.to_owned());
        }
    };
    check(figures.invalid_grants == 0, "0 invalid_grant");
    check(!figures.revoked, "the token family is never revoked");
    check(figures.lost_refresh_tokens == 0, "0 lost refresh tokens");
    check(figures.errors == 0, "no authorization fails");
    // One token request per expiry: each presented the live refresh token (no
    // invalid_grant) and was answered and published, and there was at most one per second
    // (2 s tokens refreshed 1 s before their expiry, on a whole-second clock).
    check(
        figures.token_requests == figures.issued_after_start,
        "every token request is answered with a new token",
    );
    check(
        figures.final_version == figures.issued_after_start + 1,
        "every issued credential is published",
    );
    check(
        figures.token_requests + 2 >= figures.seconds,
        "a refresh per expiry (not fewer)",
    );
    check(
        figures.token_requests <= figures.seconds + 2,
        "one token request per expiry (not more)",
    );
    check(
        latency_bound_ms > 100 || figures.late_switches.is_empty(),
        "every process uses every new token within 100 ms",
    );
    check(
        figures.published_max_ms <= latency_bound_ms,
        &format!("publication to first use at most {latency_bound_ms} ms"),
    );
    check(
        figures.expired_uses.is_empty(),
        "no token is used after its expiry",
    );
    failed
}
