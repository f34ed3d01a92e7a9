//! OAuth1 properties: arbitrary input never panics, an error leaves the request unchanged,
//! the `Authorization` header always parses back to what was signed, and for the plain
//! inputs `oauth1-request` signs correctly (alphanumeric names and values, no repeated
//! names) credgate's signature equals that independent implementation's.

use std::collections::BTreeMap;
use std::num::NonZeroU64;

use credgate::auth::{Authenticator, OAuth1};
use credgate::{OAuth1Placement, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential};
use http::Request;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;

fn method() -> impl Strategy<Value = OAuth1SignatureMethod> {
    prop_oneof![
        Just(OAuth1SignatureMethod::Sha1),
        Just(OAuth1SignatureMethod::Sha256),
        Just(OAuth1SignatureMethod::Plaintext),
    ]
}

fn placement() -> impl Strategy<Value = OAuth1Placement> {
    prop_oneof![
        Just(OAuth1Placement::Header),
        Just(OAuth1Placement::Query),
        Just(OAuth1Placement::Body),
    ]
}

/// Splits `OAuth a="1", b="2"` into decoded pairs; `None` if it is not of that form.
fn parse_header(header: &str) -> Option<Vec<(String, String)>> {
    let rest = header.strip_prefix("OAuth ")?;
    rest.split(", ")
        .map(|pair| {
            let (name, quoted) = pair.split_once('=')?;
            let value = quoted.strip_prefix('"')?.strip_suffix('"')?;
            if value.contains('"') {
                return None;
            }
            let value = percent_decode_str(value).decode_utf8().ok()?.into_owned();
            Some((name.to_owned(), value))
        })
        .collect()
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_input_never_panics_and_errors_change_nothing(
        consumer_key in ".{0,12}",
        consumer_secret in ".{0,12}",
        token in ".{0,12}",
        token_secret in ".{0,12}",
        extra in proptest::option::of((".{0,8}", ".{0,8}")),
        realm in proptest::option::of(".{0,8}"),
        signature_method in method(),
        placement in placement(),
        http_method in prop_oneof![Just("GET"), Just("POST"), Just("x-Custom!")],
        uri in "(https?|ftp)://[a-zA-Z0-9.:@\\[\\]%-]{0,20}(/[ -~]{0,20})?",
        content_type in proptest::option::of(prop_oneof![
            Just("application/x-www-form-urlencoded"),
            Just("application/json"),
            Just("APPLICATION/X-WWW-FORM-URLENCODED ; charset=utf-8"),
        ]),
        body in proptest::collection::vec(any::<u8>(), 0..24),
        timestamp in any::<u64>(),
        nonce in ".{0,12}",
    ) {
        let mut scheme = OAuth1Scheme::new(consumer_key, consumer_secret, signature_method)
            .with_placement(placement);
        scheme.realm = realm;
        let mut token = OAuth1TokenCredential::new(token, token_secret);
        if let Some((name, value)) = extra {
            token = token.with_param(name, value);
        }
        let Ok(oauth1) = OAuth1::new(&scheme, &token) else { return Ok(()) };
        let mut builder = Request::builder().method(http_method).uri(uri);
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        let Ok(mut request) = builder.body(body) else { return Ok(()) };
        let before = request.clone();
        match oauth1.sign(&request, timestamp, &nonce) {
            Err(_) => {
                prop_assert!(oauth1.authorize(&mut request).is_err());
                prop_assert_eq!(request.uri(), before.uri());
                prop_assert_eq!(request.headers(), before.headers());
                prop_assert_eq!(request.body(), before.body());
            }
            Ok(signed) => {
                let signature = signed.signature().to_owned();
                if let Some(header) = signed.authorization() {
                    let header = header.to_str().expect("visible ASCII");
                    let pairs = parse_header(header).expect("the header parses back");
                    prop_assert_eq!(find(&pairs, "oauth_consumer_key"), Some(scheme.consumer_key.as_str()));
                    prop_assert_eq!(find(&pairs, "oauth_token"), Some(token.token.expose_secret()));
                    prop_assert_eq!(find(&pairs, "oauth_signature_method"), Some(signature_method.as_str()));
                    prop_assert_eq!(find(&pairs, "oauth_signature"), Some(signature.as_str()));
                    if signature_method != OAuth1SignatureMethod::Plaintext {
                        prop_assert_eq!(find(&pairs, "oauth_nonce"), Some(nonce.as_str()));
                        let timestamp = timestamp.to_string();
                        prop_assert_eq!(find(&pairs, "oauth_timestamp"), Some(timestamp.as_str()));
                    }
                }
                signed.apply(&mut request).expect("a Vec<u8> body can be replaced");
                prop_assert_eq!(request.method(), before.method());
            }
        }
    }

    #[test]
    fn hmac_sha1_agrees_with_oauth1_request_on_plain_input(
        params in proptest::collection::btree_map("[a-zA-Z0-9]{1,8}", "[a-zA-Z0-9]{0,8}", 0..6),
        consumer_key in "[a-zA-Z0-9]{1,12}",
        consumer_secret in "[a-zA-Z0-9]{1,12}",
        token in "[a-zA-Z0-9]{1,12}",
        token_secret in "[a-zA-Z0-9]{1,12}",
        nonce in "[a-zA-Z0-9]{1,16}",
        timestamp in 1u64..u64::from(u32::MAX),
        // An empty path is signed as `/` (RFC 3986 §6.2.3); oauth1-request would sign it empty.
        path in "(/[a-z0-9]{0,6}){1,3}",
    ) {
        let base = format!("https://api.example.com{path}");
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let uri = if query.is_empty() { base.clone() } else { format!("{base}?{}", query.join("&")) };
        let request = Request::get(uri).body(()).expect("valid request");

        let scheme = OAuth1Scheme::new(&consumer_key, consumer_secret.as_str(), OAuth1SignatureMethod::Sha1);
        let credential = OAuth1TokenCredential::new(token.as_str(), token_secret.as_str());
        let ours = OAuth1::new(&scheme, &credential)
            .expect("valid credentials")
            .sign(&request, timestamp, &nonce)
            .expect("signable");

        let oracle_token = oauth1_request::Token::from_parts(
            consumer_key.as_str(), consumer_secret.as_str(), token.as_str(), token_secret.as_str(),
        );
        let mut builder = oauth1_request::Builder::with_token(oracle_token, oauth1_request::HMAC_SHA1);
        builder.nonce(nonce.as_str()).timestamp(NonZeroU64::new(timestamp));
        let list: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let oracle_header = builder.get(&base, &oauth1_request::ParameterList::new(list));
        let oracle = parse_header(&oracle_header.replace(',', ", ")).expect("oracle header parses");

        prop_assert_eq!(find(&oracle, "oauth_signature"), Some(ours.signature()));
    }
}

#[test]
fn parse_header_rejects_what_is_not_a_header() {
    assert_eq!(parse_header("Bearer x"), None);
    assert_eq!(parse_header("OAuth a=1"), None);
    let pairs = parse_header("OAuth a=\"x%20y\", b=\"\"").unwrap();
    let expected: BTreeMap<_, _> = [("a", "x y"), ("b", "")].into_iter().collect();
    let got: BTreeMap<_, _> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, expected);
}
