//! Property tests: what a preset signs, it verifies (whole or in chunks); what it did not
//! sign, it rejects; no header value makes it panic.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use credgate::ManualClock;
use credgate::webhook::{FieldSource, Preset, Signer, Verifier, VerifyError};
use proptest::prelude::*;

const NOW_MILLIS: u64 = 1_700_000_000_456;

fn clock() -> Arc<ManualClock> {
    let clock = ManualClock::at_unix_seconds(0);
    clock.advance(Duration::from_millis(NOW_MILLIS));
    Arc::new(clock)
}

/// Every preset credgate can sign for (Mailgun's signature lives in the JSON body).
fn signable() -> Vec<Preset> {
    Preset::ALL
        .into_iter()
        .filter(|p| !matches!(p, Preset::Mailgun | Preset::MailgunForm))
        .collect()
}

/// A secret in the form the preset's decoding expects.
fn secret_for(preset: Preset, raw: &[u8]) -> String {
    match preset {
        Preset::StandardWebhooks | Preset::Svix => {
            format!(
                "whsec_{}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        }
        _ => raw.iter().map(|b| char::from(b'a' + b % 26)).collect(),
    }
}

/// A request carrying what the preset signs that only the caller can provide.
fn unsigned_request(preset: Preset, path: &str, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut body = body.to_vec();
    if preset == Preset::Linear {
        body = serde_json::to_vec(&serde_json::json!({
            "data": String::from_utf8_lossy(&body),
            "webhookTimestamp": NOW_MILLIS,
        }))
        .expect("serializable");
    }
    let mut builder = http::Request::post(format!("https://hooks.example.com{path}"));
    match preset.scheme().id_from {
        Some(FieldSource::Header(id)) => builder = builder.header(id, "msg_01HQ"),
        Some(FieldSource::AnyHeader(ids)) => builder = builder.header(&ids[0], "msg_01HQ"),
        _ => {}
    }
    builder.body(body).expect("valid request")
}

fn preset_strategy() -> impl Strategy<Value = Preset> {
    proptest::sample::select(signable())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_agrees_for_every_preset(
        preset in preset_strategy(),
        raw_secret in proptest::collection::vec(any::<u8>(), 1..48),
        body in proptest::collection::vec(any::<u8>(), 0..600),
        path in "/[a-z0-9]{0,8}(\\?[a-z]{1,3}=[a-z0-9%]{0,6})?",
        split in any::<prop::sample::Index>(),
    ) {
        let secret = secret_for(preset, &raw_secret);
        let verifier = Verifier::from_preset(preset, &[secret.as_str().into()])
            .expect("valid preset")
            .with_clock(clock());
        let mut request = unsigned_request(preset, &path, &body);
        let signed = Signer::new(&preset.scheme(), &secret.as_str().into())
            .expect("signable")
            .with_clock(clock())
            .sign(&mut request);
        if preset == Preset::Twilio && std::str::from_utf8(&body).is_err() {
            // Twilio signs decoded form parameters, which must be UTF-8.
            prop_assert!(signed.is_err());
            return Ok(());
        }
        prop_assert!(signed.is_ok(), "{:?}: {:?}", preset, signed);
        let proof = verifier.verify(&request);
        prop_assert!(proof.is_ok(), "{:?}: {:?}", preset, proof);

        // The same delivery verified as a stream split anywhere.
        if let Ok(mut stream) = verifier.stream(&request) {
            let (head, tail) = request.body().split_at(split.index(request.body().len() + 1));
            stream.update(head).expect("under the cap");
            stream.update(tail).expect("under the cap");
            prop_assert_eq!(stream.finish().map(|p| p.secret_index()), Ok(0));
        }

        // Anything else fails: another secret, another body.
        let other = Verifier::from_preset(preset, &[secret_for(preset, b"another").as_str().into()])
            .expect("valid preset")
            .with_clock(clock());
        prop_assert_eq!(other.verify(&request).unwrap_err(), VerifyError::Mismatch);
        if preset != Preset::Twilio {
            let mut tampered = request.body().clone();
            tampered.push(b'!');
            *request.body_mut() = tampered;
            prop_assert!(verifier.verify(&request).is_err());
        }
    }

    #[test]
    fn arbitrary_header_values_never_panic(
        preset in proptest::sample::select(Preset::ALL.to_vec()),
        values in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..100),
                "(t|ts|v1|v0|h1|sha256|sha1|v1,|=|,|;| |[0-9a-fA-F]{0,70}|[A-Za-z0-9+/=]{0,50}|[0-9]{0,25})*"
                    .prop_map(String::into_bytes),
            ],
            3,
        ),
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let scheme = preset.scheme();
        let mut names = vec![scheme.name.clone()];
        for source in [scheme.timestamp.map(|t| t.from), scheme.id_from].into_iter().flatten() {
            if let FieldSource::Header(name) = source {
                names.push(name);
            }
        }
        let mut builder = http::Request::post("https://hooks.example.com/x?y=1");
        for (name, value) in names.iter().zip(&values).filter(|(name, _)| !name.is_empty()) {
            if let Ok(value) = http::HeaderValue::from_bytes(value) {
                builder = builder.header(name.as_str(), value);
            }
        }
        let request = builder.body(body).expect("valid request");
        let verifier = Verifier::from_preset(preset, &["c2VjcmV0".into()])
            .expect("valid preset")
            .with_clock(clock());
        prop_assert!(verifier.verify(&request).is_err());
        if let Ok(mut stream) = verifier.stream(&request) {
            stream.update(request.body()).expect("under the cap");
            prop_assert!(stream.finish().is_err());
        }
    }
}
