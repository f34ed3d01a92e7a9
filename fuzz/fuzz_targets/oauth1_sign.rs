//! OAuth 1.0a request handling: signing arbitrary URIs, bodies, methods and parameters
//! (RFC 5849 §3.4, §3.5), every signature method and placement.
//!
//! Input, NUL-separated: a selector (first byte: signature method, placement, method,
//! realm or not), the consumer key, the realm, an additional token parameter's name and
//! value, the request URI, the content type, the body, the nonce.
//!
//! Invariants: signing is deterministic; on `Err` (signing or applying) the request is
//! unchanged; on `Ok` the request keeps its origin and the base string begins with the
//! method; no error or `Debug` rendering holds a secret (HMAC methods: the secrets never
//! appear in the request either).
#![no_main]

use credgate::auth::OAuth1;
use credgate::{OAuth1Placement, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential};
use credgate_fuzz::{Snapshot, assert_error_clean, assert_no_secret, fields};
use libfuzzer_sys::fuzz_target;

const CONSUMER_SECRET: &str = "cs_CANARY_kd94hf93k423kf44";
const TOKEN_SECRET: &str = "ts_CANARY_pfkkdhi9sl3r4s00";

fuzz_target!(|data: &[u8]| {
    let [
        selector,
        key,
        realm,
        name,
        value,
        uri,
        content_type,
        body,
        nonce,
    ] = fields::<9>(data);
    let selector = selector.first().copied().unwrap_or(0);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    // Only the secrets are checked: a canary the input itself writes into a name or the URI
    // is not one.
    if data.windows(6).any(|w| w == b"CANARY") {
        return;
    }
    let secrets = vec![CONSUMER_SECRET.to_owned(), TOKEN_SECRET.to_owned()];

    let method = match selector % 3 {
        0 => OAuth1SignatureMethod::Sha1,
        1 => OAuth1SignatureMethod::Sha256,
        _ => OAuth1SignatureMethod::Plaintext,
    };
    let placement = match (selector >> 2) % 3 {
        0 => OAuth1Placement::Header,
        1 => OAuth1Placement::Query,
        _ => OAuth1Placement::Body,
    };
    let mut scheme =
        OAuth1Scheme::new(text(key), CONSUMER_SECRET, method).with_placement(placement);
    if selector & 0x10 != 0 {
        scheme = scheme.with_realm(text(realm));
    }
    let mut token = OAuth1TokenCredential::new("tok_nnch734d00sl2jdk", TOKEN_SECRET);
    if !name.is_empty() {
        token = token.with_param(text(name), text(value));
    }
    let oauth1 = match OAuth1::new(&scheme, &token) {
        Ok(o) => o,
        Err(e) => return assert_error_clean(&e, &secrets, "OAuth1::new error"),
    };
    assert_no_secret(&format!("{oauth1:?}"), &secrets, "OAuth1 Debug");

    let http_method = match selector >> 5 {
        0 | 1 => http::Method::GET,
        2 | 3 => http::Method::POST,
        4 => http::Method::PUT,
        5 => http::Method::DELETE,
        6 => http::Method::PATCH,
        _ => http::Method::HEAD,
    };
    let mut builder = http::Request::builder()
        .method(http_method.clone())
        .uri(uri);
    if !content_type.is_empty() {
        builder = builder.header(http::header::CONTENT_TYPE, content_type);
    }
    let Ok(mut request) = builder.body(body.to_vec()) else {
        return;
    };
    let nonce = text(nonce);
    let before = Snapshot::of(&request);

    let first = oauth1.sign(&request, 1_318_622_958, &nonce);
    let second = oauth1.sign(&request, 1_318_622_958, &nonce);
    match (first, second) {
        (Ok(signed), Ok(again)) => {
            assert_eq!(
                signed.signature(),
                again.signature(),
                "signing is not deterministic"
            );
            assert_eq!(signed.base_string(), again.base_string());
            assert_no_secret(&format!("{signed:?}"), &secrets, "SignedRequest Debug");
            assert!(
                signed
                    .base_string()
                    .starts_with(&format!("{}&", http_method.as_str())),
                "base string does not begin with the method (RFC 5849 §3.4.1.2)"
            );
            if method != OAuth1SignatureMethod::Plaintext {
                assert_no_secret(signed.base_string(), &secrets, "base string");
                assert_no_secret(signed.signature(), &secrets, "signature");
            }
            let origin = |r: &http::Request<Vec<u8>>| {
                (
                    r.uri().scheme_str().map(str::to_ascii_lowercase),
                    r.uri().authority().map(|a| a.as_str().to_ascii_lowercase()),
                )
            };
            let original_origin = origin(&request);
            match signed.apply(&mut request) {
                Ok(()) => {
                    assert_eq!(
                        origin(&request),
                        original_origin,
                        "signing moved the request"
                    );
                    if method != OAuth1SignatureMethod::Plaintext {
                        let shown = format!("{:?} {:?}", request.uri(), request.headers());
                        assert_no_secret(&shown, &secrets, "signed request");
                        assert_no_secret(
                            &String::from_utf8_lossy(request.body()),
                            &secrets,
                            "signed body",
                        );
                    }
                }
                Err(e) => {
                    before.assert_unchanged(&request, "apply");
                    assert_error_clean(&e, &secrets, "apply error");
                }
            }
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "signing is not deterministic");
            before.assert_unchanged(&request, "sign");
            assert_error_clean(&a, &secrets, "sign error");
        }
        (a, b) => panic!(
            "signing is not deterministic: {:?} then {:?}",
            a.map(|_| ()),
            b.map(|_| ())
        ),
    }
});
