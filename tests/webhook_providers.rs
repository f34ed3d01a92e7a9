//! Per-provider positive and negative cases.
//!
//! Every expected signature below was computed independently of credgate, at authoring
//! time, with Python's `hmac`, `hashlib` and `base64` modules following each provider's
//! recipe (see the comment on each case; for Twilio, `0/KCTR6DLpKmkAf8muzZqo1nDgQ=` is also
//! the signature in Twilio's own documentation for that URL and those parameters).

use std::sync::Arc;
use std::time::Duration;

use credgate::webhook::{
    FieldSource, Preset, TimeUnit, Verified, Verifier, VerifyError, WebhookConfig,
};
use credgate::{BuildError, ManualClock};

/// 2023-11-14T22:13:20Z, the timestamp every timed case signs (seconds).
const TS: u64 = 1_700_000_000;

/// One valid delivery.
struct Case {
    preset: Preset,
    secret: &'static str,
    method: &'static str,
    uri: &'static str,
    signed_url: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    /// The signed timestamp in milliseconds, for timed schemes.
    ts_millis: Option<u64>,
}

const CASES: &[Case] = &[
    // hmac_sha256("It's a Secret to Everybody", "Hello, World!"): GitHub's documented example.
    Case {
        preset: Preset::Github,
        secret: "It's a Secret to Everybody",
        method: "POST",
        uri: "/hooks",
        signed_url: None,
        headers: &[
            ("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
            ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ],
        body: b"Hello, World!",
        ts_millis: None,
    },
    // octokit/webhooks-methods.js README: hmac_sha1("mysecret", '{"foo":"bar"}').
    Case {
        preset: Preset::GithubSha1,
        secret: "mysecret",
        method: "POST",
        uri: "/hooks",
        signed_url: None,
        headers: &[("X-Hub-Signature", "sha1=d03207e4b030cf234e3447bac4d93add4c6643d8")],
        body: br#"{"foo":"bar"}"#,
        ts_millis: None,
    },
    // hmac_sha256(b"whsec_test_secret", b"1700000000." + body).hexdigest(); the secret is
    // used verbatim, and the v0 entry (keyed with another secret) is ignored.
    Case {
        preset: Preset::Stripe,
        secret: "whsec_test_secret",
        method: "POST",
        uri: "/stripe",
        signed_url: None,
        headers: &[(
            "Stripe-Signature",
            "t=1700000000,v1=86d195bdf7fa8d2a41b621d0367baa5f34b0c4861d35227c2012edbaf25cf1a2,v0=76ac188b85304f349310e7fd23463d492dabf1a09a453933ffd812c4b3c82640",
        )],
        body: br#"{"id": "evt_1", "object": "event"}"#,
        ts_millis: Some(TS * 1000),
    },
    // base64(hmac_sha256(b"shpss_hush", body)): a body that is not UTF-8.
    Case {
        preset: Preset::Shopify,
        secret: "shpss_hush",
        method: "POST",
        uri: "/shopify",
        signed_url: None,
        headers: &[("X-Shopify-Hmac-Sha256", "bPW5iryFC/+EVNhmYE+DA/8jmrDA53AFb5a0P2XpoUw=")],
        body: b"\xff\xfe{\"a\": 1}\x00",
        ts_millis: None,
    },
    // hmac_sha256(b"slack_signing_secret", b"v0:1700000000:" + body).hexdigest()
    Case {
        preset: Preset::Slack,
        secret: "slack_signing_secret",
        method: "POST",
        uri: "/slack",
        signed_url: None,
        headers: &[
            ("X-Slack-Request-Timestamp", "1700000000"),
            ("X-Slack-Signature", "v0=9de6ef2dae7322e17db8ccef22040fdd633c042c774d0d2fc9b8f3ca3e29aa47"),
        ],
        body: b"token=abc&text=hello+world%21",
        ts_millis: Some(TS * 1000),
    },
    // key = bytes(range(32)); base64(hmac_sha256(key, b"msg_2Lh9KRb0pzN4LePd3XiA4K5w7Zl.1700000000." + body)).
    Case {
        preset: Preset::StandardWebhooks,
        secret: "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        method: "POST",
        uri: "/standard",
        signed_url: None,
        headers: &[
            ("webhook-id", "msg_2Lh9KRb0pzN4LePd3XiA4K5w7Zl"),
            ("webhook-timestamp", "1700000000"),
            ("webhook-signature", "v2,AAAA v1,JOF+/pSqNZUOBTplTq3C6w/PNxf0v/P9qnaZTHID04s="),
        ],
        body: br#"{"type": "user.created", "data": {"id": 1}}"#,
        ts_millis: Some(TS * 1000),
    },
    // The same delivery with Svix's header names.
    Case {
        preset: Preset::Svix,
        secret: "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        method: "POST",
        uri: "/svix",
        signed_url: None,
        headers: &[
            ("svix-id", "msg_2Lh9KRb0pzN4LePd3XiA4K5w7Zl"),
            ("svix-timestamp", "1700000000"),
            ("svix-signature", "v1,JOF+/pSqNZUOBTplTq3C6w/PNxf0v/P9qnaZTHID04s="),
        ],
        body: br#"{"type": "user.created", "data": {"id": 1}}"#,
        ts_millis: Some(TS * 1000),
    },
    // base64(hmac_sha1(b"12345", url + "CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212")):
    // Twilio's documented example.
    Case {
        preset: Preset::Twilio,
        secret: "12345",
        method: "POST",
        uri: "/myapp.php?foo=1&bar=2",
        signed_url: Some("https://mycompany.com/myapp.php?foo=1&bar=2"),
        headers: &[("X-Twilio-Signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")],
        body: b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212",
        ts_millis: None,
    },
    // base64(hmac_sha256(b"asdf1234", b"https://example.com/webhook" + body))
    Case {
        preset: Preset::Square,
        secret: "asdf1234",
        method: "POST",
        uri: "/webhook",
        signed_url: Some("https://example.com/webhook"),
        headers: &[("x-square-hmacsha256-signature", "xok+Pxx/ivM/I7zXiE0r4AnuW5FnOni0tiBefgSpB6Q=")],
        body: br#"{"merchant_id": "MLEFBHHSJGVHD", "type": "payment.created"}"#,
        ts_millis: None,
    },
    // base64(hmac_sha1(b"asdf1234", b"https://example.com/webhook" + body))
    Case {
        preset: Preset::SquareSha1,
        secret: "asdf1234",
        method: "POST",
        uri: "/webhook",
        signed_url: Some("https://example.com/webhook"),
        headers: &[("x-square-signature", "UTQ6WcNIVDyFLKNJ6lsrm4k7eDc=")],
        body: br#"{"merchant_id": "MLEFBHHSJGVHD", "type": "payment.created"}"#,
        ts_millis: None,
    },
    // hmac_sha256(b"zoom_secret_token", b"v0:1700000000:" + body).hexdigest()
    Case {
        preset: Preset::Zoom,
        secret: "zoom_secret_token",
        method: "POST",
        uri: "/zoom",
        signed_url: None,
        headers: &[
            ("x-zm-request-timestamp", "1700000000"),
            ("x-zm-signature", "v0=9726527d54e9f69432c1e8a1788c6748742783f93adc7975288e966ccf76e4d0"),
        ],
        body: br#"{"event": "meeting.started", "payload": {}}"#,
        ts_millis: Some(TS * 1000),
    },
    // hmac_sha1(b"intercom_client_secret", body).hexdigest()
    Case {
        preset: Preset::Intercom,
        secret: "intercom_client_secret",
        method: "POST",
        uri: "/intercom",
        signed_url: None,
        headers: &[("X-Hub-Signature", "sha1=2b362ab72b1a9551e9153ffd8740d0b775c2dbfb")],
        body: br#"{"type": "notification_event"}"#,
        ts_millis: None,
    },
    // hmac_sha256(b"lin_wh_secret", body).hexdigest(); webhookTimestamp in ms in the body.
    Case {
        preset: Preset::Linear,
        secret: "lin_wh_secret",
        method: "POST",
        uri: "/linear",
        signed_url: None,
        headers: &[("Linear-Signature", "4526c51c264dd9eac225738cf87d907dd05939d4f4c20f2c052c5b958afdd455")],
        body: br#"{"action": "create", "webhookTimestamp": 1700000000123}"#,
        ts_millis: Some(TS * 1000 + 123),
    },
    // hmac_sha256(b"pdl_ntfset_01abc_secret", b"1700000000:" + body).hexdigest()
    Case {
        preset: Preset::Paddle,
        secret: "pdl_ntfset_01abc_secret",
        method: "POST",
        uri: "/paddle",
        signed_url: None,
        headers: &[(
            "Paddle-Signature",
            "ts=1700000000;h1=493be9080feb27d4ac3f5d17449b4e2d655911fff0b9ce3a72ce94ac4e3be275",
        )],
        body: br#"{"event_type": "transaction.paid"}"#,
        ts_millis: Some(TS * 1000),
    },
    // base64(hmac_sha256(b"s&e<c'r", body)): the stored secret's entities decoded first.
    Case {
        preset: Preset::Woocommerce,
        secret: "s&amp;e&lt;c&#039;r",
        method: "POST",
        uri: "/woo",
        signed_url: None,
        headers: &[("X-WC-Webhook-Signature", "aeG89FQb142Ulhyn/w3BJT8OAP/WMHsyMaDrpWm4prs=")],
        body: br#"{"id": 42, "status": "processing"}"#,
        ts_millis: None,
    },
    // base64(hmac_sha256(b"hs_client_secret", b"POST" + b"https://example.com/hubspot?x=a:b%20c/d" + body + b"1700000000123")):
    // %3A and %2F decoded, %20 kept.
    Case {
        preset: Preset::HubspotV3,
        secret: "hs_client_secret",
        method: "POST",
        uri: "https://example.com/hubspot?x=a%3Ab%20c%2Fd",
        signed_url: None,
        headers: &[
            ("X-HubSpot-Signature-v3", "+HZhiM4N8yHsmEIOijS9PnxGE+7EBnh+RkFlj8ZVRAw="),
            ("X-HubSpot-Request-Timestamp", "1700000000123"),
        ],
        body: br#"[{"eventId": 1, "subscriptionType": "contact.creation"}]"#,
        ts_millis: Some(TS * 1000 + 123),
    },
    // sha256(b"hs_client_secret" + body).hexdigest(): not an HMAC.
    Case {
        preset: Preset::HubspotV1,
        secret: "hs_client_secret",
        method: "POST",
        uri: "/hubspot",
        signed_url: None,
        headers: &[("X-HubSpot-Signature", "802b6539b166d6f1b66636cf2d5836c6cccb536e7cabfced9c14ab40a1f4d76f")],
        body: br#"[{"eventId": 1, "subscriptionType": "contact.creation"}]"#,
        ts_millis: None,
    },
    // sha256(b"hs_client_secret" + b"POST" + url + body).hexdigest(), the URL undecoded.
    Case {
        preset: Preset::HubspotV2,
        secret: "hs_client_secret",
        method: "POST",
        uri: "/hubspot?x=a%3Ab%20c%2Fd",
        signed_url: Some("https://example.com/hubspot?x=a%3Ab%20c%2Fd"),
        headers: &[("X-HubSpot-Signature", "01a07e955efaed6eba67aac31aac80f6539034146e1d00943698929036a93ea5")],
        body: br#"[{"eventId": 1, "subscriptionType": "contact.creation"}]"#,
        ts_millis: None,
    },
    // hmac_sha256(b"key-mailgun", b"1700000000" + token).hexdigest(); the fields are in the body.
    Case {
        preset: Preset::Mailgun,
        secret: "key-mailgun",
        method: "POST",
        uri: "/mailgun",
        signed_url: None,
        headers: &[],
        body: br#"{"signature": {"timestamp": "1700000000", "token": "5d3c8a2b1f9e4d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d", "signature": "693a4bd9ff425458f231a8847084baffb5869b3cb42334a5e24ba7fc019e0463"}, "event-data": {"event": "delivered"}}"#,
        ts_millis: Some(TS * 1000),
    },
    // The same fields as a legacy form-encoded delivery: hmac_sha256(b"key-mailgun",
    // b"1700000000" + token).hexdigest(), equal to the JSON case's.
    Case {
        preset: Preset::MailgunForm,
        secret: "key-mailgun",
        method: "POST",
        uri: "/mailgun",
        signed_url: None,
        headers: &[("Content-Type", "application/x-www-form-urlencoded")],
        body: b"event=delivered&recipient=alice%40example.com&timestamp=1700000000&token=5d3c8a2b1f9e4d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d&signature=693a4bd9ff425458f231a8847084baffb5869b3cb42334a5e24ba7fc019e0463",
        ts_millis: Some(TS * 1000),
    },
    // hmac_sha256(b"calendly_signing_key", b"1700000000." + body).hexdigest()
    Case {
        preset: Preset::Calendly,
        secret: "calendly_signing_key",
        method: "POST",
        uri: "/calendly",
        signed_url: None,
        headers: &[(
            "Calendly-Webhook-Signature",
            "t=1700000000,v1=50c563639f3d1cd4835117f71506f11a846a1fdf79f206bb6e62fdb03975b8ce",
        )],
        body: br#"{"event": "invitee.created"}"#,
        ts_millis: Some(TS * 1000),
    },
    // "sha256=" + base64(hmac_sha256(b"typeform_secret", body))
    Case {
        preset: Preset::Typeform,
        secret: "typeform_secret",
        method: "POST",
        uri: "/typeform",
        signed_url: None,
        headers: &[("Typeform-Signature", "sha256=TmK1PSazmQkAINKEhOKOOslm+5cYYeryytiBK6Ue75E=")],
        body: br#"{"event_id": "01H", "form_response": {}}"#,
        ts_millis: None,
    },
];

fn request(case: &Case, headers: &[(&str, &str)], body: &[u8]) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder().method(case.method).uri(case.uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.to_vec()).expect("valid test request")
}

fn clock_at_millis(millis: u64) -> Arc<ManualClock> {
    let clock = ManualClock::at_unix_seconds(0);
    clock.advance(Duration::from_millis(millis));
    Arc::new(clock)
}

fn verify_with(
    case: &Case,
    secrets: &[&str],
    now_millis: u64,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Verified, VerifyError> {
    let secrets: Vec<_> = secrets.iter().map(|s| (*s).into()).collect();
    let verifier = Verifier::from_preset(case.preset, &secrets)
        .expect("valid preset")
        .with_clock(clock_at_millis(now_millis));
    let request = request(case, headers, body);
    match case.signed_url {
        Some(url) => verifier.verify_with_url(&request, url),
        None => verifier.verify(&request),
    }
}

fn verify(case: &Case) -> Result<Verified, VerifyError> {
    verify_with(
        case,
        &[case.secret],
        case.ts_millis.unwrap_or(TS * 1000),
        case.headers,
        case.body,
    )
}

/// Mailgun's schemes sign only `timestamp ‖ token`, not the body.
fn is_mailgun(preset: Preset) -> bool {
    matches!(preset, Preset::Mailgun | Preset::MailgunForm)
}

/// A wrong secret that still decodes under the preset's secret decoding.
fn wrong_secret(case: &Case) -> &'static str {
    match case.preset {
        Preset::StandardWebhooks | Preset::Svix => "whsec_d3Jvbmcgc2VjcmV0",
        _ => "wrong-secret",
    }
}

fn signature_header(case: &Case) -> Option<&'static str> {
    let name = case.preset.scheme().name;
    case.headers
        .iter()
        .map(|(header, _)| *header)
        .find(|header| header.eq_ignore_ascii_case(&name))
}

#[test]
fn every_preset_has_a_case() {
    for preset in Preset::ALL {
        assert!(CASES.iter().any(|case| case.preset == preset), "{preset:?}");
    }
}

#[test]
fn independent_vectors_verify() {
    for case in CASES {
        let proof = verify(case).unwrap_or_else(|err| panic!("{:?}: {err}", case.preset));
        assert_eq!(proof.secret_index(), 0);
        assert_eq!(
            proof.timestamp().is_some(),
            case.ts_millis.is_some(),
            "{:?}",
            case.preset
        );
    }
}

#[test]
fn a_wrong_secret_is_a_mismatch() {
    for case in CASES {
        let now = case.ts_millis.unwrap_or(TS * 1000);
        let outcome = verify_with(case, &[wrong_secret(case)], now, case.headers, case.body);
        assert_eq!(
            outcome.unwrap_err(),
            VerifyError::Mismatch,
            "{:?}",
            case.preset
        );
    }
}

#[test]
fn rotation_accepts_old_and_new_secrets_and_says_which_matched() {
    for case in CASES {
        let now = case.ts_millis.unwrap_or(TS * 1000);
        let old_first = verify_with(
            case,
            &[wrong_secret(case), case.secret],
            now,
            case.headers,
            case.body,
        );
        assert_eq!(
            old_first.map(|p| p.secret_index()),
            Ok(1),
            "{:?}",
            case.preset
        );
        let new_first = verify_with(
            case,
            &[case.secret, wrong_secret(case)],
            now,
            case.headers,
            case.body,
        );
        assert_eq!(
            new_first.map(|p| p.secret_index()),
            Ok(0),
            "{:?}",
            case.preset
        );
    }
}

#[test]
fn a_tampered_body_is_rejected() {
    for case in CASES.iter().filter(|case| !is_mailgun(case.preset)) {
        let now = case.ts_millis.unwrap_or(TS * 1000);
        let mut body = case.body.to_vec();
        body.push(b' ');
        let outcome = verify_with(case, &[case.secret], now, case.headers, &body);
        assert_eq!(
            outcome.unwrap_err(),
            VerifyError::Mismatch,
            "{:?}",
            case.preset
        );
        body.pop();
        let last = body.len() - 2;
        body[last] ^= 0x01;
        assert!(
            verify_with(case, &[case.secret], now, case.headers, &body).is_err(),
            "{:?}",
            case.preset
        );
    }
}

#[test]
fn re_serialized_json_bodies_are_rejected() {
    let mut checked = 0;
    for case in CASES.iter().filter(|case| !is_mailgun(case.preset)) {
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(case.body) else {
            continue;
        };
        let reserialized = serde_json::to_vec(&json).expect("serializable");
        if reserialized == case.body {
            continue; // already compact: nothing to distinguish
        }
        let now = case.ts_millis.unwrap_or(TS * 1000);
        let outcome = verify_with(case, &[case.secret], now, case.headers, &reserialized);
        assert_eq!(
            outcome.unwrap_err(),
            VerifyError::Mismatch,
            "{:?}",
            case.preset
        );
        checked += 1;
    }
    assert!(checked >= 15);
}

#[test]
fn a_missing_signature_header_fails_closed() {
    for case in CASES {
        let Some(name) = signature_header(case) else {
            assert!(is_mailgun(case.preset));
            continue;
        };
        let headers: Vec<_> = case
            .headers
            .iter()
            .copied()
            .filter(|(h, _)| *h != name)
            .collect();
        let now = case.ts_millis.unwrap_or(TS * 1000);
        let outcome = verify_with(case, &[case.secret], now, &headers, case.body);
        let name = match case.preset {
            // One verifier for both header families: either may be missing.
            Preset::Svix => "svix-signature or webhook-signature".to_owned(),
            preset => preset.scheme().name,
        };
        assert_eq!(
            outcome.unwrap_err(),
            VerifyError::MissingHeader { name },
            "{:?}",
            case.preset
        );
    }
}

#[test]
fn a_duplicated_signature_header_fails_closed() {
    for case in CASES {
        let Some(name) = signature_header(case) else {
            continue;
        };
        let mut headers = case.headers.to_vec();
        let original = headers
            .iter()
            .find(|(h, _)| *h == name)
            .map(|(_, v)| *v)
            .expect("present");
        headers.push((name, original));
        let now = case.ts_millis.unwrap_or(TS * 1000);
        let outcome = verify_with(case, &[case.secret], now, &headers, case.body);
        assert!(
            matches!(outcome, Err(VerifyError::DuplicateHeader { .. })),
            "{:?}: {outcome:?}",
            case.preset
        );
    }
}

#[test]
fn timestamps_are_checked_at_the_inclusive_boundary_both_ways() {
    for case in CASES {
        let Some(ts) = case.ts_millis else { continue };
        let rule = case.preset.scheme().timestamp.expect("timed preset");
        let step = match rule.unit {
            TimeUnit::Milliseconds => 1,
            _ => 1000,
        };
        let past = rule.past_tolerance * 1000;
        let future = rule.future_tolerance * 1000;
        let at = |now| verify_with(case, &[case.secret], now, case.headers, case.body);
        assert!(
            at(ts + past).is_ok(),
            "{:?} at the past boundary",
            case.preset
        );
        assert_eq!(
            at(ts + past + step).unwrap_err(),
            VerifyError::TooOld {
                tolerance_seconds: rule.past_tolerance
            },
            "{:?}",
            case.preset
        );
        assert!(
            at(ts - future).is_ok(),
            "{:?} at the future boundary",
            case.preset
        );
        assert_eq!(
            at(ts - future - step).unwrap_err(),
            VerifyError::TooNew {
                tolerance_seconds: rule.future_tolerance
            },
            "{:?}",
            case.preset
        );
    }
}

fn case(preset: Preset) -> &'static Case {
    CASES
        .iter()
        .find(|case| case.preset == preset)
        .expect("case")
}

fn with_header(case: &Case, name: &str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    case.headers
        .iter()
        .map(|&(h, v)| {
            if h.eq_ignore_ascii_case(name) {
                (h, value)
            } else {
                (h, v)
            }
        })
        .collect()
}

fn verify_headers(case: &Case, headers: &[(&str, &str)]) -> Result<Verified, VerifyError> {
    verify_with(
        case,
        &[case.secret],
        case.ts_millis.unwrap_or(TS * 1000),
        headers,
        case.body,
    )
}

#[test]
fn stripe_never_falls_back_to_v0_and_accepts_any_v1() {
    let stripe = case(Preset::Stripe);
    // Only a v0 entry, even one that matches the configured secret: not trusted.
    let v0_only = with_header(
        stripe,
        "Stripe-Signature",
        "t=1700000000,v0=76ac188b85304f349310e7fd23463d492dabf1a09a453933ffd812c4b3c82640",
    );
    let outcome = verify_with(stripe, &["whsec_other"], TS * 1000, &v0_only, stripe.body);
    assert_eq!(outcome.unwrap_err(), VerifyError::NoTrustedSignature);
    // The v0 entry's secret does not make the v1 entry match.
    let outcome = verify_with(
        stripe,
        &["whsec_other"],
        TS * 1000,
        stripe.headers,
        stripe.body,
    );
    assert_eq!(outcome.unwrap_err(), VerifyError::Mismatch);
    // Several v1 entries during a secret roll: any one matching is enough, in any order,
    // and undecodable entries are skipped.
    let several = with_header(
        stripe,
        "Stripe-Signature",
        "t=1700000000,v1=zz,v1=0000000000000000000000000000000000000000000000000000000000000000,v1=86d195bdf7fa8d2a41b621d0367baa5f34b0c4861d35227c2012edbaf25cf1a2",
    );
    assert!(verify_headers(stripe, &several).is_ok());
    let uppercase = with_header(
        stripe,
        "Stripe-Signature",
        "t=1700000000,v1=86D195BDF7FA8D2A41B621D0367BAA5F34B0C4861D35227C2012EDBAF25CF1A2",
    );
    assert!(verify_headers(stripe, &uppercase).is_ok());
}

#[test]
fn malformed_signature_lists_are_rejected() {
    let stripe = case(Preset::Stripe);
    let sig = "v1=86d195bdf7fa8d2a41b621d0367baa5f34b0c4861d35227c2012edbaf25cf1a2";
    for (value, expected) in [
        (format!("t=1700000000,t=1700000000,{sig}"), "duplicate"),
        (format!("t=1700000000,{sig},garbage"), "malformed"),
        (sig.to_owned(), "missing"),
        (format!("t=+1700000000,{sig}"), "bad"),
        (format!("t=1700000000,{}", "v1=ab,".repeat(40)), "malformed"),
        ("t=1700000000".to_owned(), "untrusted"),
        ("t=1700000000,v1=".to_owned(), "malformed"),
    ] {
        let value: &'static str = Box::leak(value.into_boxed_str());
        let outcome = verify_headers(stripe, &with_header(stripe, "Stripe-Signature", value));
        let ok = match (expected, &outcome) {
            ("duplicate" | "malformed", Err(VerifyError::Malformed { .. })) => true,
            ("missing", Err(VerifyError::MissingField { name })) => name == "t",
            ("bad", Err(VerifyError::BadTimestamp)) => true,
            ("untrusted", Err(VerifyError::NoTrustedSignature)) => true,
            _ => false,
        };
        assert!(ok, "{value}: {outcome:?}");
    }
}

#[test]
fn standard_webhooks_ignores_other_versions_and_needs_its_id() {
    let standard = case(Preset::StandardWebhooks);
    let right = "JOF+/pSqNZUOBTplTq3C6w/PNxf0v/P9qnaZTHID04s=";
    let v2_only: &'static str = Box::leak(format!("v2,{right} v1a,{right}").into_boxed_str());
    assert_eq!(
        verify_headers(
            standard,
            &with_header(standard, "webhook-signature", v2_only)
        )
        .unwrap_err(),
        VerifyError::NoTrustedSignature
    );
    let several: &'static str = Box::leak(
        format!("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=  v1,{right} v1,???")
            .into_boxed_str(),
    );
    assert!(
        verify_headers(
            standard,
            &with_header(standard, "webhook-signature", several)
        )
        .is_ok()
    );
    let no_id: Vec<_> = standard
        .headers
        .iter()
        .copied()
        .filter(|(h, _)| *h != "webhook-id")
        .collect();
    assert_eq!(
        verify_headers(standard, &no_id).unwrap_err(),
        VerifyError::MissingHeader {
            name: "webhook-id".to_owned()
        }
    );
    let other_id = with_header(standard, "webhook-id", "msg_other");
    assert_eq!(
        verify_headers(standard, &other_id).unwrap_err(),
        VerifyError::Mismatch
    );
    // The secret's prefix is optional and its padding too.
    let unprefixed = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    assert!(
        verify_with(
            standard,
            &[unprefixed],
            TS * 1000,
            standard.headers,
            standard.body
        )
        .is_ok()
    );
    // Stripe's rule (the secret as UTF-8) does not verify a Standard Webhooks delivery.
    let mut as_stripe = Preset::StandardWebhooks.scheme();
    as_stripe.secret_decoding = credgate::webhook::SecretDecoding::Utf8;
    let verifier = Verifier::new(&as_stripe, &[standard.secret.into()])
        .expect("valid")
        .with_clock(clock_at_millis(TS * 1000));
    assert_eq!(
        verifier
            .verify(&request(standard, standard.headers, standard.body))
            .unwrap_err(),
        VerifyError::Mismatch
    );
}

#[test]
fn github_sha1_is_not_accepted_for_sha256_and_encodings_are_strict() {
    let github = case(Preset::Github);
    let sha1_only = [(
        "X-Hub-Signature",
        "sha1=d03207e4b030cf234e3447bac4d93add4c6643d8",
    )];
    assert_eq!(
        verify_headers(github, &sha1_only).unwrap_err(),
        VerifyError::MissingHeader {
            name: "X-Hub-Signature-256".to_owned()
        }
    );
    let uppercase = with_header(
        github,
        "X-Hub-Signature-256",
        "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17",
    );
    assert!(verify_headers(github, &uppercase).is_ok());
    for bad in [
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700",
        "sha256=dXEH6g6yUJ/CESIczphLijdXC21xhsIsRvQ3nIsEPhc=",
        "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "",
    ] {
        let outcome = verify_headers(github, &with_header(github, "X-Hub-Signature-256", bad));
        assert!(
            matches!(outcome, Err(VerifyError::Malformed { .. })),
            "{bad}: {outcome:?}"
        );
    }
    // Shopify's base64 must be canonical and padded; hex is the wrong encoding.
    let shopify = case(Preset::Shopify);
    for bad in [
        "bPW5iryFC/+EVNhmYE+DA/8jmrDA53AFb5a0P2XpoUw",
        "bPW5iryFC_-EVNhmYE-DA_8jmrDA53AFb5a0P2XpoUw=",
        "6cf5b98abc850bff8454d866604f8303ff239ab0c0e770056f96b43f65e9a14c",
    ] {
        let outcome = verify_headers(shopify, &with_header(shopify, "X-Shopify-Hmac-Sha256", bad));
        assert!(
            matches!(outcome, Err(VerifyError::Malformed { .. })),
            "{bad}: {outcome:?}"
        );
    }
    // The proof carries the delivery id when there is one.
    assert_eq!(
        verify(github).expect("valid").id(),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
}

#[test]
fn timestamps_must_be_plain_decimal() {
    let slack = case(Preset::Slack);
    for bad in [
        "+1700000000",
        " 1700000000",
        "1700000000.0",
        "1.7e9",
        "",
        "-1",
    ] {
        let outcome = verify_headers(slack, &with_header(slack, "X-Slack-Request-Timestamp", bad));
        assert!(
            matches!(
                outcome,
                Err(VerifyError::BadTimestamp | VerifyError::Malformed { .. })
            ),
            "{bad:?}: {outcome:?}"
        );
    }
    let mut headers = slack.headers.to_vec();
    headers.push(("X-Slack-Request-Timestamp", "1700000000"));
    assert!(matches!(
        verify_headers(slack, &headers),
        Err(VerifyError::DuplicateHeader { .. })
    ));
}

#[test]
fn twilio_tries_the_url_with_and_without_its_port_and_checks_body_hashes() {
    let twilio = case(Preset::Twilio);
    let verifier = Verifier::from_preset(Preset::Twilio, &["12345".into()]).expect("valid");
    // base64(hmac_sha1(b"12345", b"https://mycompany.com:443/myapp.php?foo=1&bar=2" + params)):
    // signed with the default port, configured without it (and the other way round).
    let with_port = request(
        twilio,
        &[("X-Twilio-Signature", "EpDEmp1PyjDYp77YxYU3GILBWzE=")],
        twilio.body,
    );
    assert!(
        verifier
            .verify_with_url(&with_port, "https://mycompany.com/myapp.php?foo=1&bar=2")
            .is_ok()
    );
    let plain = request(twilio, twilio.headers, twilio.body);
    assert!(
        verifier
            .verify_with_url(&plain, "https://mycompany.com:443/myapp.php?foo=1&bar=2")
            .is_ok()
    );
    assert_eq!(
        verifier.verify(&plain).unwrap_err(),
        VerifyError::MissingUrl
    );
    assert_eq!(
        verifier
            .verify_with_url(&plain, "https://mycompany.com/myapp.php?foo=1&bar=3")
            .unwrap_err(),
        VerifyError::Mismatch
    );

    // JSON body: the URL carries bodySHA256 = sha256(body).hexdigest(), no parameters are
    // appended, and the signature is base64(hmac_sha1(b"12345", url)).
    let url = "https://mycompany.com/myapp.php?foo=1&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    let body = br#"{"property": "value", "boolean": true}"#;
    let json = |body: &[u8]| {
        http::Request::post(url)
            .header("X-Twilio-Signature", "hMsew/u6HnjUC7Ycmoll6CYQVAo=")
            .body(body.to_vec())
            .expect("valid")
    };
    assert!(verifier.verify(&json(body)).is_ok());
    assert_eq!(
        verifier.verify(&json(b"{}")).unwrap_err(),
        VerifyError::BodyHashMismatch
    );
}

#[test]
fn hubspot_v3_uses_the_method_and_the_decoded_url() {
    let hubspot = case(Preset::HubspotV3);
    let verifier = Verifier::from_preset(Preset::HubspotV3, &[hubspot.secret.into()])
        .expect("valid")
        .with_clock(clock_at_millis(TS * 1000));
    let mut request = request(hubspot, hubspot.headers, hubspot.body);
    assert!(verifier.verify(&request).is_ok());
    // Already-decoded escapes give the same URL; %20 decoded does not.
    assert!(
        verifier
            .verify_with_url(&request, "https://example.com/hubspot?x=a:b%20c/d")
            .is_ok()
    );
    assert!(
        verifier
            .verify_with_url(&request, "https://example.com/hubspot?x=a:b c/d")
            .is_err()
    );
    *request.method_mut() = http::Method::PUT;
    assert_eq!(
        verifier.verify(&request).unwrap_err(),
        VerifyError::Mismatch
    );
}

#[test]
fn hubspot_v1_is_opt_in_and_not_an_hmac() {
    let scheme = Preset::HubspotV1.scheme();
    assert!(scheme.danger_plain_hash);
    // Nothing else uses the plain hash.
    for preset in Preset::ALL {
        if !matches!(preset, Preset::HubspotV1 | Preset::HubspotV2) {
            assert!(!preset.scheme().danger_plain_hash, "{preset:?}");
        }
    }
    let mut sha1 = scheme;
    sha1.algorithm = credgate::HmacAlgorithm::Sha1;
    assert!(Verifier::new(&sha1, &["x".into()]).is_err());
}

#[test]
fn mailgun_signs_only_timestamp_and_token() {
    let mailgun = case(Preset::Mailgun);
    let verifier = Verifier::from_preset(Preset::Mailgun, &[mailgun.secret.into()])
        .expect("valid")
        .with_clock(clock_at_millis(TS * 1000));
    let body = std::str::from_utf8(mailgun.body).expect("UTF-8");
    let run =
        |body: String| verifier.verify(&http::Request::post("/mailgun").body(body).expect("valid"));
    let proof = run(body.to_owned()).expect("valid");
    assert_eq!(
        proof.id(),
        Some("5d3c8a2b1f9e4d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d")
    );
    // The event itself is not authenticated (documented by Mailgun).
    assert!(run(body.replace("delivered", "failed")).is_ok());
    assert_eq!(
        run(body.replace("5d3c", "5d3d")).unwrap_err(),
        VerifyError::Mismatch
    );
    assert!(matches!(
        run("not json".to_owned()),
        Err(VerifyError::Malformed { .. })
    ));
    assert_eq!(
        run(r#"{"signature": {"timestamp": "1700000000"}}"#.to_owned()).unwrap_err(),
        VerifyError::MissingField {
            name: "/signature/signature".to_owned()
        }
    );
}

#[test]
fn the_body_is_capped_before_it_is_maced() {
    let github = case(Preset::Github);
    let mut config = WebhookConfig::preset(Preset::Github, vec![github.secret.into()]);
    config.max_body_bytes = Some(13);
    let verifier = Verifier::from_config(&config).expect("valid");
    assert!(
        verifier
            .verify(&request(github, github.headers, github.body))
            .is_ok()
    );
    config.max_body_bytes = Some(12);
    let verifier = Verifier::from_config(&config).expect("valid");
    assert_eq!(
        verifier
            .verify(&request(github, github.headers, github.body))
            .unwrap_err(),
        VerifyError::BodyTooLarge { limit: 12 }
    );
}

#[test]
fn errors_and_debug_output_reveal_no_secret_or_expected_mac() {
    let stripe = case(Preset::Stripe);
    let verifier = Verifier::from_preset(Preset::Stripe, &[stripe.secret.into()]).expect("valid");
    assert!(!format!("{verifier:?}").contains("whsec_test_secret"));
    let tampered = request(stripe, stripe.headers, b"{}");
    let err = verifier
        .with_clock(clock_at_millis(TS * 1000))
        .verify(&tampered)
        .unwrap_err();
    // The MAC the tampered body would need: hmac_sha256(b"whsec_test_secret",
    // b"1700000000.{}").hexdigest() begins with this. (86d195bd.. is the presented one.)
    let expected = "ceb8863f7208fa24";
    for message in [err.to_string(), format!("{err:?}")] {
        assert!(
            !message.contains("whsec") && !message.contains(expected),
            "{message}"
        );
    }
}

#[test]
fn configs_load_from_json() -> Result<(), Box<dyn std::error::Error>> {
    // The platform's own hmac document: HMAC-SHA512 of URL then body, base64url.
    // base64url(hmac_sha512(b"platform", b"https://api.example.com/in" + b'{"n": 1}')), unpadded.
    let config: WebhookConfig = serde_json::from_str(
        r#"{"scheme": {"type": "hmac", "hmac": {"id": "sig", "algorithm": "sha512",
            "digestInputs": ["url", "body"], "encoding": "base64url", "in": "header",
            "name": "X-Signature", "validationMessages": []}}, "secrets": ["platform"]}"#,
    )?;
    let verifier = Verifier::from_config(&config)?;
    let request = http::Request::post("https://api.example.com/in")
        .header("X-Signature", "0TK6dAId6NEMmf8sce1c7t5S9m6YtKZyly74_fA8vBY0Qt_ik6dJKbW3s4OnHb_oDsNlU4Q22ok10IuUQw_dSA")
        .body(br#"{"n": 1}"#.to_vec())?;
    verifier.verify(&request)?;

    // A full credgate scheme for a provider without a preset: Stripe-like, 10 s window.
    let config: WebhookConfig = serde_json::from_str(
        r#"{"scheme": {"type": "hmac", "hmac": {"algorithm": "sha256", "encoding": "hex",
            "in": "header", "name": "Stripe-Signature",
            "format": {"kind": "keyValueList", "separator": ",", "signatureKey": "v1"},
            "message": ["timestamp", {"literal": "."}, "body"],
            "timestamp": {"from": {"list": "t"}, "pastTolerance": 10, "futureTolerance": 10}}},
            "secrets": ["whsec_test_secret"]}"#,
    )?;
    let stripe = case(Preset::Stripe);
    let clocked = |now| Verifier::from_config(&config).map(|v| v.with_clock(clock_at_millis(now)));
    assert!(
        clocked(TS * 1000 + 10_000)?
            .verify(&self::request(stripe, stripe.headers, stripe.body))
            .is_ok()
    );
    assert!(
        clocked(TS * 1000 + 11_000)?
            .verify(&self::request(stripe, stripe.headers, stripe.body))
            .is_err()
    );
    assert_eq!(
        config.to_scheme()?.timestamp.map(|t| t.from),
        Some(FieldSource::List("t".to_owned()))
    );

    // Bad configs fail with an error, not a panic.
    for bad in [
        r#"{"preset": "stripe"}"#,
        r#"{"preset": "stripe", "secrets": ["x"], "secret": "typo"}"#,
        r#"{"preset": "nope", "secrets": ["x"]}"#,
    ] {
        assert!(serde_json::from_str::<WebhookConfig>(bad).is_err(), "{bad}");
    }
    for bad in [
        r#"{"secrets": ["x"]}"#,
        r#"{"preset": "github", "secrets": []}"#,
        r#"{"preset": "github", "secrets": [""]}"#,
        r#"{"preset": "github", "secrets": ["******"]}"#,
        r#"{"preset": "github", "secrets": ["x"], "pastTolerance": 5}"#,
        r#"{"preset": "svix", "secrets": ["whsec_!!!"]}"#,
        r#"{"preset": "github", "secrets": ["x"], "scheme": {"type": "none", "none": {}}}"#,
        r#"{"scheme": {"type": "api-key", "apiKey": {"name": "k", "in": "header"}}, "secrets": ["x"]}"#,
        r#"{"scheme": {"type": "hmac", "hmac": {"algorithm": "sha256", "encoding": "hex", "in": "header",
            "name": "bad header", "digestInputs": ["body"]}}, "secrets": ["x"]}"#,
        r#"{"scheme": {"type": "hmac", "hmac": {"algorithm": "sha256", "encoding": "hex", "in": "header",
            "name": "X-Sig", "message": ["timestamp", "body"]}}, "secrets": ["x"]}"#,
        r#"{"scheme": {"type": "hmac", "hmac": {"algorithm": "sha256", "encoding": "hex", "in": "header",
            "name": "X-Sig", "message": ["body", "body"]}}, "secrets": ["x"]}"#,
        r#"{"scheme": {"type": "hmac", "hmac": {"algorithm": "sha256", "encoding": "hex", "in": "header",
            "name": "X-Sig", "message": ["timestamp", "body"], "timestamp": {"from": {"list": "t"}}}},
            "secrets": ["x"]}"#,
    ] {
        let config: WebhookConfig = serde_json::from_str(bad)?;
        assert!(Verifier::from_config(&config).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn a_timestamp_the_signature_does_not_cover_is_rejected() -> Result<(), Box<dyn std::error::Error>>
{
    let config = |fields: &str| -> Result<WebhookConfig, serde_json::Error> {
        serde_json::from_str(&format!(
            r#"{{"scheme": {{"type": "hmac", "hmac": {{"algorithm": "sha256", "encoding": "hex",
                "in": "header", "name": "X-Sig", {fields}}}}}, "secrets": ["x"]}}"#
        ))
    };
    let uncovered = BuildError::InvalidValue {
        field: "timestamp",
        reason: "is not covered by the signature",
    };
    // Each would accept a replay carrying a fresh timestamp.
    for bad in [
        r#""digestInputs": ["body"], "timestamp": {"from": {"header": "X-Ts"}}"#,
        r#""message": ["url", "body"], "timestamp": {"from": {"query": "ts"}}"#,
        r#""message": ["url"], "timestamp": {"from": {"json": "/ts"}}"#,
    ] {
        assert_eq!(
            Verifier::from_config(&config(bad)?).unwrap_err(),
            uncovered,
            "{bad}"
        );
    }
    for good in [
        r#""message": ["timestamp", "body"], "timestamp": {"from": {"header": "X-Ts"}}"#,
        r#""digestInputs": ["body"], "timestamp": {"from": {"json": "/ts"}}"#,
    ] {
        Verifier::from_config(&config(good)?)?;
    }
    for preset in Preset::ALL {
        Verifier::from_preset(preset, &["whsec_dGVzdA==".into()])?;
    }
    Ok(())
}

#[test]
fn misspelt_nested_scheme_fields_are_rejected() -> Result<(), Box<dyn std::error::Error>> {
    let config = |fields: &str| {
        serde_json::from_str::<WebhookConfig>(&format!(
            r#"{{"scheme": {{"type": "hmac", "hmac": {{"algorithm": "sha256", "encoding": "hex",
                "in": "header", "name": "Stripe-Signature", {fields}}}}}, "secrets": ["x"]}}"#
        ))
    };
    let stripe_like = r#""message": ["timestamp", {"literal": "."}, "body"],
        "format": {"kind": "keyValueList", "separator": ",", "signatureKey": "v1"}"#;
    // The platform's own fields, and fields it may add, are still accepted at the top.
    config(&format!(
        r#"{stripe_like}, "timestamp": {{"from": {{"list": "t"}}, "pastTolerance": 10}},
        "validationMessages": [], "credentialId": "c1", "organisationId": "o1", "futureField": 1"#
    ))?;
    for bad in [
        format!(r#"{stripe_like}, "timestamp": {{"from": {{"list": "t"}}, "pastTolerence": 10}}"#),
        format!(
            r#"{stripe_like}, "timestamp": {{"from": {{"list": "t"}}, "units": "milliseconds"}}"#
        ),
        r#""message": ["body"], "format": {"kind": "keyValueList", "separator": ",",
            "signatureKey": "v1", "signatureKeys": "v0"}"#
            .to_owned(),
        r#""message": ["body"], "format": {"kind": "single", "prefx": "sha256="}"#.to_owned(),
        r#""message": ["body"], "format": {"kind": "versionedList", "version": "v1", "v": 2}"#
            .to_owned(),
    ] {
        let err = config(&bad).expect_err(&bad);
        assert!(err.to_string().contains("unknown field"), "{bad}: {err}");
    }
    Ok(())
}

#[test]
fn the_proof_says_whether_the_signature_covers_the_id() {
    for case in CASES {
        let proof = verify(case).expect("valid");
        let signed = matches!(
            case.preset,
            Preset::StandardWebhooks | Preset::Svix | Preset::Mailgun | Preset::MailgunForm
        );
        assert_eq!(proof.id_is_signed(), signed, "{:?}", case.preset);
        if signed {
            assert!(proof.id().is_some(), "{:?}", case.preset);
        }
    }
    // GitHub sends an id, but an attacker replaying a delivery can change it.
    let github = verify(case(Preset::Github)).expect("valid");
    assert!(github.id().is_some() && !github.id_is_signed());
}

#[test]
fn an_explicit_signed_url_ignores_the_request_target() {
    // A Square delivery signed for one endpoint, replayed to another with an absolute-form
    // request target naming the first.
    let square = case(Preset::Square);
    let signed_for = square.signed_url.expect("Square signs the URL");
    let replayed = http::Request::post(signed_for)
        .header(square.headers[0].0, square.headers[0].1)
        .body(square.body.to_vec())
        .expect("valid request");
    let verifier = Verifier::from_preset(Preset::Square, &[square.secret.into()]).expect("valid");
    assert!(verifier.verify(&replayed).is_ok());
    assert_eq!(
        verifier
            .verify_with_url(&replayed, "https://tenant-b.example.com/webhook")
            .unwrap_err(),
        VerifyError::Mismatch
    );
}
