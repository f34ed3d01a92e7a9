//! Webhook signature headers and `verify`, for presets and scheme documents, buffered and
//! streaming.
//!
//! Input, NUL-separated: a `WebhookConfig` document (`{"preset": ...}` or
//! `{"scheme": {"type": "hmac", ...}}`, with `secrets`), the clock (Unix seconds, decimal),
//! the signed URL for `verify_with_url` (empty: the request URI is used), the request URI,
//! the headers (`name: value` lines), the body, and the chunk sizes of the streamed body
//! (one byte each).
//!
//! Invariants: buffered and streaming verification agree (same verdict, same secret); an
//! error never holds a secret; a request the scheme's own `Signer` signed verifies.
#![no_main]

use std::sync::Arc;

use credgate::ManualClock;
use credgate::webhook::{Verifier, VerifyError, WebhookConfig};
use credgate_fuzz::{assert_error_clean, fields, secrets_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [config, now, url, uri, headers, body, chunks] = fields::<7>(data);
    // Loading errors are the `documents` target's job.
    let Ok(config) = serde_json::from_slice::<WebhookConfig>(config) else {
        return;
    };
    let secrets = secrets_of(&config);
    let now: u64 = std::str::from_utf8(now)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1_700_000_000);
    let clock = Arc::new(ManualClock::at_unix_seconds(now));
    let verifier = match Verifier::from_config(&config) {
        Ok(v) => v.with_clock(clock),
        Err(e) => return assert_error_clean(&e, &secrets, "Verifier::from_config error"),
    };
    let url = std::str::from_utf8(url).ok().filter(|u| !u.is_empty());
    let uri = std::str::from_utf8(uri).unwrap_or("/");

    let mut builder = http::Request::post(uri);
    for line in headers.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        builder = builder.header(name, value);
    }
    let Ok(request) = builder.body(body.to_vec()) else {
        return;
    };

    let buffered = match url {
        Some(url) => verifier.verify_with_url(&request, url),
        None => verifier.verify(&request),
    };
    if let Err(e) = &buffered {
        assert_error_clean(e, &secrets, "verify error");
    }

    let streamed = match url {
        Some(url) => verifier.stream_with_url(&request, url),
        None => verifier.stream(&request),
    };
    match streamed {
        Err(VerifyError::NotStreamable) => {}
        Err(e) => {
            assert_error_clean(&e, &secrets, "stream error");
            assert!(
                buffered.is_err(),
                "stream refused ({e}) what verify accepted"
            );
        }
        Ok(mut streaming) => {
            let mut rest = body;
            let mut failed = None;
            for &size in chunks {
                if rest.is_empty() {
                    break;
                }
                let (chunk, tail) = rest.split_at(usize::from(size).min(rest.len()));
                rest = tail;
                if let Err(e) = streaming.update(chunk) {
                    failed = Some(e);
                    break;
                }
            }
            let result = match failed {
                Some(e) => Err(e),
                None => streaming.update(rest).and_then(|()| streaming.finish()),
            };
            match (&buffered, &result) {
                (Ok(a), Ok(b)) => assert_eq!(
                    a.secret_index(),
                    b.secret_index(),
                    "verify and stream matched different secrets"
                ),
                (Err(_), Err(e)) => assert_error_clean(e, &secrets, "stream error"),
                (a, b) => panic!("verify and stream disagree: verify {a:?}, stream {b:?}"),
            }
        }
    }

    // What the scheme's own signer signs, it verifies. A URL given to `verify_with_url`
    // is used byte for byte, scheme included, and an `http::Uri` (so a `Signer`) writes
    // an `http`/`https` scheme only in lower case: an `HTTPS://` URL cannot be signed.
    if url.is_some_and(|u| {
        u.split_once("://")
            .is_some_and(|(s, _)| s.bytes().any(|b| b.is_ascii_uppercase()))
    }) {
        return;
    }
    let Ok(signer) = verifier.signer() else {
        return;
    };
    let target = url.unwrap_or("https://hooks.example.com/webhook");
    let Ok(mut outgoing) = http::Request::post(target).body(body.to_vec()) else {
        return;
    };
    for (name, value) in request.headers() {
        // Keep what the scheme may need and credgate cannot invent (a delivery id).
        if name.as_str().ends_with("-id") {
            outgoing.headers_mut().insert(name.clone(), value.clone());
        }
    }
    match signer.sign(&mut outgoing) {
        Ok(()) => {
            let verdict = match url {
                Some(url) => verifier.verify_with_url(&outgoing, url),
                None => verifier.verify(&outgoing),
            };
            if let Err(e) = verdict {
                // A body over the cap is signed but cannot be verified; anything else is a
                // disagreement between the two halves of the scheme.
                assert!(
                    matches!(e, VerifyError::BodyTooLarge { .. }),
                    "a request its own Signer signed does not verify: {e}"
                );
            }
        }
        Err(e) => assert_error_clean(&e, &secrets, "sign error"),
    }
});
