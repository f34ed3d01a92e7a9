//! The `oauth1-consumer` credential (issue #14, "OAuth 1.0a as RFC 5849 allows it"):
//! consumer-only signing from JSON documents, as LTI 1.x launches and two-legged APIs sign
//! (RFC 5849 §3.1 "MAY omit" `oauth_token`). Signatures are checked against
//! `oauth1-request`, an independent implementation, on the inputs it signs correctly.

use std::num::NonZeroU64;
use std::sync::Arc;

use credgate::{BuildError, Connection, ConnectionTemplate, Credential, ManualClock};
use http::Request;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use serde_json::json;

/// The decoded pairs of an `OAuth a="1", b="2"` header.
fn header_pairs(header: &str) -> Vec<(String, String)> {
    header
        .strip_prefix("OAuth ")
        .unwrap_or("")
        .split(',')
        .filter_map(|pair| {
            let (name, quoted) = pair.trim().split_once('=')?;
            let value = quoted.trim_matches('"');
            let value = percent_decode_str(value).decode_utf8().ok()?.into_owned();
            Some((name.to_owned(), value))
        })
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn lti_template(consumer_secret: &str, extra: serde_json::Value) -> ConnectionTemplate {
    let mut oauth1 = json!({"id": "lti", "consumerKey": "lti-key",
        "consumerSecret": consumer_secret, "signatureMethod": "sha1"});
    if let (Some(oauth1), Some(extra)) = (oauth1.as_object_mut(), extra.as_object()) {
        oauth1.extend(extra.clone());
    }
    serde_json::from_value(
        json!({"name": "lti", "templateBaseUrl": "https://tool.example",
        "authSchemeConfigs": [{"type": "oauth1", "oauth1": oauth1}]}),
    )
    .expect("template parses")
}

/// A connection document holding an `oauth1-consumer` credential with these parameters.
fn consumer_connection(
    template: &ConnectionTemplate,
    params: &[(&str, &str)],
) -> serde_json::Value {
    let params: Vec<_> = params
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    // The scheme as the platform stores it, secrets included (a listing would redact them).
    let scheme: serde_json::Value = serde_json::from_str(
        &credgate::to_json_with_secrets(&template.auth_scheme_configs[0]).expect("serializes"),
    )
    .expect("JSON");
    json!({"credentials": [{"authSchemeConfig": scheme,
        "credential": {"type": "oauth1-consumer", "data": {"oauth1Consumer": {"additionalParams": params}}}}]})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A connection loaded from JSON with an `oauth1-consumer` credential signs with the
    /// client credentials alone, exactly as `oauth1-request` does; an empty consumer
    /// secret where the template allows it, and `oauth_version` / `oauth_callback` /
    /// `oauth_verifier` given as parameters.
    #[test]
    fn a_consumer_connection_signs_as_the_oracle_does(
        params in proptest::collection::btree_map("[a-zA-Z0-9]{1,8}", "[a-zA-Z0-9]{0,8}", 0..4),
        consumer_secret in "[a-zA-Z0-9]{0,12}",
        version in any::<bool>(),
        callback in proptest::option::of(prop_oneof![Just("oob".to_owned()), "[a-zA-Z0-9]{1,10}"]),
        verifier in proptest::option::of("[a-zA-Z0-9]{1,10}"),
        timestamp in 1u64..u64::from(u32::MAX),
    ) {
        let template = lti_template(&consumer_secret, json!({"allowEmptyConsumerSecret": true}));
        let mut extra = Vec::new();
        if version {
            extra.push(("oauth_version", "1.0"));
        }
        if let Some(callback) = &callback {
            extra.push(("oauth_callback", callback.as_str()));
        }
        if let Some(verifier) = &verifier {
            extra.push(("oauth_verifier", verifier.as_str()));
        }
        let connection: Connection = serde_json::from_value(consumer_connection(&template, &extra))
            .expect("connection parses");
        let live = credgate::LiveConnection::builder(&connection)
            .template(&template)
            .clock(Arc::new(ManualClock::at_unix_seconds(timestamp)))
            .build()
            .expect("builds");

        let base = "https://tool.example/launch";
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let uri = if query.is_empty() { base.to_owned() } else { format!("{base}?{}", query.join("&")) };
        let mut request = Request::get(uri).body(()).expect("valid request");
        live.authorize(&mut request).expect("authorizes");
        let header = request.headers()["authorization"].to_str().expect("ascii").to_owned();
        let pairs = header_pairs(&header);
        prop_assert!(get(&pairs, "oauth_token").is_none(), "{}", header);
        prop_assert_eq!(get(&pairs, "oauth_consumer_key"), Some("lti-key"));
        let nonce = get(&pairs, "oauth_nonce").expect("a nonce").to_owned();
        let sent_timestamp = timestamp.to_string();
        prop_assert_eq!(get(&pairs, "oauth_timestamp"), Some(sent_timestamp.as_str()));

        let client = oauth1_request::Credentials::new("lti-key", consumer_secret.as_str());
        let mut builder: oauth1_request::Builder<'_, _, &str, &str> =
            oauth1_request::Builder::new(client, oauth1_request::HMAC_SHA1);
        builder
            .nonce(nonce.as_str())
            .timestamp(NonZeroU64::new(timestamp))
            .version(version)
            .callback(callback.as_deref())
            .verifier(verifier.as_deref());
        let list: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let oracle = builder.get(base, &oauth1_request::ParameterList::new(list));
        let oracle_pairs = header_pairs(&oracle);
        prop_assert_eq!(get(&oracle_pairs, "oauth_signature"), get(&pairs, "oauth_signature"));
    }
}

#[test]
fn the_credential_loads_round_trips_and_redacts() -> Result<(), Box<dyn std::error::Error>> {
    let document = json!({"type": "oauth1-consumer", "data": {"oauth1Consumer": {
        "additionalParams": [{"name": "oauth_version", "value": "1.0"}]}}});
    let loaded: Credential = serde_json::from_value(document.clone())?;
    assert_eq!(
        loaded,
        Credential::oauth1_consumer().with_oauth1_param("oauth_version", "1.0")
    );
    assert_eq!(loaded.type_name(), "oauth1-consumer");
    let written: serde_json::Value =
        serde_json::from_str(&credgate::to_json_with_secrets(&loaded)?)?;
    assert_eq!(written, document);
    // A listing redacts the parameter values (they may be secrets).
    let listed = serde_json::to_string(&loaded)?;
    assert!(
        listed.contains("******") && !listed.contains("\"1.0\""),
        "{listed}"
    );
    // `data` may be left out.
    let bare: Credential = serde_json::from_value(json!({"type": "oauth1-consumer"}))?;
    assert_eq!(bare, Credential::oauth1_consumer());
    assert_eq!(
        serde_json::to_value(&bare)?,
        json!({"type": "oauth1-consumer", "data": {"oauth1Consumer": {}}})
    );
    Ok(())
}

#[test]
fn an_empty_consumer_secret_needs_the_template_to_say_so() -> Result<(), Box<dyn std::error::Error>>
{
    let refused = lti_template("", json!({}));
    let err = refused
        .connect_live(vec![Credential::oauth1_consumer()])
        .unwrap_err();
    assert_eq!(
        err,
        BuildError::Empty {
            field: "consumer secret"
        }
    );
    assert!(!err.to_string().contains("connection template"), "{err}");
    let allowed = lti_template("", json!({"allowEmptyConsumerSecret": true}));
    let live = allowed.connect_live(vec![Credential::oauth1_consumer()])?;
    let mut request = Request::post("https://tool.example/launch").body(())?;
    live.authorize(&mut request)?;
    assert!(
        !request.headers()["authorization"]
            .to_str()?
            .contains("oauth_token")
    );
    Ok(())
}

#[test]
fn plaintext_consumer_signing_sends_timestamp_and_nonce_and_keeps_its_refusals()
-> Result<(), Box<dyn std::error::Error>> {
    let template = lti_template("c s", json!({"signatureMethod": "plaintext"}));
    let live = template.connect_live(vec![Credential::oauth1_consumer()])?;
    let mut request = Request::post("https://tool.example/launch").body(())?;
    live.authorize(&mut request)?;
    let pairs = header_pairs(request.headers()["authorization"].to_str()?);
    assert_eq!(get(&pairs, "oauth_signature"), Some("c%20s&"));
    assert!(get(&pairs, "oauth_timestamp").is_some() && get(&pairs, "oauth_nonce").is_some());
    // Over http the secrets would be readable on the wire: refused, saying why.
    let mut plain_http = Request::post("http://tool.example/launch").body(())?;
    let err = live.authorize(&mut plain_http).unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
    assert!(plain_http.headers().is_empty());
    // In a query the secrets would reach logs: refused when the connection is built.
    let query = lti_template(
        "cs",
        json!({"signatureMethod": "plaintext", "placement": "query"}),
    );
    let err = query
        .connect_live(vec![Credential::oauth1_consumer()])
        .unwrap_err();
    assert!(err.to_string().contains("logs"), "{err}");
    assert!(!err.to_string().contains("connection template"), "{err}");
    Ok(())
}

#[test]
fn an_empty_token_points_at_the_consumer_credential() {
    let template = lti_template("cs", json!({}));
    let err = template
        .connect_live(vec![Credential::oauth1_token("", "ts")])
        .unwrap_err();
    assert!(err.to_string().contains("oauth1-consumer"), "{err}");
    assert!(!err.to_string().contains("connection template"), "{err}");
}
