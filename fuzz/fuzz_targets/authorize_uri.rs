//! Request-URI resolution against a base URL: `authorize` with arbitrary request URIs,
//! `Host` headers, methods and base URLs (the template's and `with_base_url`'s).
//!
//! Input, NUL-separated: a selector (first byte: which scheme, whether a `Host` header is
//! sent, whether the base URL is the template's or an override), the base URL, the request
//! URI, the `Host` header value.
//!
//! Invariants: on `Ok` the request goes to the base URL's origin and any `Host` header
//! names it; on `Err` the request is unchanged; no error or redacted rendering holds the
//! key.
#![no_main]

use credgate::{ConnectionTemplate, Credential, LiveConnection};
use credgate_fuzz::{Snapshot, assert_error_clean, assert_no_secret, assert_same_origin, fields};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "sk_live_CANARY_0123456789";
const PASSWORD: &str = "pw_CANARY_abcdef";

/// The schemes a request is authorized with: a header, a query parameter, a path-only base
/// with a template, Basic, none.
const SCHEMES: [&str; 5] = [
    r#"{"type": "api-key", "apiKey": {"id": "k", "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}"#,
    r#"{"type": "api-key", "apiKey": {"id": "k", "name": "api_key", "in": "query"}}"#,
    r#"{"type": "api-key", "apiKey": {"id": "k", "name": "X-Api-Key", "in": "header"}}"#,
    r#"{"type": "basic-auth", "basicAuth": {"id": "b"}}"#,
    r#"{"type": "none", "none": {"id": "n"}}"#,
];

fuzz_target!(|data: &[u8]| {
    let [selector, base, uri, host] = fields::<4>(data);
    let selector = selector.first().copied().unwrap_or(0);
    let (Ok(base), Ok(uri)) = (std::str::from_utf8(base), std::str::from_utf8(uri)) else {
        return;
    };
    // A key the caller wrote into the request itself is theirs to show.
    if [base, uri, &String::from_utf8_lossy(host)]
        .iter()
        .any(|f| f.contains("CANARY"))
    {
        return;
    }
    let secrets = [KEY.to_owned(), PASSWORD.to_owned()];
    let scheme = usize::from(selector % 5);
    let as_override = selector & 0x08 != 0;
    let template_base = if as_override {
        "https://api.example.com/v2"
    } else {
        base
    };
    let template = serde_json::json!({
        "name": "api",
        "templateBaseUrl": template_base,
        "authSchemeConfigs": [serde_json::from_str::<serde_json::Value>(SCHEMES[scheme]).unwrap()],
    });
    let template: ConnectionTemplate = match serde_json::from_value(template) {
        Ok(t) => t,
        Err(e) => return assert_error_clean(&e, &secrets, "template error"),
    };
    let credentials = match scheme {
        0..=2 => vec![Credential::api_key(KEY)],
        3 => vec![Credential::basic_auth("user", PASSWORD)],
        _ => vec![],
    };
    let connection = match template.connect(credentials) {
        Ok(c) => c,
        Err(e) => return assert_error_clean(&e, &secrets, "connect error"),
    };
    let live = match connection.build(&template) {
        Ok(live) => live,
        Err(e) => return assert_error_clean(&e, &secrets, "build error"),
    };
    let live = if as_override {
        match live.with_base_url(base) {
            Ok(live) => live,
            Err(e) => return assert_error_clean(&e, &secrets, "with_base_url error"),
        }
    } else {
        live
    };
    let method = match selector >> 5 {
        0 | 1 => http::Method::GET,
        2 => http::Method::POST,
        3 => http::Method::DELETE,
        4 => http::Method::OPTIONS,
        5 => http::Method::CONNECT,
        _ => http::Method::PUT,
    };
    let mut builder = http::Request::builder().method(method).uri(uri);
    if selector & 0x10 != 0 {
        builder = builder.header(http::header::HOST, host);
    }
    let Ok(mut request) = builder.body(Vec::new()) else {
        return;
    };
    authorize_checked(&live, &mut request, &secrets);
    // Twice: an already absolute request must not move either.
    authorize_checked(&live, &mut request, &secrets);
});

fn authorize_checked(
    live: &LiveConnection,
    request: &mut http::Request<Vec<u8>>,
    secrets: &[String],
) {
    let before = Snapshot::of(request);
    match live.authorize(request) {
        Ok(()) => {
            assert_same_origin(live, request);
            let shown = live.redacted(request);
            assert_no_secret(&format!("{shown}"), secrets, "redacted Display");
            assert_no_secret(&format!("{shown:?}"), secrets, "redacted Debug");
        }
        Err(e) => {
            before.assert_unchanged(request, "authorize");
            assert_error_clean(&e, secrets, "authorize error");
        }
    }
}
