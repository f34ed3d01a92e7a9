//! Fixtures shared by the OAuth 2.0 test files: a clock's "now", schemes and credentials
//! in the platform's JSON, token endpoint responses, and the steps of a refresh.

#![allow(dead_code)] // each test file uses its own share of them

use credgate::auth::oauth2::{TokenRefresh, TokenStep};
use credgate::{AuthSchemeConfig, Credential, LiveConnection};
use http::{Request, Response};

/// 2026-11-22T10:00:00Z.
pub(crate) const NOW: u64 = 1_795_341_600;

/// RFC 6749's example client, for the code and password grants.
pub(crate) const CODE_GRANT: &str = r#"{"type": "authorizationCode", "authorizationCode":
    {"clientId": "s6BhdRkqt3", "clientSecret": "gX1fBat3bV"}}"#;
pub(crate) const CLIENT_GRANT: &str = r#"{"type": "clientCredentials", "clientCredentials": {}}"#;

pub(crate) fn scheme(grant: &str, extra: &str) -> AuthSchemeConfig {
    let json = format!(
        r#"{{"type": "oauth2", "oauth2": {{"id": "o", "tokenUrl": "https://server.example.com/token",
            "authorizeUrl": "https://server.example.com/authorize", "grant": {grant} {extra}}}}}"#
    );
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

pub(crate) fn credential(json: &str) -> Credential {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

pub(crate) fn token_credential(
    access: &str,
    refresh: Option<&str>,
    expires_at: Option<&str>,
) -> Credential {
    let mut data = serde_json::json!({"accessToken": access});
    if let Some(refresh) = refresh {
        data["refreshToken"] = refresh.into();
    }
    if let Some(at) = expires_at {
        data["expiresAt"] = at.into();
    }
    credential(
        &serde_json::json!({"type": "oauth2-token", "data": {"oauth2Token": data}}).to_string(),
    )
}

pub(crate) fn json_response(status: u16, body: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

pub(crate) fn api_request() -> Request<Vec<u8>> {
    Request::get("https://api.example.com/resource")
        .body(Vec::new())
        .unwrap()
}

pub(crate) fn send_step(live: &LiveConnection) -> TokenRefresh {
    match live.token_step() {
        Ok(TokenStep::Send(refresh)) => refresh,
        other => panic!("expected a token request, got {other:?}"),
    }
}

pub(crate) fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}
