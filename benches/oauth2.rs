//! OAuth 2.0 hot path: `LiveConnection::authorize` with a cached token beside the
//! hand-written baseline (inserting a pre-built `HeaderValue` into the same request), and
//! the throughput of one connection shared by one and by two threads.
//!
//! The ratios also show where the time goes: the same authorize with a token that never
//! expires (no clock read), and one read of the clock that the expiry check makes.
//!
//! Run with `cargo bench --bench oauth2 -- --warm-up-time 1 --measurement-time 3`; the
//! ratios, measured back to back so that load from other processes affects both sides
//! alike, are printed at the end.

mod common;

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use credgate::{Clock, ConnectionTemplate, Credential, LiveConnection, ManualClock, SystemClock};
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use http::header::{AUTHORIZATION, HeaderValue};

const TOKEN: &str = "ya29.a0AfB_byC-0123456789abcdefghijklmnopqrstuvwxyz";
const URI: &str = "https://api.example.com/v1/items?page=2";

/// A connection holding a valid token expiring in 2100, or never (`expires: false`: no
/// clock read on the hot path).
fn live(clock: Arc<dyn Clock>, expires: bool) -> LiveConnection {
    let template: ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "api", "templateBaseUrl": "https://api.example.com/v1",
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "o",
            "tokenUrl": "https://auth.example.com/token",
            "grant": {"type": "authorizationCode",
                "authorizationCode": {"clientId": "c", "clientSecret": "s"}}}}]
    }))
    .expect("template");
    let mut token = serde_json::json!({"accessToken": TOKEN, "refreshToken": "rt"});
    if expires {
        token["expiresAt"] = "2100-01-01T00:00:00Z".into();
    }
    let token: Credential = serde_json::from_value(
        serde_json::json!({"type": "oauth2-token", "data": {"oauth2Token": token}}),
    )
    .expect("credential");
    let connection = template.connect(vec![token]).expect("connection");
    LiveConnection::builder(&connection)
        .template(&template)
        .clock(clock)
        .build()
        .expect("live connection")
}

fn request() -> Request<Vec<u8>> {
    Request::get(URI).body(Vec::new()).expect("request")
}

/// The median over rounds of `a(n) / b(n)`, the two measured back to back in each round.
fn median_ratio(a: &mut dyn FnMut() -> f64, b: &mut dyn FnMut() -> f64) -> (f64, f64, f64) {
    let mut rounds: Vec<(f64, f64, f64)> = (0..31)
        .map(|_| {
            let (a, b) = (a(), b());
            (a / b, a, b)
        })
        .collect();
    rounds.sort_by(|x, y| x.0.total_cmp(&y.0));
    rounds[rounds.len() / 2]
}

/// Time per operation when `threads` threads each run `run(iters)`: wall time divided by
/// `threads`, so equal times mean linear scaling.
fn per_op(threads: u32, iters: u64, run: &(dyn Fn(u64) + Sync)) -> Duration {
    let barrier = Barrier::new(threads as usize + 1);
    let start = std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                barrier.wait();
                run(iters);
            });
        }
        barrier.wait();
        Instant::now()
        // The scope joins every thread before returning.
    });
    start.elapsed() / threads
}

fn bench(c: &mut Criterion) {
    let mut prebuilt = HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("header");
    prebuilt.set_sensitive(true);
    let system = live(Arc::new(SystemClock), true);
    let manual = live(Arc::new(ManualClock::at_unix_seconds(1_800_000_000)), true);
    let without_expiry = live(Arc::new(SystemClock), false);

    let mut group = c.benchmark_group("oauth2");
    let mut req = request();
    group.bench_function("baseline: insert pre-built header", |b| {
        b.iter(|| {
            black_box(&mut req)
                .headers_mut()
                .insert(AUTHORIZATION, prebuilt.clone());
        });
    });
    for (label, live) in [
        ("authorize, system clock", &system),
        ("authorize, manual clock", &manual),
    ] {
        let mut req = request();
        group.bench_function(label, |b| b.iter(|| live.authorize(black_box(&mut req))));
    }
    // Each thread authorizes its own requests with the one shared connection.
    let authorize = |iters| {
        let mut req = request();
        for _ in 0..iters {
            let _ = system.authorize(black_box(&mut req));
        }
    };
    // The scaling the machine allows: each thread inserts its own pre-built header.
    let insert = |iters| {
        let own = HeaderValue::from_bytes(prebuilt.as_bytes()).expect("header");
        let mut req = request();
        for _ in 0..iters {
            black_box(&mut req)
                .headers_mut()
                .insert(AUTHORIZATION, own.clone());
        }
    };
    for threads in [1, 2] {
        group.bench_function(format!("shared by {threads} threads"), |b| {
            b.iter_custom(|iters| per_op(threads, iters, &authorize));
        });
    }
    group.finish();

    println!("\nmedian ratios, both sides measured back to back in each round:");
    let mut base_req = request();
    let mut baseline = || {
        common::batch_ns(20_000, &mut || {
            black_box(&mut base_req)
                .headers_mut()
                .insert(AUTHORIZATION, prebuilt.clone());
        })
    };
    for (label, live) in [
        ("system clock", &system),
        ("manual clock", &manual),
        ("token without expiry, no clock read", &without_expiry),
    ] {
        let mut req = request();
        let mut case = || {
            common::batch_ns(20_000, &mut || {
                let _ = live.authorize(black_box(&mut req));
            })
        };
        let (ratio, ns, base) = median_ratio(&mut case, &mut baseline);
        println!("  authorize ({label}): {ns:.1} ns vs baseline {base:.1} ns = {ratio:.2}x");
    }
    // What the expiry check on the hot path costs: one read of the system clock's seconds.
    let mut clock_read = || {
        common::batch_ns(20_000, &mut || {
            black_box(SystemClock.unix_seconds());
        })
    };
    let (_, clock_ns, base) = median_ratio(&mut clock_read, &mut baseline);
    println!(
        "  SystemClock::unix_seconds alone: {clock_ns:.1} ns ({:.2}x of the baseline's time)",
        clock_ns / base
    );
    // Each round times both workloads on one and two threads back to back, so a round in
    // which the machine gives two threads less than two cores shows in both.
    const ITERS: u64 = 200_000;
    let ns = |d: Duration| d.as_nanos() as f64 / ITERS as f64;
    let scaling =
        |run: &(dyn Fn(u64) + Sync)| ns(per_op(1, ITERS, run)) / ns(per_op(2, ITERS, run));
    // The same path with nothing shared: each thread builds and uses its own connection.
    let unshared = |iters| {
        let own = live(Arc::new(SystemClock), true);
        let mut req = request();
        for _ in 0..iters {
            let _ = own.authorize(black_box(&mut req));
        }
    };
    let ticks = common::cpu_ticks();
    let rounds: Vec<[f64; 3]> = (0..31)
        .map(|_| [scaling(&authorize), scaling(&unshared), scaling(&insert)])
        .collect();
    let median_of =
        |key: &dyn Fn(&[f64; 3]) -> f64| common::median(rounds.iter().map(key).collect());
    let shared = median_of(&|r| r[0]);
    let unshared = median_of(&|r| r[1]);
    let own = median_of(&|r| r[2]);
    println!(
        "  authorize, one connection shared by 2 threads: {shared:.2}x the throughput of 1 thread"
    );
    println!(
        "  authorize, each thread its own connection (nothing shared): {unshared:.2}x; shared relative to it, per round: {:.2}",
        median_of(&|r| r[0] / r[1])
    );
    println!(
        "  baseline, each thread its own header: {own:.2}x (what the machine gives); shared relative to it, per round: {:.2}",
        median_of(&|r| r[0] / r[2])
    );
    println!(
        "  during these rounds {}",
        common::steal_report(ticks, common::cpu_ticks())
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
