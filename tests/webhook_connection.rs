//! Outbound signing through a connection whose template has the platform's `hmac` scheme
//! and a `string` credential (the secret). Expected MACs were computed with Python's
//! `hmac` module at authoring time, as noted on each.

use std::sync::Arc;

use credgate::auth::RequestBody;
use credgate::webhook::{Preset, Verifier};
use credgate::{AuthError, Connection, ConnectionTemplate, Credential, HmacScheme, ManualClock};

const BODY: &[u8] = br#"{"event":"ping"}"#;

fn hmac_template(hmac: &str) -> ConnectionTemplate {
    serde_json::from_str(&format!(
        r#"{{"name": "partner", "templateBaseUrl": "https://hooks.partner.example/in",
            "authSchemeConfigs": [{{"type": "hmac", "hmac": {hmac}}}]}}"#
    ))
    .expect("valid template")
}

fn scheme(template: &ConnectionTemplate) -> HmacScheme {
    match &template.auth_scheme_configs[0] {
        credgate::AuthSchemeConfig::Hmac(scheme) => scheme.clone(),
        other => panic!("not hmac: {other:?}"),
    }
}

#[test]
fn an_hmac_connection_signs_the_body_in_a_sensitive_header()
-> Result<(), Box<dyn std::error::Error>> {
    let template = hmac_template(
        r#"{"id": "sig", "algorithm": "sha256", "digestInputs": ["url", "body"],
            "encoding": "hex", "in": "header", "name": "X-Signature"}"#,
    );
    let live = template
        .connect(vec![Credential::api_key("s3cret")])?
        .build(&template)?;
    let mut request = http::Request::post("/events?x=1").body(BODY.to_vec())?;
    live.authorize(&mut request)?;
    // hmac_sha256(b"s3cret", b"https://hooks.partner.example/in/events?x=1" + body).hexdigest()
    let signature = &request.headers()["x-signature"];
    assert_eq!(
        signature,
        "a52292f2ebc6c36d9a8fbb979a35f3a3d48f7c6084483830ccbc627c5f544b05"
    );
    assert!(signature.is_sensitive());
    assert!(!live.redacted(&request).to_string().contains("a52292f2"));
    // The receiver verifies it with the same scheme.
    Verifier::new(&scheme(&template), &["s3cret".into()])?.verify(&request)?;
    Ok(())
}

#[test]
fn a_query_placement_is_redacted() -> Result<(), Box<dyn std::error::Error>> {
    let template = hmac_template(
        r#"{"id": "sig", "algorithm": "sha256", "digestInputs": ["body"],
            "encoding": "hex", "in": "query", "name": "sig"}"#,
    );
    let live = template
        .connect(vec![Credential::api_key("s3cret")])?
        .build(&template)?;
    let mut request = http::Request::post("/events?a=1").body(BODY.to_vec())?;
    live.authorize(&mut request)?;
    // hmac_sha256(b"s3cret", body).hexdigest()
    assert_eq!(
        request.uri(),
        "https://hooks.partner.example/in/events?a=1&sig=dfdb9d36759a59dc252c24d194f7122a8df08cb88f87fa8d5c6b24ff48fe45d8"
    );
    let shown = live.redacted(&request).to_string();
    assert!(
        shown.contains("sig=******") && !shown.contains("dfdb9d36"),
        "{shown}"
    );
    Verifier::new(&scheme(&template), &["s3cret".into()])?.verify(&request)?;
    Ok(())
}

#[test]
fn a_query_signature_is_kept_out_of_the_signed_url() -> Result<(), Box<dyn std::error::Error>> {
    let template = hmac_template(
        r#"{"id": "sig", "algorithm": "sha256", "digestInputs": ["url", "body"],
            "encoding": "hex", "in": "query", "name": "sig"}"#,
    );
    let live = template
        .connect(vec![Credential::api_key("s3cret")])?
        .build(&template)?;
    // A stale signature parameter is replaced, and was not signed either.
    let mut request = http::Request::post("/events?sig=old&a=1").body(BODY.to_vec())?;
    live.authorize(&mut request)?;
    // hmac_sha256(b"s3cret", b"https://hooks.partner.example/in/events?a=1" + body).hexdigest()
    assert_eq!(
        request.uri(),
        "https://hooks.partner.example/in/events?a=1&sig=19b2dab71ea05de2431ac1944d7bad7d1f7eb0eea2aa14c3421d01bcbddb140a"
    );
    Verifier::new(&scheme(&template), &["s3cret".into()])?.verify(&request)?;
    Ok(())
}

#[test]
fn a_preset_scheme_signs_with_the_connection_clock() -> Result<(), Box<dyn std::error::Error>> {
    let stripe = serde_json::to_string(&Preset::Stripe.scheme())?;
    let template = hmac_template(&stripe);
    let connection = template.connect(vec![Credential::api_key("whsec_conn")])?;
    let clock = Arc::new(ManualClock::at_unix_seconds(1_700_000_000));
    let live = credgate::LiveConnection::builder(&connection)
        .template(&template)
        .clock(clock.clone())
        .build()?;
    let mut request = http::Request::post("/").body(BODY.to_vec())?;
    live.authorize(&mut request)?;
    // hmac_sha256(b"whsec_conn", b"1700000000." + body).hexdigest()
    assert_eq!(
        request.headers()["stripe-signature"],
        "t=1700000000,v1=38bf3ddaa69a61598135747c2a1101ffb402325a31b8c53d7e9da99bdf240e79"
    );
    let verifier = Verifier::from_preset(Preset::Stripe, &["whsec_conn".into()])?.with_clock(clock);
    verifier.verify(&request)?;
    Ok(())
}

/// A body that is not buffered.
struct Streaming;

impl RequestBody for Streaming {
    fn bytes(&self) -> Option<&[u8]> {
        None
    }
    fn replace(&mut self, _: Vec<u8>) -> bool {
        false
    }
}

#[test]
fn failures_leave_the_request_unchanged_and_name_the_problem()
-> Result<(), Box<dyn std::error::Error>> {
    let template = hmac_template(
        r#"{"id": "sig", "algorithm": "sha256", "digestInputs": ["body"],
            "encoding": "hex", "in": "header", "name": "X-Signature"}"#,
    );
    let live = template
        .connect(vec![Credential::api_key("s3cret")])?
        .build(&template)?;
    let mut request = http::Request::post("https://hooks.partner.example/in/x").body(Streaming)?;
    let err = live.authorize(&mut request).unwrap_err();
    assert_eq!(
        err,
        AuthError::Sign {
            reason: "the body is not buffered"
        }
    );
    assert!(request.headers().is_empty());

    // Standard Webhooks signs the delivery id, which the caller must set.
    let standard = hmac_template(&serde_json::to_string(&Preset::StandardWebhooks.scheme())?);
    let live = standard
        .connect(vec![Credential::api_key("whsec_c2VjcmV0")])?
        .build(&standard)?;
    let mut request = http::Request::post("/").body(BODY.to_vec())?;
    let err = live.authorize(&mut request).unwrap_err();
    assert!(err.to_string().contains("delivery id"), "{err}");
    assert!(request.headers().is_empty());
    request.headers_mut().insert("webhook-id", "msg_1".parse()?);
    live.authorize(&mut request)?;
    assert!(
        request.headers()["webhook-signature"]
            .to_str()?
            .starts_with("v1,")
    );

    // Missing, redacted or undecodable secrets are refused when the connection is made.
    assert!(template.connect(vec![]).is_err());
    let listed: Connection = serde_json::from_str(&format!(
        r#"{{"credentials": [{{"authSchemeConfig": {}, "credential":
            {{"type": "string", "data": {{"string": {{"value": "******"}}}}}}}}]}}"#,
        serde_json::to_string(&template.auth_scheme_configs[0])?
    ))?;
    let err = listed.build(&template).unwrap_err();
    assert_eq!(err.to_string(), "webhook secret is redacted");
    assert!(
        standard
            .connect(vec![Credential::api_key("whsec_!!")])
            .is_err()
    );
    Ok(())
}
