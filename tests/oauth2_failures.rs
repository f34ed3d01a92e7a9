//! OAuth 2.0 when things go wrong: token endpoint outages inside the expiry buffer, 5xx
//! answers that name a grant error, a persistence hook that panics, secrets echoed in error
//! descriptions, and authorize URLs with placeholders left in.

use std::sync::{Arc, Mutex};

use credgate::auth::oauth2::{AuthorizationRequest, TokenRefresh, TokenStep, TokenUpdate};
use credgate::{
    AuthError, AuthSchemeConfig, BuildError, Connection, ConnectionCredential, Credential,
    LiveConnection, ManualClock, OAuth2Error, OAuth2Scheme, OsRandom,
};
use http::{Request, Response};

/// 2026-11-22T10:00:00Z.
const NOW: u64 = 1_795_341_600;

const CODE_GRANT: &str = r#"{"type": "authorizationCode", "authorizationCode":
    {"clientId": "s6BhdRkqt3", "clientSecret": "gX1fBat3bV"}}"#;
const CLIENT_GRANT: &str = r#"{"type": "clientCredentials", "clientCredentials": {}}"#;

fn scheme(grant: &str, extra: &str) -> AuthSchemeConfig {
    let json = format!(
        r#"{{"type": "oauth2", "oauth2": {{"id": "o", "tokenUrl": "https://server.example.com/token",
            "authorizeUrl": "https://server.example.com/authorize", "grant": {grant} {extra}}}}}"#
    );
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn credential(json: &str) -> Credential {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn token_credential(access: &str, refresh: Option<&str>, expires_at: Option<&str>) -> Credential {
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

struct Fixture {
    live: LiveConnection,
}

fn fixture(scheme: AuthSchemeConfig, credential: Credential) -> Fixture {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let seen: Arc<Mutex<Vec<TokenUpdate>>> = Arc::default();
    let connection = Connection::new(vec![ConnectionCredential::new(scheme, credential)]);
    let live = LiveConnection::builder(&connection)
        .base_url("https://api.example.com")
        .clock(clock.clone())
        .on_token_update(move |update| seen.lock().unwrap().push(update.clone()))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    Fixture { live }
}

/// A code-grant connection whose token expired an hour ago.
fn expired() -> Fixture {
    fixture(
        scheme(CODE_GRANT, ""),
        token_credential("old", Some("rt-1"), Some("2026-11-22T09:00:00Z")),
    )
}

fn json_response(status: u16, body: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn api_request() -> Request<Vec<u8>> {
    Request::get("https://api.example.com/resource")
        .body(Vec::new())
        .unwrap()
}

fn send_step(live: &LiveConnection) -> TokenRefresh {
    match live.token_step() {
        Ok(TokenStep::Send(refresh)) => refresh,
        other => panic!("expected a token request, got {other:?}"),
    }
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

// ---------------------------------------------------------------- 5xx never means reconnect

#[test]
fn a_5xx_naming_invalid_grant_or_invalid_client_is_a_server_error() {
    let cases: [(u16, &str, &str, Response<Vec<u8>>); 4] = [
        (
            503,
            "invalid_grant",
            "json",
            json_response(
                503,
                r#"{"error":"invalid_grant","error_description":"db down"}"#,
            ),
        ),
        (
            502,
            "invalid_grant",
            "text",
            Response::builder()
                .status(502)
                .header("content-type", "text/plain")
                .body(b"invalid_grant".to_vec())
                .unwrap(),
        ),
        (
            500,
            "invalid_client",
            "json",
            json_response(500, r#"{"error":"invalid_client"}"#),
        ),
        (
            504,
            "invalid_grant",
            "form",
            Response::builder()
                .status(504)
                .body(b"error=invalid_grant".to_vec())
                .unwrap(),
        ),
    ];
    for (status, code, shape, response) in cases {
        let f = expired();
        let err = send_step(&f.live).complete(response).unwrap_err();
        match &err {
            OAuth2Error::Server {
                code: got,
                status: got_status,
                ..
            } => {
                assert_eq!((got.as_str(), *got_status), (code, status), "{shape}");
            }
            other => panic!("{status} {shape} {code}: expected a server error, got {other:?}"),
        }
        // Not a reconnect: the next step asks the server again with the same refresh token.
        assert_eq!(
            f.live.authorize(&mut api_request()),
            Err(AuthError::TokenRefreshNeeded)
        );
        let retry = send_step(&f.live);
        assert_eq!(
            form(retry.request().body()),
            [
                ("grant_type".to_owned(), "refresh_token".to_owned()),
                ("refresh_token".to_owned(), "rt-1".to_owned())
            ]
        );
    }
    // Below 500 the codes keep their meaning.
    let f = expired();
    let err = send_step(&f.live)
        .complete(json_response(400, r#"{"error":"invalid_grant"}"#))
        .unwrap_err();
    assert!(matches!(err, OAuth2Error::InvalidGrant { .. }), "{err:?}");
    assert_eq!(
        f.live.authorize(&mut api_request()),
        Err(AuthError::ReconnectNeeded)
    );
}

// ---------------------------------------------------------------- secrets in error text

/// The error a client-credentials token request gets when the server answers 400 with
/// `description`.
fn client_error(scheme_extra: &str, client: &str, description: &str) -> String {
    let f = fixture(
        scheme(CLIENT_GRANT, scheme_extra),
        credential(&format!(
            r#"{{"type": "oauth2-client", "data": {{"oauth2Client": {client}}}}}"#
        )),
    );
    let body = serde_json::json!({"error": "invalid_request", "error_description": description});
    let err = send_step(&f.live)
        .complete(json_response(400, &body.to_string()))
        .unwrap_err();
    let (display, debug) = (err.to_string(), format!("{err:?}"));
    assert!(display.contains("invalid_request"), "{display}");
    display + &debug
}

#[test]
fn additional_token_param_values_are_scrubbed_from_errors() {
    // The credential's additionalParams and the scheme's additionalTokenParams.
    let message = client_error(
        r#", "additionalTokenParams": "resource=https%3A%2F%2Fapi.example&audience=api&tenant_key=TENANT-KEY-7""#,
        r#"{"clientId": "cid", "clientSecret": "sec-XYZ",
            "additionalParams": "client_assertion=ASSERT-SECRET&flag=1"}"#,
        "bad assertion ASSERT-SECRET (encoded ASSERT-SECRET) for TENANT-KEY-7 at https://api.example; audience api, flag 1",
    );
    for secret in [
        "ASSERT-SECRET",
        "TENANT-KEY-7",
        "https://api.example",
        "sec-XYZ",
    ] {
        assert!(!message.contains(secret), "{secret} in {message}");
    }
    // Values under 8 characters are settings, and stay readable.
    assert!(message.contains("audience api, flag 1"), "{message}");
    assert!(
        message.contains("bad assertion ****** (encoded ******) for ******"),
        "{message}"
    );
}

#[test]
fn a_secret_with_characters_errors_drop_is_scrubbed_in_its_filtered_form() {
    // `"` and `\` are not allowed in an error description, so the server's echo of the
    // secret loses them and no longer matches the secret as sent.
    for secret in [r#"ab"cdefgh"#, r"ab\cdefgh", "ab\ncdefgh"] {
        let client = serde_json::json!({"clientId": "cid", "clientSecret": secret});
        let message = client_error(
            "",
            &client.to_string(),
            &format!("secret {secret} and abcdefgh"),
        );
        assert!(!message.contains("abcdefgh"), "{secret:?}: {message}");
        assert!(message.contains("secret ****** and ******"), "{message}");
    }
}

// ---------------------------------------------------------------- authorize URL placeholders

#[test]
fn an_authorize_url_with_a_placeholder_left_in_is_refused_naming_it() {
    let scheme: OAuth2Scheme = serde_json::from_str(
        r#"{"id": "zd", "tokenUrl": "https://{subdomain}.zendesk.com/oauth/tokens",
            "authorizeUrl": "https://{subdomain}.zendesk.com/oauth/authorizations/new",
            "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "app-1"}}}"#,
    )
    .unwrap();
    let err =
        AuthorizationRequest::new(&scheme, "https://app.example/cb", &[], &OsRandom).unwrap_err();
    assert_eq!(
        err,
        BuildError::MissingUrlValue {
            name: "subdomain".to_owned()
        }
    );
    assert!(err.to_string().contains("{subdomain}"), "{err}");

    // With the connection's values filled in, the request is built for that host.
    let values = [("subdomain".to_owned(), "acme".to_owned())].into();
    let request = AuthorizationRequest::new(
        &scheme.with_url_values(&values).unwrap(),
        "https://app.example/cb",
        &[],
        &OsRandom,
    )
    .unwrap();
    assert!(
        request
            .url
            .starts_with("https://acme.zendesk.com/oauth/authorizations/new?response_type=code"),
        "{}",
        request.url
    );
}
