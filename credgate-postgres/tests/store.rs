//! The token store contract against a real PostgreSQL: compare-and-swap, leases,
//! notifications, encryption at rest (unknown keys, tampering, rotation).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use credgate::OAuth2TokenCredential;
use credgate::auth::oauth2::{
    AsyncTokenStore, Lease, LeaseHolder, Publication, StoreError as ContractError, StoredToken,
    TokenOwner,
};
use credgate_postgres::{Keyring, PgStoreOptions, PgTokenStore};
use tokio_postgres::NoTls;

fn credential(access: &str, refresh: &str) -> OAuth2TokenCredential {
    serde_json::from_value(serde_json::json!({"accessToken": access, "refreshToken": refresh}))
        .expect("credential")
}

fn keyring(id: &str, byte: u8) -> Keyring {
    Keyring::new(id, &[byte; 32]).expect("keyring")
}

async fn store(config: &tokio_postgres::Config, keyring: Keyring) -> PgTokenStore {
    PgTokenStore::connect(config.clone(), keyring)
        .await
        .expect("store connects")
}

async fn sql(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config.connect(NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

fn holder(name: &str) -> LeaseHolder {
    LeaseHolder::new(name)
}

fn access(token: &StoredToken) -> String {
    let json = credgate::to_json_with_secrets(&token.credential).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn publish_is_compare_and_swap_on_the_version() {
    let config = support::fresh_db().await;
    let store = store(&config, keyring("k1", 1)).await;
    let owner = TokenOwner::connection("cas");
    let h = holder("a");
    assert_eq!(store.read(&owner).await.unwrap(), None);

    let first = store
        .publish(&owner, 0, &credential("at-1", "rt-1"), &h)
        .await
        .unwrap();
    assert_eq!(first, Publication::Published { version: 1 });
    let read = store.read(&owner).await.unwrap().expect("stored");
    assert_eq!(read, StoredToken::new(1, credential("at-1", "rt-1")));

    // A second first publication, and a stale expected version, write nothing.
    for expected in [0, 2, 7] {
        match store
            .publish(&owner, expected, &credential("at-x", "rt-x"), &h)
            .await
            .unwrap()
        {
            Publication::Conflict { current } => {
                assert_eq!(
                    current,
                    Some(StoredToken::new(1, credential("at-1", "rt-1")))
                );
            }
            other => panic!("expected a conflict for {expected}, got {other:?}"),
        }
    }
    let second = store
        .publish(&owner, 1, &credential("at-2", "rt-2"), &h)
        .await
        .unwrap();
    assert_eq!(second, Publication::Published { version: 2 });
    assert_eq!(access(&store.read(&owner).await.unwrap().unwrap()), "at-2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publications_one_wins() {
    let config = support::fresh_db().await;
    let a = store(&config, keyring("k1", 1)).await;
    let b = store(&config, keyring("k1", 1)).await;
    let owner = TokenOwner::connection("race");
    a.publish(&owner, 0, &credential("at-0", "rt-0"), &holder("x"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            s.publish(
                &owner,
                1,
                &credential(&format!("at-{i}"), "rt"),
                &holder(&format!("h{i}")),
            )
            .await
            .unwrap()
        }));
    }
    let mut won = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), Publication::Published { version: 2 }) {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    assert_eq!(a.read(&owner).await.unwrap().unwrap().version, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lease_is_exclusive_until_it_expires() {
    let config = support::fresh_db().await;
    let store = store(&config, keyring("k1", 1)).await;
    let owner = TokenOwner::connection("lease");
    let ttl = Duration::from_secs(30);
    let now = SystemTime::now();

    // Many holders at once: exactly one lease.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (s, owner) = (store.clone(), owner.clone());
        tasks.push(tokio::spawn(async move {
            s.try_lease(&owner, &holder(&format!("h{i}")), ttl, now)
                .await
                .unwrap()
        }));
    }
    let mut acquired = 0;
    for task in tasks {
        match task.await.unwrap() {
            Lease::Acquired { until, current } => {
                acquired += 1;
                let off = (now + ttl).duration_since(until).unwrap();
                assert!(off < Duration::from_micros(1), "{off:?}");
                assert_eq!(current, None, "a lease alone stores no credential");
            }
            Lease::HeldBy { current, .. } => assert_eq!(current, None),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(acquired, 1);
    assert_eq!(
        store.read(&owner).await.unwrap(),
        None,
        "a lease-only row reads as nothing"
    );
    store.release(&owner, &holder("nobody")).await.unwrap();

    // A known holder: renewed by itself, refused to others until the expiry, then taken over.
    let owner = TokenOwner::connection("lease-2");
    store
        .publish(&owner, 0, &credential("at-1", "rt-1"), &holder("w"))
        .await
        .unwrap();
    let a_until = match store
        .try_lease(&owner, &holder("a"), ttl, now)
        .await
        .unwrap()
    {
        Lease::Acquired { until, current } => {
            assert_eq!(
                current.map(|c| c.version),
                Some(1),
                "the lease carries the credential"
            );
            until
        }
        other => panic!("{other:?}"),
    };
    match store
        .try_lease(&owner, &holder("b"), ttl, now + Duration::from_secs(29))
        .await
        .unwrap()
    {
        Lease::HeldBy { until, current } => {
            assert_eq!(until, a_until);
            assert_eq!(current.map(|c| c.version), Some(1));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store
            .try_lease(&owner, &holder("a"), ttl, now + Duration::from_secs(1))
            .await
            .unwrap(),
        Lease::Acquired { .. }
    ));
    // At the expiry, b takes over.
    let later = now + Duration::from_secs(1) + ttl;
    assert!(matches!(
        store
            .try_lease(&owner, &holder("b"), ttl, later)
            .await
            .unwrap(),
        Lease::Acquired { .. }
    ));
    // a's late publication still lands (the compare-and-swap protects the row), and does
    // not release b's lease.
    assert_eq!(
        store
            .publish(&owner, 1, &credential("at-2", "rt-2"), &holder("a"))
            .await
            .unwrap(),
        Publication::Published { version: 2 }
    );
    assert!(matches!(
        store
            .try_lease(&owner, &holder("c"), ttl, later)
            .await
            .unwrap(),
        Lease::HeldBy { .. }
    ));
    // b's publication conflicts, and releases b's lease all the same.
    assert!(matches!(
        store
            .publish(&owner, 1, &credential("at-3", "rt-3"), &holder("b"))
            .await
            .unwrap(),
        Publication::Conflict {
            current: Some(StoredToken { version: 2, .. })
        }
    ));
    assert!(matches!(
        store
            .try_lease(&owner, &holder("c"), ttl, later)
            .await
            .unwrap(),
        Lease::Acquired { .. }
    ));
    // Release frees it at once.
    store.release(&owner, &holder("c")).await.unwrap();
    assert!(matches!(
        store
            .try_lease(&owner, &holder("d"), ttl, later)
            .await
            .unwrap(),
        Lease::Acquired { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_replica_learns_of_a_publication_by_notification() {
    let config = support::fresh_db().await;
    let a = store(&config, keyring("k1", 1)).await;
    // The fallback re-read is at most every second: waking well under it is the
    // notification's doing.
    let b = store(&config, keyring("k1", 1)).await;
    let owner = TokenOwner::connection("notify");
    a.publish(&owner, 0, &credential("at-1", "rt-1"), &holder("a"))
        .await
        .unwrap();

    let waiter = {
        let (b, owner) = (b.clone(), owner.clone());
        tokio::spawn(async move {
            let got = b
                .wait_for_change(&owner, 1, Duration::from_secs(10))
                .await
                .unwrap();
            (got, Instant::now())
        })
    };
    // No change: the wait returns `None` after `within`.
    let start = Instant::now();
    assert_eq!(
        b.wait_for_change(&owner, 1, Duration::from_millis(200))
            .await
            .unwrap(),
        None
    );
    assert!(start.elapsed() >= Duration::from_millis(200));

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let published = Instant::now();
    a.publish(&owner, 1, &credential("at-2", "rt-2"), &holder("a"))
        .await
        .unwrap();
    let (got, woke) = waiter.await.unwrap();
    let got = got.expect("a change");
    assert_eq!((got.version, access(&got)), (2, "at-2".to_owned()));
    let latency = woke.duration_since(published);
    assert!(
        latency < Duration::from_millis(500),
        "woken after {latency:?}"
    );
    // Already newer: answered at once.
    let start = Instant::now();
    assert_eq!(
        b.wait_for_change(&owner, 1, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
    assert!(start.elapsed() < Duration::from_secs(1));

    // The payload names the owner and version, never a token.
    let listener = sql(&config).await;
    listener
        .batch_execute("LISTEN credgate_tokens")
        .await
        .unwrap();
    let raw = sql(&config).await;
    let row = raw
        .query_one(
            "SELECT sealed FROM credgate_tokens WHERE owner = $1",
            &[&owner.as_str()],
        )
        .await
        .unwrap();
    let sealed: Vec<u8> = row.get(0);
    assert!(
        !sealed.windows(4).any(|w| w == b"at-2" || w == b"rt-2"),
        "sealed at rest"
    );
}

#[tokio::test]
async fn unknown_key_id_is_a_clear_error() {
    let config = support::fresh_db().await;
    let old = store(&config, keyring("2026-06", 1)).await;
    let owner = TokenOwner::end_user("prod", "xero", "u-1");
    old.publish(&owner, 0, &credential("at-1", "rt-1"), &holder("a"))
        .await
        .unwrap();

    let new = store(&config, keyring("2026-12", 2)).await;
    let err = new.read(&owner).await.unwrap_err();
    let ContractError::Unreadable { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(
        reason.contains("`2026-06`") && reason.contains("with_old_key"),
        "{reason}"
    );
    assert!(!err.to_string().contains("at-1"));
    // The lease and the wait report it too, never a garbled credential.
    assert!(
        new.try_lease(
            &owner,
            &holder("b"),
            Duration::from_secs(5),
            SystemTime::now()
        )
        .await
        .is_err()
    );
    assert!(
        new.wait_for_change(&owner, 0, Duration::from_millis(50))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn tampered_copied_or_replayed_rows_are_refused() {
    let config = support::fresh_db().await;
    let store = store(&config, keyring("k1", 1)).await;
    let h = holder("a");
    let (x, y) = (TokenOwner::connection("x"), TokenOwner::connection("y"));
    store
        .publish(&x, 0, &credential("at-x1", "rt-x1"), &h)
        .await
        .unwrap();
    store
        .publish(&y, 0, &credential("at-y1", "rt-y1"), &h)
        .await
        .unwrap();
    let raw = sql(&config).await;

    // A flipped bit.
    raw.execute(
        "UPDATE credgate_tokens SET sealed = overlay(sealed placing '\\x00'::bytea from 20 for 1) WHERE owner = $1",
        &[&x.as_str()],
    )
    .await
    .unwrap();
    let err = store.read(&x).await.unwrap_err();
    assert!(
        matches!(&err, ContractError::Unreadable { reason } if reason.contains("failed authentication")),
        "{err}"
    );

    // y's row copied onto z (same version): refused, not z's credential.
    let z = TokenOwner::connection("z");
    raw.execute(
        "INSERT INTO credgate_tokens (owner, version, key_id, sealed)
         SELECT $2, version, key_id, sealed FROM credgate_tokens WHERE owner = $1",
        &[&y.as_str(), &z.as_str()],
    )
    .await
    .unwrap();
    assert!(matches!(
        store.read(&z).await,
        Err(ContractError::Unreadable { .. })
    ));

    // y's version 1 replayed as version 2 (an old refresh token brought back): refused.
    let v1: Vec<u8> = raw
        .query_one(
            "SELECT sealed FROM credgate_tokens WHERE owner = $1",
            &[&y.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    store
        .publish(&y, 1, &credential("at-y2", "rt-y2"), &h)
        .await
        .unwrap();
    raw.execute(
        "UPDATE credgate_tokens SET sealed = $2 WHERE owner = $1",
        &[&y.as_str(), &v1],
    )
    .await
    .unwrap();
    assert!(matches!(
        store.read(&y).await,
        Err(ContractError::Unreadable { .. })
    ));
}

#[tokio::test]
async fn key_rotation_reads_old_rows_and_seals_new_ones_under_the_new_key() {
    let config = support::fresh_db().await;
    let before = store(&config, keyring("old", 1)).await;
    let (a, b) = (TokenOwner::connection("a"), TokenOwner::connection("b"));
    before
        .publish(&a, 0, &credential("at-a1", "rt-a1"), &holder("h"))
        .await
        .unwrap();
    before
        .publish(&b, 0, &credential("at-b1", "rt-b1"), &holder("h"))
        .await
        .unwrap();

    let rotated = Keyring::new("new", &[2; 32])
        .unwrap()
        .with_old_key("old", &[1; 32])
        .unwrap();
    let after = store(&config, rotated).await;
    assert_eq!(
        access(&after.read(&a).await.unwrap().unwrap()),
        "at-a1",
        "old rows stay readable"
    );
    after
        .publish(&a, 1, &credential("at-a2", "rt-a2"), &holder("h"))
        .await
        .unwrap();
    let c = TokenOwner::connection("c");
    after
        .publish(&c, 0, &credential("at-c1", "rt-c1"), &holder("h"))
        .await
        .unwrap();

    let raw = sql(&config).await;
    let key_ids: Vec<(String, String)> = raw
        .query(
            "SELECT owner, key_id FROM credgate_tokens ORDER BY owner",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let expect = |o: &TokenOwner, k: &str| (o.as_str().to_owned(), k.to_owned());
    assert_eq!(
        key_ids,
        vec![expect(&a, "new"), expect(&b, "old"), expect(&c, "new")]
    );
    assert_eq!(access(&after.read(&a).await.unwrap().unwrap()), "at-a2");
    assert_eq!(access(&after.read(&b).await.unwrap().unwrap()), "at-b1");
    // The old keyring cannot read what the new key sealed, and says which key it lacks.
    let err = before.read(&a).await.unwrap_err();
    assert!(err.to_string().contains("`new`"), "{err}");
}

#[tokio::test]
async fn unreachable_store_fails_promptly_and_debug_hides_the_password() {
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user("postgres")
        .password("pw-hunter2")
        .dbname("x");
    let start = Instant::now();
    let err = PgTokenStore::connect_with(
        config,
        keyring("k1", 1),
        PgStoreOptions::new().with_call_timeout(Duration::from_secs(2)),
    )
    .await
    .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(
        err.to_string().starts_with("token store unreachable"),
        "{err}"
    );
    assert!(!err.to_string().contains("hunter2"));

    let config = support::fresh_db().await;
    let mut with_password = config.clone();
    with_password.password("pw-hunter2");
    let store = Arc::new(store(&with_password, keyring("k1", 0xAB)).await);
    let debug = format!("{store:?}");
    assert!(
        !debug.contains("hunter2") && debug.contains("k1"),
        "{debug}"
    );
    assert!(!debug.contains("171"), "{debug}");
}

#[tokio::test]
async fn owner_keys_are_checked() {
    let config = support::fresh_db().await;
    let store = store(&config, keyring("k1", 1)).await;
    for bad in [String::new(), "x".repeat(1001), "a\0b".to_owned()] {
        let err = store.read(&TokenOwner::new(bad)).await.unwrap_err();
        assert!(matches!(err, ContractError::Refused { .. }), "{err:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_pushes_another_replicas_publication_into_the_connection() {
    let config = support::fresh_db().await;
    let a = Arc::new(store(&config, support::proof::keyring()).await);
    let b = store(&config, support::proof::keyring()).await;
    let owner = TokenOwner::new(support::proof::OWNER);
    let mut first = credential("at-1", "rt-1");
    first.expires_at = Some("2999-01-01T00:00:00Z".to_owned());
    b.publish(&owner, 0, &first, &holder("b")).await.unwrap();
    // The connection starts from another credential: the stored one is offered first.
    let mut own = credential("at-own", "rt-own");
    own.expires_at = Some("2999-01-01T00:00:00Z".to_owned());
    let live = Arc::new(support::proof::live_connection(
        "http://127.0.0.1:9/token",
        own,
        Arc::clone(&a),
        0,
        Duration::from_secs(5),
    ));
    let follow = a.follow(owner.clone(), &live);
    let bearer = |live: &credgate::LiveConnection| {
        let mut request = http::Request::get("/items").body(Vec::<u8>::new()).unwrap();
        live.authorize(&mut request).unwrap();
        request.headers()["authorization"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let until = Instant::now() + Duration::from_secs(5);
    while bearer(&live) != "Bearer at-1" {
        assert!(
            Instant::now() < until,
            "the stored credential was never offered"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Another replica publishes: this connection uses it within milliseconds, with no
    // token request and no store call on its request path.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut second = credential("at-2", "rt-2");
    second.expires_at = Some("2999-01-01T00:00:00Z".to_owned());
    let published = Instant::now();
    b.publish(&owner, 1, &second, &holder("b")).await.unwrap();
    while bearer(&live) != "Bearer at-2" {
        assert!(
            published.elapsed() < Duration::from_millis(500),
            "not pushed by notification"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    println!("publication → in use: {:?}", published.elapsed());
    // Dropped, it follows no more.
    drop(follow);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = credential("at-3", "rt-3");
    third.expires_at = Some("2999-01-01T00:00:00Z".to_owned());
    b.publish(&owner, 2, &third, &holder("b")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bearer(&live), "Bearer at-2");
}
