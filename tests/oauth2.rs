//! OAuth 2.0 without I/O: RFC 6749 / 6750 / 7636 request shapes, response quirks, the token
//! lifecycle (expiry buffer, 401, rotation, single flight) and bad input.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use credgate::auth::oauth2::{AuthorizationRequest, TokenStep, TokenUpdate};
use credgate::{
    AuthError, AuthSchemeConfig, BuildError, Connection, ConnectionCredential, Credential,
    LiveConnection, ManualClock, OAuth2Error, RandomSource,
};
use http::{Request, Response};
use proptest::prelude::*;

mod oauth2_support;
use oauth2_support::*;

fn client_credential() -> Credential {
    credential(
        r#"{"type": "oauth2-client", "data": {"oauth2Client":
            {"clientId": "s6BhdRkqt3", "clientSecret": "gX1fBat3bV"}}}"#,
    )
}

#[derive(Debug)]
struct Fixture {
    live: Arc<LiveConnection>,
    clock: Arc<ManualClock>,
    updates: Arc<Mutex<Vec<TokenUpdate>>>,
}

fn build(scheme: AuthSchemeConfig, credential: Credential) -> Result<Fixture, BuildError> {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let updates = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&updates);
    let connection = Connection::new(vec![ConnectionCredential::new(scheme, credential)]);
    let live = LiveConnection::builder(&connection)
        .base_url("https://api.example.com")
        .clock(clock.clone())
        .on_token_update(move |update| seen.lock().unwrap().push(update.clone()))
        .build()?;
    Ok(Fixture {
        live: Arc::new(live),
        clock,
        updates,
    })
}

fn fixture(scheme: AuthSchemeConfig, credential: Credential) -> Fixture {
    build(scheme, credential).unwrap_or_else(|e| panic!("{e}"))
}

/// A code-grant connection whose token expired an hour ago.
fn expired(refresh_token: Option<&str>) -> Fixture {
    fixture(
        scheme(CODE_GRANT, ""),
        token_credential("old", refresh_token, Some("2026-11-22T09:00:00Z")),
    )
}

/// The body of the token request the next step sends (the refresh is then abandoned).
fn refresh_body(live: &LiveConnection) -> Vec<u8> {
    send_step(live).request().body().clone()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn authorized(live: &LiveConnection) -> Result<String, AuthError> {
    let mut request = api_request();
    live.authorize(&mut request)?;
    let value = &request.headers()["authorization"];
    assert!(value.is_sensitive());
    Ok(value.to_str().unwrap().to_owned())
}

// ---------------------------------------------------------------- request shapes

#[test]
fn client_credentials_request_matches_rfc_6749_section_4_4() {
    let f = fixture(scheme(CLIENT_GRANT, ""), client_credential());
    assert_eq!(
        f.live.authorize(&mut api_request()),
        Err(AuthError::TokenRefreshNeeded)
    );
    let refresh = send_step(&f.live);
    let request = refresh.request();
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri(), "https://server.example.com/token");
    // RFC 6749 §4.4.2, byte for byte.
    assert_eq!(
        request.headers()["authorization"],
        "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
    );
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(
        request.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(request.body(), b"grant_type=client_credentials");
    // §4.4.3's response, whose token_type is "example": Bearer is sent all the same.
    let update = refresh
        .complete(json_response(
            200,
            r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example",
                "expires_in":3600,"example_parameter":"example_value"}"#,
        ))
        .unwrap();
    assert_eq!(
        update.credential.expires_at.as_deref(),
        Some("2026-11-22T11:00:00Z")
    );
    assert_eq!(
        authorized(&f.live).unwrap(),
        "Bearer 2YotnFZFEjr1zCsicMWpAA"
    );
}

#[test]
fn refresh_request_matches_rfc_6749_section_6() {
    let f = fixture(
        scheme(CODE_GRANT, ""),
        token_credential(
            "old",
            Some("tGzv3JOkF0XG5Qx2TlKWIA"),
            Some("2026-11-22T09:00:00Z"),
        ),
    );
    let refresh = send_step(&f.live);
    let request = refresh.request();
    assert_eq!(request.uri(), "https://server.example.com/token");
    assert_eq!(
        request.headers()["authorization"],
        "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
    );
    assert_eq!(
        request.body(),
        b"grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA"
    );
}

#[test]
fn code_exchange_matches_rfc_6749_section_4_1_and_happens_once() {
    let f = fixture(
        scheme(CODE_GRANT, ""),
        credential(
            r#"{"type": "oauth2-code", "data": {"oauth2Code": {"code": "SplxlOBeZQQYbYS6WxSbIA",
                "redirectUrl": "https://client.example.com/cb"}}}"#,
        ),
    );
    let refresh = send_step(&f.live);
    // §4.1.3's body, compared decoded (the RFC also encodes '.').
    let rfc = b"grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA\
        &redirect_uri=https%3A%2F%2Fclient%2Eexample%2Ecom%2Fcb";
    assert_eq!(form(refresh.request().body()), form(rfc));
    assert_eq!(
        refresh.request().headers()["authorization"],
        "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
    );
    // §4.1.4's response.
    let update = refresh
        .complete(json_response(
            200,
            r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600,
                "refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"example_value"}"#,
        ))
        .unwrap();
    assert_eq!(update.credential_index, 0);
    assert_eq!(
        update
            .credential
            .refresh_token
            .as_ref()
            .map(|s| s.expose_secret()),
        Some("tGzv3JOkF0XG5Qx2TlKWIA")
    );
    // The next token comes from the refresh token, not the spent code.
    f.clock.advance(Duration::from_secs(3600));
    let next = send_step(&f.live);
    assert_eq!(
        form(next.request().body())[0],
        ("grant_type".into(), "refresh_token".into())
    );
}

#[test]
fn authorize_url_matches_rfc_6749_section_4_1_1() {
    let AuthSchemeConfig::OAuth2(scheme) = scheme(
        CODE_GRANT,
        r#", "defaultScopes": ["read", "write"], "scopeSeparator": ",",
            "additionalAuthorizeParams": "prompt=consent&client_id=ignored""#,
    ) else {
        unreachable!()
    };
    let request = AuthorizationRequest::new(
        &scheme,
        "https://client.example.com/cb",
        &[],
        &credgate::OsRandom,
    )
    .unwrap();
    let url = url::Url::parse(&request.url).unwrap();
    assert_eq!(url.path(), "/authorize");
    assert_eq!(
        url.query_pairs().into_owned().collect::<Vec<_>>(),
        pairs(&[
            ("response_type", "code"),
            ("client_id", "s6BhdRkqt3"),
            ("redirect_uri", "https://client.example.com/cb"),
            ("scope", "read,write"),
            ("state", &request.state),
            ("prompt", "consent"),
        ])
    );
    assert_eq!(request.state.len(), 43);
    assert!(request.code_verifier.is_none());
}

/// Always the 32 octets of RFC 7636 Appendix B.
#[derive(Debug)]
struct Rfc7636Octets;

impl RandomSource for Rfc7636Octets {
    fn fill_bytes(&self, dest: &mut [u8]) {
        const OCTETS: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        for (d, s) in dest.iter_mut().zip(OCTETS.iter().cycle()) {
            *d = *s;
        }
    }
}

#[test]
fn pkce_follows_rfc_7636_appendix_b_through_to_the_exchange() {
    let AuthSchemeConfig::OAuth2(scheme) = scheme(CODE_GRANT, r#", "pkce": true"#) else {
        unreachable!()
    };
    let request = AuthorizationRequest::new(
        &scheme,
        "https://client.example.com/cb",
        &[],
        &Rfc7636Octets,
    )
    .unwrap();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        request.code_verifier.as_ref().unwrap().expose_secret(),
        verifier
    );
    let query: Vec<(String, String)> = url::Url::parse(&request.url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert!(query.contains(&(
        "code_challenge".into(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()
    )));
    assert!(query.contains(&("code_challenge_method".into(), "S256".into())));

    let code = request
        .callback(&format!(
            "https://client.example.com/cb?code=abc&state={}",
            request.state
        ))
        .unwrap();
    let f = fixture(
        AuthSchemeConfig::OAuth2(scheme),
        Credential::OAuth2Code(code),
    );
    let refresh = send_step(&f.live);
    assert!(form(refresh.request().body()).contains(&("code_verifier".into(), verifier.into())));
}

#[test]
fn redirect_checks_state_first_then_errors_then_code() {
    let AuthSchemeConfig::OAuth2(scheme) = scheme(CODE_GRANT, "") else {
        unreachable!()
    };
    let request = AuthorizationRequest::new(
        &scheme,
        "https://client.example.com/cb",
        &[],
        &credgate::OsRandom,
    )
    .unwrap();
    let state = &request.state;
    assert_eq!(
        request.callback("?code=abc&state=xyz"),
        Err(OAuth2Error::StateMismatch)
    );
    assert_eq!(
        request.callback("?code=abc"),
        Err(OAuth2Error::StateMismatch)
    );
    assert_eq!(
        request.callback("?error=access_denied&state=xyz"),
        Err(OAuth2Error::StateMismatch)
    );
    assert_eq!(
        request.callback(&format!(
            "?error=access_denied&error_description=The+user+said+%22no%22&state={state}"
        )),
        Err(OAuth2Error::AuthorizationDenied {
            code: "access_denied".into(),
            description: Some("The user said no".into())
        })
    );
    assert_eq!(
        request.callback(&format!("?state={state}")),
        Err(OAuth2Error::MissingCode)
    );
    let code = request
        .callback(&format!("https://c.example/cb?state={state}&code=c1#x"))
        .unwrap();
    assert_eq!(code.code.expose_secret(), "c1");
    assert_eq!(
        code.redirect_url.as_deref(),
        Some("https://client.example.com/cb")
    );
}

#[test]
fn client_credentials_are_form_urlencoded_before_basic_rfc_6749_section_2_3_1() {
    let f = fixture(
        scheme(CLIENT_GRANT, r#", "defaultScopes": ["a", "b"]"#),
        credential(
            r#"{"type": "oauth2-client", "data": {"oauth2Client":
                {"clientId": "my:client", "clientSecret": "p@ss word+/", "scopes": ["x:read", "y"]}}}"#,
        ),
    );
    let refresh = send_step(&f.live);
    let expected =
        base64::engine::general_purpose::STANDARD.encode("my%3Aclient:p%40ss+word%2B%2F");
    assert_eq!(
        refresh.request().headers()["authorization"],
        format!("Basic {expected}").as_str()
    );
    // The credential's scopes win over the scheme's defaults.
    assert_eq!(
        refresh.request().body(),
        b"grant_type=client_credentials&scope=x%3Aread+y"
    );
}

#[test]
fn body_client_auth_json_format_extra_params_and_separate_refresh_url() {
    let f = fixture(
        scheme(
            CODE_GRANT,
            r#", "clientAuthMethod": "body", "tokenRequestFormat": "json",
               "refreshUrl": "https://server.example.com/refresh",
               "additionalTokenParams": "audience=api&grant_type=ignored""#,
        ),
        token_credential("", Some("rt-1"), None),
    );
    let refresh = send_step(&f.live);
    let request = refresh.request();
    assert_eq!(request.uri(), "https://server.example.com/refresh");
    assert!(request.headers().get("authorization").is_none());
    assert_eq!(request.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"grant_type": "refresh_token", "refresh_token": "rt-1",
            "client_id": "s6BhdRkqt3", "client_secret": "gX1fBat3bV", "audience": "api"})
    );
}

#[test]
fn password_grant_sends_the_resource_owner_credentials() {
    let f = fixture(
        scheme(
            r#"{"type": "password", "password": {"clientId": "s6BhdRkqt3", "clientSecret": "gX1fBat3bV"}}"#,
            "",
        ),
        credential(
            r#"{"type": "oauth2-password", "data": {"oauth2Password": {"username": "johndoe", "password": "A3ddj3w"}}}"#,
        ),
    );
    let refresh = send_step(&f.live);
    // RFC 6749 §4.3.2.
    assert_eq!(
        refresh.request().body(),
        b"grant_type=password&username=johndoe&password=A3ddj3w"
    );
    refresh
        .complete(json_response(
            200,
            r#"{"access_token":"at","refresh_token":"rt","expires_in":60}"#,
        ))
        .unwrap();
    // The refresh token is used next; once refused, the password grant again.
    f.clock.advance(Duration::from_secs(60));
    let next = send_step(&f.live);
    assert_eq!(
        next.request().body(),
        b"grant_type=refresh_token&refresh_token=rt"
    );
    let err = next
        .complete(json_response(400, r#"{"error":"invalid_grant"}"#))
        .unwrap_err();
    assert!(matches!(err, OAuth2Error::InvalidGrant { .. }));
    let again = send_step(&f.live);
    assert!(again.request().body().starts_with(b"grant_type=password&"));
}

// ---------------------------------------------------------------- token use

#[test]
fn bearer_header_follows_rfc_6750_section_2_1_whatever_the_token_type_case() {
    for token_type in ["bearer", "BEARER", "Bearer"] {
        let f = fixture(scheme(CLIENT_GRANT, ""), client_credential());
        let body = format!(r#"{{"access_token":"mF_9.B5f-4.1JqM","token_type":"{token_type}"}}"#);
        send_step(&f.live)
            .complete(json_response(200, &body))
            .unwrap();
        assert_eq!(authorized(&f.live).unwrap(), "Bearer mF_9.B5f-4.1JqM");
    }
}

#[test]
fn vendor_header_and_query_placements() {
    let f = fixture(
        scheme(
            CLIENT_GRANT,
            r#", "tokenPlacement": {"type": "header", "name": "X-Shopify-Access-Token"}"#,
        ),
        client_credential(),
    );
    send_step(&f.live)
        .complete(json_response(200, r#"{"access_token":"shpat_1"}"#))
        .unwrap();
    let mut request = api_request();
    f.live.authorize(&mut request).unwrap();
    assert_eq!(request.headers()["x-shopify-access-token"], "shpat_1");
    assert!(request.headers()["x-shopify-access-token"].is_sensitive());
    assert!(request.headers().get("authorization").is_none());

    let f = fixture(
        scheme(
            CLIENT_GRANT,
            r#", "tokenPlacement": {"type": "query", "name": "access_token"}"#,
        ),
        client_credential(),
    );
    send_step(&f.live)
        .complete(json_response(200, r#"{"access_token":"a b"}"#))
        .unwrap();
    let mut request = Request::get("/items?page=2").body(()).unwrap();
    f.live.authorize(&mut request).unwrap();
    assert_eq!(
        request.uri(),
        "https://api.example.com/items?page=2&access_token=a%20b"
    );
    assert_eq!(
        f.live.redacted(&request).to_string(),
        "GET https://api.example.com/items?page=2&access_token=******\n"
    );
    assert!(f.live.report_unauthorized(&request));
}

// ---------------------------------------------------------------- responses as they arrive

fn first_token(response: Response<Vec<u8>>) -> Result<(Fixture, TokenUpdate), OAuth2Error> {
    let f = expired(Some("rt-old"));
    let update = send_step(&f.live).complete(response)?;
    Ok((f, update))
}

#[test]
fn expires_in_as_a_string_or_a_fraction() {
    for expires_in in [r#""3600""#, "3600.0", r#"" 3600 ""#] {
        let body = format!(r#"{{"access_token":"at","expires_in":{expires_in}}}"#);
        let (_, update) = first_token(json_response(200, &body)).unwrap();
        assert_eq!(
            update.credential.expires_at.as_deref(),
            Some("2026-11-22T11:00:00Z"),
            "{body}"
        );
    }
}

#[test]
fn form_encoded_body_as_github_sends_without_accept() {
    let response = Response::builder()
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .body(b"access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%20gist&token_type=bearer".to_vec())
        .unwrap();
    let (f, update) = first_token(response).unwrap();
    assert_eq!(update.credential.scopes, ["repo", "gist"]);
    assert_eq!(update.credential.token_type.as_deref(), Some("bearer"));
    assert_eq!(
        authorized(&f.live).unwrap(),
        "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a"
    );
}

#[test]
fn json_types_are_read_as_json() {
    for content_type in [
        "text/plain",
        "text/plain; charset=utf-8",
        "text/javascript",
        "Application/JSON",
        "application/vnd.api+json",
    ] {
        let response = Response::builder()
            .header("content-type", content_type)
            .body(b"  {\"access_token\": \"json-token\"}\n".to_vec())
            .unwrap();
        let (f, _) = first_token(response).unwrap_or_else(|e| panic!("{content_type}: {e}"));
        assert_eq!(authorized(&f.live).unwrap(), "Bearer json-token");
    }
    // No content type: JSON is tried.
    let response = Response::builder()
        .body(br#"{"access_token":"untyped"}"#.to_vec())
        .unwrap();
    let (f, _) = first_token(response).unwrap();
    assert_eq!(authorized(&f.live).unwrap(), "Bearer untyped");
}

#[test]
fn the_content_type_decides_the_parser() {
    // A form under a JSON type is not read as a form.
    let response = Response::builder()
        .header("content-type", "application/json")
        .body(b"access_token=form-as-json&token_type=bearer".to_vec())
        .unwrap();
    assert!(matches!(
        first_token(response),
        Err(OAuth2Error::Unparseable { status: 200, .. })
    ));
}

#[test]
fn error_with_status_200() {
    let err = first_token(json_response(
        200,
        r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.",
            "error_uri":"https://docs.github.com/apps/troubleshooting"}"#,
    ))
    .unwrap_err();
    assert_eq!(
        err,
        OAuth2Error::Server {
            code: "bad_verification_code".into(),
            description: Some("The code passed is incorrect or expired.".into()),
            status: 200
        }
    );
}

#[test]
fn text_plain_errors() {
    let response = Response::builder()
        .status(400)
        .header("content-type", "text/plain")
        .body(b"invalid_grant\n".to_vec())
        .unwrap();
    assert_eq!(
        first_token(response).unwrap_err(),
        OAuth2Error::InvalidGrant { description: None }
    );
    let response = Response::builder()
        .status(401)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"error=invalid_client&error_description=Bad+secret".to_vec())
        .unwrap();
    assert_eq!(
        first_token(response).unwrap_err(),
        OAuth2Error::InvalidClient {
            description: Some("Bad secret".into())
        }
    );
    // A form under text/plain (a JSON type) is not an OAuth 2.0 error: the status only.
    let response = Response::builder()
        .status(401)
        .header("content-type", "text/plain")
        .body(b"error=invalid_client&error_description=Bad+secret".to_vec())
        .unwrap();
    assert_eq!(
        first_token(response).unwrap_err(),
        OAuth2Error::Status { status: 401 }
    );
    let response = Response::builder()
        .status(502)
        .body(b"<html>Bad gateway</html>".to_vec())
        .unwrap();
    assert_eq!(
        first_token(response).unwrap_err(),
        OAuth2Error::Status { status: 502 }
    );
    let response = Response::builder()
        .status(200)
        .body(b"<html>login</html>".to_vec())
        .unwrap();
    assert!(matches!(
        first_token(response),
        Err(OAuth2Error::Unparseable { status: 200, .. })
    ));
    assert!(matches!(
        first_token(json_response(200, r#"{"token_type":"bearer"}"#)),
        Err(OAuth2Error::Unparseable { .. })
    ));
    assert!(matches!(
        first_token(json_response(200, "{")),
        Err(OAuth2Error::Unparseable { .. })
    ));
}

#[test]
fn missing_token_type_and_expires_in_mean_bearer_until_a_401() {
    let (f, update) = first_token(json_response(200, r#"{"access_token":"forever"}"#)).unwrap();
    assert_eq!(update.credential.expires_at, None);
    f.clock.advance(Duration::from_secs(10 * 365 * 86_400));
    let mut request = api_request();
    f.live.authorize(&mut request).unwrap();
    assert_eq!(request.headers()["authorization"], "Bearer forever");
    // Many report the 401; one refresh follows.
    assert!(f.live.report_unauthorized(&request));
    assert!(!f.live.report_unauthorized(&request));
    assert_eq!(
        f.live.authorize(&mut api_request()),
        Err(AuthError::TokenRefreshNeeded)
    );
    let next = send_step(&f.live);
    assert!(matches!(f.live.token_step(), Ok(TokenStep::Wait(_))));
    next.complete(json_response(200, r#"{"access_token":"second"}"#))
        .unwrap();
    // A late 401 for the replaced token changes nothing.
    assert!(!f.live.report_unauthorized(&request));
    assert_eq!(authorized(&f.live).unwrap(), "Bearer second");
}

#[test]
fn refresh_without_refresh_token_keeps_the_old_one_and_rotation_replaces_it() {
    let (f, update) = first_token(json_response(
        200,
        r#"{"access_token":"a1","expires_in":600}"#,
    ))
    .unwrap();
    assert_eq!(
        update.credential.refresh_token.unwrap().expose_secret(),
        "rt-old"
    );
    f.clock.advance(Duration::from_secs(600));
    let next = send_step(&f.live);
    assert_eq!(
        next.request().body(),
        b"grant_type=refresh_token&refresh_token=rt-old"
    );
    let update = next
        .complete(json_response(
            200,
            r#"{"access_token":"a2","expires_in":600,"refresh_token":"rt-new"}"#,
        ))
        .unwrap();
    assert_eq!(
        update.credential.refresh_token.unwrap().expose_secret(),
        "rt-new"
    );
    f.clock.advance(Duration::from_secs(600));
    assert_eq!(
        refresh_body(&f.live),
        b"grant_type=refresh_token&refresh_token=rt-new"
    );
}

#[test]
fn errors_never_echo_secrets() {
    let f = expired(Some("rt-SECRET-1"));
    let err = send_step(&f.live)
        .complete(json_response(
            400,
            r#"{"error":"invalid_request","error_description":"refresh token rt-SECRET-1 for client gX1fBat3bV unknown; new token at-LEAK-2048","access_token":"at-LEAK-2048"}"#,
        ))
        .unwrap_err();
    let message = err.to_string();
    for secret in ["rt-SECRET-1", "gX1fBat3bV", "at-LEAK-2048"] {
        assert!(!message.contains(secret), "{message}");
        assert!(!format!("{err:?}").contains(secret));
    }
    assert!(
        message.contains("refresh token ****** for client ******"),
        "{message}"
    );
}

#[test]
fn a_failed_refresh_keeps_the_previous_credential() {
    let f = fixture(
        scheme(CODE_GRANT, r#", "expiryBufferSeconds": 300"#),
        token_credential("still-good", Some("rt-1"), Some("2026-11-22T10:04:00Z")),
    );
    // Inside the 300 s buffer: refresh is due, the old token is still valid.
    assert_eq!(
        f.live.authorize(&mut api_request()),
        Err(AuthError::TokenRefreshNeeded)
    );
    let first = send_step(&f.live);
    // While it is in flight, others keep using the old token without waiting.
    assert!(matches!(f.live.token_step(), Ok(TokenStep::Ready)));
    assert_eq!(authorized(&f.live).unwrap(), "Bearer still-good");
    let err = first
        .complete(json_response(503, r#"{"error":"temporarily_unavailable"}"#))
        .unwrap_err();
    assert!(matches!(err, OAuth2Error::Server { status: 503, .. }));
    assert!(f.updates.lock().unwrap().is_empty());
    // Same refresh token next time, once the retry delay has passed.
    f.clock.advance(Duration::from_secs(5));
    assert_eq!(
        refresh_body(&f.live),
        b"grant_type=refresh_token&refresh_token=rt-1"
    );
}

#[test]
fn invalid_grant_means_reconnect() {
    let f = expired(Some("rt-1"));
    let err = send_step(&f.live)
        .complete(json_response(
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the authorization server refused the grant (invalid_grant: Token has been expired or revoked.): the user must reconnect"
    );
    assert_eq!(
        f.live.authorize(&mut api_request()),
        Err(AuthError::ReconnectNeeded)
    );
    assert_eq!(f.live.token_step().unwrap_err(), err);

    // Without a refresh token an expired token cannot be renewed.
    let f = expired(None);
    assert_eq!(
        f.live.token_step().unwrap_err(),
        OAuth2Error::NoRefreshToken
    );
    assert_eq!(
        f.live.authorize(&mut api_request()),
        Err(AuthError::ReconnectNeeded)
    );
}

#[test]
fn expiry_buffer_and_short_lifetimes() {
    let f = fixture(scheme(CLIENT_GRANT, ""), client_credential());
    send_step(&f.live)
        .complete(json_response(
            200,
            r#"{"access_token":"a","expires_in":3600}"#,
        ))
        .unwrap();
    f.clock.advance(Duration::from_secs(3539));
    assert!(authorized(&f.live).is_ok());
    f.clock.advance(Duration::from_secs(2));
    assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
    // A lifetime under twice the buffer is refreshed halfway through.
    send_step(&f.live)
        .complete(json_response(
            200,
            r#"{"access_token":"b","expires_in":"30"}"#,
        ))
        .unwrap();
    assert!(authorized(&f.live).is_ok());
    f.clock.advance(Duration::from_secs(15));
    assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
}

#[test]
fn an_abandoned_refresh_lets_the_next_caller_send() {
    let f = fixture(scheme(CLIENT_GRANT, ""), client_credential());
    let first = send_step(&f.live);
    let TokenStep::Wait(wait) = f.live.token_step().unwrap() else {
        panic!("expected to wait")
    };
    drop(first);
    assert_eq!(wait.wait(), Ok(()));
    // An abandoned request counts as failed: the next one waits out the back-off.
    assert!(matches!(
        f.live.token_step(),
        Err(OAuth2Error::BackingOff { .. })
    ));
    f.clock.advance(Duration::from_secs(1));
    drop(send_step(&f.live));
}

#[test]
fn copies_for_other_base_urls_share_one_token() {
    let f = fixture(scheme(CLIENT_GRANT, ""), client_credential());
    let other = f.live.with_base_url("https://eu.api.example.com").unwrap();
    send_step(&other)
        .complete(json_response(200, r#"{"access_token":"shared"}"#))
        .unwrap();
    assert_eq!(authorized(&f.live).unwrap(), "Bearer shared");
}

#[test]
fn beside_other_credentials_the_hook_names_the_oauth2_one() {
    let api_key: AuthSchemeConfig = serde_json::from_str(
        r#"{"type": "api-key", "apiKey": {"id": "k", "name": "X-App-Key", "in": "header"}}"#,
    )
    .unwrap();
    let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
    let hook_seen = Arc::clone(&seen);
    let connection = Connection::new(vec![
        ConnectionCredential::new(api_key, Credential::api_key("app-1")),
        ConnectionCredential::new(scheme(CLIENT_GRANT, ""), client_credential()),
    ]);
    let live = LiveConnection::builder(&connection)
        .base_url("https://api.example.com")
        .on_token_update(move |update| hook_seen.lock().unwrap().push(update.credential_index))
        .build()
        .unwrap();
    let mut request = api_request();
    // Neither credential is applied while the token is missing.
    assert_eq!(
        live.authorize(&mut request),
        Err(AuthError::TokenRefreshNeeded)
    );
    assert!(request.headers().is_empty());
    live.authorize_with(&mut request, |_| {
        Response::builder().body(br#"{"access_token":"at"}"#.to_vec())
    })
    .unwrap();
    assert_eq!(request.headers()["x-app-key"], "app-1");
    assert_eq!(request.headers()["authorization"], "Bearer at");
    assert_eq!(*seen.lock().unwrap(), [1]);
}

// ---------------------------------------------------------------- bad input

#[test]
fn build_errors_name_the_problem() {
    let err = |scheme, credential| build(scheme, credential).err().unwrap();
    assert_eq!(
        err(scheme(CLIENT_GRANT, ""), Credential::None).to_string(),
        "client-id and client-secret are required for this connection template"
    );
    let redacted = credential(
        r#"{"type": "oauth2-client", "data": {"oauth2Client": {"clientId": "a", "clientSecret": "******"}}}"#,
    );
    assert_eq!(
        err(scheme(CLIENT_GRANT, ""), redacted),
        BuildError::Redacted {
            field: "client secret"
        }
    );
    let empty = credential(
        r#"{"type": "oauth2-client", "data": {"oauth2Client": {"clientId": "", "clientSecret": "s"}}}"#,
    );
    assert_eq!(
        err(scheme(CLIENT_GRANT, ""), empty),
        BuildError::ClientIdAndSecretRequired
    );
    assert!(matches!(
        err(scheme(CLIENT_GRANT, ""), token_credential("t", None, None)),
        BuildError::CredentialMismatch { .. }
    ));
    assert_eq!(
        err(
            scheme(CODE_GRANT, ""),
            token_credential("******", None, None)
        ),
        BuildError::Redacted {
            field: "access token"
        }
    );
    assert!(matches!(
        err(
            scheme(CODE_GRANT, ""),
            token_credential("t", None, Some("tomorrow"))
        ),
        BuildError::InvalidValue {
            field: "expires at",
            ..
        }
    ));
    for url in [
        "http://server.example.com/token",
        "/token",
        "ftp://x.example/t",
        "https://u:p@x.example/t",
    ] {
        let scheme: AuthSchemeConfig = serde_json::from_value(serde_json::json!({"type": "oauth2",
            "oauth2": {"tokenUrl": url, "grant": {"type": "clientCredentials"}}}))
        .unwrap();
        assert!(
            matches!(
                err(scheme, client_credential()),
                BuildError::InvalidValue {
                    field: "token URL",
                    ..
                }
            ),
            "{url}"
        );
    }
    for url in [
        "http://127.0.0.1:8080/token",
        "http://localhost/token",
        "http://[::1]/token",
    ] {
        let scheme: AuthSchemeConfig = serde_json::from_value(serde_json::json!({"type": "oauth2",
            "oauth2": {"tokenUrl": url, "grant": {"type": "clientCredentials"}}}))
        .unwrap();
        assert!(build(scheme, client_credential()).is_ok(), "{url}");
    }
    assert!(matches!(
        err(
            scheme(
                CLIENT_GRANT,
                r#", "tokenPlacement": {"type": "header", "name": "Bad Header"}"#
            ),
            client_credential()
        ),
        BuildError::InvalidName { .. }
    ));
}

#[test]
fn scheme_fields_round_trip_and_platform_documents_stay_unchanged() {
    let platform = r#"{"type":"oauth2","oauth2":{"id":"o","tokenUrl":"https://t.example/token","scopes":[],"defaultScopes":[],"grant":{"type":"clientCredentials","clientCredentials":{}}}}"#;
    let read: AuthSchemeConfig = serde_json::from_str(platform).unwrap();
    assert_eq!(serde_json::to_string(&read).unwrap(), platform);
    let ours = scheme(
        CLIENT_GRANT,
        r#", "clientAuthMethod": "body", "tokenRequestFormat": "json", "scopeSeparator": "+",
           "refreshUrl": "https://r.example/t", "expiryBufferSeconds": 30,
           "tokenPlacement": {"type": "query", "name": "token"}"#,
    );
    let again: AuthSchemeConfig =
        serde_json::from_str(&serde_json::to_string(&ours).unwrap()).unwrap();
    assert_eq!(again, ours);
}

// ---------------------------------------------------------------- concurrency and rotation

fn token_body(n: usize, expires_in: u64) -> Vec<u8> {
    format!(r#"{{"access_token":"at-{n}","refresh_token":"rt-{n}","expires_in":{expires_in}}}"#)
        .into_bytes()
}

#[test]
fn sixty_four_threads_on_an_expired_token_send_one_request() {
    let f = fixture(
        scheme(CODE_GRANT, ""),
        token_credential("expired", Some("rt-0"), Some("2026-11-22T09:00:00Z")),
    );
    let sent = AtomicUsize::new(0);
    let barrier = Barrier::new(64);
    let headers: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let mut request = api_request();
                    f.live
                        .authorize_with(&mut request, |_| {
                            sent.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            Response::builder().body(token_body(1, 3600))
                        })
                        .unwrap();
                    request.headers()["authorization"]
                        .to_str()
                        .unwrap()
                        .to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    assert!(headers.iter().all(|h| h == "Bearer at-1"));
    assert_eq!(f.updates.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_on_an_expired_token_send_one_request() {
    let f = fixture(scheme(CLIENT_GRANT, ""), client_credential());
    let sent = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let live = Arc::clone(&f.live);
            let sent = Arc::clone(&sent);
            tokio::spawn(async move {
                let mut request = api_request();
                live.authorize_with_async(&mut request, |_| async move {
                    sent.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Response::builder().body(token_body(1, 3600))
                })
                .await
                .unwrap();
                request.headers()["authorization"]
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), "Bearer at-1");
    }
    assert_eq!(sent.load(Ordering::SeqCst), 1);
}

#[test]
fn the_hook_sees_every_rotated_refresh_token_before_its_token_is_used() {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let live_slot: Arc<OnceLock<LiveConnection>> = Arc::default();
    let connection = Connection::new(vec![ConnectionCredential::new(
        scheme(CODE_GRANT, ""),
        token_credential("at-0", Some("rt-0"), Some("2026-11-22T10:10:00Z")),
    )]);
    let (hook_seen, hook_live) = (Arc::clone(&seen), Arc::clone(&live_slot));
    let live = LiveConnection::builder(&connection)
        .base_url("https://api.example.com")
        .clock(clock.clone())
        .on_token_update(move |update| {
            // The new token is not in use yet: the old one (expired) still is.
            let live = hook_live.get().unwrap();
            assert_eq!(
                live.authorize(&mut api_request()),
                Err(AuthError::TokenRefreshNeeded)
            );
            let refresh = update.credential.refresh_token.as_ref().unwrap();
            hook_seen
                .lock()
                .unwrap()
                .push(refresh.expose_secret().to_owned());
        })
        .build()
        .unwrap();
    live_slot.set(live).unwrap();
    let live = live_slot.get().unwrap();
    let mut sent_refresh_tokens = Vec::new();
    for n in 1..=20 {
        clock.advance(Duration::from_secs(600));
        let mut request = api_request();
        live.authorize_with(&mut request, |token_request| {
            let body = form(token_request.body());
            sent_refresh_tokens.push(body[1].1.clone());
            // Every third response does not rotate.
            let body = if n % 3 == 0 {
                format!(r#"{{"access_token":"at-{n}","expires_in":600}}"#).into_bytes()
            } else {
                token_body(n, 600)
            };
            Response::builder().body(body)
        })
        .unwrap();
        assert_eq!(
            request.headers()["authorization"],
            format!("Bearer at-{n}").as_str()
        );
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 20);
    // Each refresh used exactly the refresh token the hook saw last.
    assert_eq!(sent_refresh_tokens[0], "rt-0");
    assert_eq!(&sent_refresh_tokens[1..], &seen[..19]);
    for (n, token) in (1..=20).zip(seen.iter()) {
        let expected = if n % 3 == 0 {
            format!("rt-{}", n - 1)
        } else {
            format!("rt-{n}")
        };
        assert_eq!(*token, expected);
    }
}

// ---------------------------------------------------------------- properties

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just("access_token"),
        Just("refresh_token"),
        Just("expires_in"),
        Just("token_type"),
        Just("error"),
        Just("error_description"),
        Just("scope"),
    ];
    let value = prop_oneof![
        any::<String>().prop_map(serde_json::Value::String),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        Just(serde_json::json!(["a", 1, null])),
        Just(serde_json::Value::String("gX1fBat3bV rt-SECRET".into())),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        proptest::collection::vec((field, value), 0..6).prop_map(|fields| {
            let object: serde_json::Map<_, _> =
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            serde_json::Value::Object(object).to_string().into_bytes()
        }),
        ".{0,120}".prop_map(String::into_bytes),
        "[a-z_]{1,20}(=[ -~]{0,20}(&[a-z_]{1,15}=[ -~]{0,20}){0,4})?".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_redirect_is_checked_without_panicking(redirect in ".{0,200}", with_state in any::<bool>()) {
        let AuthSchemeConfig::OAuth2(scheme) = scheme(CODE_GRANT, r#", "pkce": true"#) else {
            unreachable!()
        };
        let request = AuthorizationRequest::new(&scheme, "https://c.example/cb", &[], &Rfc7636Octets).unwrap();
        let redirect = if with_state { format!("{redirect}&state={}", request.state) } else { redirect };
        let outcome = request.callback(&redirect);
        if !redirect.contains(request.state.as_str()) {
            prop_assert_eq!(outcome, Err(OAuth2Error::StateMismatch));
        }
    }

    #[test]
    fn any_response_is_read_without_panicking_or_leaking(
        status in 100u16..600,
        content_type in prop_oneof![Just("application/json"), Just("text/plain"),
            Just("application/x-www-form-urlencoded"), Just("")],
        body in body_strategy(),
    ) {
        let f = expired(Some("rt-SECRET"));
        let response = Response::builder().status(status).header("content-type", content_type)
            .body(body).unwrap();
        match send_step(&f.live).complete(response) {
            Ok(update) => {
                prop_assert!((200..300).contains(&status));
                prop_assert!(!update.credential.access_token.is_empty());
                prop_assert_eq!(f.updates.lock().unwrap().len(), 1);
            }
            Err(err) => {
                let shown = format!("{err} {err:?}");
                prop_assert!(!shown.contains("rt-SECRET") && !shown.contains("gX1fBat3bV"), "{}", shown);
                prop_assert!(f.updates.lock().unwrap().is_empty());
            }
        }
    }
}

/// Per-connection values fill `{placeholder}`s in the token URL, and a value cannot move
/// the token request to another host.
#[test]
fn token_urls_take_the_connection_values() {
    let scheme: AuthSchemeConfig = serde_json::from_str(
        r#"{"type": "oauth2", "oauth2": {"id": "o",
            "tokenUrl": "https://{subdomain}.zendesk.com/oauth/tokens",
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}"#,
    )
    .unwrap();
    // The template declares the hosts `{subdomain}` may produce.
    let template: credgate::ConnectionTemplate = serde_json::from_str(
        r#"{"name": "zendesk", "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2",
            "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}}}"#,
    )
    .unwrap();
    let connect = |value: &str| {
        let mut connection = Connection::new(vec![ConnectionCredential::new(
            scheme.clone(),
            client_credential(),
        )]);
        connection
            .values
            .insert("subdomain".to_owned(), value.to_owned());
        LiveConnection::builder(&connection)
            .template(&template)
            .clock(Arc::new(ManualClock::at_unix_seconds(NOW)))
            .build()
    };
    let live = connect("acme").unwrap();
    assert_eq!(live.base_url(), "https://acme.zendesk.com/api/v2");
    assert_eq!(
        send_step(&live).request().uri(),
        "https://acme.zendesk.com/oauth/tokens"
    );
    for evil in ["evil.com#", "evil.com/", "x@evil.com", "..", "a?b"] {
        let err = connect(evil).unwrap_err();
        assert!(
            matches!(err, BuildError::InvalidUrlValue { .. }),
            "{evil}: {err}"
        );
    }
}

/// Nothing a connection holds for OAuth 2.0 shows in its `Debug`, nor in a redacted request.
#[test]
fn debug_and_redacted_output_hide_every_oauth2_secret() {
    let f = fixture(
        scheme(CODE_GRANT, ""),
        token_credential(
            "access-s3cr3t",
            Some("refresh-s3cr3t"),
            Some("2100-01-01T00:00:00Z"),
        ),
    );
    let mut request = api_request();
    f.live.authorize(&mut request).unwrap();
    let shown = format!("{:?} {:#?} {}", f.live, f.live, f.live.redacted(&request));
    for secret in ["access-s3cr3t", "refresh-s3cr3t", "gX1fBat3bV"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(request.headers()["authorization"].is_sensitive());
}

/// A lifetime too long for RFC 3339 is capped, so the stored credential loads again.
#[test]
fn a_huge_expires_in_still_stores_a_credential_that_loads() {
    let f = expired(Some("rt-1"));
    let update = send_step(&f.live)
        .complete(json_response(
            200,
            r#"{"access_token": "at", "expires_in": 300000000000}"#,
        ))
        .unwrap();
    let stored =
        credgate::to_json_with_secrets(&Credential::OAuth2Token(update.credential)).unwrap();
    let reloaded: Credential = serde_json::from_str(&stored).unwrap();
    assert!(build(scheme(CODE_GRANT, ""), reloaded).is_ok(), "{stored}");
}

/// A lifetime of 0 (VK's non-expiring tokens) or less gives the token no expiry, as a
/// missing `expires_in` does: it is used until a 401 is reported, then replaced.
#[test]
fn a_zero_or_negative_expires_in_means_no_lifetime_given() {
    for lifetime in ["0", "\"0\"", "-1", "-0.5"] {
        let f = expired(Some("rt-1"));
        let update = send_step(&f.live)
            .complete(json_response(
                200,
                &format!(r#"{{"access_token": "at", "expires_in": {lifetime}}}"#),
            ))
            .unwrap();
        assert_eq!(update.credential.expires_at, None, "{lifetime}");
        f.clock.advance(Duration::from_secs(86_400));
        let mut request = api_request();
        f.live.authorize(&mut request).unwrap();
        assert_eq!(
            request.headers()["authorization"],
            "Bearer at",
            "{lifetime}"
        );
        assert!(f.live.report_unauthorized(&request));
        assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
    }
}

/// After the server refuses a refresh token, the primary grant takes over and the dead
/// refresh token is neither stored nor sent again.
#[test]
fn a_refused_refresh_token_is_dropped_for_the_primary_grant() {
    let f = fixture(scheme(CLIENT_GRANT, ""), client_credential());
    send_step(&f.live)
        .complete(json_response(
            200,
            r#"{"access_token": "a1", "refresh_token": "r1", "expires_in": 3600}"#,
        ))
        .unwrap();
    f.clock.advance(Duration::from_secs(3600));
    let refused = send_step(&f.live);
    assert_eq!(
        form(refused.request().body())[0],
        ("grant_type".to_owned(), "refresh_token".to_owned())
    );
    assert!(
        refused
            .complete(json_response(400, r#"{"error": "invalid_grant"}"#))
            .is_err()
    );
    let fallback = send_step(&f.live);
    assert_eq!(
        form(fallback.request().body())[0],
        ("grant_type".to_owned(), "client_credentials".to_owned())
    );
    let update = fallback
        .complete(json_response(
            200,
            r#"{"access_token": "a2", "expires_in": 3600}"#,
        ))
        .unwrap();
    assert!(update.credential.refresh_token.is_none());
    f.clock.advance(Duration::from_secs(3600));
    let next = send_step(&f.live);
    assert_eq!(
        form(next.request().body())[0],
        ("grant_type".to_owned(), "client_credentials".to_owned())
    );
}

/// An error description that repeats the Basic header does not carry the client's
/// credentials into the error.
#[test]
fn errors_do_not_echo_the_encoded_client_credentials() {
    let f = expired(Some("rt-1"));
    let refresh = send_step(&f.live);
    let basic = refresh.request().headers()["authorization"]
        .to_str()
        .unwrap()
        .strip_prefix("Basic ")
        .unwrap()
        .to_owned();
    let err = refresh
        .complete(json_response(
            401,
            &format!(r#"{{"error": "invalid_client", "error_description": "bad credentials in Basic {basic}"}}"#),
        ))
        .unwrap_err();
    assert!(!err.to_string().contains(&basic), "{err}");
    assert!(!format!("{err:?}").contains(&basic), "{err:?}");
}

#[test]
fn connections_sharing_a_thread_cache_slot_keep_their_own_tokens() {
    // More connections than each thread keeps copies for, so some share a slot and
    // evict each other; every request must still carry its own connection's token.
    let connections: Vec<(String, Fixture)> = (0..40)
        .map(|i| {
            let token = format!("token-{i}");
            let credential = token_credential(&token, Some("rt"), Some("2100-01-01T00:00:00Z"));
            (token, fixture(scheme(CODE_GRANT, ""), credential))
        })
        .collect();
    for _round in 0..3 {
        for (token, f) in &connections {
            assert_eq!(authorized(&f.live), Ok(format!("Bearer {token}")));
        }
    }
}

#[test]
fn a_token_is_used_on_other_threads_until_the_buffer_then_refreshed_once() {
    let f = fixture(
        scheme(CODE_GRANT, ""),
        token_credential("old", Some("rt"), Some("2026-11-22T10:02:00Z")),
    );
    // NOW is 10:00:00, so the token is due at 10:01:00 and expires at 10:02:00.
    std::thread::scope(|scope| {
        scope.spawn(|| assert_eq!(authorized(&f.live), Ok("Bearer old".to_owned())));
    });
    f.clock.advance(Duration::from_secs(59));
    std::thread::scope(|scope| {
        scope.spawn(|| assert_eq!(authorized(&f.live), Ok("Bearer old".to_owned())));
    });
    assert_eq!(authorized(&f.live), Ok("Bearer old".to_owned()));
    f.clock.advance(Duration::from_secs(1));
    assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded));
    std::thread::scope(|scope| {
        scope.spawn(|| assert_eq!(authorized(&f.live), Err(AuthError::TokenRefreshNeeded)));
    });
}
