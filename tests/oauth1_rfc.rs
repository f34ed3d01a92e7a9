//! OAuth 1.0a as RFC 5849 allows it (audit #14), and build-time refusals that name the
//! problem (audit #13.8, #13.17): consumer-only signing (§3.1), an empty consumer secret
//! (§3.4.2) where the scheme says so, `oauth_version` / `oauth_callback` /
//! `oauth_verifier` on any signer, PLAINTEXT with a timestamp and nonce by default.
//! Signatures are checked against `oauth1-request`, an independent implementation, on the
//! inputs it signs correctly (alphanumeric names and values, no repeated names).

use std::num::NonZeroU64;

use credgate::auth::oauth1::OAuth1Flow;
use credgate::auth::{Authenticator, OAuth1};
use credgate::{
    AuthError, BuildError, ManualClock, NameValue, OAuth1Placement, OAuth1Scheme,
    OAuth1SignatureMethod, OAuth1TokenCredential,
};
use http::Request;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;

/// The decoded `oauth_signature` of an `OAuth ...` header.
fn header_signature(header: &str) -> Option<String> {
    header
        .split([',', ' '])
        .find_map(|pair| pair.trim().strip_prefix("oauth_signature=\""))
        .map(|v| v.trim_end_matches('"'))
        .and_then(|v| {
            percent_decode_str(v)
                .decode_utf8()
                .ok()
                .map(|v| v.into_owned())
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn consumer_only_and_optional_protocol_parameters_agree_with_oauth1_request(
        params in proptest::collection::btree_map("[a-zA-Z0-9]{1,8}", "[a-zA-Z0-9]{0,8}", 0..5),
        consumer_key in "[a-zA-Z0-9]{1,12}",
        // Empty too: allowed by the scheme's `allowEmptyConsumerSecret`.
        consumer_secret in "[a-zA-Z0-9]{0,12}",
        token in proptest::option::of(("[a-zA-Z0-9]{1,12}", "[a-zA-Z0-9]{1,12}")),
        version in any::<bool>(),
        callback in proptest::option::of(prop_oneof![Just("oob".to_owned()), "[a-zA-Z0-9]{1,10}"]),
        verifier in proptest::option::of("[a-zA-Z0-9]{1,10}"),
        nonce in "[a-zA-Z0-9]{1,16}",
        timestamp in 1u64..u64::from(u32::MAX),
    ) {
        let base = "https://api.example.com/lti/launch";
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let uri = if query.is_empty() { base.to_owned() } else { format!("{base}?{}", query.join("&")) };
        let request = Request::get(uri).body(()).expect("valid request");

        let scheme = OAuth1Scheme::new(&consumer_key, consumer_secret.as_str(), OAuth1SignatureMethod::Sha1)
            .allowing_empty_consumer_secret();
        let mut extra = Vec::new();
        if version {
            extra.push(NameValue::new("oauth_version", "1.0"));
        }
        if let Some(callback) = &callback {
            extra.push(NameValue::new("oauth_callback", callback.as_str()));
        }
        if let Some(verifier) = &verifier {
            extra.push(NameValue::new("oauth_verifier", verifier.as_str()));
        }
        let ours = match &token {
            None => OAuth1::consumer_only(&scheme, &extra),
            Some((token, secret)) => {
                let mut credential = OAuth1TokenCredential::new(token.as_str(), secret.as_str());
                credential.additional_params = extra;
                OAuth1::new(&scheme, &credential)
            }
        }
        .expect("valid credentials")
        .sign(&request, timestamp, &nonce)
        .expect("signable");
        prop_assert_eq!(ours.base_string().contains("oauth_token"), token.is_some());

        let client = oauth1_request::Credentials::new(consumer_key.as_str(), consumer_secret.as_str());
        let mut builder = oauth1_request::Builder::new(client, oauth1_request::HMAC_SHA1);
        if let Some((token, secret)) = &token {
            builder.token(oauth1_request::Credentials::new(token.as_str(), secret.as_str()));
        }
        builder
            .nonce(nonce.as_str())
            .timestamp(NonZeroU64::new(timestamp))
            .version(version)
            .callback(callback.as_deref())
            .verifier(verifier.as_deref());
        let list: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let oracle = builder.get(base, &oauth1_request::ParameterList::new(list));
        prop_assert_eq!(header_signature(&oracle), Some(ours.signature().to_owned()));
    }

    /// Any additional parameter value that is the redacted placeholder is refused, naming
    /// the field, and never sent (audit #13.8).
    #[test]
    fn a_redacted_value_is_refused_wherever_it_would_be_sent(
        name in prop_oneof![
            Just("oauth_session_handle".to_owned()),
            Just("oauth_version".to_owned()),
            Just("oauth_callback".to_owned()),
            Just("oauth_verifier".to_owned()),
            Just("realm".to_owned()),
            "x_[a-z]{1,8}",
        ],
        others in proptest::collection::vec(("y_[a-z]{1,6}", "[a-z0-9]{0,6}"), 0..3),
        placement in prop_oneof![Just(OAuth1Placement::Header), Just(OAuth1Placement::Query), Just(OAuth1Placement::Body)],
        consumer_only in any::<bool>(),
    ) {
        let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1).with_placement(placement);
        let mut params: Vec<NameValue> = others.iter().map(|(n, v)| NameValue::new(n.as_str(), v.as_str())).collect();
        params.dedup_by(|a, b| a.name == b.name);
        params.push(NameValue::new(name.as_str(), "******"));
        let err = if consumer_only {
            OAuth1::consumer_only(&scheme, &params).unwrap_err()
        } else {
            let mut credential = OAuth1TokenCredential::new("tk", "ts");
            credential.additional_params = params;
            OAuth1::new(&scheme, &credential).unwrap_err()
        };
        prop_assert!(matches!(err, BuildError::Redacted { .. }), "{}", err);
        prop_assert!(err.to_string().ends_with("is redacted"), "{}", err);
    }

    /// A configured parameter name given twice says it is repeated (audit #13.17).
    #[test]
    fn a_repeated_parameter_name_says_it_is_repeated(
        name in prop_oneof![Just("a".to_owned()), Just("realm".to_owned()), Just("oauth_version".to_owned()), "[a-z_]{1,10}"],
        first in "[a-z0-9]{0,6}",
        second in "[a-z0-9]{0,6}",
    ) {
        prop_assume!(!matches!(name.as_str(), "oauth_signature" | "oauth_nonce" | "oauth_timestamp" | "oauth_consumer_key" | "oauth_token" | "oauth_signature_method"));
        let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1);
        let credential = OAuth1TokenCredential::new("tk", "ts")
            .with_param(name.as_str(), first)
            .with_param(name.as_str(), second);
        let err = OAuth1::new(&scheme, &credential).unwrap_err();
        prop_assert_eq!(&err, &BuildError::RepeatedName { name: name.clone(), location: "OAuth1 protocol parameter" });
        prop_assert!(err.to_string().contains("is repeated"), "{}", err);
        prop_assert!(!err.to_string().contains("not a valid"), "{}", err);
    }
}

#[test]
fn redacted_client_and_token_values_are_refused_naming_the_field() {
    let token = OAuth1TokenCredential::new("tk", "ts");
    let scheme = OAuth1Scheme::new("******", "cs", OAuth1SignatureMethod::Sha1);
    assert_eq!(
        OAuth1::new(&scheme, &token).unwrap_err(),
        BuildError::Redacted {
            field: "consumer key"
        }
    );
    let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1).with_realm("******");
    assert_eq!(
        OAuth1::new(&scheme, &token).unwrap_err(),
        BuildError::Redacted { field: "realm" }
    );
    let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1);
    let err = OAuth1::new(
        &scheme,
        &token.clone().with_param("oauth_session_handle", "******"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        BuildError::Redacted {
            field: "additional parameter value"
        }
    );
    // The flow's own values.
    let flow = OAuth1Flow::new(&scheme.with_endpoints(
        "https://a.example/initiate",
        "https://a.example/authorize",
        "https://a.example/token",
    ))
    .unwrap();
    assert!(flow.temporary_credentials_signer("******").is_err());
}

#[test]
fn consumer_only_sends_no_token_and_keys_with_an_empty_token_secret() {
    let scheme = OAuth1Scheme::new("ck", "c s", OAuth1SignatureMethod::Sha1);
    let oauth1 = OAuth1::consumer_only(&scheme, &[])
        .unwrap()
        .with_clock(std::sync::Arc::new(ManualClock::at_unix_seconds(1)));
    let mut request = Request::post("https://tool.example/launch")
        .body(())
        .unwrap();
    oauth1.authorize(&mut request).unwrap();
    let header = request.headers()["authorization"].to_str().unwrap();
    assert!(header.starts_with("OAuth oauth_consumer_key=\"ck\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1\""), "{header}");
    assert!(!header.contains("oauth_token"));
    // PLAINTEXT without a token: `encode(consumer secret)&`.
    let scheme = OAuth1Scheme::new("ck", "c s", OAuth1SignatureMethod::Plaintext);
    let request = Request::post("https://tool.example/launch")
        .body(())
        .unwrap();
    let signed = OAuth1::consumer_only(&scheme, &[])
        .unwrap()
        .sign(&request, 1, "n")
        .unwrap();
    assert_eq!(signed.signature(), "c%20s&");
}

#[test]
fn an_empty_consumer_secret_needs_the_scheme_to_say_so() {
    let token = OAuth1TokenCredential::new("tk", "ts");
    let scheme = OAuth1Scheme::new("ck", "", OAuth1SignatureMethod::Sha1);
    assert_eq!(
        OAuth1::new(&scheme, &token).unwrap_err(),
        BuildError::Empty {
            field: "consumer secret"
        }
    );
    assert!(OAuth1::consumer_only(&scheme, &[]).is_err());
    let allowed = scheme.allowing_empty_consumer_secret();
    let request = Request::get("https://api.example.com/").body(()).unwrap();
    let signed = OAuth1::new(&allowed, &token)
        .unwrap()
        .sign(&request, 1, "n")
        .unwrap();
    assert!(!signed.signature().is_empty());
    let plaintext = OAuth1Scheme::new("ck", "", OAuth1SignatureMethod::Plaintext)
        .allowing_empty_consumer_secret();
    let signed = OAuth1::new(&plaintext, &token)
        .unwrap()
        .sign(&request, 1, "n")
        .unwrap();
    assert_eq!(signed.signature(), "&ts");
}

#[test]
fn the_new_scheme_fields_load_and_round_trip() {
    let json = r#"{"consumerKey":"ck","consumerSecret":"","signatureMethod":"plaintext","allowEmptyConsumerSecret":true,"omitPlaintextNonce":true}"#;
    let scheme: OAuth1Scheme = serde_json::from_str(json).unwrap();
    assert!(scheme.allow_empty_consumer_secret);
    assert!(scheme.omit_plaintext_nonce);
    let written = serde_json::to_string(&scheme).unwrap();
    assert!(
        written.contains("\"allowEmptyConsumerSecret\":true"),
        "{written}"
    );
    assert!(written.contains("\"omitPlaintextNonce\":true"), "{written}");
    let plain =
        serde_json::to_string(&OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1)).unwrap();
    assert!(!plain.contains("allowEmptyConsumerSecret") && !plain.contains("omitPlaintextNonce"));
}

#[test]
fn plaintext_sends_timestamp_and_nonce_unless_told_not_to() {
    let token = OAuth1TokenCredential::new("tk", "ts");
    let request = Request::post("https://api.example.com/p")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"a=1".to_vec())
        .unwrap();
    for placement in [OAuth1Placement::Header, OAuth1Placement::Body] {
        let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Plaintext)
            .with_placement(placement);
        let sent = |scheme: &OAuth1Scheme| {
            let signed = OAuth1::new(scheme, &token)
                .unwrap()
                .sign(&request, 1234, "n0nce")
                .unwrap();
            match placement {
                OAuth1Placement::Header => {
                    signed.authorization().unwrap().to_str().unwrap().to_owned()
                }
                _ => String::from_utf8(signed.body().unwrap().to_vec()).unwrap(),
            }
        };
        let default = sent(&scheme);
        assert!(
            default.contains("oauth_timestamp") && default.contains("1234"),
            "{default}"
        );
        assert!(
            default.contains("oauth_nonce") && default.contains("n0nce"),
            "{default}"
        );
        let omitted = sent(&scheme.omitting_plaintext_nonce());
        assert!(
            !omitted.contains("oauth_timestamp") && !omitted.contains("oauth_nonce"),
            "{omitted}"
        );
    }
}

#[test]
fn the_refusals_that_protect_secrets_say_why() {
    let token = OAuth1TokenCredential::new("tk", "ts");
    let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Plaintext);
    let err = OAuth1::new(
        &scheme.clone().with_placement(OAuth1Placement::Query),
        &token,
    )
    .unwrap_err();
    assert!(err.to_string().contains("logs"), "{err}");
    let mut request = Request::get("http://api.example.com/").body(()).unwrap();
    let err = OAuth1::new(&scheme, &token)
        .unwrap()
        .authorize(&mut request)
        .unwrap_err();
    assert!(matches!(err, AuthError::UnsupportedUri { .. }));
    assert!(err.to_string().contains("readable by anyone"), "{err}");
    assert!(request.headers().is_empty());
}
