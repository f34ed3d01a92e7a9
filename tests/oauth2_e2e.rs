//! End to end over loopback HTTP: a tiny authorization + resource server on 127.0.0.1,
//! credgate's wrappers driving a blocking client (ureq) and an async one (tokio).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use credgate::auth::oauth2::TokenUpdate;
use credgate::{AuthSchemeConfig, Connection, ConnectionCredential, Credential, LiveConnection};
use http::{Request, Response};

/// The server's view: which access and refresh tokens are current, how many token
/// requests it answered.
#[derive(Default)]
struct ServerState {
    access_token: Mutex<Option<String>>,
    refresh_token: Mutex<Option<String>>,
    token_requests: AtomicUsize,
}

struct TestServer {
    base: String,
    state: Arc<ServerState>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serves `POST /token` (client credentials with Basic `id:secret`, or a refresh token
    /// that must be the current one; rotates it) and `GET /api/*` (200 with the current
    /// access token, else 401). Stops when dropped, or after 30 s.
    fn start(refresh_token: Option<&str>) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let state = Arc::new(ServerState::default());
        *state.refresh_token.lock().unwrap() = refresh_token.map(str::to_owned);
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (Arc::clone(&state), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !thread_stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                let mut body = String::new();
                request.as_reader().read_to_string(&mut body).unwrap();
                let header = |name: &str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                        .map(|h| h.value.as_str().to_owned())
                };
                let (status, reply) = if request.url() == "/token" {
                    token_endpoint(&thread_state, &body, header("Authorization"))
                } else {
                    let current = thread_state.access_token.lock().unwrap().clone();
                    match (header("Authorization"), current) {
                        (Some(given), Some(token)) if given == format!("Bearer {token}") => {
                            (200, "ok".to_owned())
                        }
                        _ => (401, String::new()),
                    }
                };
                let response = tiny_http::Response::from_string(reply)
                    .with_status_code(status)
                    .with_header(
                        "Content-Type: application/json"
                            .parse::<tiny_http::Header>()
                            .unwrap(),
                    );
                let _ = request.respond(response);
            }
        });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// The resource server forgets the access token (as a revocation would).
    fn revoke(&self) {
        *self.state.access_token.lock().unwrap() = None;
    }
}

fn token_endpoint(state: &ServerState, body: &str, authorization: Option<String>) -> (u16, String) {
    let n = state.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    // base64("client-1:secret-1")
    if authorization.as_deref() != Some("Basic Y2xpZW50LTE6c2VjcmV0LTE=") {
        return (401, r#"{"error":"invalid_client"}"#.to_owned());
    }
    let reply = match param("grant_type").as_deref() {
        Some("client_credentials") => {
            // As some servers send it: expires_in as a string, lowercase token type.
            format!(r#"{{"access_token":"cc-{n}","token_type":"bearer","expires_in":"3600"}}"#)
        }
        Some("refresh_token") => {
            let mut current = state.refresh_token.lock().unwrap();
            if param("refresh_token") != *current {
                return (400, r#"{"error":"invalid_grant"}"#.to_owned());
            }
            *current = Some(format!("rt-{n}"));
            format!(r#"{{"access_token":"rf-{n}","refresh_token":"rt-{n}","expires_in":3600}}"#)
        }
        _ => return (400, r#"{"error":"unsupported_grant_type"}"#.to_owned()),
    };
    let token = serde_json::from_str::<serde_json::Value>(&reply).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    *state.access_token.lock().unwrap() = Some(token);
    (200, reply)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn live(
    server: &TestServer,
    credential: Credential,
    updates: &Arc<Mutex<Vec<TokenUpdate>>>,
) -> LiveConnection {
    let grant = match credential {
        Credential::OAuth2Client(_) => serde_json::json!({"type": "clientCredentials"}),
        _ => serde_json::json!({"type": "authorizationCode",
            "authorizationCode": {"clientId": "client-1", "clientSecret": "secret-1"}}),
    };
    let scheme: AuthSchemeConfig = serde_json::from_value(serde_json::json!({"type": "oauth2",
        "oauth2": {"id": "o", "tokenUrl": format!("{}/token", server.base), "grant": grant}}))
    .unwrap();
    let connection = Connection::new(vec![ConnectionCredential::new(scheme, credential)]);
    let seen = Arc::clone(updates);
    LiveConnection::builder(&connection)
        .base_url(&server.base)
        .on_token_update(move |update| seen.lock().unwrap().push(update.clone()))
        .build()
        .unwrap()
}

fn client_credential() -> Credential {
    serde_json::from_value(serde_json::json!({"type": "oauth2-client",
        "data": {"oauth2Client": {"clientId": "client-1", "clientSecret": "secret-1"}}}))
    .unwrap()
}

fn refresh_credential() -> Credential {
    serde_json::from_value(serde_json::json!({"type": "oauth2-token",
        "data": {"oauth2Token": {"accessToken": "expired", "refreshToken": "rt-0",
            "expiresAt": "2001-01-01T00:00:00Z"}}}))
    .unwrap()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent()
}

/// The blocking client: ureq, its response read into `Vec<u8>`.
fn send(agent: &ureq::Agent, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, ureq::Error> {
    let (parts, mut body) = agent.run(request)?.into_parts();
    Ok(Response::from_parts(parts, body.read_to_vec()?))
}

fn call_api(agent: &ureq::Agent, live: &LiveConnection) -> (u16, Request<Vec<u8>>) {
    let mut request = Request::get("/api/items").body(Vec::new()).unwrap();
    live.authorize_with(&mut request, |token_request| send(agent, token_request))
        .unwrap();
    let status = send(agent, request.clone()).unwrap().status().as_u16();
    (status, request)
}

#[test]
fn client_credentials_over_http_with_a_blocking_client() {
    let server = TestServer::start(None);
    let updates = Arc::default();
    let live = live(&server, client_credential(), &updates);
    let agent = agent();

    let (status, request) = call_api(&agent, &live);
    assert_eq!(status, 200);
    assert_eq!(request.headers()["authorization"], "Bearer cc-1");
    // Cached: no second token request.
    assert_eq!(call_api(&agent, &live).0, 200);
    assert_eq!(server.state.token_requests.load(Ordering::SeqCst), 1);

    // The API starts refusing the token: report the 401, and the next call refreshes.
    server.revoke();
    let (status, request) = call_api(&agent, &live);
    assert_eq!(status, 401);
    assert!(live.report_unauthorized(&request));
    let (status, request) = call_api(&agent, &live);
    assert_eq!(status, 200);
    assert_eq!(request.headers()["authorization"], "Bearer cc-2");
    assert_eq!(updates.lock().unwrap().len(), 2);
}

#[test]
fn refresh_over_http_with_a_blocking_client_persists_the_rotated_token() {
    let server = TestServer::start(Some("rt-0"));
    let updates = Arc::default();
    let live = live(&server, refresh_credential(), &updates);
    let agent = agent();
    let (status, request) = call_api(&agent, &live);
    assert_eq!(status, 200);
    assert_eq!(request.headers()["authorization"], "Bearer rf-1");
    let updates = updates.lock().unwrap();
    let stored = &updates[0].credential;
    assert_eq!(
        stored.refresh_token.as_ref().unwrap().expose_secret(),
        "rt-1"
    );
    assert_eq!(
        server.state.refresh_token.lock().unwrap().as_deref(),
        Some("rt-1")
    );
}

/// A minimal async HTTP/1.1 client over tokio, as an async host's client would be.
async fn send_async(request: Request<Vec<u8>>) -> std::io::Result<Response<Vec<u8>>> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let authority = request.uri().authority().unwrap().as_str().to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority).await?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        request.method(),
        request.uri().path_and_query().unwrap(),
        request.body().len()
    );
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(request.body()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut response = Response::builder().status(status);
    for line in head.lines().skip(1) {
        let (name, value) = line.split_once(':').unwrap();
        response = response.header(name.trim(), value.trim());
    }
    Ok(response.body(raw[split + 4..].to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_and_refresh_over_http_with_an_async_client() {
    for (credential, token, refresh) in [
        (client_credential(), "Bearer cc-1", None),
        (refresh_credential(), "Bearer rf-1", Some("rt-0")),
    ] {
        let server = TestServer::start(refresh);
        let updates = Arc::default();
        let live = Arc::new(live(&server, credential, &updates));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let live = Arc::clone(&live);
                tokio::spawn(async move {
                    let mut request = Request::get("/api/items").body(Vec::new()).unwrap();
                    live.authorize_with_async(&mut request, send_async)
                        .await
                        .unwrap();
                    let status = send_async(request.clone()).await.unwrap().status();
                    (status, request.headers()["authorization"].clone())
                })
            })
            .collect();
        for task in tasks {
            let (status, header) = task.await.unwrap();
            assert_eq!(status, 200);
            assert_eq!(header, token);
        }
        assert_eq!(server.state.token_requests.load(Ordering::SeqCst), 1);
        assert_eq!(updates.lock().unwrap().len(), 1);
    }
}
