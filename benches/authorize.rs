//! `LiveConnection::authorize` for an API key (header, query, cookie) and Basic, beside the
//! baseline of inserting a pre-built `HeaderValue` into the same request by hand.
//!
//! Run with `cargo bench --bench authorize`; the ratios to the baseline are printed at the
//! end.

mod common;

use std::hint::black_box;
use std::time::Duration;

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

/// The median over rounds of (case time / baseline time), baseline and case measured back to
/// back in each round so that load from other processes affects both alike.
fn median_ratio(baseline: &mut dyn FnMut(), case: &mut dyn FnMut()) -> (f64, f64) {
    let mut rounds: Vec<(f64, f64)> = (0..31)
        .map(|_| {
            let base = common::batch_ns(20_000, baseline);
            let ns = common::batch_ns(20_000, case);
            (ns / base, ns)
        })
        .collect();
    rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    rounds[rounds.len() / 2]
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

    println!("\nratio to the baseline, measured back to back in the same run:");
    let mut base_req = request();
    let mut baseline = || {
        black_box(&mut base_req)
            .headers_mut()
            .insert(name.clone(), prebuilt.clone());
    };
    for (label, connection) in &cases {
        let mut req = request();
        let mut case = || {
            // The query case rewrites the URI; start every call from the same one.
            if *label == "api key query" {
                *req.uri_mut() = http::Uri::from_static(URI);
            }
            let _ = connection.authorize(black_box(&mut req));
        };
        let (ratio, ns) = median_ratio(&mut baseline, &mut case);
        println!("  {label:<16} {ns:>8.1} ns  {ratio:.2}x");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
