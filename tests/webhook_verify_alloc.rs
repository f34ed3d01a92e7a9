//! Buffered verification of a header-signed delivery allocates nothing: the header is
//! split into an inline list, the MAC is fed borrowed parts, the delivery id is copied
//! inline. (The benchmark `benches/webhook.rs` prints the same count.)
//!
//! The allocation counter is global to the process, so this binary holds exactly one test:
//! no other test can allocate while it counts.

use std::alloc::System;
use std::sync::Arc;

use credgate::ManualClock;
use credgate::webhook::{Preset, Signer, Verifier, VerifyError};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const NOW: u64 = 1_700_000_000;

/// Signs `body` with `preset`, then verifies it (also rejecting a tampered copy) and
/// returns the outcomes with the allocations made while verifying.
fn verify_and_count(
    preset: Preset,
    secrets: &[&str],
    body: &[u8],
) -> (Result<(), VerifyError>, Result<(), VerifyError>, usize) {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let mut request = http::Request::post("https://hooks.example.com/in")
        .header("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        .header("svix-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        .header("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .header(
            "X-Shopify-Webhook-Id",
            "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        )
        .body(body.to_vec())
        .expect("valid request");
    Signer::new(&preset.scheme(), &secrets[0].into())
        .expect("signable")
        .with_clock(clock.clone())
        .sign(&mut request)
        .expect("signed");
    let mut tampered = request.clone();
    if let Some(byte) = tampered.body_mut().last_mut() {
        *byte ^= 1;
    }
    let secrets: Vec<_> = secrets.iter().rev().map(|&s| s.into()).collect();
    let verifier = Verifier::from_preset(preset, &secrets)
        .expect("valid")
        .with_clock(clock);

    let region = Region::new(GLOBAL);
    let good = verifier.verify(&request).map(|proof| {
        assert_eq!(proof.secret_index(), secrets.len() - 1);
    });
    let bad = verifier.verify(&tampered).map(|_| ());
    let change = region.change();
    (good, bad, change.allocations + change.reallocations)
}

#[test]
fn buffered_verification_of_header_signed_presets_allocates_nothing() {
    let body: Vec<u8> = (0..1024).map(|i| (i % 251) as u8).collect();
    for preset in [
        Preset::Github,
        Preset::GithubSha1,
        Preset::Stripe,
        Preset::Shopify,
        Preset::Slack,
        Preset::StandardWebhooks,
        Preset::Svix,
        Preset::Zoom,
        Preset::Intercom,
        Preset::Paddle,
        Preset::Woocommerce,
        Preset::HubspotV1,
        Preset::Calendly,
        Preset::Typeform,
    ] {
        let rotation = match preset {
            Preset::StandardWebhooks | Preset::Svix => [
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whsec_b2xkZXI=",
                "whsec_b2xkZXN0",
            ],
            _ => ["s3cret", "older", "oldest"],
        };
        for secrets in [&rotation[..1], &rotation[..]] {
            let (good, bad, allocations) = verify_and_count(preset, secrets, &body);
            assert_eq!(good, Ok(()), "{preset:?}");
            assert_eq!(bad, Err(VerifyError::Mismatch), "{preset:?}");
            assert_eq!(allocations, 0, "{preset:?} with {} secrets", secrets.len());
        }
    }
}
