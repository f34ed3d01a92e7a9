//! Streaming verification runs in constant memory: feeding chunks allocates nothing, so
//! memory use cannot grow with the body. (A 1 GiB stream is run by `benches/webhook.rs`.)
//!
//! The allocation counter is global to the process, so this binary holds exactly one test:
//! no other test can allocate while it counts.

use std::alloc::System;

use credgate::webhook::{Preset, Signer, Verifier, VerifyError};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// Counts the allocations of this test binary.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CHUNK: usize = 64 * 1024;

/// A deterministic body of `len` bytes, generated chunk by chunk.
fn fill(chunk: &mut [u8], offset: usize) {
    for (i, byte) in chunk.iter_mut().enumerate() {
        *byte = ((offset + i) % 251) as u8;
    }
}

/// Signs a `len`-byte generated body with `preset` (by signing it whole; only done for
/// moderate sizes), then verifies it as a stream, counting allocations while streaming.
fn stream_and_count(preset: Preset, secret: &str, len: usize) -> (Result<(), VerifyError>, usize) {
    let mut body = vec![0u8; len];
    for (i, chunk) in body.chunks_mut(CHUNK).enumerate() {
        fill(chunk, i * CHUNK);
    }
    let mut request = http::Request::post("https://hooks.example.com/in")
        .header("webhook-id", "msg_1")
        .body(body)
        .expect("valid request");
    Signer::new(&preset.scheme(), &secret.into())
        .expect("signable")
        .sign(&mut request)
        .expect("signed");
    let verifier = Verifier::from_preset(preset, &[secret.into()]).expect("valid");
    let mut stream = verifier.stream(&request).expect("streamable");

    let mut chunk = vec![0u8; CHUNK];
    let region = Region::new(GLOBAL);
    let mut offset = 0;
    while offset < len {
        let n = CHUNK.min(len - offset);
        fill(&mut chunk[..n], offset);
        stream.update(&chunk[..n]).expect("under the cap");
        offset += n;
    }
    let change = region.change();
    let during = change.allocations + change.reallocations;
    (stream.finish().map(|_| ()), during)
}

#[test]
fn streaming_allocates_nothing_per_chunk() {
    for (preset, secret) in [
        (Preset::Github, "gh-secret"),
        (Preset::Stripe, "whsec_stripe"),
        (
            Preset::StandardWebhooks,
            "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
        ),
        (Preset::HubspotV3, "hs"),
    ] {
        for len in [0, 1000, 1024 * 1024 + 17] {
            let (outcome, allocations) = stream_and_count(preset, secret, len);
            assert_eq!(outcome, Ok(()), "{preset:?} {len}");
            assert_eq!(allocations, 0, "{preset:?} {len}");
        }
    }
}
