//! Property tests: arbitrary strings through construction and `authorize` never panic,
//! never leak a key into an error, and leave the request unchanged on error.

use credgate::{ApiKeyScheme, AuthSchemeConfig, ConnectionTemplate, Credential, KeyLocation};
use proptest::prelude::*;

fn location() -> impl Strategy<Value = KeyLocation> {
    prop_oneof![
        Just(KeyLocation::Header),
        Just(KeyLocation::Query),
        Just(KeyLocation::Cookie)
    ]
}

fn request_uri() -> impl Strategy<Value = String> {
    prop_oneof![
        "/[a-z/]{0,12}(\\?[a-z%0-9=&+]{0,20})?",
        "https://api\\.example\\.com(:443)?/[a-zA-Z0-9%/]{0,12}(\\?[ -~]{0,20})?",
        "https?://[a-z.]{1,20}(:[0-9]{1,5})?/[a-z]{0,5}",
        "[ -~]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_api_keys_never_panic_or_leak(
        name in "[ -~]{0,12}|\\PC{0,8}",
        key in "[a-zA-Z0-9]{6}\\PC{0,16}|[\\x00-\\x7f]{0,16}",
        template in proptest::option::of("[ -~]{0,8}(\\{key\\})?[ -~]{0,8}"),
        location in location(),
        uri in request_uri(),
        existing_cookie in proptest::option::of("[!-~]{0,20}"),
    ) {
        let mut scheme = ApiKeyScheme::new("k", name, location);
        scheme.value_template = template;
        let template = ConnectionTemplate::new(
            "api",
            "https://api.example.com",
            vec![AuthSchemeConfig::ApiKey(scheme)],
        );
        let built = template
            .connect(vec![Credential::api_key(key.as_str())])
            .and_then(|c| c.build(&template));
        let live = match built {
            Ok(live) => live,
            Err(err) => {
                if key.len() >= 6 {
                    prop_assert!(!err.to_string().contains(&key));
                }
                return Ok(());
            }
        };
        let Ok(mut request) = http::Request::get(uri.as_str()).body(Vec::new()) else {
            return Ok(());
        };
        if let Some(cookie) = existing_cookie.and_then(|c| http::HeaderValue::from_str(&c).ok()) {
            request.headers_mut().insert(http::header::COOKIE, cookie);
        }
        let before = format!("{request:?}");
        match live.authorize(&mut request) {
            Ok(()) => {
                prop_assert_eq!(request.uri().host(), Some("api.example.com"));
                let shown = live.redacted(&request).to_string();
                if key.len() >= 6 && !key.contains(|c: char| c.is_whitespace()) {
                    prop_assert!(!shown.contains(&key), "{}", shown);
                }
            }
            Err(err) => {
                prop_assert_eq!(format!("{request:?}"), before);
                if key.len() >= 6 {
                    prop_assert!(!err.to_string().contains(&key));
                }
            }
        }
    }

    #[test]
    fn arbitrary_basic_credentials_never_panic_and_round_trip(
        user in "\\PC{0,16}",
        password in "\\PC{0,16}",
    ) {
        use base64::Engine as _;
        let Ok(basic) = credgate::auth::Basic::new(&user, &credgate::Secret::new(password.as_str())) else {
            prop_assert!(user.contains(':') || user.chars().chain(password.chars()).any(char::is_control));
            return Ok(());
        };
        let mut request = http::Request::get("https://example.com/").body(()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        credgate::auth::Authenticator::authorize(&basic, &mut request).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let header = request.headers()["authorization"].to_str().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let encoded = header.strip_prefix("Basic ").ok_or_else(|| TestCaseError::fail("no Basic prefix"))?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded, format!("{user}:{password}").into_bytes());
    }

    #[test]
    fn arbitrary_documents_never_panic(document in "\\PC{0,200}") {
        let _ = serde_json::from_str::<ConnectionTemplate>(&document);
        let _ = serde_json::from_str::<Credential>(&document);
    }

    #[test]
    fn arbitrary_json_values_never_panic(value in arbitrary_json()) {
        if let Ok(credential) = serde_json::from_value::<Credential>(value.clone()) {
            let exported = credgate::to_json_with_secrets(&credential).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: Credential = serde_json::from_str(&exported).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, credential);
        }
        let _ = serde_json::from_value::<AuthSchemeConfig>(value);
    }
}

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        "(string|none|basic-auth|api-key|oauth2-token|\\PC{0,6})"
            .prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                "(type|data|string|value|basicAuth|username|password|apiKey|name|in|\\PC{0,4})",
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
