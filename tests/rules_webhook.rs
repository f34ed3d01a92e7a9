//! The rules of webhook verification that mutation testing found unpinned (issue 18): a
//! streamed delivery verifies exactly as the buffered one does (same secret, timestamp, id
//! and whether the id is signed), whatever the scheme signs after the body; the body cap
//! admits a body of exactly the cap when streamed; a matching signature is found wherever
//! it stands among the presented ones; a URL given by the caller is used byte for byte; and
//! a `Signer` writes where the scheme reads (a cookie, a timestamp from the body) and
//! refuses what it may not write.

use std::sync::Arc;
use std::time::Duration;

use credgate::webhook::{
    FieldSource, MessagePart, Preset, Signer, TimeUnit, TimestampRule, Verifier, VerifyError,
    WebhookConfig,
};
use credgate::{ManualClock, Secret};

const SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER: &str = "whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const BODY: &[u8] = br#"{"webhookTimestamp": 1700000000123, "id": "e1", "type": "ping"}"#;
const TAMPERED: &[u8] = br#"{"webhookTimestamp": 1700000000123, "id": "e1", "type": "pong"}"#;

fn clock() -> Arc<ManualClock> {
    let clock = ManualClock::at_unix_seconds(0);
    clock.advance(Duration::from_millis(1_700_000_000_123));
    Arc::new(clock)
}

/// A delivery of `body` signed for `preset` with `secret`, or `None` when credgate cannot
/// sign that preset.
fn signed(preset: Preset, secret: &str, body: &[u8]) -> Option<http::Request<Vec<u8>>> {
    let signer = Signer::new(&preset.scheme(), &secret.into())
        .ok()?
        .with_clock(clock());
    let mut request = http::Request::post("https://hooks.example.com/in?a=1")
        .header("content-type", "application/json")
        .header("webhook-id", "msg_1")
        .header("svix-id", "msg_1")
        .header("x-github-delivery", "d-1")
        .body(body.to_vec())
        .ok()?;
    signer.sign(&mut request).ok()?;
    Some(request)
}

fn verifier_for(preset: Preset, secrets: &[&str]) -> Verifier {
    let secrets: Vec<Secret> = secrets.iter().map(|&s| s.into()).collect();
    Verifier::new(&preset.scheme(), &secrets)
        .expect("valid preset")
        .with_clock(clock())
}

/// Streams `request`'s body in two chunks.
fn stream(
    verifier: &Verifier,
    request: &http::Request<Vec<u8>>,
    body: &[u8],
) -> Result<credgate::webhook::Verified, VerifyError> {
    let head = http::Request::post(request.uri().clone())
        .body(())
        .map(|mut head| {
            *head.headers_mut() = request.headers().clone();
            head
        })
        .expect("valid head");
    let mut stream = verifier.stream(&head)?;
    let (first, rest) = body.split_at(body.len() / 2);
    stream.update(first)?;
    stream.update(rest)?;
    stream.finish()
}

#[test]
fn a_streamed_delivery_verifies_exactly_as_the_buffered_one() {
    let (mut streamed, mut after_body, mut unsigned_id) = (0, 0, 0);
    for preset in Preset::ALL {
        let Some(request) = signed(preset, SECRET, BODY) else {
            continue;
        };
        // The second secret matches: a rotation in progress.
        let verifier = verifier_for(preset, &[OTHER, SECRET]);
        let buffered = verifier.verify(&request).expect("signed by credgate");
        assert_eq!(buffered.secret_index(), 1, "{preset:?}");
        match stream(&verifier, &request, BODY) {
            Ok(verified) => {
                assert_eq!(verified, buffered, "{preset:?}");
                streamed += 1;
                let scheme = preset.scheme();
                let message = format!("{:?}", scheme.message);
                if message.trim_end_matches("])").ends_with("Timestamp") {
                    after_body += 1;
                }
                if buffered.id().is_some() && !buffered.id_is_signed() {
                    unsigned_id += 1;
                }
            }
            Err(err) => assert_eq!(err, VerifyError::NotStreamable, "{preset:?}"),
        }
        // Another body fails, streamed as well as buffered.
        let tampered = request.clone().map(|_| TAMPERED.to_vec());
        assert_eq!(
            verifier.verify(&tampered).unwrap_err(),
            VerifyError::Mismatch,
            "{preset:?}"
        );
        if let Err(err) = stream(&verifier, &request, TAMPERED) {
            assert!(
                matches!(err, VerifyError::Mismatch | VerifyError::NotStreamable),
                "{preset:?}: {err:?}"
            );
        } else {
            panic!("{preset:?}: a tampered streamed body verified");
        }
    }
    assert!(streamed >= 5, "{streamed} presets streamed");
    assert!(
        after_body >= 1,
        "{after_body} presets sign a part after the body"
    );
    assert!(
        unsigned_id >= 1,
        "{unsigned_id} presets with an unsigned id"
    );
}

#[test]
fn a_streamed_body_of_exactly_the_cap_verifies() {
    let request = signed(Preset::Github, SECRET, BODY).expect("github signs");
    let cap = u64::try_from(BODY.len()).expect("small");
    let mut config = WebhookConfig::preset(Preset::Github, vec![SECRET.into()]);
    config.max_body_bytes = Some(cap);
    let verifier = Verifier::from_config(&config).expect("valid");
    assert!(stream(&verifier, &request, BODY).is_ok());
    assert!(verifier.verify(&request).is_ok());
    // One byte more fails in `update`, and `finish` says the same.
    config.max_body_bytes = Some(cap - 1);
    let verifier = Verifier::from_config(&config).expect("valid");
    assert_eq!(
        stream(&verifier, &request, BODY).unwrap_err(),
        VerifyError::BodyTooLarge { limit: cap - 1 }
    );
    let head = http::Request::post("/")
        .header(
            "x-hub-signature-256",
            request.headers()["x-hub-signature-256"].clone(),
        )
        .body(())
        .expect("valid");
    let mut stream = verifier.stream(&head).expect("streamable");
    assert!(stream.update(&BODY[..BODY.len() - 1]).is_ok());
    assert_eq!(
        stream.update(&BODY[BODY.len() - 1..]).unwrap_err(),
        VerifyError::BodyTooLarge { limit: cap - 1 }
    );
    assert_eq!(
        stream.finish().unwrap_err(),
        VerifyError::BodyTooLarge { limit: cap - 1 }
    );
}

/// The value of `request`'s signature header `name`.
fn signature_header(request: &http::Request<Vec<u8>>, name: &str) -> String {
    request.headers()[name].to_str().expect("ascii").to_owned()
}

#[test]
fn a_matching_signature_counts_wherever_it_stands_in_the_list() {
    // Standard Webhooks: space-separated `v1,<base64>`; Stripe: `t=..,v1=<hex>,v1=<hex>`.
    let theirs = signed(Preset::StandardWebhooks, OTHER, BODY).expect("signs");
    let ours = signed(Preset::StandardWebhooks, SECRET, BODY).expect("signs");
    let theirs = signature_header(&theirs, "webhook-signature");
    let ours = signature_header(&ours, "webhook-signature");
    let verifier = verifier_for(Preset::StandardWebhooks, &[SECRET]);
    for list in [
        format!("{ours} {theirs}"),
        format!("{theirs} {ours}"),
        format!("v1,not-base64! {theirs} {ours}"),
        format!("{theirs} v1,not-base64! {theirs} {ours} {theirs}"),
    ] {
        let mut request = signed(Preset::StandardWebhooks, SECRET, BODY).expect("signs");
        request
            .headers_mut()
            .insert("webhook-signature", list.parse().expect("ascii"));
        let verified = verifier.verify(&request).expect(&list);
        assert_eq!(verified.secret_index(), 0);
        assert_eq!(stream(&verifier, &request, BODY).expect(&list), verified);
        // Without ours, nothing matches.
        request.headers_mut().insert(
            "webhook-signature",
            list.replace(&ours, &theirs).parse().expect("ascii"),
        );
        assert_eq!(
            verifier.verify(&request).unwrap_err(),
            VerifyError::Mismatch
        );
        assert_eq!(
            stream(&verifier, &request, BODY).unwrap_err(),
            VerifyError::Mismatch
        );
    }

    let theirs = signed(Preset::Stripe, OTHER, BODY).expect("signs");
    let ours = signed(Preset::Stripe, SECRET, BODY).expect("signs");
    let theirs = signature_header(&theirs, "stripe-signature");
    let ours = signature_header(&ours, "stripe-signature");
    let (t, ours_v1) = ours.split_once(",v1=").expect("t=..,v1=..");
    let (_, theirs_v1) = theirs.split_once(",v1=").expect("t=..,v1=..");
    let verifier = verifier_for(Preset::Stripe, &[SECRET]);
    for header in [
        format!("{t},v1={theirs_v1},v1={ours_v1}"),
        format!("{t},v1=zz,v1={theirs_v1},v0={ours_v1},v1={ours_v1}"),
    ] {
        let mut request = signed(Preset::Stripe, SECRET, BODY).expect("signs");
        request
            .headers_mut()
            .insert("stripe-signature", header.parse().expect("ascii"));
        let verified = verifier.verify(&request).expect(&header);
        assert_eq!(stream(&verifier, &request, BODY).expect(&header), verified);
    }
}

/// Square's signature header: base64 HMAC-SHA256 of `url` ‖ `body`.
fn square_signature(url: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
    mac.update(url.as_bytes());
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn a_url_given_by_the_caller_gets_no_other_spelling_of_its_scheme() {
    let verifier = verifier_for(Preset::Square, &[SECRET]);
    for (given, other) in [
        (
            "https://hooks.example.com/square",
            "HTTPS://hooks.example.com/square",
        ),
        (
            "http://hooks.example.com/square",
            "HTTP://hooks.example.com/square",
        ),
        (
            "HTTPS://hooks.example.com/square",
            "https://hooks.example.com/square",
        ),
    ] {
        for (signed_url, ok) in [(given, true), (other, false)] {
            let request = http::Request::post("/in")
                .header(
                    "x-square-hmacsha256-signature",
                    square_signature(signed_url, BODY),
                )
                .body(BODY.to_vec())
                .expect("valid");
            let buffered = verifier.verify_with_url(&request, given);
            let parts = verifier.verify_parts(request.headers(), BODY, Some(given));
            let streamed = verifier
                .stream_with_url(&request.map(|_| ()), given)
                .and_then(|mut stream| {
                    stream.update(BODY)?;
                    stream.finish()
                });
            for outcome in [buffered, parts, streamed] {
                if ok {
                    assert!(outcome.is_ok(), "{given}: {outcome:?}");
                } else {
                    assert_eq!(
                        outcome.unwrap_err(),
                        VerifyError::Mismatch,
                        "{given} signed as {signed_url}"
                    );
                }
            }
        }
    }
}

// ---- signing custom schemes ------------------------------------------------------------

#[test]
fn a_signature_in_a_cookie_is_written_and_verifies() {
    let mut scheme = Preset::Github.scheme();
    scheme.signature_from = Some(FieldSource::Cookie("sig".to_owned()));
    let signer = Signer::new(&scheme, &SECRET.into()).expect("a cookie is writable");
    let mut request = http::Request::post("https://hooks.example.com/in")
        .body(BODY.to_vec())
        .expect("valid");
    signer.sign(&mut request).expect("signs into a cookie");
    assert!(request.headers().contains_key(http::header::COOKIE));
    let verifier = Verifier::new(&scheme, &[SECRET.into()]).expect("valid");
    assert!(verifier.verify(&request).is_ok());
}

#[test]
fn a_timestamp_read_from_the_body_is_signed_as_the_body_says() {
    let mut scheme = Preset::Github.scheme();
    scheme.timestamp = Some(
        TimestampRule::new(FieldSource::Json("/ts".to_owned()), TimeUnit::Seconds)
            .with_tolerance(300),
    );
    scheme.message = Some(vec![
        MessagePart::Timestamp,
        MessagePart::Literal(".".to_owned()),
        MessagePart::Body,
    ]);
    // Sent 100 s before the clock's now: inside the window, but not now.
    let body = br#"{"ts": 1699999900, "type": "ping"}"#;
    let signer = Signer::new(&scheme, &SECRET.into())
        .expect("signable")
        .with_clock(clock());
    let mut request = http::Request::post("https://hooks.example.com/in")
        .body(body.to_vec())
        .expect("valid");
    signer
        .sign(&mut request)
        .expect("the body has its timestamp");
    let verifier = Verifier::new(&scheme, &[SECRET.into()])
        .expect("valid")
        .with_clock(clock());
    let verified = verifier.verify(&request).expect("signed as the body says");
    assert_eq!(
        verified.timestamp(),
        Some(std::time::UNIX_EPOCH + Duration::from_secs(1_699_999_900))
    );
}

#[test]
fn a_signer_refuses_header_names_a_template_may_not_write() {
    for (signature, timestamp) in [
        (FieldSource::Header("content-length".to_owned()), None),
        (
            FieldSource::AnyHeader(vec!["x-signature".to_owned(), "host".to_owned()]),
            None,
        ),
        (
            FieldSource::Header("x-signature".to_owned()),
            Some(FieldSource::Header("host".to_owned())),
        ),
        (
            FieldSource::Header("x-signature".to_owned()),
            Some(FieldSource::AnyHeader(vec![
                "x-ts".to_owned(),
                "content-length".to_owned(),
            ])),
        ),
    ] {
        let mut scheme = Preset::Github.scheme();
        scheme.signature_from = Some(signature.clone());
        scheme.timestamp = timestamp
            .clone()
            .map(|from| TimestampRule::new(from, TimeUnit::Seconds));
        assert!(
            Signer::new(&scheme, &SECRET.into()).is_err(),
            "{signature:?} {timestamp:?}"
        );
    }
}

#[test]
fn signing_a_body_that_does_not_match_its_body_sha256_says_so() {
    let signer = Signer::new(&Preset::Twilio.scheme(), &SECRET.into()).expect("signable");
    let mut request = http::Request::post(format!(
        "https://hooks.example.com/in?bodySHA256={}",
        "0".repeat(64)
    ))
    .header("content-type", "application/json")
    .body(BODY.to_vec())
    .expect("valid");
    let err = signer.sign(&mut request).unwrap_err();
    assert_eq!(
        err,
        credgate::AuthError::Sign {
            reason: "the body does not match the URL's bodySHA256"
        }
    );
}
