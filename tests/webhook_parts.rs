//! `Verifier::verify_parts` / `stream_parts` (headers and body handed over separately, as
//! actix-web, warp and Lambda do) agree with `verify` / `stream` on every preset, and keep
//! a signed URL byte for byte (issue 15 item 3; issue 17 recipe 5).

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

fn secret_for(preset: Preset) -> String {
    match preset {
        Preset::StandardWebhooks | Preset::Svix => format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(b"parts secret")
        ),
        _ => "parts-secret".to_owned(),
    }
}

fn signed(preset: Preset, url: &str, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut body = body.to_vec();
    if preset == Preset::Linear {
        body = serde_json::to_vec(&serde_json::json!({
            "data": String::from_utf8_lossy(&body),
            "webhookTimestamp": NOW_MILLIS,
        }))
        .expect("serializable");
    }
    if preset == Preset::Twilio {
        // Twilio signs decoded form parameters, which must be UTF-8.
        let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
        body = format!("Body={hex}&To=%2B1").into_bytes();
    }
    let mut builder = http::Request::post(url);
    match preset.scheme().id_from {
        Some(FieldSource::Header(id)) => builder = builder.header(id, "msg_01HQ"),
        Some(FieldSource::AnyHeader(ids)) => builder = builder.header(&ids[0], "msg_01HQ"),
        _ => {}
    }
    let mut request = builder.body(body).expect("valid request");
    Signer::new(&preset.scheme(), &secret_for(preset).into())
        .expect("signable")
        .with_clock(clock())
        .sign(&mut request)
        .expect("signed");
    request
}

fn verifier(preset: Preset) -> Verifier {
    Verifier::from_preset(preset, &[secret_for(preset).into()])
        .expect("valid")
        .with_clock(clock())
}

fn signable() -> Vec<Preset> {
    Preset::ALL
        .into_iter()
        .filter(|p| !matches!(p, Preset::Mailgun | Preset::MailgunForm))
        .collect()
}

proptest! {
    #[test]
    fn parts_agree_with_the_request_forms(
        preset in proptest::sample::select(signable()),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        tamper in any::<bool>(),
    ) {
        let url = "https://hooks.example.com/in?a=1";
        let mut request = signed(preset, url, &body);
        if tamper {
            request.body_mut().push(b'!');
        }
        let verifier = verifier(preset);
        let whole = verifier.verify(&request);
        let parts = verifier.verify_parts(request.headers(), request.body(), Some(url));
        prop_assert_eq!(&whole, &parts);
        prop_assert_eq!(whole.is_ok(), !tamper);
        match verifier.stream_parts(request.headers(), Some(url)) {
            Ok(mut stream) => {
                for chunk in request.body().chunks(7) {
                    stream.update(chunk).expect("under the cap");
                }
                prop_assert_eq!(stream.finish(), parts);
            }
            Err(err) => prop_assert_eq!(err, VerifyError::NotStreamable),
        }
    }
}

#[test]
fn parts_need_the_url_for_url_signed_schemes() {
    let url = "https://hooks.example.com/in";
    for preset in [Preset::Square, Preset::Twilio, Preset::HubspotV3] {
        let request = signed(preset, url, b"x=1");
        let verifier = verifier(preset);
        assert_eq!(
            verifier.verify_parts(request.headers(), request.body(), None),
            Err(VerifyError::MissingUrl),
            "{preset:?}"
        );
        assert!(
            verifier
                .verify_parts(request.headers(), request.body(), Some(url))
                .is_ok()
        );
    }
}

#[test]
fn parts_cap_the_body() {
    let verifier = Verifier::new(
        &{
            let mut scheme = Preset::Github.scheme();
            scheme.max_body_bytes = Some(4);
            scheme
        },
        &["s".into()],
    )
    .expect("valid");
    assert_eq!(verifier.max_body_bytes(), 4);
    assert_eq!(
        verifier.verify_parts(&http::HeaderMap::new(), b"12345", None),
        Err(VerifyError::BodyTooLarge { limit: 4 })
    );
}

/// A sender that signed an upper-case scheme (`HTTP://`, `HTTPS://`): the explicit URL
/// forms use it byte for byte; `verify` on the parsed URI cannot (documented on
/// `VerifyError::Mismatch`).
#[test]
fn an_upper_case_scheme_is_kept_byte_for_byte() {
    for url in [
        "HTTP://hooks.example.com/in?b=2",
        "HTTPS://Hooks.Example.com:8443/In",
        "HtTpS://hooks.example.com/in",
    ] {
        for preset in [
            Preset::Square,
            Preset::SquareSha1,
            Preset::HubspotV3,
            Preset::HubspotV2,
        ] {
            let scheme = preset.scheme();
            let signer = Signer::new(&scheme, &secret_for(preset).into())
                .expect("signable")
                .with_clock(clock());
            // Sign for the exact URL (the signer reads it from an explicit value the same
            // way: byte for byte), by signing a request whose URI we then discard.
            let mut request = http::Request::post("https://placeholder.example/")
                .body(b"{\"a\":1}".to_vec())
                .expect("valid");
            signer.sign(&mut request).expect("signed");
            let verifier = verifier(preset);
            // Signed for the placeholder: the exact URL does not verify...
            assert_eq!(
                verifier.verify_with_url(&request, url),
                Err(VerifyError::Mismatch)
            );
            // ... and a delivery signed for the exact URL does, in both explicit forms.
            let exact = sign_for_url(preset, url);
            assert!(
                verifier.verify_with_url(&exact, url).is_ok(),
                "{preset:?} {url}"
            );
            assert!(
                verifier
                    .verify_parts(exact.headers(), exact.body(), Some(url))
                    .is_ok(),
                "{preset:?} {url}"
            );
        }
    }
}

/// Computes the signature for `url` exactly as the provider would, independently of
/// credgate's URL handling: HMAC (or, for HubSpot v2, plain SHA-256) over the documented
/// message.
fn sign_for_url(preset: Preset, url: &str) -> http::Request<Vec<u8>> {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    let body = b"{\"a\":1}".to_vec();
    let secret = secret_for(preset);
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let ts = (NOW_MILLIS).to_string();
    let (name, value, timestamp) = match preset {
        Preset::Square => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
            mac.update(url.as_bytes());
            mac.update(&body);
            (
                "x-square-hmacsha256-signature",
                b64(&mac.finalize().into_bytes()),
                None,
            )
        }
        Preset::SquareSha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("key");
            mac.update(url.as_bytes());
            mac.update(&body);
            (
                "x-square-signature",
                b64(&mac.finalize().into_bytes()),
                None,
            )
        }
        Preset::HubspotV3 => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
            mac.update(b"POST");
            mac.update(url.as_bytes());
            mac.update(&body);
            mac.update(ts.as_bytes());
            (
                "x-hubspot-signature-v3",
                b64(&mac.finalize().into_bytes()),
                Some(ts),
            )
        }
        _ => {
            let mut hash = Sha256::new();
            hash.update(secret.as_bytes());
            hash.update(b"POST");
            hash.update(url.as_bytes());
            hash.update(&body);
            let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
            ("x-hubspot-signature", hex, None)
        }
    };
    let mut builder = http::Request::post("/in").header(name, value);
    if let Some(ts) = timestamp {
        builder = builder.header("x-hubspot-request-timestamp", ts);
    }
    builder.body(body).expect("valid")
}
