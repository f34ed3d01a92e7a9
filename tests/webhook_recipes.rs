//! The recipes of issue 17: Svix's white-labelled `webhook-*` headers and Mailgun's
//! form-encoded deliveries, each with a published or recomputed vector and, where the
//! scheme can stream, a streaming test.

use std::sync::Arc;

use credgate::ManualClock;
use credgate::webhook::{Preset, Signer, Verifier, VerifyError, WebhookConfig};
use proptest::prelude::*;

// Svix's published example (svix/svix-webhooks python/tests/test_webhooks.py; also
// /work/shared/vectors/webhooks-public.json "svix-1").
const SVIX_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SVIX_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SVIX_TS: &str = "1614265330";
const SVIX_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const SVIX_BODY: &[u8] = br#"{"test": 2432232314}"#;

fn svix_verifier() -> Verifier {
    Verifier::from_preset(Preset::Svix, &[SVIX_SECRET.into()])
        .expect("valid")
        .with_clock(Arc::new(ManualClock::at_unix_seconds(1_614_265_330)))
}

fn svix_request(families: [&str; 3], body: &[u8]) -> http::Request<Vec<u8>> {
    http::Request::post("/hooks")
        .header(format!("{}-id", families[0]), SVIX_ID)
        .header(format!("{}-timestamp", families[1]), SVIX_TS)
        .header(format!("{}-signature", families[2]), SVIX_SIG)
        .body(body.to_vec())
        .expect("valid request")
}

#[test]
fn svix_accepts_both_header_families() {
    let verifier = svix_verifier();
    for families in [
        ["svix", "svix", "svix"],
        ["webhook", "webhook", "webhook"],
        ["webhook", "svix", "webhook"],
        ["svix", "webhook", "svix"],
    ] {
        let request = svix_request(families, SVIX_BODY);
        let proof = verifier.verify(&request).expect("published vector");
        assert_eq!(proof.id(), Some(SVIX_ID));
        assert!(proof.id_is_signed());
        let mut stream = verifier.stream(&request).expect("streamable");
        for chunk in SVIX_BODY.chunks(3) {
            stream.update(chunk).expect("under the cap");
        }
        assert_eq!(stream.finish(), Ok(proof), "{families:?}");
        let tampered = svix_request(families, br#"{"test": 2432232315}"#);
        assert_eq!(verifier.verify(&tampered), Err(VerifyError::Mismatch));
    }
    // Standard Webhooks stays what its specification says: webhook-* only.
    let standard = Verifier::from_preset(Preset::StandardWebhooks, &[SVIX_SECRET.into()])
        .expect("valid")
        .with_clock(Arc::new(ManualClock::at_unix_seconds(1_614_265_330)));
    assert!(
        standard
            .verify(&svix_request(["webhook"; 3], SVIX_BODY))
            .is_ok()
    );
    assert_eq!(
        standard.verify(&svix_request(["svix"; 3], SVIX_BODY)),
        Err(VerifyError::MissingHeader {
            name: "webhook-signature".to_owned()
        })
    );
}

#[test]
fn svix_headers_fail_closed() {
    let verifier = svix_verifier();
    // The svix-* header is read first: a bad one is not rescued by a good webhook-* one.
    let request = http::Request::post("/hooks")
        .header("svix-id", SVIX_ID)
        .header("svix-timestamp", SVIX_TS)
        .header(
            "svix-signature",
            "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )
        .header("webhook-signature", SVIX_SIG)
        .body(SVIX_BODY.to_vec())
        .expect("valid request");
    assert_eq!(verifier.verify(&request), Err(VerifyError::Mismatch));
    let duplicated = http::Request::post("/hooks")
        .header("webhook-id", SVIX_ID)
        .header("webhook-timestamp", SVIX_TS)
        .header("webhook-signature", SVIX_SIG)
        .header("webhook-signature", SVIX_SIG)
        .body(SVIX_BODY.to_vec())
        .expect("valid request");
    assert_eq!(
        verifier.verify(&duplicated),
        Err(VerifyError::DuplicateHeader {
            name: "webhook-signature".to_owned()
        })
    );
    let unsigned = http::Request::post("/hooks")
        .header("webhook-id", SVIX_ID)
        .header("webhook-timestamp", SVIX_TS)
        .body(SVIX_BODY.to_vec())
        .expect("valid request");
    assert!(matches!(
        verifier.verify(&unsigned),
        Err(VerifyError::MissingHeader { .. })
    ));
}

proptest! {
    /// Whatever Svix signs (credgate writes `svix-*`) verifies under either family, and
    /// under any mix of the two.
    #[test]
    fn svix_signed_deliveries_verify_under_either_family(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        renamed in proptest::collection::vec(any::<bool>(), 3),
    ) {
        let clock = Arc::new(ManualClock::at_unix_seconds(1_700_000_000));
        let mut request = http::Request::post("https://hooks.example.com/in")
            .header("svix-id", "msg_prop")
            .body(body)
            .expect("valid request");
        Signer::new(&Preset::Svix.scheme(), &SVIX_SECRET.into())
            .expect("signable")
            .with_clock(clock.clone())
            .sign(&mut request)
            .expect("signed");
        for (field, rename) in ["id", "timestamp", "signature"].into_iter().zip(renamed) {
            if rename {
                let value = request.headers_mut().remove(format!("svix-{field}")).expect("written");
                request.headers_mut().insert(
                    http::HeaderName::try_from(format!("webhook-{field}")).expect("valid"),
                    value,
                );
            }
        }
        let verifier = Verifier::from_preset(Preset::Svix, &[SVIX_SECRET.into()])
            .expect("valid")
            .with_clock(clock);
        prop_assert!(verifier.verify(&request).is_ok());
    }
}

// Mailgun's legacy form-encoded delivery, recomputed with Python:
// hmac.new(b"key-mailgun", b"1700000000" + token, hashlib.sha256).hexdigest().
const MAILGUN_TOKEN: &str = "5d3c8a2b1f9e4d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d";
const MAILGUN_SIG: &str = "693a4bd9ff425458f231a8847084baffb5869b3cb42334a5e24ba7fc019e0463";

fn mailgun_verifier(preset: Preset) -> Verifier {
    Verifier::from_preset(preset, &["key-mailgun".into()])
        .expect("valid")
        .with_clock(Arc::new(ManualClock::at_unix_seconds(1_700_000_000)))
}

fn form(body: &str) -> http::Request<Vec<u8>> {
    http::Request::post("/mailgun")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
        .expect("valid request")
}

#[test]
fn mailgun_form_deliveries_verify() {
    let verifier = mailgun_verifier(Preset::MailgunForm);
    let body = format!(
        "timestamp=1700000000&token={MAILGUN_TOKEN}&signature={MAILGUN_SIG}&event=delivered"
    );
    let proof = verifier.verify(&form(&body)).expect("recomputed vector");
    assert_eq!(proof.id(), Some(MAILGUN_TOKEN));
    assert!(proof.id_is_signed());
    // Field order does not matter; the rest of the form is not signed (as Mailgun says).
    let reordered =
        format!("event=failed&signature={MAILGUN_SIG}&token={MAILGUN_TOKEN}&timestamp=1700000000");
    assert!(verifier.verify(&form(&reordered)).is_ok());
    // Values are form-decoded before they are MACed: hmac(b"1700000000" + b"tok en/+%")
    // = f69e47c4...706f (Python).
    let encoded = "timestamp=1700000000&token=tok+en%2F%2B%25&signature=f69e47c4870426881c4b9fe53bb8ccb0800918bc66384dd1dd8787ce6c3e706f";
    assert!(verifier.verify(&form(encoded)).is_ok());
    // The JSON preset does not read forms, nor the form preset JSON.
    assert!(
        mailgun_verifier(Preset::Mailgun)
            .verify(&form(&body))
            .is_err()
    );
    // A form body cannot be streamed: its fields are needed before the MAC.
    assert_eq!(
        verifier.stream(&form(&body)).unwrap_err(),
        VerifyError::NotStreamable
    );
    assert_eq!(
        verifier
            .stream_parts(&http::HeaderMap::new(), None)
            .unwrap_err(),
        VerifyError::NotStreamable
    );
}

#[test]
fn mailgun_form_deliveries_fail_closed() {
    let verifier = mailgun_verifier(Preset::MailgunForm);
    let good = format!("timestamp=1700000000&token={MAILGUN_TOKEN}&signature={MAILGUN_SIG}");
    for (body, expected) in [
        (good.replace("token=5d", "token=6d"), VerifyError::Mismatch),
        (
            good.replace("timestamp=1700000000", "timestamp=1699999000"),
            VerifyError::TooOld {
                tolerance_seconds: 300,
            },
        ),
        (
            format!("{good}&token=other"),
            VerifyError::Malformed {
                reason: "a field appears more than once",
            },
        ),
        (
            good.replace(&format!("&token={MAILGUN_TOKEN}"), ""),
            VerifyError::MissingField {
                name: "token".to_owned(),
            },
        ),
        (
            good.replace("signature=", "signatures="),
            VerifyError::MissingField {
                name: "signature".to_owned(),
            },
        ),
        (
            format!("{good}&x=%FF"),
            VerifyError::Malformed {
                reason: "a form parameter is not UTF-8",
            },
        ),
    ] {
        assert_eq!(verifier.verify(&form(&body)), Err(expected), "{body}");
    }
}

#[test]
fn form_fields_work_in_scheme_documents() -> Result<(), Box<dyn std::error::Error>> {
    let config: WebhookConfig = serde_json::from_value(serde_json::json!({
        "scheme": {"type": "hmac", "hmac": {
            "algorithm": "sha256", "encoding": "hex", "in": "header", "name": "",
            "signatureFrom": {"form": "signature"},
            "idFrom": {"form": "token"},
            "timestamp": {"from": {"form": "timestamp"}},
            "message": ["timestamp", "id"],
        }},
        "secrets": ["key-mailgun"],
    }))?;
    let verifier = Verifier::from_config(&config)?
        .with_clock(Arc::new(ManualClock::at_unix_seconds(1_700_000_000)));
    let body = format!("timestamp=1700000000&token={MAILGUN_TOKEN}&signature={MAILGUN_SIG}");
    verifier.verify(&form(&body))?;
    // Signing cannot write a form field.
    assert!(verifier.signer().is_err());
    Ok(())
}

fn config(json: serde_json::Value) -> Result<WebhookConfig, serde_json::Error> {
    serde_json::from_value(json)
}

/// A Svix-style delivery signed at `ts` with a raw 16-byte key, verified at `now`.
fn standard_delivery(key: &[u8], ts: u64) -> http::Request<Vec<u8>> {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let body = br#"{"type":"ping"}"#;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(format!("msg_1.{ts}.").as_bytes());
    mac.update(body);
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    http::Request::post("/hooks")
        .header("webhook-id", "msg_1")
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", format!("v1,{signature}"))
        .body(body.to_vec())
        .expect("valid request")
}

#[test]
fn a_config_overrides_the_secret_decoding() -> Result<(), Box<dyn std::error::Error>> {
    // A provider using the Standard Webhooks recipe with hex secrets.
    let key = b"0123456789abcdef";
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let request = standard_delivery(key, 1_700_000_000);
    let clock = Arc::new(ManualClock::at_unix_seconds(1_700_000_000));
    let plain = config(serde_json::json!({"preset": "standard-webhooks", "secrets": [hex]}))?;
    // Without the override the hex string is read as base64: another key.
    assert_eq!(
        Verifier::from_config(&plain)?
            .with_clock(clock.clone())
            .verify(&request)
            .unwrap_err(),
        VerifyError::Mismatch
    );
    for decoding in [
        serde_json::json!({"secretDecoding": "hex"}),
        serde_json::json!({"schemeOverrides": {"secretDecoding": "hex"}}),
    ] {
        let mut json = serde_json::json!({"preset": "standard-webhooks", "secrets": [hex]});
        json.as_object_mut()
            .expect("object")
            .extend(decoding.as_object().expect("object").clone());
        let verifier = Verifier::from_config(&config(json)?)?.with_clock(clock.clone());
        verifier.verify(&request)?;
    }
    Ok(())
}

#[test]
fn scheme_overrides_patch_any_field() -> Result<(), Box<dyn std::error::Error>> {
    let overridden = config(serde_json::json!({
        "preset": "github", "secrets": ["s"],
        "schemeOverrides": {"name": "X-Signature", "format": {"prefix": "sha256:"}, "idFrom": null},
    }))?
    .to_scheme()?;
    assert_eq!(overridden.name, "X-Signature");
    assert_eq!(
        overridden.format,
        credgate::webhook::SignatureFormat::Single {
            prefix: "sha256:".to_owned()
        }
    );
    assert_eq!(overridden.id_from, None);
    let nested = config(serde_json::json!({
        "preset": "stripe", "secrets": ["s"],
        "schemeOverrides": {"timestamp": {"pastTolerance": 30}},
    }))?
    .to_scheme()?;
    let rule = nested.timestamp.expect("kept");
    assert_eq!((rule.past_tolerance, rule.future_tolerance), (30, 300));
    // A misspelt field is an error, not silently ignored; so is a wrong type.
    for (patch, expected) in [
        (
            serde_json::json!({"nmae": "X"}),
            "\"nmae\" is not a valid hmac scheme field name",
        ),
        (
            serde_json::json!({"encoding": 3}),
            "schemeOverrides do not make a valid hmac scheme (check each field's type)",
        ),
    ] {
        let err = config(serde_json::json!({
            "preset": "github", "secrets": ["s"], "schemeOverrides": patch,
        }))?
        .to_scheme()
        .unwrap_err();
        assert_eq!(err.to_string(), expected);
    }
    Ok(())
}

#[test]
fn a_config_can_turn_the_replay_window_off() -> Result<(), Box<dyn std::error::Error>> {
    let key = b"0123456789abcdef";
    use base64::Engine as _;
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    let signed_at = 1_600_000_000;
    let request = standard_delivery(key, signed_at);
    let later = Arc::new(ManualClock::at_unix_seconds(1_700_000_000));
    let windowed = Verifier::from_config(&config(serde_json::json!({
        "preset": "standard-webhooks", "secrets": [secret],
    }))?)?
    .with_clock(later.clone());
    assert_eq!(
        windowed.verify(&request).unwrap_err(),
        VerifyError::TooOld {
            tolerance_seconds: 300
        }
    );
    let open = Verifier::from_config(&config(serde_json::json!({
        "preset": "standard-webhooks", "secrets": [secret], "noReplayWindow": true,
    }))?)?
    .with_clock(later);
    let proof = open.verify(&request)?;
    assert!(proof.timestamp().is_some());
    // The timestamp is still signed: changing it fails.
    let mut moved = request.clone();
    moved.headers_mut().insert(
        "webhook-timestamp",
        http::HeaderValue::from_static("1600000001"),
    );
    assert_eq!(open.verify(&moved).unwrap_err(), VerifyError::Mismatch);
    // Far-future timestamps are accepted too, without overflow.
    let future = standard_delivery(key, u64::MAX / 1000);
    open.verify(&future)?;
    // It cannot be combined with a tolerance, nor set for a scheme without a timestamp.
    for bad in [
        serde_json::json!({"preset": "stripe", "secrets": ["s"], "noReplayWindow": true, "pastTolerance": 5}),
        serde_json::json!({"preset": "github", "secrets": ["s"], "noReplayWindow": true}),
    ] {
        assert!(config(bad)?.to_scheme().is_err());
    }
    // It round-trips, and is omitted when off.
    let text = serde_json::to_string(&config(
        serde_json::json!({"preset": "zoom", "secrets": ["s"], "noReplayWindow": true}),
    )?)?;
    assert!(text.contains(r#""noReplayWindow":true"#), "{text}");
    let off = serde_json::to_string(&WebhookConfig::preset(Preset::Zoom, vec!["s".into()]))?;
    assert!(!off.contains("noReplayWindow"), "{off}");
    Ok(())
}

/// Zoom's URL validation: encryptedToken = hex(HMAC-SHA256(secret token, plainToken)),
/// recomputed with Python's hmac for each token below.
#[test]
fn zoom_url_validation_answers_the_challenge() -> Result<(), Box<dyn std::error::Error>> {
    let verifier = Verifier::from_preset(Preset::Zoom, &["zoom_secret_token".into()])?;
    for (plain, expected) in [
        (
            "qgg8vlvZRS6UYooatFL8Aw",
            "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726",
        ),
        (
            "a\"b\\c é",
            "582aba5acff0a7519e7d27710a0196120746df02960c74b6e9a4c88af1f666d7",
        ),
    ] {
        let body = serde_json::json!({
            "event": "endpoint.url_validation",
            "payload": {"plainToken": plain},
            "event_ts": 1_654_503_849_680_u64,
        })
        .to_string();
        let answer = verifier
            .zoom_url_validation(body.as_bytes())?
            .expect("challenge");
        let answer: serde_json::Value = serde_json::from_str(&answer)?;
        assert_eq!(answer["plainToken"], plain);
        assert_eq!(answer["encryptedToken"], expected, "{plain}");
    }
    assert_eq!(
        verifier.zoom_url_validation(br#"{"event": "meeting.started", "payload": {}}"#)?,
        None
    );
    for bad in [
        &b"not json"[..],
        br#"{"event": "endpoint.url_validation", "payload": {}}"#,
        br#"{"event": "endpoint.url_validation", "payload": {"plainToken": 5}}"#,
    ] {
        assert!(matches!(
            verifier.zoom_url_validation(bad),
            Err(VerifyError::Malformed { .. })
        ));
    }
    // A verifier keyed for another algorithm cannot answer.
    let sha1 = Verifier::from_preset(Preset::Intercom, &["s".into()])?;
    assert!(
        sha1.zoom_url_validation(
            br#"{"event":"endpoint.url_validation","payload":{"plainToken":"x"}}"#
        )
        .is_err()
    );
    Ok(())
}

/// The README and the module documentation give the number of presets there are.
#[test]
fn the_docs_count_the_presets() {
    let count = Preset::ALL.len();
    assert!(include_str!("../README.md").contains(&format!("{count} provider presets")));
    assert!(include_str!("../src/webhook/mod.rs").contains(&format!("holds {count} presets")));
    assert!(include_str!("../src/webhook/presets.rs").contains(&format!("{count} presets")));
}
