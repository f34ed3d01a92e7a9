//! `LiveConnection::authorize` for an API key (header, query, cookie) and Basic, beside the
//! baseline of inserting a pre-built `HeaderValue` into the same request by hand.
//!
//! Run with `cargo bench --bench authorize`; the ratios to the baseline are printed at the
//! end.

use std::hint::black_box;
use std::time::{Duration, Instant};

use credgate::{
    ApiKeyScheme, AuthSchemeConfig, ConnectionTemplate, Credential, KeyLocation, LiveConnection,
};
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderName, HeaderValue, Request};

const URI: &str = "https://api.example.com/v1/items?page=2";

fn live(scheme: AuthSchemeConfig, credential: Credential) -> LiveConnection {
    let template = ConnectionTemplate::new("api", "https://api.example.com/v1", vec![scheme]);
    template
        .connect(vec![credential])
        .and_then(|c| c.build(&template))
        .expect("benchmark connection builds")
}

fn api_key(location: KeyLocation, name: &str) -> LiveConnection {
    live(
        AuthSchemeConfig::ApiKey(ApiKeyScheme::new("k", name, location)),
        Credential::api_key("k-0123456789abcdef0123456789abcdef"),
    )
}

fn request() -> Request<Vec<u8>> {
    Request::get(URI).body(Vec::new()).expect("valid request")
}

/// Median nanoseconds per call over a few batches, for the ratio printed at the end.
fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..20_000 {
                f();
            }
            start.elapsed().as_nanos() as f64 / 20_000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn bench(c: &mut Criterion) {
    // Built at run time from a key held in memory, as a hand-written integration would.
    let key = String::from("k-0123456789abcdef0123456789abcdef");
    let name = HeaderName::from_bytes(b"x-api-key").expect("valid name");
    let mut prebuilt = HeaderValue::from_bytes(key.as_bytes()).expect("valid value");
    prebuilt.set_sensitive(true);

    let cases = [
        ("api key header", api_key(KeyLocation::Header, "X-API-Key")),
        ("api key query", api_key(KeyLocation::Query, "api_key")),
        ("api key cookie", api_key(KeyLocation::Cookie, "session")),
        (
            "basic",
            live(
                AuthSchemeConfig::BasicAuth(credgate::BasicAuthScheme::new("b")),
                Credential::basic_auth("ada@example.com", "correct horse battery staple"),
            ),
        ),
    ];

    let mut group = c.benchmark_group("authorize");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let mut req = request();
    group.bench_function("baseline: insert pre-built header", |b| {
        b.iter(|| {
            black_box(&mut req)
                .headers_mut()
                .insert(name.clone(), prebuilt.clone());
        })
    });
    for (label, connection) in &cases {
        let mut req = request();
        group.bench_function(*label, |b| {
            b.iter(|| connection.authorize(black_box(&mut req)))
        });
    }
    group.finish();

    let mut req = request();
    let baseline = median_ns(|| {
        black_box(&mut req)
            .headers_mut()
            .insert(name.clone(), prebuilt.clone());
    });
    println!("\nratio to the baseline ({baseline:.1} ns), same run:");
    for (label, connection) in &cases {
        // The query case re-encodes the URI each call; start each batch from the same URI.
        let mut req = request();
        let ns = median_ns(|| {
            if *label == "api key query" {
                *req.uri_mut() = http::Uri::from_static(URI);
            }
            let _ = connection.authorize(black_box(&mut req));
        });
        println!("  {label:<16} {ns:>8.1} ns  {:.2}x", ns / baseline);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
