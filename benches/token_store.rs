//! The cached-token path with a token store: `LiveConnection::authorize` and
//! `authorize_with` on a connection whose store is never called while its token is valid,
//! beside the same connection without a store. Goal: at most 1.05x.
//!
//! Run with `cargo bench --bench token_store`; the ratios, measured back to back so that
//! load from other processes affects both sides alike, are printed at the end.

mod common;

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use credgate::auth::oauth2::{
    Lease, LeaseHolder, Publication, StoreError, StoredToken, TokenOwner, TokenStore,
    TokenStoreOptions,
};
use credgate::{ConnectionTemplate, Credential, LiveConnection, OAuth2TokenCredential};
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};

const TOKEN: &str = "ya29.a0AfB_byC-0123456789abcdefghijklmnopqrstuvwxyz";
const URI: &str = "https://api.example.com/v1/items?page=2";

/// A store that counts its calls (there should be none) and holds nothing.
#[derive(Default)]
struct CountingStore(AtomicUsize);

impl TokenStore for CountingStore {
    fn read(&self, _: &TokenOwner) -> Result<Option<StoredToken>, StoreError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(None)
    }
    fn try_lease(
        &self,
        _: &TokenOwner,
        _: &LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<Lease, StoreError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(Lease::Acquired {
            until: now + ttl,
            current: None,
        })
    }
    fn publish(
        &self,
        _: &TokenOwner,
        expected: u64,
        _: &OAuth2TokenCredential,
        _: &LeaseHolder,
    ) -> Result<Publication, StoreError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(Publication::Published {
            version: expected + 1,
        })
    }
    fn release(&self, _: &TokenOwner, _: &LeaseHolder) -> Result<(), StoreError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// A connection holding a valid token expiring in 2100, with `store` or without one.
fn live(store: Option<Arc<CountingStore>>) -> LiveConnection {
    let template: ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "api", "templateBaseUrl": "https://api.example.com/v1",
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "o",
            "tokenUrl": "https://auth.example.com/token",
            "grant": {"type": "authorizationCode",
                "authorizationCode": {"clientId": "c", "clientSecret": "s"}}}}]
    }))
    .expect("template");
    let token: Credential = serde_json::from_value(serde_json::json!({"type": "oauth2-token",
        "data": {"oauth2Token": {"accessToken": TOKEN, "refreshToken": "rt",
            "expiresAt": "2100-01-01T00:00:00Z"}}}))
    .expect("credential");
    let connection = template.connect(vec![token]).expect("connection");
    let builder = LiveConnection::builder(&connection).template(&template);
    let builder = match store {
        Some(store) => builder.token_store(
            store,
            TokenStoreOptions::new(TokenOwner::connection("c-1"))
                .with_holder(LeaseHolder::new("bench")),
        ),
        None => builder,
    };
    builder.build().expect("live connection")
}

fn request() -> Request<Vec<u8>> {
    Request::get(URI).body(Vec::new()).expect("request")
}

fn never_sent(_: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Infallible> {
    unreachable!("the cached token is valid")
}

/// The median over rounds of `a / b`, the two measured back to back in each round.
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

fn bench(c: &mut Criterion) {
    let store = Arc::new(CountingStore::default());
    let with_store = live(Some(Arc::clone(&store)));
    let without = live(None);

    let mut group = c.benchmark_group("token_store");
    for (label, live) in [
        ("authorize, no store", &without),
        ("authorize, with a store", &with_store),
    ] {
        let mut req = request();
        group.bench_function(label, |b| b.iter(|| live.authorize(black_box(&mut req))));
    }
    for (label, live) in [
        ("authorize_with, no store", &without),
        ("authorize_with, with a store", &with_store),
    ] {
        let mut req = request();
        group.bench_function(label, |b| {
            b.iter(|| live.authorize_with(black_box(&mut req), never_sent))
        });
    }
    group.finish();

    println!("\nmedian ratios (with a store / without), measured back to back in each round:");
    let run = |live: &LiveConnection, wrapper: bool| {
        let mut req = request();
        common::batch_ns(20_000, &mut || {
            if wrapper {
                let _ = live.authorize_with(black_box(&mut req), never_sent);
            } else {
                let _ = live.authorize(black_box(&mut req));
            }
        })
    };
    for (label, wrapper) in [("authorize", false), ("authorize_with", true)] {
        let (ratio, ns, base) = median_ratio(&mut || run(&with_store, wrapper), &mut || {
            run(&without, wrapper)
        });
        println!(
            "  {label}, cached token: {ns:.1} ns with a store vs {base:.1} ns without = {ratio:.3}x (goal <= 1.05x)"
        );
    }
    println!(
        "  store calls made on the cached path: {}",
        store.0.load(Ordering::Relaxed)
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
