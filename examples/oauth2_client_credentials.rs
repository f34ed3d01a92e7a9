//! Calling an OAuth 2.0 API with reqwest: the client-credentials grant against a token
//! endpoint and an API served on 127.0.0.1 (axum), through credgate's reqwest middleware.
//! The middleware fetches the token (following no redirects), refreshes it once for all
//! concurrent requests, and retries once after a 401. The example stops by itself.
//!
//! Run with `cargo run --example oauth2_client_credentials --features reqwest`.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use credgate::integrations::reqwest::{ClientExt, url};
use credgate::{ConnectionTemplate, Credential};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The provider: a token endpoint and one API route that wants its token.
async fn provider() -> Result<String, Error> {
    let app = Router::new()
        .route(
            "/oauth/token",
            post(|| async {
                r#"{"access_token":"at-demo-123","token_type":"bearer","expires_in":3600}"#
            }),
        )
        .route(
            "/v1/reports",
            get(|headers: HeaderMap| async move {
                match headers.get("authorization") {
                    Some(value) if value == "Bearer at-demo-123" => {
                        (StatusCode::OK, "[\"november\"]")
                    }
                    _ => (StatusCode::UNAUTHORIZED, ""),
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let base = provider().await?;

    // The connection, as a platform stores it (http:// is accepted only for loopback).
    let template: ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "reports", "templateBaseUrl": format!("{base}/v1"),
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
            "tokenUrl": format!("{base}/oauth/token"), "defaultScopes": ["read"],
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
    }))?;
    let live = template.connect_live(vec![Credential::oauth2_client(
        "demo-client",
        "demo-secret",
    )])?;

    // What credgate adds: one call; paths are relative to the connection's base URL.
    let api = reqwest::Client::new().authorized(live)?;
    let reports = api.get(url("/reports?month=11")).send().await?;

    println!("{} {}", reports.status(), reports.text().await?);
    Ok(())
}
