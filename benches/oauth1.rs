//! OAuth1 HMAC-SHA1 signing of a GET with 5 query parameters, beside one bare HMAC-SHA1 of
//! that request's own base string, in the same run.
//!
//! `cargo bench --bench oauth1 -- --warm-up-time 1 --measurement-time 3`. The baseline is
//! the bare HMAC with the key prepared once (`Hmac::new_from_slice` outside the loop, a
//! clone of the keyed state per call), as credgate prepares it; the target (issue #17) is
//! the whole signing within 3x of it. The HMAC keyed per call is printed for comparison.

mod common;

use std::hint::black_box;
use std::sync::Arc;

use credgate::auth::{Authenticator, OAuth1};
use credgate::{
    ManualClock, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential, RandomSource,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// A cheap deterministic source, so the OS generator's system call is not what is timed.
#[derive(Debug)]
struct Fixed;

impl RandomSource for Fixed {
    fn fill_bytes(&self, dest: &mut [u8]) {
        dest.fill(7);
    }
}

fn signing(c: &mut Criterion) {
    let scheme = OAuth1Scheme::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        OAuth1SignatureMethod::Sha1,
    );
    let token = OAuth1TokenCredential::new(
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    );
    let oauth1 = OAuth1::new(&scheme, &token)
        .expect("valid credentials")
        .with_clock(Arc::new(ManualClock::at_unix_seconds(1_700_000_000)))
        .with_random(Arc::new(Fixed));
    let request = http::Request::get(
        "https://api.example.com/1.1/statuses/home_timeline.json?count=20&since_id=12345&max_id=67890&trim_user=true&include_entities=false",
    )
    .body(())
    .expect("valid request");
    let base_string = oauth1
        .sign(&request, 1_700_000_000, "07070707070707070707070707070707")
        .expect("signable")
        .base_string()
        .to_owned();
    let key =
        b"kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";

    let prepared = Hmac::<Sha1>::new_from_slice(key).expect("any key length");

    // `CREDGATE_BENCH_CALLS=N CREDGATE_BENCH_SIDE=sign|bare|clone`: only N calls of one
    // side, then exit, for an instruction count that load does not change:
    // `valgrind --tool=callgrind` at two values of N; the difference over the difference
    // of N is the instructions per call.
    if let Some(calls) = std::env::var("CREDGATE_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
    {
        let side = std::env::var("CREDGATE_BENCH_SIDE").unwrap_or_default();
        for _ in 0..calls {
            match side.as_str() {
                "bare" => {
                    let mut mac = black_box(&prepared).clone();
                    mac.update(black_box(base_string.as_bytes()));
                    black_box(mac.finalize().into_bytes());
                }
                "clone" => {
                    black_box(black_box(&request).clone());
                }
                _ => {
                    let mut request = black_box(&request).clone();
                    oauth1.authorize(&mut request).expect("signable");
                    black_box(request);
                }
            }
        }
        std::process::exit(0);
    }

    let mut group = c.benchmark_group("oauth1");
    group.bench_function("bare_prepared_hmac_sha1_of_base_string", |b| {
        b.iter(|| {
            let mut mac = black_box(&prepared).clone();
            mac.update(black_box(base_string.as_bytes()));
            mac.finalize().into_bytes()
        });
    });
    group.bench_function("bare_hmac_sha1_of_base_string", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha1>::new_from_slice(black_box(key)).expect("any key length");
            mac.update(black_box(base_string.as_bytes()));
            mac.finalize().into_bytes()
        });
    });
    group.bench_function("authorize_get_5_query_params", |b| {
        b.iter_batched(
            || request.clone(),
            |mut request| {
                oauth1.authorize(&mut request).expect("signable");
                request
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();

    // The ratio, from batches measured back to back so that other load affects both sides
    // alike; the request clone each signing needs is measured and taken off.
    let mut bare = || {
        let mut mac = black_box(&prepared).clone();
        mac.update(black_box(base_string.as_bytes()));
        black_box(mac.finalize().into_bytes());
    };
    let mut bare_keyed = || {
        let mut mac = Hmac::<Sha1>::new_from_slice(black_box(key)).expect("any key length");
        mac.update(black_box(base_string.as_bytes()));
        black_box(mac.finalize().into_bytes());
    };
    let mut clone_only = || {
        black_box(request.clone());
    };
    let mut sign = || {
        let mut request = request.clone();
        oauth1.authorize(&mut request).expect("signable");
        black_box(request);
    };
    // Each timing is a short batch (about 100 us, far below a scheduler time slice, so
    // few are cut by another process), the sides sized to take about as long and timed in
    // alternating order each round: a long batch beside a short one would take more of
    // the load and bias the ratio.
    let (mut prepared_ratios, mut keyed_ratios, mut sign_ns, mut bare_ns) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..201 {
        let (bare, bare_keyed, clone, sign) = if round % 2 == 0 {
            let bare = common::batch_ns(200, &mut bare);
            let bare_keyed = common::batch_ns(200, &mut bare_keyed);
            let clone = common::batch_ns(1_000, &mut clone_only);
            (bare, bare_keyed, clone, common::batch_ns(50, &mut sign))
        } else {
            let sign = common::batch_ns(50, &mut sign);
            let clone = common::batch_ns(1_000, &mut clone_only);
            let bare_keyed = common::batch_ns(200, &mut bare_keyed);
            (common::batch_ns(200, &mut bare), bare_keyed, clone, sign)
        };
        prepared_ratios.push((sign - clone) / bare);
        keyed_ratios.push((sign - clone) / bare_keyed);
        sign_ns.push(sign - clone);
        bare_ns.push(bare);
    }
    println!(
        "\nwhole signing / bare HMAC-SHA1 of its base string, key prepared once (median of 201 \
         alternating rounds): {:.2}x (goal <= 3x); signing {:.0} ns, bare {:.0} ns",
        common::median(prepared_ratios),
        common::median(sign_ns),
        common::median(bare_ns),
    );
    println!(
        "whole signing / bare HMAC-SHA1 of its base string, keyed per call: {:.2}x",
        common::median(keyed_ratios)
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = signing
}
criterion_main!(benches);
