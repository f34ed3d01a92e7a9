//! OAuth 2.0 token-response parsing, through the public API: `token_step` hands out the
//! token request and `TokenRefresh::complete` takes the fuzzed response back.
//!
//! Input, NUL-separated: a selector (first byte: grant, client authentication), the status
//! (decimal), the response headers (`name: value` lines), the body.
//!
//! Invariants: the token request goes to the token URL's origin; no error (`Display` or
//! `Debug`) holds the client secret, refresh token, code or password, raw or in the
//! encodings servers echo them in (form, percent, HTML, JSON); a failed completion leaves
//! `authorize` refusing with the request unchanged; a successful one puts the new token on
//! a request to the base origin.
#![no_main]

use std::sync::{Arc, OnceLock};

use credgate::auth::oauth2::TokenStep;
use credgate::{Connection, ConnectionTemplate, LiveConnection, ManualClock};
use credgate_fuzz::{Snapshot, assert_error_clean, assert_no_secret, assert_same_origin, fields};
use libfuzzer_sys::fuzz_target;

/// Secrets with the characters servers encode when they echo them.
const CLIENT_SECRET: &str = "cs CANARY/42+&x<y>\"z";
const REFRESH_TOKEN: &str = "rt_CANARY_7f3a9c";
const CODE: &str = "code_CANARY_d41d8c";
const PASSWORD: &str = "pw CANARY=%21&";

fn encodings(secret: &str) -> Vec<String> {
    let percent: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let form = percent.replace("%20", "+");
    let html = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('/', "&#x2F;");
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').replace('/', "\\/");
    vec![secret.to_owned(), percent, form, html, json]
}

fn documents(selector: u8) -> (String, String) {
    let client_auth = if selector & 0x04 != 0 {
        "body"
    } else {
        "basic"
    };
    let secret = serde_json::to_string(CLIENT_SECRET).unwrap_or_default();
    let password = serde_json::to_string(PASSWORD).unwrap_or_default();
    let (grant, credential) = match selector % 4 {
        0 => (
            r#"{"type": "clientCredentials", "clientCredentials": {}}"#.to_owned(),
            format!(
                r#"{{"type": "oauth2-client", "data": {{"oauth2Client": {{"clientId": "client-1", "clientSecret": {secret}}}}}}}"#
            ),
        ),
        1 => (
            format!(
                r#"{{"type": "authorizationCode", "authorizationCode": {{"clientId": "client-1", "clientSecret": {secret}}}}}"#
            ),
            format!(
                r#"{{"type": "oauth2-token", "data": {{"oauth2Token": {{"accessToken": "at_old", "refreshToken": "{REFRESH_TOKEN}", "expiresAt": "2001-01-01T00:00:00Z"}}}}}}"#
            ),
        ),
        2 => (
            format!(
                r#"{{"type": "authorizationCode", "authorizationCode": {{"clientId": "client-1", "clientSecret": {secret}}}}}"#
            ),
            format!(
                r#"{{"type": "oauth2-code", "data": {{"oauth2Code": {{"code": "{CODE}", "redirectUrl": "https://app.example/cb"}}}}}}"#
            ),
        ),
        _ => (
            format!(
                r#"{{"type": "password", "password": {{"clientId": "client-1", "clientSecret": {secret}}}}}"#
            ),
            format!(
                r#"{{"type": "oauth2-password", "data": {{"oauth2Password": {{"username": "user", "password": {password}}}}}}}"#
            ),
        ),
    };
    let template = format!(
        r#"{{"name": "crm", "templateBaseUrl": "https://api.crm.example/v1",
            "authSchemeConfigs": [{{"type": "oauth2", "oauth2": {{"id": "o",
                "tokenUrl": "https://auth.crm.example/oauth/token",
                "clientAuthMethod": "{client_auth}", "grant": {grant}}}}}]}}"#
    );
    (template, credential)
}

/// The template and connection of each selector (grant × client authentication), loaded
/// once: loading them is not what this target tests, and took most of each run.
fn connections() -> &'static [(ConnectionTemplate, Connection); 8] {
    static CONNECTIONS: OnceLock<[(ConnectionTemplate, Connection); 8]> = OnceLock::new();
    CONNECTIONS.get_or_init(|| {
        std::array::from_fn(|selector| {
            let (template, credential) = documents(selector as u8);
            let template: ConnectionTemplate =
                serde_json::from_str(&template).expect("template loads");
            let credential = serde_json::from_str(&credential).expect("credential loads");
            let connection = template.connect(vec![credential]).expect("connects");
            (template, connection)
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let [selector, status, headers, body] = fields::<4>(data);
    let selector = selector.first().copied().unwrap_or(0);
    // The secrets this connection holds: another grant's canary echoed back is no leak.
    let own = match selector % 4 {
        0 => [CLIENT_SECRET, CLIENT_SECRET],
        1 => [CLIENT_SECRET, REFRESH_TOKEN],
        2 => [CLIENT_SECRET, CODE],
        _ => [CLIENT_SECRET, PASSWORD],
    };
    let secrets: Vec<String> = own.into_iter().flat_map(encodings).collect();

    let (template, connection) = &connections()[usize::from(selector & 0x07)];
    let clock = Arc::new(ManualClock::at_unix_seconds(1_700_000_000));
    let live: LiveConnection = LiveConnection::builder(connection)
        .template(template)
        .clock(clock)
        .build()
        .expect("builds");

    let refresh = match live.token_step() {
        Ok(TokenStep::Send(refresh)) => refresh,
        Ok(other) => panic!("no token yet, but the step is {other:?}"),
        Err(e) => panic!("first token step failed: {e}"),
    };
    let token_uri = refresh.request().uri();
    assert_eq!(token_uri.scheme_str(), Some("https"));
    assert_eq!(
        token_uri.authority().map(|a| a.as_str()),
        Some("auth.crm.example"),
        "token request sent to another origin"
    );

    let status = std::str::from_utf8(status)
        .ok()
        .and_then(|s| s.trim().parse::<u16>().ok())
        .unwrap_or(200);
    let mut response = http::Response::builder().status(status);
    for line in headers.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        response = response.header(name, value.strip_prefix(b" ").unwrap_or(value));
    }
    let Ok(response) = response.body(body.to_vec()) else {
        return;
    };

    let outcome = refresh.complete(response);
    let mut request = http::Request::get("/contacts?page=2")
        .body(Vec::new())
        .expect("request");
    let before = Snapshot::of(&request);
    match outcome {
        Ok(update) => {
            assert_no_secret(&format!("{update:?}"), &secrets, "TokenUpdate Debug");
            let token = update.credential.access_token.expose_secret().to_owned();
            assert!(!token.is_empty(), "an empty access token was accepted");
            match live.authorize(&mut request) {
                Ok(()) => {
                    assert_same_origin(&live, &request);
                    let header = request
                        .headers()
                        .get(http::header::AUTHORIZATION)
                        .expect("bearer placement writes Authorization");
                    assert!(
                        header.as_bytes().ends_with(token.as_bytes()),
                        "authorized with another token than the one just received"
                    );
                }
                Err(e) => {
                    before.assert_unchanged(&request, "authorize after a token");
                    assert_error_clean(&e, &secrets, "authorize error");
                }
            }
        }
        Err(e) => {
            assert_error_clean(&e, &secrets, "token response error");
            match live.authorize(&mut request) {
                Ok(()) => panic!("authorized without a token after a failed token response"),
                Err(e) => {
                    before.assert_unchanged(&request, "authorize without a token");
                    assert_error_clean(&e, &secrets, "authorize error");
                }
            }
        }
    }
});
