//! A loopback authorization + resource server (axum on 127.0.0.1:0) for the adapters'
//! end-to-end tests. It stops when the test's runtime ends.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use credgate::{ConnectionTemplate, Credential, LiveConnection};

#[derive(Default)]
pub(crate) struct ServerState {
    /// The access token the API accepts.
    pub(crate) current: Mutex<Option<String>>,
    /// Token requests answered by /token.
    pub(crate) token_requests: AtomicUsize,
    /// Requests that reached /stolen (a redirect target that must never be hit).
    pub(crate) stolen: AtomicUsize,
    /// API requests received.
    pub(crate) api_requests: AtomicUsize,
    /// The API answers 401 to everything.
    pub(crate) reject_all: std::sync::atomic::AtomicBool,
    /// The request targets the API received.
    pub(crate) uris: Mutex<Vec<String>>,
    /// Bodies the API received.
    pub(crate) bodies: Mutex<Vec<Vec<u8>>>,
}

pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) state: Arc<ServerState>,
}

async fn token(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let n = state.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
    // base64("client-1:secret-1")
    if headers.get(header::AUTHORIZATION).map(|v| v.as_bytes())
        != Some(b"Basic Y2xpZW50LTE6c2VjcmV0LTE=")
    {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"invalid_client"}"#.to_owned(),
        );
    }
    assert!(String::from_utf8_lossy(&body).contains("grant_type=client_credentials"));
    // Slow enough that concurrent callers overlap.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let token = format!("at-{n}");
    *state.current.lock().unwrap() = Some(token.clone());
    (
        StatusCode::OK,
        format!(r#"{{"access_token":"{token}","token_type":"bearer","expires_in":3600}}"#),
    )
}

async fn redirect() -> impl IntoResponse {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, "/stolen")],
        "",
    )
}

async fn stolen(State(state): State<Arc<ServerState>>) -> impl IntoResponse {
    state.stolen.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::OK,
        r#"{"access_token":"stolen","token_type":"bearer"}"#,
    )
}

async fn invalid_grant() -> impl IntoResponse {
    (
        StatusCode::BAD_REQUEST,
        r#"{"error":"invalid_grant","error_description":"revoked"}"#,
    )
}

async fn api(
    State(state): State<Arc<ServerState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    state.api_requests.fetch_add(1, Ordering::SeqCst);
    state.uris.lock().unwrap().push(uri.to_string());
    state.bodies.lock().unwrap().push(body.to_vec());
    let current = state.current.lock().unwrap().clone();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if state.reject_all.load(Ordering::SeqCst) {
        return (StatusCode::UNAUTHORIZED, String::new());
    }
    match (given, current) {
        (Some(given), Some(token)) if given == format!("Bearer {token}") => (StatusCode::OK, given),
        _ => (StatusCode::UNAUTHORIZED, String::new()),
    }
}

impl Server {
    /// Binds 127.0.0.1:0 and serves on the current tokio runtime.
    pub(crate) async fn start() -> Self {
        let state = Arc::new(ServerState::default());
        let app = Router::new()
            .route("/token", post(token))
            .route("/token-redirect", post(redirect))
            .route("/stolen", any(stolen))
            .route("/token-invalid", post(invalid_grant))
            .route("/api/", any(api))
            .route("/api/{*rest}", any(api))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, state }
    }

    /// The resource server forgets the access token (as a revocation would).
    pub(crate) fn revoke(&self) {
        *self.state.current.lock().unwrap() = None;
    }

    pub(crate) fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    /// A client-credentials connection to `/api` whose token URL is `token_path`.
    pub(crate) fn live(&self, token_path: &str) -> LiveConnection {
        let template: ConnectionTemplate = serde_json::from_value(serde_json::json!({
            "name": "crm", "templateBaseUrl": format!("{}/api", self.base),
            "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
                "tokenUrl": format!("{}{token_path}", self.base),
                "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
        }))
        .unwrap();
        let client: Credential =
            serde_json::from_value(serde_json::json!({"type": "oauth2-client",
            "data": {"oauth2Client": {"clientId": "client-1", "clientSecret": "secret-1"}}}))
            .unwrap();
        template
            .connect(vec![client])
            .unwrap()
            .build(&template)
            .unwrap()
    }
}
