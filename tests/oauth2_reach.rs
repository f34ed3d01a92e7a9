//! OAuth 2.0 scheme options real providers need (issue #14 items 3-6), through the public
//! API, with inputs taken from the shared Nango provider catalog's entries: client
//! authentication forms, token request details, and token response data.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use credgate::auth::oauth2::TokenUpdate;
use credgate::{
    AuthSchemeConfig, BuildError, ClientAuthMethod, Connection, ConnectionCredential, Credential,
    ExpiresInUnit, LiveConnection, ManualClock, OAuth2Scheme, TokenParamsLocation,
};
use http::Response;
use serde_json::{Value, json};

mod oauth2_support;
use oauth2_support::*;

/// A secret with every character RFC 6749 §2.3.1's form-encoding changes.
const TRICKY_SECRET: &str = "s+e/c=r%et 1";

/// An `oauth2` scheme document: `base` with `extra`'s fields set.
fn scheme_json(base: Value, extra: Value) -> AuthSchemeConfig {
    let mut object = base;
    for (name, value) in extra.as_object().unwrap() {
        object[name] = value.clone();
    }
    serde_json::from_value(json!({"type": "oauth2", "oauth2": object}))
        .unwrap_or_else(|e| panic!("{object}: {e}"))
}

/// Zoom's server-to-server app (catalog `zoom-cc`): client credentials at
/// `https://zoom.us/oauth/token`, `grant_type=account_credentials` and the account id.
fn zoom_cc(extra: Value) -> AuthSchemeConfig {
    scheme_json(
        json!({"id": "zoom", "tokenUrl": "https://zoom.us/oauth/token",
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}),
        extra,
    )
}

fn client(id: &str, secret: &str) -> Credential {
    serde_json::from_value(json!({"type": "oauth2-client",
        "data": {"oauth2Client": {"clientId": id, "clientSecret": secret}}}))
    .unwrap()
}

/// A code-grant scheme (client `app-1`, secret `app-secret-1`) at the catalog entry's URLs.
fn code_scheme(authorize_url: &str, token_url: &str, extra: Value) -> AuthSchemeConfig {
    scheme_json(
        json!({"id": "o", "authorizeUrl": authorize_url, "tokenUrl": token_url,
            "grant": {"type": "authorizationCode",
                "authorizationCode": {"clientId": "app-1", "clientSecret": "app-secret-1"}}}),
        extra,
    )
}

fn code() -> Credential {
    credential(
        r#"{"type": "oauth2-code", "data": {"oauth2Code":
            {"code": "code-1", "redirectUrl": "https://app.example.com/cb"}}}"#,
    )
}

#[derive(Debug)]
struct Fixture {
    live: LiveConnection,
    updates: Arc<Mutex<Vec<TokenUpdate>>>,
}

fn build(scheme: AuthSchemeConfig, credential: Credential) -> Result<Fixture, BuildError> {
    let updates = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&updates);
    let connection = Connection::new(vec![ConnectionCredential::new(scheme, credential)]);
    let live = LiveConnection::builder(&connection)
        .base_url("https://api.example.com")
        .clock(Arc::new(ManualClock::at_unix_seconds(NOW)))
        .on_token_update(move |update| seen.lock().unwrap().push(update.clone()))
        .build()?;
    Ok(Fixture { live, updates })
}

fn fixture(scheme: AuthSchemeConfig, credential: Credential) -> Fixture {
    build(scheme, credential).unwrap_or_else(|e| panic!("{e}"))
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

fn basic_of(request: &http::Request<Vec<u8>>) -> Option<String> {
    let value = request.headers().get("authorization")?.to_str().ok()?;
    let decoded = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
    Some(String::from_utf8(decoded).unwrap())
}

// ---- clientAuthMethod --------------------------------------------------------------

#[test]
fn each_client_auth_method_sends_what_it_names() {
    let encoded = "s%2Be%2Fc%3Dr%25et+1";
    let cases: [(Option<&str>, Option<String>, bool); 4] = [
        // RFC 6749 §2.3.1 stays the default: id and secret form-encoded before Basic.
        (None, Some(format!("client+1:{encoded}")), false),
        (
            Some("basicRaw"),
            Some(format!("client 1:{TRICKY_SECRET}")),
            false,
        ),
        (
            Some("basicAndBody"),
            Some(format!("client+1:{encoded}")),
            true,
        ),
        (Some("body"), None, true),
    ];
    for (method, basic, in_body) in cases {
        let extra = method.map_or(json!({}), |m| json!({"clientAuthMethod": m}));
        let fixture = fixture(zoom_cc(extra), client("client 1", TRICKY_SECRET));
        let refresh = send_step(&fixture.live);
        let request = refresh.request();
        assert_eq!(basic_of(request), basic, "{method:?}");
        let body = form(request.body());
        let expected_body = in_body.then(|| ("client 1".to_owned(), TRICKY_SECRET.to_owned()));
        let sent_body = param(&body, "client_id").zip(param(&body, "client_secret"));
        assert_eq!(sent_body, expected_body, "{method:?}");
    }
}

#[test]
fn client_auth_methods_round_trip_and_unknown_ones_name_the_field() {
    for method in ["basic", "body", "basicRaw", "basicAndBody"] {
        let value = json!(method);
        let parsed: ClientAuthMethod = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(parsed).unwrap(), value);
    }
    let error = serde_json::from_value::<AuthSchemeConfig>(json!({"type": "oauth2", "oauth2": {
        "tokenUrl": "https://zoom.us/oauth/token", "clientAuthMethod": "basicraw",
        "grant": {"type": "clientCredentials", "clientCredentials": {}}}}))
    .unwrap_err()
    .to_string();
    assert!(error.contains("clientAuthMethod"), "{error}");
}

#[test]
fn basic_raw_refuses_a_client_id_it_cannot_send() {
    let error = build(
        zoom_cc(json!({"clientAuthMethod": "basicRaw"})),
        client("tenant:app", TRICKY_SECRET),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("client id") && error.contains("basicRaw"),
        "{error}"
    );
    assert!(!error.contains(TRICKY_SECRET));
    // The RFC form encodes the colon, so the default takes the same id.
    build(zoom_cc(json!({})), client("tenant:app", TRICKY_SECRET)).unwrap();
}

// ---- token request: grantType, tokenParamsLocation, refreshParams ---------------------

#[test]
fn zoom_account_credentials_grant_type() {
    // The catalog's `token_params`: grant_type=account_credentials, account_id=...
    let scheme = zoom_cc(json!({"grantType": "account_credentials",
        "additionalTokenParams": "account_id=acct-42"}));
    let fixture = fixture(scheme, client("client-1", "secret-1"));
    let body = form(send_step(&fixture.live).request().body());
    assert_eq!(
        body,
        [
            ("grant_type".to_owned(), "account_credentials".to_owned()),
            ("account_id".to_owned(), "acct-42".to_owned())
        ]
    );
}

#[test]
fn grant_type_leaves_refresh_requests_alone() {
    let scheme = code_scheme(
        "https://launchpad.37signals.com/authorization/new",
        "https://launchpad.37signals.com/authorization/token",
        json!({"grantType": "web_server"}),
    );
    let fixture = fixture(
        scheme,
        token_credential("old", Some("rt-1"), Some("2026-11-22T09:00:00Z")),
    );
    let body = form(send_step(&fixture.live).request().body());
    assert_eq!(param(&body, "grant_type").as_deref(), Some("refresh_token"));
    let fixture = fixture_code(json!({"grantType": "web_server"}));
    let body = form(send_step(&fixture.live).request().body());
    assert_eq!(param(&body, "grant_type").as_deref(), Some("web_server"));
}

fn fixture_code(extra: Value) -> Fixture {
    fixture(
        code_scheme(
            "https://launchpad.37signals.com/authorization/new",
            "https://launchpad.37signals.com/authorization/token",
            extra,
        ),
        code(),
    )
}

#[test]
fn a_bad_grant_type_is_refused_at_build_naming_the_field() {
    for bad in ["", " ", "account credentials", "a\nb"] {
        let error = build(
            zoom_cc(json!({"grantType": bad})),
            client("client-1", "secret-1"),
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("grantType "), "{bad:?}: {error}");
    }
}

#[test]
fn basecamp_refresh_params_go_with_refresh_requests_only() {
    // Basecamp (catalog `basecamp`): `token_params` type=web_server,
    // `refresh_params` type=refresh.
    let extra = json!({"additionalTokenParams": "type=web_server",
        "refreshParams": "type=refresh", "clientAuthMethod": "body"});
    let exchange = form(
        send_step(&fixture_code(extra.clone()).live)
            .request()
            .body(),
    );
    assert_eq!(param(&exchange, "type").as_deref(), Some("web_server"));

    let scheme = code_scheme(
        "https://launchpad.37signals.com/authorization/new",
        "https://launchpad.37signals.com/authorization/token",
        extra,
    );
    let fixture = fixture(
        scheme,
        token_credential("old", Some("rt-1"), Some("2026-11-22T09:00:00Z")),
    );
    let refresh = form(send_step(&fixture.live).request().body());
    assert_eq!(
        param(&refresh, "grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(param(&refresh, "type").as_deref(), Some("refresh"));
    assert_eq!(refresh.iter().filter(|(n, _)| n == "type").count(), 1);
}

#[test]
fn redacted_refresh_params_are_refused() {
    let error = build(
        zoom_cc(json!({"refreshParams": "type=******"})),
        client("client-1", "secret-1"),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("refreshParams"), "{error}");
}

#[test]
fn token_params_in_the_query() {
    let scheme = zoom_cc(
        json!({"tokenParamsLocation": "query", "clientAuthMethod": "body",
        "tokenUrl": "https://zoom.us/oauth/token?v=2"}),
    );
    let fixture = fixture(scheme, client("client 1", TRICKY_SECRET));
    let refresh = send_step(&fixture.live);
    let request = refresh.request();
    assert!(request.body().is_empty());
    assert!(request.headers().get("content-type").is_none());
    assert_eq!(request.uri().path(), "/oauth/token");
    let query = form(request.uri().query().unwrap().as_bytes());
    assert_eq!(param(&query, "v").as_deref(), Some("2"));
    assert_eq!(
        param(&query, "grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(
        param(&query, "client_secret").as_deref(),
        Some(TRICKY_SECRET)
    );
    // The secrets in the URL stay out of Debug.
    let debug = format!("{refresh:?}");
    assert!(
        !debug.contains("client_secret") && !debug.contains("s%2Be"),
        "{debug}"
    );
}

#[test]
fn new_fields_round_trip_through_serde() {
    let document = json!({"id": "o", "tokenUrl": "https://zoom.us/oauth/token",
        "scopes": [], "defaultScopes": [],
        "grant": {"type": "clientCredentials", "clientCredentials": {}},
        "clientAuthMethod": "basicAndBody", "grantType": "account_credentials",
        "tokenParamsLocation": "query", "refreshParams": "type=refresh",
        "accessTokenPath": "authed_user.access_token", "expiresInUnit": "milliseconds",
        "expiresInField": "expires", "tokenResponseValues": ["team.id", "id_token"]});
    let scheme: OAuth2Scheme = serde_json::from_value(document.clone()).unwrap();
    assert_eq!(scheme.grant_type.as_deref(), Some("account_credentials"));
    assert_eq!(scheme.token_params_location, TokenParamsLocation::Query);
    assert_eq!(scheme.expires_in_unit, ExpiresInUnit::Milliseconds);
    let back = credgate::to_json_with_secrets(&scheme).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&back).unwrap(), document);
    // The RFC defaults are not written out.
    let plain = OAuth2Scheme::client_credentials("https://zoom.us/oauth/token");
    let written = serde_json::to_value(&plain).unwrap();
    for field in [
        "grantType",
        "tokenParamsLocation",
        "refreshParams",
        "accessTokenPath",
        "expiresInUnit",
        "expiresInField",
        "tokenResponseValues",
    ] {
        assert!(written.get(field).is_none(), "{field}: {written}");
    }
    let built = OAuth2Scheme::client_credentials("https://zoom.us/oauth/token")
        .with_client_auth_method(ClientAuthMethod::BasicAndBody)
        .with_grant_type("account_credentials")
        .with_token_params_location(TokenParamsLocation::Query)
        .with_refresh_params("type=refresh")
        .with_access_token_path("authed_user.access_token")
        .with_expires_in_unit(ExpiresInUnit::Milliseconds)
        .with_expires_in_field("expires")
        .with_token_response_values(["team.id", "id_token"]);
    assert_eq!(built, scheme.with_id(""));
    let error = serde_json::from_value::<OAuth2Scheme>(json!({
        "tokenUrl": "https://zoom.us/oauth/token", "expiresInUnit": "minutes",
        "grant": {"type": "clientCredentials", "clientCredentials": {}}}))
    .unwrap_err()
    .to_string();
    assert!(error.contains("expiresInUnit"), "{error}");
}

// ---- token response data -----------------------------------------------------------

/// Slack's `oauth.v2.access` answer with a bot token and a user token.
const SLACK_ANSWER: &str = r#"{"ok": true, "access_token": "xoxb-bot", "token_type": "bot",
    "scope": "commands", "team": {"id": "T9TK3CUKW", "name": "Slack Softwares"},
    "enterprise": null, "is_enterprise_install": false,
    "authed_user": {"id": "U1234", "scope": "chat:write", "access_token": "xoxp-user",
        "token_type": "user", "refresh_token": "xoxe-1-user", "expires_in": 43200},
    "id_token": "eyJhbGciOi.payload.sig"}"#;

fn slack(extra: Value) -> AuthSchemeConfig {
    // Catalog `slack`: comma scope separator, client secret in the body.
    let mut fields = json!({"scopeSeparator": ",", "clientAuthMethod": "body"});
    for (name, value) in extra.as_object().unwrap() {
        fields[name] = value.clone();
    }
    code_scheme(
        "https://slack.com/oauth/v2/authorize",
        "https://slack.com/api/oauth.v2.access",
        fields,
    )
}

#[test]
fn slack_user_token_at_its_path_with_team_id_and_id_token_persisted() {
    let fixture = fixture(
        slack(json!({"accessTokenPath": "authed_user.access_token",
            "tokenResponseValues": ["team.id", "id_token", "authed_user.id", "enterprise.id"]})),
        code(),
    );
    let update = send_step(&fixture.live)
        .complete(json_response(200, SLACK_ANSWER))
        .unwrap();
    let credential = &update.credential;
    assert_eq!(credential.access_token.expose_secret(), "xoxp-user");
    assert_eq!(
        credential.refresh_token.as_ref().unwrap().expose_secret(),
        "xoxe-1-user"
    );
    assert_eq!(credential.scopes, ["chat:write"]);
    assert_eq!(
        credential.expires_at.as_deref(),
        Some("2026-11-22T22:00:00Z")
    );
    let values: Vec<(&str, &str)> = credential
        .response_values
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose_secret()))
        .collect();
    assert_eq!(
        values,
        [
            ("authed_user.id", "U1234"),
            ("id_token", "eyJhbGciOi.payload.sig"),
            ("team.id", "T9TK3CUKW")
        ]
    );
    // The hook saw the same credential; Debug and plain JSON keep the values out.
    let hooked = fixture.updates.lock().unwrap()[0].credential.clone();
    assert_eq!(&hooked, credential);
    let debug = format!("{credential:?}");
    assert!(
        !debug.contains("eyJhbGciOi") && !debug.contains("T9TK3"),
        "{debug}"
    );
    // Persisted with secrets, a stored credential reads back with them.
    let stored =
        credgate::to_json_with_secrets(&Credential::OAuth2Token(credential.clone())).unwrap();
    assert!(stored.contains(r#""responseValues":{"#), "{stored}");
    let Credential::OAuth2Token(read) = serde_json::from_str::<Credential>(&stored).unwrap() else {
        panic!("not a token credential");
    };
    assert_eq!(&read, credential);
    // The request carries the user token.
    assert_eq!(bearer(&fixture.live), "Bearer xoxp-user");
}

fn bearer(live: &LiveConnection) -> String {
    let mut request = api_request();
    live.authorize(&mut request).unwrap();
    request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn values_a_refresh_leaves_out_are_kept() {
    let scheme = slack(json!({"tokenResponseValues": ["team.id", "id_token"]}));
    let fixture = fixture(scheme, code());
    send_step(&fixture.live)
        .complete(json_response(200, SLACK_ANSWER))
        .unwrap();
    let stored = fixture.updates.lock().unwrap()[0].credential.clone();
    // A connection rebuilt from the stored credential, refreshed by an answer without
    // the team, keeps it; a value the answer does carry is replaced.
    let mut rebuilt = stored.clone();
    rebuilt.expires_at = Some("2026-11-22T09:00:00Z".to_owned());
    rebuilt.refresh_token = Some("rt-1".into());
    let fixture = fixture_from(
        slack(json!({"tokenResponseValues": ["team.id", "id_token"]})),
        Credential::OAuth2Token(rebuilt),
    );
    let update = send_step(&fixture.live)
        .complete(json_response(
            200,
            r#"{"access_token": "xoxb-2", "id_token": "new.id.token"}"#,
        ))
        .unwrap();
    let values = &update.credential.response_values;
    assert_eq!(values["team.id"].expose_secret(), "T9TK3CUKW");
    assert_eq!(values["id_token"].expose_secret(), "new.id.token");
}

fn fixture_from(scheme: AuthSchemeConfig, credential: Credential) -> Fixture {
    fixture(scheme, credential)
}

#[test]
fn without_the_path_in_the_answer_the_top_level_token_is_used() {
    let fixture = fixture(
        slack(json!({"accessTokenPath": "authed_user.access_token"})),
        code(),
    );
    let update = send_step(&fixture.live)
        .complete(json_response(
            200,
            r#"{"ok": true, "access_token": "xoxp-rotated", "expires_in": 60}"#,
        ))
        .unwrap();
    assert_eq!(
        update.credential.access_token.expose_secret(),
        "xoxp-rotated"
    );
}

#[test]
fn bad_response_paths_are_refused_naming_the_field() {
    for (field, value) in [
        ("accessTokenPath", json!("authed_user..access_token")),
        ("accessTokenPath", json!("")),
        ("expiresInField", json!("expires in")),
        ("tokenResponseValues", json!(["team.id", "team."])),
    ] {
        let error = build(
            zoom_cc(json!({field: value})),
            client("client-1", "secret-1"),
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with(field), "{field}: {error}");
    }
}

#[test]
fn fiserv_answers_in_milliseconds() {
    // Catalog `fiserv`: client credentials, Basic, `expires_in_unit: milliseconds`.
    let scheme = scheme_json(
        json!({"id": "fiserv", "tokenUrl": "https://cert.api.fiservapps.com/fts-apim/oauth2/v2",
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}),
        json!({"expiresInUnit": "milliseconds"}),
    );
    let fixture = fixture(scheme, client("client-1", "secret-1"));
    let update = send_step(&fixture.live)
        .complete(json_response(
            200,
            r#"{"access_token": "f-1", "expires_in": 3600000}"#,
        ))
        .unwrap();
    assert_eq!(
        update.credential.expires_at.as_deref(),
        Some("2026-11-22T11:00:00Z")
    );
    // Seconds stay the default.
    let fixture = fixture_plain_cc();
    let update = send_step(&fixture.live)
        .complete(json_response(
            200,
            r#"{"access_token": "f-1", "expires_in": 3600}"#,
        ))
        .unwrap();
    assert_eq!(
        update.credential.expires_at.as_deref(),
        Some("2026-11-22T11:00:00Z")
    );
}

fn fixture_plain_cc() -> Fixture {
    fixture(zoom_cc(json!({})), client("client-1", "secret-1"))
}

#[test]
fn facebook_legacy_expires_field() {
    // Catalog `facebook`: the legacy answer is a form with `expires`.
    let scheme = code_scheme(
        "https://www.facebook.com/v22.0/dialog/oauth",
        "https://graph.facebook.com/v22.0/oauth/access_token",
        json!({"expiresInField": "expires"}),
    );
    let fixture = fixture(scheme, code());
    let response = Response::builder()
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"access_token=fb-1&expires=5183999".to_vec())
        .unwrap();
    let update = send_step(&fixture.live).complete(response).unwrap();
    assert_eq!(
        update.credential.expires_at.as_deref(),
        Some("2027-01-21T09:59:59Z")
    );
}

// ---- end to end on a loopback HTTP server --------------------------------------------

/// A token endpoint on 127.0.0.1 that accepts only what Zoom's server-to-server app sends
/// with `basicRaw`: raw `Basic base64(id:secret)`, `grant_type=account_credentials` and
/// `account_id` in the query; it answers Fiserv-style, the lifetime in milliseconds and
/// the token nested. Serves one request, then stops.
#[test]
fn raw_basic_query_params_and_nested_token_over_loopback_http() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let handle = std::thread::spawn(move || {
        let Ok(Some(request)) = server.recv_timeout(std::time::Duration::from_secs(20)) else {
            return None;
        };
        let authorization = request
            .headers()
            .iter()
            .find(|h| {
                h.field
                    .as_str()
                    .as_str()
                    .eq_ignore_ascii_case("authorization")
            })
            .map(|h| h.value.as_str().to_owned());
        let url = request.url().to_owned();
        let expected = format!(
            "Basic {}",
            STANDARD.encode(format!("client-1:{TRICKY_SECRET}"))
        );
        let ok = authorization.as_deref() == Some(expected.as_str())
            && url == "/oauth/token?grant_type=account_credentials&account_id=acct-42";
        let (status, body) = if ok {
            (
                200,
                r#"{"data": {"token": "zoom-1"}, "expires_in": 3600000, "account": {"id": "acct-42"}}"#,
            )
        } else {
            (401, r#"{"error": "invalid_client"}"#)
        };
        let response = tiny_http::Response::from_string(body)
            .with_status_code(status)
            .with_header(
                "Content-Type: application/json"
                    .parse::<tiny_http::Header>()
                    .unwrap(),
            );
        let _ = request.respond(response);
        Some((authorization, url))
    });
    let scheme = zoom_cc(
        json!({"tokenUrl": format!("http://127.0.0.1:{port}/oauth/token"),
        "clientAuthMethod": "basicRaw", "grantType": "account_credentials",
        "additionalTokenParams": "account_id=acct-42", "tokenParamsLocation": "query",
        "accessTokenPath": "data.token", "expiresInUnit": "milliseconds",
        "tokenResponseValues": ["account.id"]}),
    );
    let fixture = fixture(scheme, client("client-1", TRICKY_SECRET));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent();
    let mut request = api_request();
    let result = fixture.live.authorize_with(&mut request, |token_request| {
        let (parts, mut body) = agent.run(token_request)?.into_parts();
        Ok::<_, ureq::Error>(Response::from_parts(parts, body.read_to_vec()?))
    });
    let seen = handle.join().unwrap();
    if let Err(error) = result {
        panic!("{error}; the server saw {seen:?}");
    }
    assert!(seen.is_some(), "no token request arrived");
    assert_eq!(request.headers()["authorization"], "Bearer zoom-1");
    let update = fixture.updates.lock().unwrap()[0].credential.clone();
    assert_eq!(update.expires_at.as_deref(), Some("2026-11-22T11:00:00Z"));
    assert_eq!(
        update.response_values["account.id"].expose_secret(),
        "acct-42"
    );
}

#[test]
fn amazon_sp_api_code_arrives_as_spapi_oauth_code() {
    use credgate::auth::oauth2::AuthorizationRequest;
    // Catalog `amazon-selling-partner`: the code comes back as `spapi_oauth_code`.
    let AuthSchemeConfig::OAuth2(scheme) = code_scheme(
        "https://sellercentral.amazon.com/apps/authorize/consent",
        "https://api.amazon.com/auth/o2/token",
        json!({"callbackCodeParam": "spapi_oauth_code"}),
    ) else {
        panic!("not oauth2");
    };
    let request = AuthorizationRequest::new(
        &scheme,
        "https://app.example.com/cb",
        &[],
        &credgate::OsRandom,
    )
    .unwrap();
    let stored: AuthorizationRequest =
        serde_json::from_str(&credgate::to_json_with_secrets(&request).unwrap()).unwrap();
    let redirect = format!(
        "https://app.example.com/cb?spapi_oauth_code=amzn-1&state={}&selling_partner_id=A1",
        request.state
    );
    assert_eq!(
        stored.callback(&redirect).unwrap().code.expose_secret(),
        "amzn-1"
    );
    let plain = format!(
        "https://app.example.com/cb?code=amzn-1&state={}",
        request.state
    );
    assert!(stored.callback(&plain).is_err());
}

// ---- authorize URL: authorizeParamNames, responseType, literal `+` ------------------

/// The authorize URL's query pairs of `scheme` (`scopes` requested), and the request.
fn authorize_pairs(
    scheme: &AuthSchemeConfig,
    scopes: &[&str],
) -> Result<
    (
        Vec<(String, String)>,
        credgate::auth::oauth2::AuthorizationRequest,
    ),
    BuildError,
> {
    let AuthSchemeConfig::OAuth2(scheme) = scheme else {
        panic!("not oauth2");
    };
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let request = credgate::auth::oauth2::AuthorizationRequest::new(
        scheme,
        "https://app.example.com/cb",
        &scopes,
        &credgate::OsRandom,
    )?;
    let url = url::Url::parse(&request.url).unwrap();
    Ok((url.query_pairs().into_owned().collect(), request))
}

fn names(pairs: &[(String, String)]) -> Vec<&str> {
    pairs.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn renamed_authorize_parameters_are_sent_under_the_providers_names() {
    // Catalog `tiktok-personal` (client_id → client_key), `printful` (redirect_uri →
    // redirect_url), `monday` (response_type left out).
    let tiktok = code_scheme(
        "https://www.tiktok.com/v2/auth/authorize/",
        "https://open.tiktokapis.com/v2/oauth/token/",
        json!({"scopeSeparator": ",", "clientAuthMethod": "body",
            "authorizeParamNames": {"client_id": "client_key"}}),
    );
    let (pairs, _) = authorize_pairs(&tiktok, &["user.info.basic", "video.list"]).unwrap();
    assert_eq!(
        names(&pairs),
        [
            "response_type",
            "client_key",
            "redirect_uri",
            "scope",
            "state"
        ]
    );
    assert_eq!(param(&pairs, "client_key").as_deref(), Some("app-1"));
    assert_eq!(
        param(&pairs, "scope").as_deref(),
        Some("user.info.basic,video.list")
    );
    let printful = code_scheme(
        "https://www.printful.com/oauth/authorize",
        "https://www.printful.com/oauth/token",
        json!({"authorizeParamNames": {"redirect_uri": "redirect_url"}}),
    );
    let (pairs, _) = authorize_pairs(&printful, &[]).unwrap();
    assert_eq!(
        param(&pairs, "redirect_url").as_deref(),
        Some("https://app.example.com/cb")
    );
    assert_eq!(param(&pairs, "redirect_uri"), None);
    let monday = code_scheme(
        "https://auth.monday.com/oauth2/authorize",
        "https://auth.monday.com/oauth2/token",
        json!({"authorizeParamNames": {"response_type": ""},
            "additionalAuthorizeParams": "force_install_if_needed=true"}),
    );
    let (pairs, _) = authorize_pairs(&monday, &[]).unwrap();
    assert_eq!(
        names(&pairs),
        [
            "client_id",
            "redirect_uri",
            "state",
            "force_install_if_needed"
        ]
    );
    // The token exchange is unchanged by the authorize names.
    let fixture = fixture(tiktok, code());
    let body = form(send_step(&fixture.live).request().body());
    assert_eq!(param(&body, "client_id").as_deref(), Some("app-1"));
}

#[test]
fn a_renamed_state_is_read_back_under_its_name() {
    // Catalog `shopline-oauth`: state → customField, and the rest in camelCase; PKCE's
    // challenge renamed too.
    let shopline = code_scheme(
        "https://acme.myshopline.com/admin/oauth-web/",
        "https://acme.myshopline.com/admin/oauth/token/create",
        json!({"pkce": true, "authorizeParamNames": {"response_type": "responseType",
            "client_id": "appKey", "redirect_uri": "redirectUri", "state": "customField",
            "code_challenge": "codeChallenge"}}),
    );
    let (pairs, request) = authorize_pairs(&shopline, &[]).unwrap();
    assert_eq!(
        names(&pairs),
        [
            "responseType",
            "appKey",
            "redirectUri",
            "customField",
            "codeChallenge",
            "code_challenge_method"
        ]
    );
    assert_eq!(param(&pairs, "customField"), Some(request.state.clone()));
    let stored: credgate::auth::oauth2::AuthorizationRequest =
        serde_json::from_str(&credgate::to_json_with_secrets(&request).unwrap()).unwrap();
    let back = format!("?code=c-1&customField={}", request.state);
    assert_eq!(stored.callback(&back).unwrap().code.expose_secret(), "c-1");
    let under_state = format!("?code=c-1&state={}", request.state);
    assert!(stored.callback(&under_state).is_err());
}

#[test]
fn response_type_overrides_code() {
    // Catalog `datev` (`code id_token`) and `followupboss` (`auth_code`).
    for (authorize, token, response_type) in [
        (
            "https://login.datev.de/openid/authorize",
            "https://api.datev.de/token",
            "code id_token",
        ),
        (
            "https://app.followupboss.com/oauth/authorize",
            "https://app.followupboss.com/oauth/token",
            "auth_code",
        ),
    ] {
        let scheme = code_scheme(authorize, token, json!({"responseType": response_type}));
        let (pairs, _) = authorize_pairs(&scheme, &[]).unwrap();
        assert_eq!(
            param(&pairs, "response_type").as_deref(),
            Some(response_type)
        );
    }
}

#[test]
fn bad_authorize_names_and_response_types_are_refused_at_build_naming_the_field() {
    let cases = [
        (
            json!({"authorizeParamNames": {"clientid": "client_key"}}),
            "authorizeParamNames",
        ),
        (
            json!({"authorizeParamNames": {"client_id": "state"}}),
            "authorizeParamNames",
        ),
        (
            json!({"authorizeParamNames": {"client_id": ""}}),
            "authorizeParamNames",
        ),
        (
            json!({"authorizeParamNames": {"state": ""}}),
            "authorizeParamNames",
        ),
        (
            json!({"authorizeParamNames": {"scope": "a b"}}),
            "authorizeParamNames",
        ),
        (json!({"responseType": " "}), "responseType"),
        (json!({"responseType": "code\n"}), "responseType"),
    ];
    for (extra, field) in cases {
        let scheme = code_scheme(
            "https://auth.example.com/authorize",
            "https://auth.example.com/token",
            extra.clone(),
        );
        let error = build(scheme.clone(), code()).unwrap_err().to_string();
        assert!(error.starts_with(field), "{extra}: {error}");
        let error = authorize_pairs(&scheme, &[]).unwrap_err().to_string();
        assert!(error.starts_with(field), "{extra}: {error}");
    }
}

#[test]
fn plus_scope_separator_sends_a_raw_plus_and_a_space_is_written_percent_20() {
    // Catalog `pennylane`, `attio-mcp` and `workable-oauth`: scopes joined by a `+` left
    // unencoded (Nango skips encoding their scopes: `%2B` is refused).
    let pennylane = |separator: &str| {
        code_scheme(
            "https://app.pennylane.com/oauth/authorize",
            "https://app.pennylane.com/oauth/token",
            json!({"scopeSeparator": separator}),
        )
    };
    let (pairs, request) = authorize_pairs(
        &pennylane("+"),
        &["accounting", "customer_invoices:readonly"],
    )
    .unwrap();
    // A form decoder reads the raw `+` as a space, as RFC 6749 §3.3 delimits scopes.
    assert_eq!(
        param(&pairs, "scope").as_deref(),
        Some("accounting customer_invoices:readonly")
    );
    assert!(
        request
            .url
            .contains("scope=accounting+customer_invoices%3Areadonly&"),
        "{}",
        request.url
    );
    let (pairs, request) = authorize_pairs(
        &pennylane(" "),
        &["accounting", "customer_invoices:readonly"],
    )
    .unwrap();
    assert_eq!(
        param(&pairs, "scope").as_deref(),
        Some("accounting customer_invoices:readonly")
    );
    assert!(
        request.url.contains("scope=accounting%20customer"),
        "{}",
        request.url
    );
    // Client credentials send the same raw `+` in the token request's form body.
    let fixture = fixture(
        zoom_cc(json!({"scopeSeparator": "+", "defaultScopes": ["a", "b"]})),
        client("client-1", "secret-1"),
    );
    let request = send_step(&fixture.live);
    let body = std::str::from_utf8(request.request().body())
        .unwrap()
        .to_owned();
    assert!(body.contains("scope=a+b"), "{body}");
}

#[test]
fn new_authorize_and_response_fields_round_trip_through_serde() {
    let scheme = code_scheme(
        "https://a.example.com/authorize",
        "https://a.example.com/token",
        json!({"authorizeParamNames": {"client_id": "client_key", "response_type": ""},
            "responseType": "code id_token", "scopeSeparator": "+",
            "baseUrlFromResponse": "instance_url", "tokenResponseValues": ["team.id"]}),
    );
    let text = credgate::to_json_with_secrets(&scheme).unwrap();
    for field in [
        r#""authorizeParamNames":{"client_id":"client_key","response_type":""}"#,
        r#""responseType":"code id_token""#,
        r#""scopeSeparator":"+""#,
        r#""baseUrlFromResponse":"instance_url""#,
    ] {
        assert!(text.contains(field), "{text}");
    }
    assert_eq!(
        serde_json::from_str::<AuthSchemeConfig>(&text).unwrap(),
        scheme
    );
    let AuthSchemeConfig::OAuth2(built) = &scheme else {
        panic!("not oauth2");
    };
    let by_hand = OAuth2Scheme::authorization_code(
        "https://a.example.com/authorize",
        "https://a.example.com/token",
        "app-1",
        Some("app-secret-1".into()),
    )
    .with_id("o")
    .with_authorize_param_name("client_id", "client_key")
    .with_authorize_param_name("response_type", "")
    .with_response_type("code id_token")
    .with_base_url_from_response("instance_url")
    .with_token_response_values(["team.id"]);
    assert_eq!(by_hand.authorize_param_names, built.authorize_param_names);
    assert_eq!(by_hand.response_type, built.response_type);
    assert_eq!(by_hand.base_url_from_response, built.base_url_from_response);
}
