//! Webhook verification throughput: the GitHub and Stripe presets beside a bare
//! `Hmac<Sha256>` over the same bytes (1 KiB, 64 KiB, 1 MiB), and streaming verification of
//! a 1 GiB body generated chunk by chunk, never held in memory (the peak resident set
//! size before and after is printed, on Linux).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use credgate::ManualClock;
use credgate::webhook::{Preset, Signer, Verifier};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET: &str = "whsec_benchmark_secret";
const NOW: u64 = 1_700_000_000;

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn signed(preset: Preset, body: &[u8], clock: &Arc<ManualClock>) -> http::Request<Vec<u8>> {
    let mut request = http::Request::post("https://hooks.example.com/in")
        .body(body.to_vec())
        .expect("valid request");
    Signer::new(&preset.scheme(), &SECRET.into())
        .expect("signable")
        .with_clock(clock.clone())
        .sign(&mut request)
        .expect("signed");
    request
}

fn verify(c: &mut Criterion) {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let mut group = c.benchmark_group("verify");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (label, len) in [("1KiB", 1024), ("64KiB", 64 * 1024), ("1MiB", 1024 * 1024)] {
        let body = body(len);
        group.throughput(Throughput::Bytes(len as u64));

        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
        mac.update(&body);
        let expected = mac.finalize().into_bytes();
        group.bench_with_input(
            BenchmarkId::new("bare_hmac_sha256", label),
            &body,
            |b, body| {
                b.iter(|| {
                    let mut mac =
                        Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
                    mac.update(black_box(body));
                    mac.verify_slice(&expected).expect("matches");
                });
            },
        );

        for preset in [Preset::Github, Preset::Stripe] {
            let verifier = Verifier::from_preset(preset, &[SECRET.into()])
                .expect("valid preset")
                .with_clock(clock.clone());
            let request = signed(preset, &body, &clock);
            group.bench_with_input(
                BenchmarkId::new(preset.name(), label),
                &request,
                |b, request| {
                    b.iter(|| verifier.verify(black_box(request)).expect("valid"));
                },
            );
        }
    }
    group.finish();
}

/// Peak resident set size in KiB (Linux), to show the stream does not grow memory.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn stream_1gib(c: &mut Criterion) {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 16 * 1024; // 16 Ki chunks of 64 KiB = 1 GiB
    let chunk = body(CHUNK);
    // The signature of the 1 GiB body (the chunk repeated), computed once.
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    for _ in 0..CHUNKS {
        mac.update(&chunk);
    }
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let head = http::Request::post("/in")
        .header("X-Hub-Signature-256", format!("sha256={hex}"))
        .body(())
        .expect("valid request");
    let mut config = credgate::webhook::WebhookConfig::preset(Preset::Github, vec![SECRET.into()]);
    config.max_body_bytes = Some(2 << 30);
    let verifier = Verifier::from_config(&config).expect("valid config");

    let before = peak_rss_kib();
    let mut group = c.benchmark_group("stream");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Bytes((CHUNK * CHUNKS) as u64));
    group.bench_function("github_1GiB_in_64KiB_chunks", |b| {
        b.iter(|| {
            let mut stream = verifier.stream(&head).expect("streamable");
            for _ in 0..CHUNKS {
                stream.update(black_box(&chunk)).expect("under the cap");
            }
            stream.finish().expect("valid")
        });
    });
    group.finish();
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        eprintln!("peak RSS before streaming: {before} KiB, after: {after} KiB");
    }
}

criterion_group!(benches, verify, stream_1gib);
criterion_main!(benches);
