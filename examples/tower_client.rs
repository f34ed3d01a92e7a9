//! Calling an OAuth 2.0 API through a tower stack: hyper-util's client wrapped in
//! credgate's `AuthorizeLayer`, against a token endpoint and an API on 127.0.0.1 (axum).
//! Token requests go through the same client, which follows no redirects. The example
//! stops by itself.
//!
//! Run with `cargo run --example tower_client --features tower`.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use credgate::integrations::tower::AuthorizeLayer;
use credgate::{ConnectionTemplate, Credential};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_layer::Layer;
use tower_service::Service;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn provider() -> Result<String, Error> {
    let app = Router::new()
        .route(
            "/oauth/token",
            post(|| async {
                r#"{"access_token":"at-tower","token_type":"bearer","expires_in":3600}"#
            }),
        )
        .route(
            "/v1/contacts",
            get(|headers: HeaderMap| async move {
                match headers.get("authorization") {
                    Some(value) if value == "Bearer at-tower" => (StatusCode::OK, "[\"ada\"]"),
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
    let template: ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "contacts", "templateBaseUrl": format!("{base}/v1"),
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
            "tokenUrl": format!("{base}/oauth/token"),
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
    }))?;
    let client: Credential = serde_json::from_value(serde_json::json!({"type": "oauth2-client",
        "data": {"oauth2Client": {"clientId": "demo-client", "clientSecret": "demo-secret"}}}))?;
    let live = template.connect(vec![client])?.build(&template)?;

    let http = Client::builder(TokioExecutor::new()).build_http::<String>();
    let mut api = AuthorizeLayer::new(live).layer(http);
    let response = api
        .call(http::Request::get("/contacts").body(String::new())?)
        .await?;

    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    println!("{status} {}", String::from_utf8_lossy(&body));
    Ok(())
}
