//! Token responses as real servers send them (issue 13, items 7 and 11 to 16): the content
//! type decides the parser, errors in a 200 spend a code, 3xx and `Retry-After` answers,
//! the back-off after failed token requests, scope separators, secrets echoed in the
//! encodings servers use, and `expiresAt` values Go and old systems write.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credgate::{
    AuthError, AuthSchemeConfig, AuthorizeError, BuildError, Connection, ConnectionCredential,
    Credential, LiveConnection, ManualClock, OAuth2Error, auth::oauth2::TokenUpdate,
};
use http::Response;
use proptest::prelude::*;

mod oauth2_support;
use oauth2_support::*;

struct Fixture {
    live: LiveConnection,
    clock: Arc<ManualClock>,
}

fn build(scheme: AuthSchemeConfig, credential: Credential) -> Result<Fixture, BuildError> {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let connection = Connection::new(vec![ConnectionCredential::new(scheme, credential)]);
    let live = LiveConnection::builder(&connection)
        .base_url("https://api.example.com")
        .clock(clock.clone())
        .build()?;
    Ok(Fixture { live, clock })
}

/// A code-grant connection whose token expired an hour ago, with a refresh token.
fn expired() -> Fixture {
    build(
        scheme(CODE_GRANT, ""),
        token_credential("old", Some("rt-1"), Some("2026-11-22T09:00:00Z")),
    )
    .unwrap()
}

/// A code-grant connection holding an authorization code to exchange.
fn with_code(scheme_extra: &str) -> Fixture {
    build(
        scheme(CODE_GRANT, scheme_extra),
        credential(
            r#"{"type": "oauth2-code", "data": {"oauth2Code":
                {"code": "SplxlOBeZQQYbYS6WxSbIA", "redirectUrl": "https://client.example.com/cb"}}}"#,
        ),
    )
    .unwrap()
}

fn client_grant() -> Fixture {
    build(
        scheme(CLIENT_GRANT, ""),
        credential(
            r#"{"type": "oauth2-client", "data": {"oauth2Client":
                {"clientId": "s6BhdRkqt3", "clientSecret": "gX1fBat3bV"}}}"#,
        ),
    )
    .unwrap()
}

fn typed(status: u16, content_type: &str, body: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn authorized(live: &LiveConnection) -> Result<String, AuthError> {
    let mut request = api_request();
    live.authorize(&mut request)?;
    Ok(request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned())
}

fn at(seconds_from_now: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW + seconds_from_now)
}

// ---------------------------------------------------------------- item 11: content types

#[test]
fn a_page_or_other_non_token_type_is_never_a_token() {
    let bodies = [
        // An interstitial with a link holding the parameter.
        r#"<html><a href="/continue?next=/&access_token=portal-nonce">Continue</a></html>"#,
        "access_token=portal-nonce&token_type=bearer",
        r#"{"access_token":"portal-nonce"}"#,
    ];
    for content_type in [
        "text/html",
        "text/html; charset=utf-8",
        "TEXT/HTML",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "text/csv",
        "application/octet-stream",
        "multipart/form-data; boundary=x",
    ] {
        for body in bodies {
            let f = expired();
            let err = send_step(&f.live)
                .complete(typed(200, content_type, body))
                .unwrap_err();
            assert!(
                matches!(err, OAuth2Error::Unparseable { status: 200, .. }),
                "{content_type} {body}: {err:?}"
            );
            assert!(!err.to_string().contains("portal-nonce"));
            assert_eq!(
                f.live.authorize(&mut api_request()),
                Err(AuthError::TokenRefreshNeeded),
                "{content_type} {body}"
            );
        }
    }
}

#[test]
fn an_error_page_carries_the_status_not_the_page() {
    for (status, body) in [
        (
            400,
            "<html><body><h1>invalid_grant</h1>Please sign in again</body></html>",
        ),
        (400, "error=invalid_grant&error_description=Please+sign+in"),
        (
            401,
            r#"{"error":"invalid_client","error_description":"Please sign in"}"#,
        ),
        (500, "<html>Internal Server Error</html>"),
    ] {
        let f = expired();
        let err = send_step(&f.live)
            .complete(typed(status, "text/html", body))
            .unwrap_err();
        assert_eq!(err, OAuth2Error::Status { status }, "{body}");
        assert!(!err.to_string().contains("sign in"), "{err}");
        // Not a verdict on the grant: the next token request may go.
        assert_ne!(
            f.live.authorize(&mut api_request()),
            Err(AuthError::ReconnectNeeded)
        );
    }
}

#[test]
fn json_types_are_json_and_forms_are_forms() {
    for content_type in [
        "application/json",
        "application/json;charset=UTF-8",
        "text/plain",
        "text/javascript; charset=utf-8",
        "application/problem+json",
    ] {
        let f = expired();
        send_step(&f.live)
            .complete(typed(200, content_type, r#"{"access_token":"from-json"}"#))
            .unwrap_or_else(|e| panic!("{content_type}: {e}"));
        assert_eq!(authorized(&f.live).unwrap(), "Bearer from-json");
    }
    // GitHub's legacy answer.
    let f = expired();
    send_step(&f.live)
        .complete(typed(
            200,
            "application/x-www-form-urlencoded; charset=utf-8",
            "access_token=e72e16c7e42f292c6912e7710c838347ae178b4a&scope=user&token_type=bearer",
        ))
        .unwrap();
    assert_eq!(
        authorized(&f.live).unwrap(),
        "Bearer e72e16c7e42f292c6912e7710c838347ae178b4a"
    );
    // A missing content type: JSON is tried.
    let f = expired();
    let response = Response::builder()
        .body(br#"{"access_token":"untyped"}"#.to_vec())
        .unwrap();
    send_step(&f.live).complete(response).unwrap();
    assert_eq!(authorized(&f.live).unwrap(), "Bearer untyped");
}

// ---------------------------------------------------------------- item 12: spent codes

#[test]
fn an_error_in_a_200_answering_a_code_exchange_needs_a_reconnect_and_the_code_is_not_sent_again() {
    for body in [
        // GitHub.
        r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"}"#,
        // Slack.
        r#"{"ok":false,"error":"invalid_code"}"#,
        r#"{"ok":false,"error":"code_already_used"}"#,
        // Facebook answers a used code with a 400.
        r#"{"error":"invalid_request","error_description":"This authorization code has been used."}"#,
    ] {
        for status in [200, 400] {
            let f = with_code("");
            let calls = AtomicUsize::new(0);
            let send = |request: http::Request<Vec<u8>>| {
                calls.fetch_add(1, Ordering::SeqCst);
                assert!(
                    form(request.body())
                        .contains(&("code".to_owned(), "SplxlOBeZQQYbYS6WxSbIA".to_owned()))
                );
                Ok::<_, std::io::Error>(json_response(status, body))
            };
            let err = f.live.authorize_with(&mut api_request(), send).unwrap_err();
            let AuthorizeError::Token(err) = err else {
                panic!("{err:?}")
            };
            assert!(
                matches!(err, OAuth2Error::CodeRefused { .. }),
                "{status} {body}: {err:?}"
            );
            assert!(err.to_string().contains("the user must reconnect"), "{err}");
            for _ in 0..3 {
                let again = f.live.authorize_with(&mut api_request(), send);
                assert!(
                    matches!(again, Err(AuthorizeError::Auth(AuthError::ReconnectNeeded))),
                    "{again:?}"
                );
                assert!(matches!(
                    f.live.token_step(),
                    Err(OAuth2Error::CodeRefused { .. })
                ));
            }
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{status} {body}");
            assert_eq!(
                f.live.authorize(&mut api_request()),
                Err(AuthError::ReconnectNeeded)
            );
        }
    }
}

#[test]
fn a_server_failure_on_a_code_exchange_does_not_spend_the_code() {
    for response in [
        json_response(503, r#"{"error":"temporarily_unavailable"}"#),
        json_response(200, r#"{"error":"temporarily_unavailable"}"#),
        json_response(500, r#"{"error":"server_error"}"#),
    ] {
        let f = with_code("");
        assert!(send_step(&f.live).complete(response).is_err());
        f.clock.advance(Duration::from_secs(1));
        let retry = send_step(&f.live);
        assert!(
            form(retry.request().body())
                .contains(&("code".to_owned(), "SplxlOBeZQQYbYS6WxSbIA".to_owned()))
        );
    }
}

// ---------------------------------------------------------------- item 15: redirects

#[test]
fn a_redirect_from_the_token_endpoint_is_refused_naming_the_cause() {
    for status in [300, 301, 302, 303, 307, 308] {
        let response = Response::builder()
            .status(status)
            .header("location", "https://evil.example.net/token")
            .header("content-type", "application/json")
            .body(br#"{"access_token":"from-elsewhere"}"#.to_vec())
            .unwrap();
        let f = expired();
        let err = send_step(&f.live).complete(response).unwrap_err();
        assert_eq!(err, OAuth2Error::Redirected { status });
        assert!(
            err.to_string()
                .contains("send token requests with a client that follows no redirects"),
            "{err}"
        );
        assert_eq!(
            f.live.authorize(&mut api_request()),
            Err(AuthError::TokenRefreshNeeded)
        );
    }
}

// ---------------------------------------------------------------- item 13: back-off

#[test]
fn retry_after_in_seconds_or_as_an_http_date_holds_every_token_request_back() {
    for (status, retry_after, seconds) in [
        (429, "120", 120),
        (503, "30", 30),
        (429, " 7 ", 7),
        (429, "Sun, 22 Nov 2026 10:05:00 GMT", 300),
        (503, "Sunday, 22-Nov-26 10:05:00 GMT", 300),
        (429, "Sun Nov 22 10:05:00 2026", 300),
    ] {
        let f = client_grant();
        let response = Response::builder()
            .status(status)
            .header("retry-after", retry_after)
            .header("content-type", "application/json")
            .body(br#"{"error":"rate_limited"}"#.to_vec())
            .unwrap();
        let err = send_step(&f.live).complete(response).unwrap_err();
        let expected = OAuth2Error::RetryAfter {
            status,
            retry_at: at(seconds),
        };
        assert_eq!(err, expected, "{retry_after}");
        let copy = f.live.with_base_url("https://eu.api.example.com").unwrap();
        f.clock.advance(Duration::from_secs(seconds - 1));
        // Every caller of the connection, and every copy of it, waits.
        for live in [&f.live, &copy] {
            assert_eq!(live.token_step().unwrap_err(), expected, "{retry_after}");
        }
        {
            let live = &f.live;
            let calls = AtomicUsize::new(0);
            let outcome = live.authorize_with(&mut api_request(), |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(json_response(200, r#"{"access_token":"x"}"#))
            });
            assert!(
                matches!(outcome, Err(AuthorizeError::Token(ref e)) if *e == expected),
                "{retry_after}: {outcome:?}"
            );
            assert_eq!(calls.load(Ordering::SeqCst), 0);
        }
        let message = expected.to_string();
        assert!(message.contains("retry after 2026-11-22T10:"), "{message}");
        f.clock.advance(Duration::from_secs(1));
        drop(send_step(&f.live));
    }
}

#[test]
fn failed_token_requests_without_a_valid_token_back_off_exponentially_to_a_minute() {
    let f = client_grant();
    let mut waits = Vec::new();
    for _ in 0..9 {
        send_step(&f.live)
            .complete(json_response(502, ""))
            .unwrap_err();
        let Err(OAuth2Error::BackingOff { retry_at }) = f.live.token_step() else {
            panic!("expected a back-off")
        };
        let now = UNIX_EPOCH + Duration::from_secs(NOW) + f.clock_elapsed();
        let wait = retry_at.duration_since(now).unwrap().as_secs();
        waits.push(wait);
        f.clock.advance(Duration::from_secs(wait - 1));
        assert!(matches!(
            f.live.token_step(),
            Err(OAuth2Error::BackingOff { .. })
        ));
        f.clock.advance(Duration::from_secs(1));
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    // A success ends it.
    send_step(&f.live)
        .complete(json_response(
            200,
            r#"{"access_token":"at","expires_in":10}"#,
        ))
        .unwrap();
    f.clock.advance(Duration::from_secs(10));
    send_step(&f.live)
        .complete(json_response(502, ""))
        .unwrap_err();
    let Err(OAuth2Error::BackingOff { retry_at }) = f.live.token_step() else {
        panic!("expected a back-off")
    };
    assert_eq!(
        retry_at
            .duration_since(UNIX_EPOCH + Duration::from_secs(NOW) + f.clock_elapsed())
            .unwrap(),
        Duration::from_secs(1)
    );
}

impl Fixture {
    /// How far the clock has moved since [`NOW`].
    fn clock_elapsed(&self) -> Duration {
        use credgate::Clock as _;
        self.clock
            .now()
            .duration_since(UNIX_EPOCH + Duration::from_secs(NOW))
            .unwrap()
    }
}

// ---------------------------------------------------------------- item 14: scopes

#[test]
fn returned_scopes_are_split_with_the_schemes_separator() {
    for (separator, content_type, body, scopes) in [
        (
            ",",
            "application/x-www-form-urlencoded",
            "access_token=gho_1&scope=repo%2Cgist&token_type=bearer",
            &["repo", "gist"][..],
        ),
        (
            ",",
            "application/json",
            r#"{"access_token":"shpat_1","scope":"write_orders,read_customers"}"#,
            &["write_orders", "read_customers"][..],
        ),
        (
            ",",
            "application/json",
            r#"{"access_token":"gho_2","scope":"repo, user:email"}"#,
            &["repo", "user:email"][..],
        ),
        (
            " ",
            "application/json",
            r#"{"access_token":"a","scope":"read write"}"#,
            &["read", "write"][..],
        ),
        (
            "+",
            "application/x-www-form-urlencoded",
            "access_token=a&scope=read+write",
            &["read", "write"][..],
        ),
    ] {
        let f = build(
            scheme(CODE_GRANT, &format!(r#", "scopeSeparator": "{separator}""#)),
            token_credential("old", Some("rt-1"), Some("2026-11-22T09:00:00Z")),
        )
        .unwrap();
        let update = send_step(&f.live)
            .complete(typed(200, content_type, body))
            .unwrap();
        assert_eq!(update.credential.scopes, scopes, "{body}");
    }
}

// ---------------------------------------------------------------- item 16: expiresAt

#[test]
fn expires_at_before_1970_loads_as_expired_and_go_zero_time_means_unknown() {
    for expires_at in [
        "1969-12-31T23:59:59Z",
        "1900-01-01T00:00:00Z",
        "0001-01-02T00:00:00Z",
        "1950-06-15T12:30:00+02:00",
    ] {
        let f = build(
            scheme(CODE_GRANT, ""),
            token_credential("old", Some("rt-1"), Some(expires_at)),
        )
        .unwrap_or_else(|e| panic!("{expires_at}: {e}"));
        // Long expired: a refresh is due.
        assert_eq!(
            f.live.authorize(&mut api_request()),
            Err(AuthError::TokenRefreshNeeded),
            "{expires_at}"
        );
    }
    for zero in ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"] {
        let f = build(
            scheme(CODE_GRANT, ""),
            token_credential("unset", None, Some(zero)),
        )
        .unwrap();
        assert_eq!(authorized(&f.live).unwrap(), "Bearer unset", "{zero}");
    }
}

// ---------------------------------------------------------------- item 17: messages

#[test]
fn plain_authorize_names_the_way_to_a_token_or_says_reconnect() {
    let f = expired();
    let needed = f.live.authorize(&mut api_request()).unwrap_err();
    assert_eq!(needed, AuthError::TokenRefreshNeeded);
    let message = needed.to_string();
    assert!(
        message.contains("authorize_with") && message.contains("token_step"),
        "{message}"
    );
    // Nothing to send a token request with: only the user can help.
    let f = build(
        scheme(CODE_GRANT, ""),
        token_credential("old", None, Some("2026-11-22T09:00:00Z")),
    )
    .unwrap();
    let err = f.live.authorize(&mut api_request()).unwrap_err();
    assert_eq!(err, AuthError::ReconnectNeeded);
    assert!(err.to_string().contains("reconnect"), "{err}");
}

// ---------------------------------------------------------------- item 7: echoed secrets

/// Every way a server may echo `secret` in an error description.
fn encodings(secret: &str) -> Vec<String> {
    let percent = |upper: bool, plus: bool| -> String {
        secret
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' if plus => "+".to_owned(),
                _ if upper => format!("%{b:02X}"),
                _ => format!("%{b:02x}"),
            })
            .collect()
    };
    let html = |style: u8| -> String {
        secret
            .chars()
            .map(|c| match (style, c) {
                (0, '&') => "&amp;".to_owned(),
                (0, '<') => "&lt;".to_owned(),
                (0, '>') => "&gt;".to_owned(),
                (0, '"') => "&quot;".to_owned(),
                (0, '\'') => "&#39;".to_owned(),
                (0, '/') => "&#x2F;".to_owned(),
                (1, c) if !c.is_ascii_alphanumeric() => format!("&#{};", c as u32),
                (2, c) if !c.is_ascii_alphanumeric() => format!("&#x{:X};", c as u32),
                (_, c) => c.to_string(),
            })
            .collect()
    };
    let json = |unicode: bool| -> String {
        secret
            .chars()
            .map(|c| match c {
                '/' if !unicode => "\\/".to_owned(),
                '"' => "\\\"".to_owned(),
                '\\' => "\\\\".to_owned(),
                c if unicode && !c.is_ascii_alphanumeric() => format!("\\u{:04x}", c as u32),
                c => c.to_string(),
            })
            .collect()
    };
    vec![
        secret.to_owned(),
        secret.replace(' ', "+"),
        percent(true, true),
        percent(false, true),
        percent(true, false),
        percent(false, false),
        html(0),
        html(1),
        html(2),
        json(false),
        json(true),
    ]
}

/// Which secret a token request carries.
#[derive(Debug, Clone, Copy)]
enum Carrier {
    ClientSecret,
    Password,
    RefreshToken,
}

/// A connection whose next token request carries `secret`.
fn carrying(carrier: Carrier, secret: &str) -> Fixture {
    let quoted = serde_json::to_string(secret).unwrap();
    match carrier {
        Carrier::ClientSecret => build(
            scheme(CLIENT_GRANT, ""),
            credential(&format!(
                r#"{{"type": "oauth2-client", "data": {{"oauth2Client": {{"clientId": "s6BhdRkqt3", "clientSecret": {quoted}}}}}}}"#
            )),
        ),
        Carrier::Password => build(
            scheme(
                r#"{"type": "password", "password": {"clientId": "s6BhdRkqt3", "clientSecret": "gX1fBat3bV"}}"#,
                "",
            ),
            credential(&format!(
                r#"{{"type": "oauth2-password", "data": {{"oauth2Password": {{"username": "johndoe", "password": {quoted}}}}}}}"#
            )),
        ),
        Carrier::RefreshToken => build(
            scheme(CODE_GRANT, ""),
            token_credential("old", Some(secret), Some("2026-11-22T09:00:00Z")),
        ),
    }
    .unwrap()
}

/// The error of a token request carrying `secret`, answered 400 with a description that
/// echoes it as `echoed`.
fn echoed_error(carrier: Carrier, secret: &str, echoed: &str) -> OAuth2Error {
    let f = carrying(carrier, secret);
    let body = serde_json::json!({
        "error": "invalid_request",
        "error_description": format!("the value {echoed} is not accepted here"),
    });
    send_step(&f.live)
        .complete(json_response(400, &body.to_string()))
        .unwrap_err()
}

fn renderings(err: &OAuth2Error) -> String {
    format!("{err} {err:?} {err:#?}")
}

#[test]
fn the_audits_examples_are_scrubbed() {
    let secret = "my secret/42+&x";
    for echoed in [
        "my+secret/42+&x",
        "my secret&#x2F;42+&amp;x",
        "my+secret%2F42%2B%26x",
    ] {
        for carrier in [
            Carrier::ClientSecret,
            Carrier::Password,
            Carrier::RefreshToken,
        ] {
            let err = echoed_error(carrier, secret, echoed);
            let text = renderings(&err);
            assert!(!text.contains(echoed), "{carrier:?}: {text}");
            assert!(text.contains("invalid_request"), "{text}");
        }
    }
}

#[test]
fn a_short_secret_drops_the_description_rather_than_garble_it() {
    let err = echoed_error(Carrier::Password, "ss", "passed");
    let text = err.to_string();
    assert!(!text.contains("******"), "{text}");
    assert!(!text.contains("ss"), "{text}");
    assert!(
        matches!(
            err,
            OAuth2Error::Server {
                description: None,
                ..
            }
        ),
        "{err:?}"
    );
}

/// The update from a token request carrying `secret`, answered 200 with a token whose
/// `field` (kept in the clear: `scope`, `token_type`) is `value`.
fn echoed_success(carrier: Carrier, secret: &str, field: &str, value: &str) -> TokenUpdate {
    let f = carrying(carrier, secret);
    let mut body = serde_json::json!({"access_token": "at-new", "expires_in": 3600});
    body[field] = serde_json::Value::from(value);
    send_step(&f.live)
        .complete(json_response(200, &body.to_string()))
        .unwrap()
}

#[test]
fn clear_text_token_fields_are_kept_when_they_repeat_no_secret() {
    let update = echoed_success(
        Carrier::ClientSecret,
        "gX1fBat3bV-long",
        "scope",
        "read write",
    );
    assert_eq!(update.credential.scopes, ["read", "write"]);
    let update = echoed_success(Carrier::Password, "pw-secret-9", "token_type", "bearer");
    assert_eq!(update.credential.token_type.as_deref(), Some("bearer"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A token response repeating a secret the request carried in a field credgate keeps
    /// in the clear (`scope`, `token_type`: shown by `Debug` and written to redacted
    /// documents) loses that field rather than keep the secret.
    #[test]
    fn a_secret_echoed_in_a_clear_text_token_field_is_not_kept(
        secret in "[a-zA-Z0-9][ -~]{6,22}[a-zA-Z0-9]",
        carrier in prop_oneof![
            Just(Carrier::ClientSecret),
            Just(Carrier::Password),
            Just(Carrier::RefreshToken)
        ],
        which in 0usize..11,
        field in prop_oneof![Just("scope"), Just("token_type")],
        around in prop_oneof![Just(("", "")), Just(("read ", " write"))],
    ) {
        let echoed = format!("{}{}{}", around.0, encodings(&secret)[which], around.1);
        let update = echoed_success(carrier, &secret, field, &echoed);
        let text = format!(
            "{update:?} {}",
            serde_json::to_string(&update.credential).unwrap()
        );
        for encoded in encodings(&secret) {
            prop_assert!(
                !text.to_ascii_lowercase().contains(&encoded.to_ascii_lowercase()),
                "{} in {}", encoded, text
            );
        }
    }

    #[test]
    fn no_rendering_holds_a_secret_in_any_encoding(
        secret in "[a-zA-Z0-9][ -~]{6,22}[a-zA-Z0-9]",
        carrier in prop_oneof![
            Just(Carrier::ClientSecret),
            Just(Carrier::Password),
            Just(Carrier::RefreshToken)
        ],
        which in 0usize..11,
    ) {
        let echoed = &encodings(&secret)[which];
        let err = echoed_error(carrier, &secret, echoed);
        let text = renderings(&err);
        for encoded in encodings(&secret) {
            prop_assert!(
                !text.to_ascii_lowercase().contains(&encoded.to_ascii_lowercase()),
                "{} in {}", encoded, text
            );
        }
    }

    #[test]
    fn short_secrets_never_garble_a_description(
        secret in "[a-z]{1,7}",
        words in proptest::collection::vec("[a-z]{1,9}", 1..8),
    ) {
        let words = words.join(" ");
        let err = echoed_error(Carrier::Password, &secret, &words);
        let text = err.to_string();
        prop_assert!(!text.contains("******"), "{}", text);
        // The description as `echoed_error` words it.
        let description = format!("the value {words} is not accepted here");
        let kept = text.contains(&description);
        prop_assert_eq!(kept, !description.contains(&secret), "{}", text);
    }
}
