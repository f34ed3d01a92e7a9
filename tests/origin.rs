//! Credentials stay on their origin, and writing headers never panics (issue 13, items 1,
//! 2, 5, 9 and 17): through the public API only, many cases of each class.

use credgate::{
    ApiKeyScheme, AuthError, AuthSchemeConfig, BuildError, ConnectionTemplate, Credential,
    KeyLocation, LiveConnection,
};
use http::Request;
use proptest::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Every header that routes or frames a request, in the spellings a template might use.
const RESERVED: [&str; 9] = [
    "Host",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Upgrade",
    "TE",
    "Trailer",
    "Keep-Alive",
    "Proxy-Connection",
];

fn spellings(name: &str) -> [String; 3] {
    [
        name.to_owned(),
        name.to_ascii_lowercase(),
        name.to_ascii_uppercase(),
    ]
}

fn api_key_template(base: &str, schemes: Vec<ApiKeyScheme>) -> ConnectionTemplate {
    ConnectionTemplate::new(
        "api",
        base,
        schemes.into_iter().map(AuthSchemeConfig::ApiKey).collect(),
    )
}

fn api_key_live() -> LiveConnection {
    let template = api_key_template(
        "https://api.example.com/v1",
        vec![ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header)],
    );
    template
        .connect(vec![Credential::api_key("k-1")])
        .and_then(|c| c.build(&template))
        .expect("connection builds")
}

fn hmac_template(hmac: &str) -> ConnectionTemplate {
    serde_json::from_str(&format!(
        r#"{{"name": "partner", "templateBaseUrl": "https://hooks.partner.example/in",
            "authSchemeConfigs": [
              {{"type": "api-key", "apiKey": {{"id": "key", "name": "X-API-Key", "in": "header"}}}},
              {{"type": "hmac", "hmac": {hmac}}}]}}"#
    ))
    .expect("valid template")
}

fn get(uri: &str) -> Request<Vec<u8>> {
    Request::get(uri).body(Vec::new()).expect("valid request")
}

// ---- 1 and 17: one rule for every header name a template makes credgate write ----------

#[test]
fn reserved_headers_cannot_carry_a_key_and_the_error_says_why() {
    for reserved in RESERVED {
        for name in spellings(reserved) {
            let template = api_key_template(
                "https://api.example.com",
                vec![ApiKeyScheme::new("k", &name, KeyLocation::Header)],
            );
            let err = template
                .connect(vec![Credential::api_key("k-1")])
                .and_then(|c| c.build(&template))
                .unwrap_err();
            assert!(
                matches!(&err, BuildError::ReservedHeader { name: n, .. } if *n == name),
                "{name}: {err}"
            );
            let message = err.to_string();
            assert!(message.contains("is a valid header name"), "{message}");
            assert!(!message.contains("not a valid header name"), "{message}");
            assert!(message.contains("choose another header"), "{message}");
            assert!(!message.contains("k-1"), "{message}");
        }
    }
}

#[test]
fn an_hmac_timestamp_or_signature_header_obeys_the_same_rule() {
    for reserved in RESERVED {
        for name in spellings(reserved) {
            let timestamp = hmac_template(&format!(
                r#"{{"id": "sig", "algorithm": "sha256", "digestInputs": ["body"],
                    "encoding": "hex", "in": "header", "name": "X-Signature", "message": ["timestamp", "body"],
                    "timestamp": {{"from": {{"header": "{name}"}}, "unit": "seconds"}}}}"#
            ));
            let signature = hmac_template(&format!(
                r#"{{"id": "sig", "algorithm": "sha256", "digestInputs": ["body"],
                    "encoding": "hex", "in": "header", "name": "{name}"}}"#
            ));
            for template in [timestamp, signature] {
                let err = template
                    .connect(vec![
                        Credential::api_key("k-1"),
                        Credential::api_key("s3cret"),
                    ])
                    .and_then(|c| c.build(&template))
                    .unwrap_err();
                assert!(
                    matches!(&err, BuildError::ReservedHeader { .. }),
                    "{name}: {err}"
                );
            }
        }
    }
    // An ordinary timestamp header is still written.
    let template = hmac_template(
        r#"{"id": "sig", "algorithm": "sha256", "digestInputs": ["body"],
            "encoding": "hex", "in": "header", "name": "X-Signature", "message": ["timestamp", "body"],
            "timestamp": {"from": {"header": "X-Timestamp"}, "unit": "seconds"}}"#,
    );
    let live = template
        .connect(vec![
            Credential::api_key("k-1"),
            Credential::api_key("s3cret"),
        ])
        .and_then(|c| c.build(&template))
        .expect("builds");
    let mut request = Request::post("/x").body(b"{}".to_vec()).expect("request");
    live.authorize(&mut request).expect("signs");
    assert!(request.headers().contains_key("x-timestamp"));
    assert!(!request.headers().contains_key("host"));
}

// ---- 2: dot segments however the separator or the dot is spelled -----------------------

fn assert_refused(live: &LiveConnection, uri: &str) {
    let Ok(mut request) = Request::get(uri).body(Vec::<u8>::new()) else {
        return; // http itself refuses the URI: nothing to authorize.
    };
    let err = live.authorize(&mut request).unwrap_err();
    assert!(
        matches!(err, AuthError::UnsupportedUri { .. }),
        "{uri}: {err}"
    );
    assert_eq!(request.uri(), uri);
    assert!(request.headers().is_empty(), "{uri}");
}

#[test]
fn dot_segments_spelled_with_a_backslash_or_encoded_are_refused() {
    let live = api_key_live();
    for uri in [
        "/..\\admin",
        "/.\\x",
        "/v2/..\\admin",
        "/a\\..\\..\\admin",
        "/..%5Cadmin",
        "/..%5cadmin",
        "/%2e%2e%5cadmin",
        "/%2E%2e%5Cadmin",
        "/.%2E%5Cadmin",
        "/a%5c..%5cadmin",
        "/a%5C.",
        "/..%2fadmin",
        "/%2e%2e%2Fadmin",
        "/x/\\..",
    ] {
        assert_refused(&live, uri);
    }
    for uri in ["/a\\b", "/a%5cb", "/..a\\b", "/%2e%2ex", "/a%2fb"] {
        let mut request = get(uri);
        live.authorize(&mut request).expect(uri);
        assert!(request.headers().contains_key("x-api-key"), "{uri}");
    }
}

fn dot() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(".".to_owned()),
        Just("%2e".to_owned()),
        Just("%2E".to_owned())
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("/"),
        Just("\\"),
        Just("%5c"),
        Just("%5C"),
        Just("%2f"),
        Just("%2F")
    ]
}

proptest! {
    #[test]
    fn any_spelling_of_a_dot_segment_is_refused(
        prefix in "[a-z]{0,4}",
        first in dot(),
        second in proptest::option::of(dot()),
        before in separator(),
        after in separator(),
        rest in "[a-z]{0,4}",
    ) {
        let live = api_key_live();
        let segment = format!("{first}{}", second.unwrap_or_default());
        let uri = if prefix.is_empty() {
            format!("/{segment}{after}{rest}")
        } else {
            format!("/{prefix}{before}{segment}{after}{rest}")
        };
        assert_refused(&live, &uri);
    }
}

// ---- 5: control characters in a base URL -----------------------------------------------

#[test]
fn a_base_url_holding_a_control_character_is_refused_anywhere() {
    let controls = (0u8..0x20)
        .chain([0x7f])
        .map(char::from)
        .chain(['\u{85}', '\u{9f}']);
    for control in controls {
        for base in [
            format!("https://api.example.com/{control}x"),
            format!("https://api.example.com/v1{control}"),
            format!("{control}https://api.example.com"),
            format!("https://api.exa{control}mple.com/v1"),
            format!("https://api.example.com{control}/v1"),
            format!("api.example.com/v1/{control}"),
        ] {
            let template = api_key_template(
                &base,
                vec![ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header)],
            );
            let err = template
                .connect(vec![Credential::api_key("k-1")])
                .and_then(|c| c.build(&template))
                .unwrap_err();
            assert!(
                matches!(err, BuildError::InvalidBaseUrl { .. }),
                "{base:?}: {err}"
            );
            assert!(err.to_string().contains("control character"), "{err}");
            // The same URL as a connection's override.
            let good = api_key_template(
                "https://api.example.com/v1",
                vec![ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header)],
            );
            let mut connection = good.connect(vec![Credential::api_key("k-1")]).expect("ok");
            connection.base_url = Some(base.clone());
            let err = connection.build(&good).unwrap_err();
            assert!(
                matches!(err, BuildError::InvalidBaseUrl { .. }),
                "override {base:?}: {err}"
            );
        }
    }
}

// ---- 9: a full header map is an error, never a panic ------------------------------------

/// A request whose header map holds as many headers as `http` allows.
fn full_request() -> Request<Vec<u8>> {
    let mut request = Request::post("https://api.example.com/v1/x")
        .body(b"{}".to_vec())
        .expect("request");
    let headers = request.headers_mut();
    for i in 0.. {
        let name = http::HeaderName::try_from(format!("x-filler-{i}")).expect("name");
        if headers
            .try_append(name, http::HeaderValue::from_static("v"))
            .is_err()
        {
            break;
        }
    }
    request
}

#[test]
fn authorize_on_a_full_header_map_fails_and_leaves_the_request_unchanged() -> TestResult {
    let base = "https://api.example.com/v1";
    let schemes: Vec<(ConnectionTemplate, Vec<Credential>)> = vec![
        (
            api_key_template(
                base,
                vec![ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header)],
            ),
            vec![Credential::api_key("k-1")],
        ),
        (
            api_key_template(
                base,
                vec![ApiKeyScheme::new("k", "session", KeyLocation::Cookie)],
            ),
            vec![Credential::api_key("k-1")],
        ),
        (
            serde_json::from_str(&format!(
                r#"{{"name": "b", "templateBaseUrl": "{base}",
                    "authSchemeConfigs": [{{"type": "basic-auth", "basicAuth": {{"id": "b"}}}}]}}"#
            ))?,
            vec![Credential::basic_auth("user", "pass")],
        ),
        (
            serde_json::from_str(&format!(
                r#"{{"name": "h", "templateBaseUrl": "{base}",
                    "authSchemeConfigs": [{{"type": "hmac", "hmac":
                      {{"id": "sig", "algorithm": "sha256", "digestInputs": ["body"],
                        "encoding": "hex", "in": "header", "name": "X-Signature", "message": ["timestamp", "body"],
                        "timestamp": {{"from": {{"header": "X-Timestamp"}}, "unit": "seconds"}}}}}}]}}"#
            ))?,
            vec![Credential::api_key("s3cret")],
        ),
        (
            api_key_template(
                base,
                vec![
                    ApiKeyScheme::new("q", "key", KeyLocation::Query),
                    ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header),
                ],
            ),
            vec![Credential::api_key("k-1"), Credential::api_key("k-2")],
        ),
    ];
    for (template, credentials) in schemes {
        let live = template.connect(credentials)?.build(&template)?;
        for uri in ["https://api.example.com/v1/x", "/x"] {
            let mut request = full_request();
            *request.uri_mut() = uri.parse()?;
            let before = request.headers().len();
            let err = live.authorize(&mut request).unwrap_err();
            assert!(
                matches!(err, AuthError::TooManyHeaders),
                "{}: {err}",
                template.name
            );
            assert_eq!(request.headers().len(), before);
            assert_eq!(request.uri(), uri);
            assert!(!request.headers().contains_key("x-api-key"));
            assert!(!request.headers().contains_key("x-timestamp"));
        }
    }
    Ok(())
}

#[test]
fn tens_of_thousands_of_header_credentials_fail_cleanly() -> TestResult {
    let n = 30_000;
    let template = api_key_template(
        "https://api.example.com/v1",
        (0..n)
            .map(|i| ApiKeyScheme::new(format!("k{i}"), format!("x-key-{i}"), KeyLocation::Header))
            .collect(),
    );
    let live = template
        .connect(
            (0..n)
                .map(|i| Credential::api_key(format!("k-{i}")))
                .collect(),
        )?
        .build(&template)?;
    let mut request = get("https://api.example.com/v1/x");
    let err = live.authorize(&mut request).unwrap_err();
    assert!(matches!(err, AuthError::TooManyHeaders), "{err}");
    assert!(request.headers().is_empty());
    Ok(())
}

// ---- 4: clear-text http only to loopback, or with allowInsecureHttp --------------------

fn build_base(base: &str, own: Option<&str>, insecure: bool) -> Result<String, BuildError> {
    let mut template = api_key_template(
        base,
        vec![ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header)],
    );
    template.allow_insecure_http = insecure;
    template.allow_any_base_url = own.is_some();
    let mut connection = template.connect(vec![Credential::api_key("k-1")])?;
    connection.base_url = own.map(str::to_owned);
    Ok(connection.build(&template)?.base_url().to_owned())
}

#[test]
fn clear_text_http_needs_loopback_or_allow_insecure_http() {
    for host in [
        "api.example.com",
        "API.Example.com:8080",
        "10.0.0.1",
        "169.254.169.254",
        "[2001:db8::1]",
        "localhost.example.com",
        "128.0.0.1",
    ] {
        let base = format!("http://{host}/v1");
        let err = build_base(&base, None, false).unwrap_err();
        assert!(
            matches!(err, BuildError::InvalidBaseUrl { .. }),
            "{base}: {err}"
        );
        assert!(err.to_string().contains("allowInsecureHttp"), "{err}");
        // The same as an override of an https template.
        let err = build_base("https://api.example.com/v1", Some(&base), false).unwrap_err();
        assert!(matches!(err, BuildError::InvalidBaseUrl { .. }), "{base}");
        // Opting in restores the old behaviour.
        assert!(build_base(&base, None, true).is_ok(), "{base}");
        assert!(build_base("https://api.example.com/v1", Some(&base), true).is_ok());
    }
    for host in [
        "127.0.0.1",
        "127.1.2.3:8080",
        "[::1]",
        "[::1]:9000",
        "localhost",
        "LocalHost:3000",
        "api.localhost",
    ] {
        let base = format!("http://{host}/v1");
        assert!(build_base(&base, None, false).is_ok(), "{base}");
    }
}

#[test]
fn allow_insecure_http_is_a_documented_camel_case_field() -> TestResult {
    let template: ConnectionTemplate = serde_json::from_str(
        r#"{"name": "a", "templateBaseUrl": "http://api.example.com", "allowInsecureHttp": true}"#,
    )?;
    assert!(template.allow_insecure_http);
    assert!(serde_json::to_string(&template)?.contains("\"allowInsecureHttp\":true"));
    let plain = ConnectionTemplate::new("a", "https://api.example.com", vec![]);
    assert!(!serde_json::to_string(&plain)?.contains("allowInsecureHttp"));
    Ok(())
}

// ---- 17: an empty token URL says it is empty -------------------------------------------

#[test]
fn an_empty_token_url_is_named_empty() {
    for url in ["", " ", "   "] {
        let scheme: AuthSchemeConfig = serde_json::from_value(serde_json::json!({"type": "oauth2",
            "oauth2": {"tokenUrl": url, "grant": {"type": "clientCredentials"}}}))
        .expect("scheme loads");
        let template = ConnectionTemplate::new("o", "https://api.example.com", vec![scheme]);
        let credential: Credential = serde_json::from_value(serde_json::json!(
            {"type": "oauth2-client", "data": {"oauth2Client": {"clientId": "id", "clientSecret": "s"}}}
        ))
        .expect("credential loads");
        let err = template
            .connect(vec![credential])
            .and_then(|c| c.build(&template))
            .unwrap_err()
            .to_string();
        assert!(err.contains("token URL is empty"), "{url:?}: {err}");
        assert!(!err.contains("absolute URL"), "{err}");
    }
}
