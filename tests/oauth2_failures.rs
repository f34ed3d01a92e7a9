//! OAuth 2.0 when things go wrong: token endpoint outages inside the expiry buffer, 5xx
//! answers that name a grant error, a persistence hook that panics, secrets echoed in error
//! descriptions, and authorize URLs with placeholders left in.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use credgate::auth::oauth2::{
    AuthorizationRequest, AuthorizeError, TokenRefresh, TokenStep, TokenUpdate,
};
use credgate::{
    AuthError, AuthSchemeConfig, BuildError, Connection, ConnectionCredential, ConnectionTemplate,
    Credential, LiveConnection, ManualClock, OAuth2Error, OAuth2Scheme, OsRandom, Registry,
};
use http::{Request, Response};

mod oauth2_support;
use oauth2_support::*;

struct Fixture {
    live: LiveConnection,
    clock: Arc<ManualClock>,
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
    Fixture { live, clock }
}

/// A code-grant connection whose token expires at `expires_at`, refreshed with `rt-1`.
fn expiring(expires_at: &str) -> Fixture {
    fixture(
        scheme(CODE_GRANT, ""),
        token_credential("still-good", Some("rt-1"), Some(expires_at)),
    )
}

/// Now is 10:00:00 and the token expires at 10:00:30: inside the default 60 s buffer, so
/// a refresh is due while the token is still valid.
fn inside_buffer() -> Fixture {
    expiring("2026-11-22T10:00:30Z")
}

/// A code-grant connection whose token expired an hour ago.
fn expired() -> Fixture {
    fixture(
        scheme(CODE_GRANT, ""),
        token_credential("old", Some("rt-1"), Some("2026-11-22T09:00:00Z")),
    )
}

fn authorized(live: &LiveConnection) -> Result<String, AuthError> {
    let mut request = api_request();
    live.authorize(&mut request)?;
    Ok(request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned())
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
                .header("content-type", "application/x-www-form-urlencoded")
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
        // Once the back-off (1 s after a first failure with no valid token) is over.
        assert!(matches!(
            f.live.token_step(),
            Err(OAuth2Error::BackingOff { .. })
        ));
        f.clock.advance(Duration::from_secs(1));
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
        &scheme
            .with_placeholder_values(
                &values,
                &[(
                    "subdomain".to_owned(),
                    credgate::Placeholder::new().with_host_patterns(["*.zendesk.com"]),
                )]
                .into(),
            )
            .unwrap(),
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

// ---------------------------------------------------------------- outages inside the buffer

#[test]
fn a_failed_refresh_inside_the_buffer_keeps_the_valid_token_until_the_retry_delay() {
    // Each way a refresh fails without the user being needed.
    type Fail = fn(TokenRefresh);
    let failures: [(&str, Fail); 5] = [
        ("503 with an error", |r| {
            r.complete(json_response(503, r#"{"error":"temporarily_unavailable"}"#))
                .unwrap_err();
        }),
        ("500 without a body", |r| {
            r.complete(json_response(500, "")).unwrap_err();
        }),
        ("a 200 that is not a token", |r| {
            r.complete(json_response(200, "<html>maintenance</html>"))
                .unwrap_err();
        }),
        ("400 invalid_request", |r| {
            r.complete(json_response(400, r#"{"error":"invalid_request"}"#))
                .unwrap_err();
        }),
        ("a token request that could not be sent", drop),
    ];
    for (what, fail) in failures {
        let f = inside_buffer();
        assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
        fail(send_step(&f.live));
        // The token is valid for 30 more seconds: it is used, from the slow path and then
        // from this thread's copy, and no new token request is due yet.
        for _ in 0..2 {
            assert_eq!(
                authorized(&f.live).as_deref(),
                Ok("Bearer still-good"),
                "{what}"
            );
        }
        assert!(
            matches!(f.live.token_step(), Ok(TokenStep::Ready)),
            "{what}"
        );
        f.clock.advance(Duration::from_secs(4));
        assert_eq!(
            authorized(&f.live).as_deref(),
            Ok("Bearer still-good"),
            "{what}"
        );
        // After the retry delay the refresh is due again, with the same refresh token.
        f.clock.advance(Duration::from_secs(1));
        assert_eq!(
            authorized(&f.live),
            Err(AuthError::TokenRefreshNeeded),
            "{what}"
        );
        let retry = send_step(&f.live);
        assert_eq!(form(retry.request().body())[1].1, "rt-1", "{what}");
    }
}

#[test]
fn the_retry_delay_ends_when_the_token_expires_and_then_the_failure_surfaces() {
    // Expires 3 s from now, before the retry delay is over.
    let f = expiring("2026-11-22T10:00:03Z");
    send_step(&f.live)
        .complete(json_response(503, ""))
        .unwrap_err();
    f.clock.advance(Duration::from_secs(2));
    assert_eq!(authorized(&f.live).as_deref(), Ok("Bearer still-good"));
    f.clock.advance(Duration::from_secs(1));
    assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
    // Expired: a failure now leaves nothing to use, and the next call asks again.
    let err = send_step(&f.live)
        .complete(json_response(503, ""))
        .unwrap_err();
    assert_eq!(err, OAuth2Error::Status { status: 503 });
    assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
    // After the back-off.
    f.clock.advance(Duration::from_secs(1));
    drop(send_step(&f.live));
}

#[test]
fn a_401_during_the_retry_delay_makes_the_refresh_due_at_once() {
    let f = inside_buffer();
    send_step(&f.live)
        .complete(json_response(503, ""))
        .unwrap_err();
    let mut request = api_request();
    f.live.authorize(&mut request).unwrap();
    assert!(f.live.report_unauthorized(&request));
    assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
    // A refused token is not kept in use when its refresh fails.
    send_step(&f.live)
        .complete(json_response(503, ""))
        .unwrap_err();
    assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
    f.clock.advance(Duration::from_secs(1));
    drop(send_step(&f.live));
}

#[test]
fn a_refused_grant_inside_the_buffer_still_needs_the_user() {
    let f = inside_buffer();
    let mut request = api_request();
    let err = f
        .live
        .authorize_with(&mut request, |_| {
            Ok::<_, std::io::Error>(json_response(400, r#"{"error":"invalid_grant"}"#))
        })
        .unwrap_err();
    assert!(
        matches!(err, AuthorizeError::Token(OAuth2Error::InvalidGrant { .. })),
        "{err:?}"
    );
    assert!(request.headers().get("authorization").is_none());
    assert_eq!(authorized(&f.live), Err(AuthError::ReconnectNeeded));
}

/// `authorize_with` against a token endpoint answering `response` (or failing to send when
/// it is `None`), counting token requests in `calls`.
fn authorize_with(
    live: &LiveConnection,
    calls: &AtomicUsize,
    response: Option<Response<Vec<u8>>>,
) -> (Result<(), AuthorizeError<std::io::Error>>, Option<String>) {
    let mut request = api_request();
    let outcome = live.authorize_with(&mut request, |_| {
        calls.fetch_add(1, Ordering::SeqCst);
        response.ok_or_else(|| std::io::Error::other("connection refused"))
    });
    let header = request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    (outcome, header)
}

#[test]
fn the_wrappers_authorize_with_the_valid_token_when_a_refresh_fails() {
    let f = inside_buffer();
    let calls = AtomicUsize::new(0);
    let outage = || Some(json_response(503, r#"{"error":"temporarily_unavailable"}"#));
    let (outcome, header) = authorize_with(&f.live, &calls, outage());
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(header.as_deref(), Some("Bearer still-good"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // No token request on every call during the outage.
    for _ in 0..3 {
        let (outcome, header) = authorize_with(&f.live, &calls, outage());
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(header.as_deref(), Some("Bearer still-good"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // After the delay, one more try; a send error counts as a failure too.
    f.clock.advance(Duration::from_secs(5));
    let (outcome, header) = authorize_with(&f.live, &calls, None);
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(header.as_deref(), Some("Bearer still-good"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // The async wrapper alike (nothing in it waits, so one poll ends it).
    f.clock.advance(Duration::from_secs(5));
    let mut request = api_request();
    {
        let future = f.live.authorize_with_async(&mut request, |_| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(json_response(502, ""))
        });
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let std::task::Poll::Ready(outcome) = future.as_mut().poll(&mut context) else {
            panic!("the async wrapper waited for nothing")
        };
        assert!(outcome.is_ok(), "{outcome:?}");
    }
    assert_eq!(request.headers()["authorization"], "Bearer still-good");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // Once the token has expired, the failure reaches the caller, request unchanged.
    f.clock.advance(Duration::from_secs(20));
    let (outcome, header) = authorize_with(&f.live, &calls, outage());
    assert!(
        matches!(
            outcome,
            Err(AuthorizeError::Token(OAuth2Error::Server {
                status: 503,
                ..
            }))
        ),
        "{outcome:?}"
    );
    assert_eq!(header, None);
    f.clock.advance(Duration::from_secs(1));
    let (outcome, header) = authorize_with(&f.live, &calls, None);
    assert!(
        matches!(outcome, Err(AuthorizeError::Transport(_))),
        "{outcome:?}"
    );
    assert_eq!(header, None);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    // And the next success, after the doubled back-off, is used.
    f.clock.advance(Duration::from_secs(2));
    let (outcome, header) = authorize_with(
        &f.live,
        &calls,
        Some(json_response(
            200,
            r#"{"access_token":"at-2","expires_in":3600}"#,
        )),
    );
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(header.as_deref(), Some("Bearer at-2"));
}

// ---------------------------------------------------------------- a panicking hook

/// What the hook of [`panicking_hook`] was given, and what `authorize` said meanwhile.
#[derive(Debug, Default)]
struct HookLog {
    /// (access token, refresh token) of each call.
    offered: Vec<(String, Option<String>)>,
    /// `authorize` on the connection during each call.
    authorize_during: Vec<Result<(), AuthError>>,
}

/// A connection from `credential` whose hook panics on its first `panics` calls.
fn panicking_hook(
    credential: Credential,
    panics: usize,
) -> (
    Arc<OnceLock<LiveConnection>>,
    Arc<Mutex<HookLog>>,
    Arc<ManualClock>,
) {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let log: Arc<Mutex<HookLog>> = Arc::default();
    let slot: Arc<OnceLock<LiveConnection>> = Arc::default();
    let (hook_log, hook_slot) = (Arc::clone(&log), Arc::clone(&slot));
    let connection = Connection::new(vec![ConnectionCredential::new(
        scheme(CODE_GRANT, ""),
        credential,
    )]);
    let live = LiveConnection::builder(&connection)
        .base_url("https://api.example.com")
        .clock(clock.clone())
        .on_token_update(move |update| {
            let during = hook_slot
                .get()
                .map(|live| live.authorize(&mut api_request()));
            let mut log = hook_log.lock().unwrap();
            log.offered.push((
                update.credential.access_token.expose_secret().to_owned(),
                update
                    .credential
                    .refresh_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned()),
            ));
            log.authorize_during.extend(during);
            let call = log.offered.len();
            drop(log);
            assert!(call > panics, "disk full");
        })
        .build()
        .unwrap();
    assert!(slot.set(live).is_ok());
    (slot, log, clock)
}

const ROTATED: &str = r#"{"access_token":"at-1","refresh_token":"rt-1","expires_in":3600}"#;

/// Completes `refresh` with [`ROTATED`], checking that the hook's panic reaches the caller.
fn complete_with_panicking_hook(refresh: TokenRefresh) {
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        refresh.complete(json_response(200, ROTATED))
    }));
    assert!(panicked.is_err(), "the hook's panic reaches the caller");
}

#[test]
fn a_panicking_hook_keeps_the_rotated_refresh_token_and_is_offered_it_again() {
    let (live, log, clock) = panicking_hook(
        token_credential("old", Some("rt-0"), Some("2026-11-22T09:00:00Z")),
        2,
    );
    let live = live.get().unwrap();
    complete_with_panicking_hook(send_step(live));
    // Not accepted by the hook: the new token is not used yet.
    assert_eq!(authorized(live), Err(AuthError::TokenRefreshNeeded));
    // The next step offers it to the hook again rather than sending rt-0, which a
    // rotating server has revoked; the hook panics once more, and so does the step.
    let panicked = catch_unwind(AssertUnwindSafe(|| live.token_step().map(|_| ())));
    assert!(panicked.is_err());
    assert_eq!(authorized(live), Err(AuthError::TokenRefreshNeeded));
    // The third offer is accepted: then, and only then, the token is used.
    assert!(matches!(live.token_step(), Ok(TokenStep::Ready)));
    assert_eq!(authorized(live).as_deref(), Ok("Bearer at-1"));
    let log = log.lock().unwrap();
    let offered = ("at-1".to_owned(), Some("rt-1".to_owned()));
    assert_eq!(log.offered, [offered.clone(), offered.clone(), offered]);
    assert!(
        log.authorize_during
            .iter()
            .all(|a| *a == Err(AuthError::TokenRefreshNeeded)),
        "{:?}",
        log.authorize_during
    );
    drop(log);
    // The next refresh sends the rotated refresh token.
    clock.advance(Duration::from_secs(3600));
    let next = send_step(live);
    assert_eq!(form(next.request().body())[1].1, "rt-1");
}

#[test]
fn a_panicking_hook_does_not_get_the_code_sent_twice() {
    let code = credential(
        r#"{"type": "oauth2-code", "data": {"oauth2Code":
            {"code": "SplxlOBeZQQYbYS6WxSbIA", "redirectUrl": "https://client.example.com/cb"}}}"#,
    );
    let (live, log, _clock) = panicking_hook(code, 1);
    let live = live.get().unwrap();
    let calls = AtomicUsize::new(0);
    let send = |_| {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(json_response(200, ROTATED))
    };
    let mut request = api_request();
    let panicked = catch_unwind(AssertUnwindSafe(|| live.authorize_with(&mut request, send)));
    assert!(panicked.is_err());
    assert!(request.headers().get("authorization").is_none());
    // The wrapper offers the kept credential to the hook again; no second exchange.
    live.authorize_with(&mut request, send).unwrap();
    assert_eq!(request.headers()["authorization"], "Bearer at-1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(log.lock().unwrap().offered.len(), 2);
}

#[test]
fn waiters_on_a_refresh_whose_hook_panics_are_released_and_told_why() {
    let (live, log, _clock) = panicking_hook(
        token_credential("old", Some("rt-0"), Some("2026-11-22T09:00:00Z")),
        1,
    );
    let live = live.get().unwrap();
    let refresh = send_step(live);
    let TokenStep::Wait(blocking) = live.token_step().unwrap() else {
        panic!("expected to wait")
    };
    let TokenStep::Wait(polled) = live.token_step().unwrap() else {
        panic!("expected to wait")
    };
    std::thread::scope(|scope| {
        let waiter = scope.spawn(move || {
            let outcome = blocking.wait();
            // Released with the reason, and the old state: neither the new token nor a new
            // request.
            (outcome, authorized(live))
        });
        // Let the waiter park before the refresh ends (it is released either way).
        std::thread::sleep(Duration::from_millis(20));
        complete_with_panicking_hook(refresh);
        let (outcome, authorize) = waiter.join().unwrap();
        assert_eq!(outcome, Err(OAuth2Error::HookPanicked));
        assert_eq!(authorize, Err(AuthError::TokenRefreshNeeded));
    });
    let mut polled = std::pin::pin!(polled);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    assert_eq!(
        polled.as_mut().poll(&mut context),
        std::task::Poll::Ready(Err(OAuth2Error::HookPanicked))
    );
    assert!(matches!(live.token_step(), Ok(TokenStep::Ready)));
    assert_eq!(authorized(live).as_deref(), Ok("Bearer at-1"));
    assert_eq!(log.lock().unwrap().offered.len(), 2);
}

#[test]
fn a_registry_export_holds_the_credential_a_panicking_hook_was_given() {
    let scheme = serde_json::json!({"type": "oauth2", "oauth2": {"id": "o",
        "tokenUrl": "https://auth.crm.example/token", "grant": {"type": "authorizationCode",
            "authorizationCode": {"clientId": "client-1", "clientSecret": "secret-1"}}}});
    let template: ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "crm", "connectionTemplateId": "crm", "templateBaseUrl": "https://api.crm.example",
        "authSchemeConfigs": [scheme]}))
    .unwrap();
    let mut connection: Connection = serde_json::from_value(serde_json::json!({
        "connectionTemplateId": "crm",
        "credentials": [{"authSchemeConfig": scheme, "credential": {"type": "oauth2-token",
            "data": {"oauth2Token": {"accessToken": "at-old", "refreshToken": "rt-1",
                "expiresAt": "2020-01-01T00:00:00Z"}}}}]}))
    .unwrap();
    connection.id = "c1".to_owned();
    let calls = Arc::new(AtomicUsize::new(0));
    let hook_calls = Arc::clone(&calls);
    let registry = Registry::new().with_token_hook(move |_, _| {
        assert!(hook_calls.fetch_add(1, Ordering::SeqCst) > 0, "disk full");
    });
    registry.add_environment("production").unwrap();
    registry.add_template("production", template).unwrap();
    registry
        .add_connection("production", "crm", connection)
        .unwrap();
    let live = registry.resolve("production", "crm", None).unwrap();
    let mut request = Request::get("https://api.crm.example/contacts")
        .body(Vec::new())
        .unwrap();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        live.authorize_with(&mut request, |_| {
            Ok::<_, std::io::Error>(json_response(
                200,
                r#"{"access_token":"at-2","refresh_token":"rt-2"}"#,
            ))
        })
    }));
    assert!(panicked.is_err());
    // The live connection does not use it yet, but a document made from it keeps the
    // rotated refresh token: rt-1 is revoked.
    let mut request = Request::get("https://api.crm.example/contacts")
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        live.authorize(&mut request),
        Err(AuthError::TokenRefreshNeeded)
    );
    let export = registry.export();
    let Credential::OAuth2Token(token) = &export.connections[0].credentials[0].credential else {
        panic!("expected a token credential")
    };
    assert_eq!(
        token.refresh_token.as_ref().map(|t| t.expose_secret()),
        Some("rt-2")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_panicking_hook_leaves_a_still_valid_token_in_use_until_the_retry() {
    // The old token expires at 10:00:30: inside the buffer, still valid.
    let (live, log, clock) = panicking_hook(
        token_credential("still-good", Some("rt-0"), Some("2026-11-22T10:00:30Z")),
        1,
    );
    let live = live.get().unwrap();
    complete_with_panicking_hook(send_step(live));
    // The new token is not used before the hook accepts it; the old one still is.
    assert_eq!(authorized(live).as_deref(), Ok("Bearer still-good"));
    assert!(matches!(live.token_step(), Ok(TokenStep::Ready)));
    // At the retry time the kept credential is offered again, with no token request.
    clock.advance(Duration::from_secs(5));
    assert_eq!(authorized(live), Err(AuthError::TokenRefreshNeeded));
    assert!(matches!(live.token_step(), Ok(TokenStep::Ready)));
    assert_eq!(authorized(live).as_deref(), Ok("Bearer at-1"));
    assert_eq!(log.lock().unwrap().offered.len(), 2);
}

#[test]
fn a_refused_refresh_token_beside_client_credentials_is_no_error_for_the_wrapper() {
    // A client-credentials connection whose token came with a refresh token.
    let client = credential(
        r#"{"type": "oauth2-client", "data": {"oauth2Client": {"clientId": "c", "clientSecret": "s"}}}"#,
    );
    let Fixture { live, clock } = fixture(scheme(CLIENT_GRANT, ""), client);
    let first = send_step(&live);
    first
        .complete(json_response(
            200,
            r#"{"access_token":"a1","refresh_token":"r1","expires_in":3600}"#,
        ))
        .unwrap();
    // 30 s before expiry: inside the buffer, the token still valid.
    clock.advance(Duration::from_secs(3600 - 30));
    let grants = Mutex::new(Vec::new());
    let send = |request: Request<Vec<u8>>, response| {
        grants
            .lock()
            .unwrap()
            .push(form(request.body())[0].1.clone());
        Ok::<_, std::io::Error>(json_response(200, response))
    };
    let mut request = api_request();
    live.authorize_with(&mut request, |r| {
        send(r, r#"{"error":"invalid_grant"}"#).map(|mut response| {
            *response.status_mut() = http::StatusCode::BAD_REQUEST;
            response
        })
    })
    .unwrap();
    assert_eq!(request.headers()["authorization"], "Bearer a1");
    // The client-credentials grant takes over after the retry delay, not the dead token.
    clock.advance(Duration::from_secs(5));
    let mut request = api_request();
    live.authorize_with(&mut request, |r| {
        send(r, r#"{"access_token":"a2","expires_in":3600}"#)
    })
    .unwrap();
    assert_eq!(request.headers()["authorization"], "Bearer a2");
    assert_eq!(
        *grants.lock().unwrap(),
        ["refresh_token", "client_credentials"]
    );
}

#[test]
fn a_credential_token_url_stays_on_the_template_scheme_domain_outside_a_registry() {
    let mut template = ConnectionTemplate::new(
        "crm",
        "https://api.example.com",
        vec![scheme(
            CLIENT_GRANT,
            r#", "additionalTokenParams": "client_assertion=ASSERTION-1""#,
        )],
    );
    let own = |url: &str| {
        credential(&format!(
            r#"{{"type": "oauth2-client", "data": {{"oauth2Client":
                {{"clientId": "c", "clientSecret": "s", "tokenUrl": "{url}"}}}}}}"#
        ))
    };
    let err = template
        .connect(vec![own("https://evil.attacker.net/token")])
        .unwrap_err();
    assert_eq!(
        err,
        BuildError::InvalidTokenUrl {
            reason: "override must keep the scheme's https and stay on its domain"
        }
    );
    // Another host of the scheme's domain is fine, and so is any host where the template
    // allows any base URL.
    assert!(
        template
            .connect(vec![own("https://eu.server.example.com/token")])
            .is_ok()
    );
    template.allow_any_base_url = true;
    let connection = template
        .connect(vec![own("https://self-hosted.example.net/token")])
        .unwrap();
    assert!(connection.build(&template).is_ok());
}
