//! The token store contract through the public API: replicas (one `LiveConnection` each,
//! on their own threads or tasks) share an in-memory store and a token endpoint that
//! issues single-use rotating refresh tokens (reusing one is `invalid_grant` and revokes the
//! family, as Xero, Intuit and Zoho do).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use credgate::auth::oauth2::{
    AsyncTokenStore, AuthorizeError, Lease, LeaseHolder, Publication, StoreError, StoredToken,
    TokenOwner, TokenStore, TokenStoreOptions, TokenUpdate,
};
use credgate::{
    Clock, Connection, ConnectionCredential, LiveConnection, ManualClock, OAuth2Error,
    OAuth2TokenCredential,
};
use http::{Request, Response};

mod oauth2_support;
use oauth2_support::*;

/// The access tokens' lifetime.
const LIFETIME: u64 = 3600;

// ------------------------------------------------------------------------------ the store

#[derive(Default)]
struct Row {
    stored: Option<StoredToken>,
    lease: Option<(LeaseHolder, SystemTime)>,
}

/// A store in one process's memory, with the contract's rules, counting round trips.
#[derive(Default)]
struct MemoryStore {
    rows: Mutex<HashMap<TokenOwner, Row>>,
    changed: Condvar,
    /// Every call fails with `Unreachable` while set.
    down: AtomicBool,
    /// `publish` fails with `Unreachable` while set.
    publish_down: AtomicBool,
    reads: AtomicUsize,
    leases: AtomicUsize,
    publishes: AtomicUsize,
    releases: AtomicUsize,
    waits: AtomicUsize,
}

impl MemoryStore {
    fn rows(&self) -> Result<MutexGuard<'_, HashMap<TokenOwner, Row>>, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::unreachable(
                "connection refused by 127.0.0.1:5432",
            ));
        }
        Ok(self.rows.lock().unwrap())
    }

    fn calls(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
            + self.leases.load(Ordering::SeqCst)
            + self.publishes.load(Ordering::SeqCst)
            + self.releases.load(Ordering::SeqCst)
            + self.waits.load(Ordering::SeqCst)
    }

    fn version(&self, owner: &TokenOwner) -> u64 {
        let rows = self.rows.lock().unwrap();
        rows.get(owner)
            .and_then(|row| row.stored.as_ref())
            .map_or(0, |stored| stored.version)
    }

    /// Writes `credential` as the next version, as another replica would.
    fn put(&self, owner: &TokenOwner, credential: OAuth2TokenCredential) -> u64 {
        let mut rows = self.rows.lock().unwrap();
        let row = rows.entry(owner.clone()).or_default();
        let version = row.stored.as_ref().map_or(0, |s| s.version) + 1;
        row.stored = Some(StoredToken::new(version, credential));
        self.changed.notify_all();
        version
    }

    /// A lease held by a replica that will never publish (it crashed).
    fn crashed_lease(&self, owner: &TokenOwner, until: SystemTime) {
        let mut rows = self.rows.lock().unwrap();
        rows.entry(owner.clone()).or_default().lease = Some((LeaseHolder::new("crashed"), until));
    }
}

impl TokenStore for MemoryStore {
    fn read(&self, owner: &TokenOwner) -> Result<Option<StoredToken>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.rows()?.get(owner).and_then(|row| row.stored.clone()))
    }

    fn try_lease(
        &self,
        owner: &TokenOwner,
        holder: &LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<Lease, StoreError> {
        self.leases.fetch_add(1, Ordering::SeqCst);
        let mut rows = self.rows()?;
        let row = rows.entry(owner.clone()).or_default();
        let current = row.stored.clone();
        match &row.lease {
            Some((other, until)) if other != holder && *until > now => Ok(Lease::HeldBy {
                until: *until,
                current,
            }),
            _ => {
                let until = now + ttl;
                row.lease = Some((holder.clone(), until));
                Ok(Lease::Acquired { until, current })
            }
        }
    }

    fn publish(
        &self,
        owner: &TokenOwner,
        expected: u64,
        credential: &OAuth2TokenCredential,
        holder: &LeaseHolder,
    ) -> Result<Publication, StoreError> {
        self.publishes.fetch_add(1, Ordering::SeqCst);
        if self.publish_down.load(Ordering::SeqCst) {
            return Err(StoreError::unreachable("timed out after 5 s"));
        }
        let mut rows = self.rows()?;
        let row = rows.entry(owner.clone()).or_default();
        if row.lease.as_ref().is_some_and(|(h, _)| h == holder) {
            row.lease = None;
        }
        let version = row.stored.as_ref().map_or(0, |s| s.version);
        if version != expected {
            return Ok(Publication::Conflict {
                current: row.stored.clone(),
            });
        }
        // Through JSON with secrets, as a database would keep it.
        let json = StoredToken::new(0, credential.clone()).to_json_with_secrets()?;
        row.stored = Some(StoredToken::from_json(version + 1, &json)?);
        self.changed.notify_all();
        Ok(Publication::Published {
            version: version + 1,
        })
    }

    fn release(&self, owner: &TokenOwner, holder: &LeaseHolder) -> Result<(), StoreError> {
        self.releases.fetch_add(1, Ordering::SeqCst);
        let mut rows = self.rows()?;
        if let Some(row) = rows.get_mut(owner)
            && row.lease.as_ref().is_some_and(|(h, _)| h == holder)
        {
            row.lease = None;
        }
        Ok(())
    }

    fn wait_for_change(
        &self,
        owner: &TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> Result<Option<StoredToken>, StoreError> {
        self.waits.fetch_add(1, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + within;
        let mut rows = self.rows()?;
        loop {
            let newer = rows
                .get(owner)
                .and_then(|row| row.stored.clone())
                .filter(|stored| stored.version > after_version);
            if newer.is_some() {
                return Ok(newer);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            rows = self.changed.wait_timeout(rows, left).unwrap().0;
        }
    }
}

/// The same store behind the async trait; its wait polls with tokio's timer.
struct AsyncMemoryStore(Arc<MemoryStore>);

impl AsyncTokenStore for AsyncMemoryStore {
    async fn read(&self, owner: &TokenOwner) -> Result<Option<StoredToken>, StoreError> {
        tokio::task::yield_now().await;
        TokenStore::read(&*self.0, owner)
    }

    async fn try_lease(
        &self,
        owner: &TokenOwner,
        holder: &LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<Lease, StoreError> {
        tokio::task::yield_now().await;
        TokenStore::try_lease(&*self.0, owner, holder, ttl, now)
    }

    async fn publish(
        &self,
        owner: &TokenOwner,
        expected: u64,
        credential: &OAuth2TokenCredential,
        holder: &LeaseHolder,
    ) -> Result<Publication, StoreError> {
        tokio::task::yield_now().await;
        TokenStore::publish(&*self.0, owner, expected, credential, holder)
    }

    async fn release(&self, owner: &TokenOwner, holder: &LeaseHolder) -> Result<(), StoreError> {
        TokenStore::release(&*self.0, owner, holder)
    }

    async fn wait_for_change(
        &self,
        owner: &TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> Result<Option<StoredToken>, StoreError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let stored = TokenStore::read(&*self.0, owner)?;
            if let Some(stored) = stored.filter(|s| s.version > after_version) {
                return Ok(Some(stored));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

// ------------------------------------------------------------------- the token endpoint

/// A token endpoint with single-use rotating refresh tokens: each refresh answers a new
/// access and refresh token; presenting a spent one is `invalid_grant` and revokes the
/// family (no refresh token works any more).
struct Server {
    state: Mutex<ServerState>,
}

struct ServerState {
    /// The one refresh token that works; `None` once the family is revoked.
    live: Option<String>,
    issued: usize,
    invalid_grants: usize,
}

impl Server {
    fn new(refresh_token: &str) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(ServerState {
                live: Some(refresh_token.to_owned()),
                issued: 0,
                invalid_grants: 0,
            }),
        })
    }

    fn answer(&self, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let presented = form(request.body())
            .into_iter()
            .find(|(name, _)| name == "refresh_token")
            .map(|(_, value)| value);
        let mut state = self.state.lock().unwrap();
        if presented.is_none() || presented != state.live {
            state.invalid_grants += 1;
            state.live = None;
            return json_response(400, r#"{"error":"invalid_grant"}"#);
        }
        state.issued += 1;
        let n = state.issued;
        state.live = Some(format!("rt-{n}"));
        json_response(
            200,
            &format!(
                r#"{{"access_token":"at-{n}","refresh_token":"rt-{n}","token_type":"Bearer","expires_in":{LIFETIME}}}"#
            ),
        )
    }

    fn issued(&self) -> usize {
        self.state.lock().unwrap().issued
    }

    fn invalid_grants(&self) -> usize {
        self.state.lock().unwrap().invalid_grants
    }

    /// Rotates the refresh token as if another replica had refreshed: the new credential.
    fn rotate_elsewhere(&self) -> OAuth2TokenCredential {
        let mut state = self.state.lock().unwrap();
        state.issued += 1;
        let n = state.issued;
        state.live = Some(format!("rt-{n}"));
        stored_credential(&format!("at-{n}"), &format!("rt-{n}"), NOW + LIFETIME)
    }
}

fn stored_credential(access: &str, refresh: &str, expires_at_unix: u64) -> OAuth2TokenCredential {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(expires_at_unix);
    let at = humantime_rfc3339(at);
    serde_json::from_str(&format!(
        r#"{{"accessToken": "{access}", "refreshToken": "{refresh}", "expiresAt": "{at}"}}"#
    ))
    .unwrap()
}

/// RFC 3339 for whole seconds after 2026-11-22T10:00:00Z, within the same day.
fn humantime_rfc3339(at: SystemTime) -> String {
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let day_start = NOW - 10 * 3600;
    let of_day = secs - day_start;
    let (days, of_day) = (of_day / 86_400, of_day % 86_400);
    format!(
        "2026-11-{:02}T{:02}:{:02}:{:02}Z",
        22 + days,
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

// ----------------------------------------------------------------------------- replicas

const OWNER: &str = "c-1";

fn owner() -> TokenOwner {
    TokenOwner::connection(OWNER)
}

/// The document every replica starts from: a code-grant token that expired an hour ago,
/// with the refresh token `rt-0`.
fn document() -> Connection {
    Connection::new(vec![ConnectionCredential::new(
        scheme(CODE_GRANT, ""),
        token_credential("at-0", Some("rt-0"), Some("2026-11-22T09:00:00Z")),
    )])
}

fn replica(
    store: &Arc<MemoryStore>,
    clock: &Arc<ManualClock>,
    name: &str,
    updates: &Arc<Mutex<Vec<TokenUpdate>>>,
) -> LiveConnection {
    let updates = Arc::clone(updates);
    LiveConnection::builder(&document())
        .base_url("https://api.example.com")
        .clock(clock.clone())
        .on_token_update(move |update| updates.lock().unwrap().push(update.clone()))
        .token_store(
            Arc::clone(store),
            TokenStoreOptions::new(owner())
                .with_holder(LeaseHolder::new(name))
                .with_lease_ttl(Duration::from_secs(30)),
        )
        .build()
        .unwrap()
}

fn async_replica(store: &Arc<MemoryStore>, clock: &Arc<ManualClock>, name: &str) -> LiveConnection {
    LiveConnection::builder(&document())
        .base_url("https://api.example.com")
        .clock(clock.clone())
        .async_token_store(
            Arc::new(AsyncMemoryStore(Arc::clone(store))),
            TokenStoreOptions::new(owner()).with_holder(LeaseHolder::new(name)),
        )
        .build()
        .unwrap()
}

type Outcome = Result<String, AuthorizeError<Infallible>>;

/// `authorize_with` against `server`: the token the request got.
fn call(live: &LiveConnection, server: &Server) -> Outcome {
    let mut request = api_request();
    live.authorize_with(&mut request, |token_request| {
        Ok::<_, Infallible>(server.answer(&token_request))
    })?;
    Ok(bearer(&request))
}

fn bearer(request: &Request<Vec<u8>>) -> String {
    request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

struct Cluster {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    server: Arc<Server>,
    replicas: Vec<Arc<LiveConnection>>,
    updates: Arc<Mutex<Vec<TokenUpdate>>>,
}

fn cluster(replicas: usize) -> Cluster {
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let updates = Arc::default();
    let replicas = (0..replicas)
        .map(|i| Arc::new(replica(&store, &clock, &format!("replica-{i}"), &updates)))
        .collect();
    Cluster {
        store,
        clock,
        server: Server::new("rt-0"),
        replicas,
        updates,
    }
}

/// Every replica's `threads` threads authorize at once: the tokens they got.
fn burst(cluster: &Cluster, threads: usize) -> Vec<Outcome> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = cluster
            .replicas
            .iter()
            .flat_map(|live| (0..threads).map(move |_| live))
            .map(|live| scope.spawn(|| call(live, &cluster.server)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

// -------------------------------------------------------------------------------- tests

#[test]
fn replicas_share_one_token_request_per_expiry() {
    let cluster = cluster(4);
    for round in 1..=5 {
        let outcomes = burst(&cluster, 4);
        for outcome in &outcomes {
            assert_eq!(
                outcome
                    .as_ref()
                    .map(String::as_str)
                    .map_err(ToString::to_string),
                Ok(format!("Bearer at-{round}").as_str()),
                "round {round}"
            );
        }
        assert_eq!(
            cluster.server.issued(),
            round,
            "one token request per expiry"
        );
        assert_eq!(cluster.server.invalid_grants(), 0);
        assert_eq!(cluster.store.version(&owner()), round as u64);
        // Past the token's expiry: every replica finds it due at once.
        cluster.clock.advance(Duration::from_secs(LIFETIME));
    }
    // The persistence hook saw each new credential once, on the replica that got it.
    let updates = cluster.updates.lock().unwrap();
    let refresh_tokens: Vec<&str> = updates
        .iter()
        .map(|u| u.credential.refresh_token.as_ref().unwrap().expose_secret())
        .collect();
    assert_eq!(refresh_tokens, ["rt-1", "rt-2", "rt-3", "rt-4", "rt-5"]);
}

#[test]
fn a_cached_valid_token_makes_no_store_call() {
    let cluster = cluster(2);
    burst(&cluster, 1);
    let calls = cluster.store.calls();
    for _ in 0..1000 {
        for live in &cluster.replicas {
            assert_eq!(call(live, &cluster.server).unwrap(), "Bearer at-1");
            let mut request = api_request();
            live.authorize(&mut request).unwrap();
        }
    }
    assert_eq!(cluster.store.calls(), calls);
}

#[test]
fn a_refresh_costs_at_most_three_store_round_trips() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    for round in 1..=3 {
        let before = cluster.store.calls();
        assert_eq!(
            call(live, &cluster.server).unwrap(),
            format!("Bearer at-{round}")
        );
        let trips = cluster.store.calls() - before;
        assert!(
            trips <= 3,
            "{trips} round trips (read, lease, publish at most)"
        );
        cluster.clock.advance(Duration::from_secs(LIFETIME));
    }
}

#[test]
fn a_newer_stored_token_is_used_without_a_token_request() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    let credential = cluster.server.rotate_elsewhere();
    cluster.store.put(&owner(), credential);
    assert_eq!(call(live, &cluster.server).unwrap(), "Bearer at-1");
    assert_eq!(cluster.server.issued(), 1, "the sibling's request only");
    assert_eq!(cluster.store.reads.load(Ordering::SeqCst), 1);
    assert_eq!(cluster.store.leases.load(Ordering::SeqCst), 0);
    // It refreshes with the sibling's refresh token when that token is due.
    cluster.clock.advance(Duration::from_secs(LIFETIME));
    assert_eq!(call(live, &cluster.server).unwrap(), "Bearer at-2");
    assert_eq!(cluster.server.invalid_grants(), 0);
}

#[test]
fn inside_the_buffer_a_replica_keeps_its_token_while_another_holds_the_lease() {
    let cluster = cluster(2);
    let (a, b) = (&cluster.replicas[0], &cluster.replicas[1]);
    burst(&cluster, 1);
    // 30 s before expiry: due (60 s buffer) but valid.
    cluster.clock.advance(Duration::from_secs(LIFETIME - 30));
    cluster
        .store
        .crashed_lease(&owner(), cluster.clock.now() + Duration::from_secs(10));
    assert_eq!(
        call(a, &cluster.server).unwrap(),
        "Bearer at-1",
        "no waiting"
    );
    assert_eq!(cluster.server.issued(), 1);
    // Once that lease is over, the next call takes it over and refreshes.
    cluster.clock.advance(Duration::from_secs(11));
    assert_eq!(call(a, &cluster.server).unwrap(), "Bearer at-2");
    // The other replica, still on at-1 inside the buffer, reads the store: no request.
    assert_eq!(call(b, &cluster.server).unwrap(), "Bearer at-2");
    assert_eq!(cluster.server.issued(), 2);
    assert_eq!(cluster.server.invalid_grants(), 0);
}

#[test]
fn an_expired_lease_is_taken_over() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    let now = cluster.clock.now();
    cluster
        .store
        .crashed_lease(&owner(), now + Duration::from_secs(1));
    let outcome = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| call(live, &cluster.server));
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !waiting.is_finished(),
            "waits for the crashed holder's publication"
        );
        cluster.clock.advance(Duration::from_secs(2));
        waiting.join().unwrap()
    });
    assert_eq!(outcome.unwrap(), "Bearer at-1");
    assert_eq!(cluster.server.issued(), 1);
    assert_eq!(cluster.store.version(&owner()), 1);
}

#[test]
fn invalid_grant_after_a_siblings_rotation_takes_its_token() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    let store = &cluster.store;
    let server = &cluster.server;
    let mut request = api_request();
    // The sibling rotated rt-0 and published just after this replica read and leased.
    live.authorize_with(&mut request, |token_request| {
        let credential = server.rotate_elsewhere();
        store.put(&owner(), credential);
        Ok::<_, Infallible>(server.answer(&token_request))
    })
    .unwrap();
    assert_eq!(bearer(&request), "Bearer at-1");
    assert_eq!(server.invalid_grants(), 1, "this replica's stale rt-0");
    // No reconnect: it goes on with the sibling's refresh token.
    server.state.lock().unwrap().live = Some("rt-1".to_owned());
    cluster.clock.advance(Duration::from_secs(LIFETIME));
    assert_eq!(call(live, server).unwrap(), "Bearer at-2");
}

#[test]
fn invalid_grant_without_a_rotation_still_needs_the_user() {
    let cluster = cluster(1);
    cluster.server.state.lock().unwrap().live = None;
    let err = call(&cluster.replicas[0], &cluster.server).unwrap_err();
    assert!(
        matches!(err, AuthorizeError::Token(OAuth2Error::InvalidGrant { .. })),
        "{err:?}"
    );
    assert!(
        cluster.store.rows.lock().unwrap()[&owner()].lease.is_none(),
        "the lease is released"
    );
}

#[test]
fn an_unreachable_store_is_a_clear_error_and_the_request_is_unchanged() {
    let cluster = cluster(1);
    cluster.store.down.store(true, Ordering::SeqCst);
    let mut request = api_request();
    let err = cluster.replicas[0]
        .authorize_with(&mut request, |token_request| {
            Ok::<_, Infallible>(cluster.server.answer(&token_request))
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthorizeError::Token(OAuth2Error::Store(StoreError::Unreachable { .. }))
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("token store unreachable: "),
        "{err}"
    );
    assert!(request.headers().get("authorization").is_none());
    assert_eq!(
        cluster.server.issued(),
        0,
        "no token request without the store"
    );
    // Back up: it goes on.
    cluster.store.down.store(false, Ordering::SeqCst);
    assert_eq!(
        call(&cluster.replicas[0], &cluster.server).unwrap(),
        "Bearer at-1"
    );
}

#[test]
fn an_unreachable_store_inside_the_buffer_keeps_the_valid_token() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    call(live, &cluster.server).unwrap();
    cluster.clock.advance(Duration::from_secs(LIFETIME - 30));
    cluster.store.down.store(true, Ordering::SeqCst);
    assert_eq!(call(live, &cluster.server).unwrap(), "Bearer at-1");
    assert_eq!(cluster.server.issued(), 1);
}

#[test]
fn a_failed_publication_keeps_the_token_and_publishes_it_before_any_request() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    cluster.store.publish_down.store(true, Ordering::SeqCst);
    let mut request = api_request();
    let err = live
        .authorize_with(&mut request, |token_request| {
            Ok::<_, Infallible>(cluster.server.answer(&token_request))
        })
        .unwrap_err();
    assert!(
        matches!(err, AuthorizeError::Token(OAuth2Error::NotPublished(_))),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("could not be published") && text.contains("lost"),
        "{text}"
    );
    assert!(!text.contains("rt-1") && !text.contains("at-1"), "{text}");
    assert!(
        request.headers().get("authorization").is_none(),
        "not used unpublished"
    );
    // The persistence hook had it all the same.
    let hooked = cluster.updates.lock().unwrap().len();
    assert_eq!(hooked, 1);
    // Still down: the same error, and no second token request (rt-0 is spent).
    let err = call(live, &cluster.server).unwrap_err();
    assert!(matches!(
        err,
        AuthorizeError::Token(OAuth2Error::NotPublished(_))
    ));
    cluster.store.publish_down.store(false, Ordering::SeqCst);
    assert_eq!(call(live, &cluster.server).unwrap(), "Bearer at-1");
    assert_eq!(cluster.server.issued(), 1);
    assert_eq!(cluster.server.invalid_grants(), 0);
    assert_eq!(cluster.store.version(&owner()), 1);
    assert_eq!(
        cluster.updates.lock().unwrap().len(),
        1,
        "the hook had it once"
    );
}

#[test]
fn a_conflicting_publication_takes_the_stored_token() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    let store = &cluster.store;
    let mut request = api_request();
    live.authorize_with(&mut request, |token_request| {
        let answer = cluster.server.answer(&token_request);
        // Another replica publishes first (its lease had expired, say).
        store.put(
            &owner(),
            stored_credential("at-other", "rt-other", NOW + LIFETIME),
        );
        Ok::<_, Infallible>(answer)
    })
    .unwrap();
    assert_eq!(bearer(&request), "Bearer at-other");
    assert_eq!(store.version(&owner()), 1);
}

#[test]
fn offer_stored_installs_a_pushed_token() {
    let cluster = cluster(1);
    let live = &cluster.replicas[0];
    call(live, &cluster.server).unwrap();
    let pushed = StoredToken::new(2, stored_credential("at-pushed", "rt-pushed", NOW + 7200));
    assert!(!live.offer_stored(&TokenOwner::connection("other"), &pushed));
    assert!(live.offer_stored(&owner(), &pushed));
    assert!(!live.offer_stored(&owner(), &pushed), "not newer");
    let old = StoredToken::new(1, stored_credential("at-old", "rt-old", NOW + 7200));
    assert!(!live.offer_stored(&owner(), &old));
    let mut request = api_request();
    live.authorize(&mut request).unwrap();
    assert_eq!(bearer(&request), "Bearer at-pushed");
}

#[test]
fn a_redacted_stored_credential_is_refused() {
    let json = r#"{"accessToken": "******", "refreshToken": "rt-1"}"#;
    let err = StoredToken::from_json(1, json).unwrap_err();
    assert!(matches!(err, StoreError::Unreadable { .. }));
    assert!(err.to_string().contains("to_json_with_secrets"), "{err}");
    let err = StoredToken::from_json(1, r#"{"accessToken": 42}"#).unwrap_err();
    assert!(!err.to_string().contains("42"), "{err}");
}

#[test]
fn async_replicas_share_one_token_request_per_expiry() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let server = Server::new("rt-0");
    let replicas: Vec<Arc<LiveConnection>> = (0..4)
        .map(|i| Arc::new(async_replica(&store, &clock, &format!("replica-{i}"))))
        .collect();
    for round in 1..=3 {
        let tasks: Vec<_> = replicas
            .iter()
            .flat_map(|live| (0..8).map(move |_| Arc::clone(live)))
            .map(|live| {
                let server = Arc::clone(&server);
                runtime.spawn(async move {
                    let mut request = api_request();
                    live.authorize_with_async(&mut request, |token_request| {
                        let answer = server.answer(&token_request);
                        async move {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            Ok::<_, Infallible>(answer)
                        }
                    })
                    .await
                    .map(|()| bearer(&request))
                })
            })
            .collect();
        for task in tasks {
            let outcome = runtime.block_on(task).unwrap();
            assert_eq!(outcome.unwrap(), format!("Bearer at-{round}"));
        }
        assert_eq!(server.issued(), round);
        assert_eq!(server.invalid_grants(), 0);
        clock.advance(Duration::from_secs(LIFETIME));
    }
}

#[test]
fn a_connection_without_a_store_is_unchanged() {
    let clock = Arc::new(ManualClock::at_unix_seconds(NOW));
    let server = Server::new("rt-0");
    let live = LiveConnection::builder(&document())
        .base_url("https://api.example.com")
        .clock(clock)
        .build()
        .unwrap();
    assert_eq!(call(&live, &server).unwrap(), "Bearer at-1");
    assert!(!live.offer_stored(
        &owner(),
        &StoredToken::new(9, stored_credential("at-x", "rt-x", NOW + 60))
    ));
}

// ------------------------------------------------------------------------------ property

#[derive(Debug, Clone)]
enum Op {
    /// Replica `i` authorizes a request.
    Call(usize),
    /// The clock moves on this many seconds.
    Advance(u64),
    /// The store goes down or comes back.
    Down(bool),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        6 => (0..3usize).prop_map(Op::Call),
        3 => prop_oneof![0..120u64, 3400..3700u64, 3600..8000u64].prop_map(Op::Advance),
        1 => any::<bool>().prop_map(Op::Down),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever the order of calls, clock moves and store outages: no refresh token is
    /// ever presented twice, every credential received reaches the store, every request
    /// gets the newest token, and only an outage fails a request.
    #[test]
    fn replicas_never_spend_a_refresh_token_twice(ops in proptest::collection::vec(op(), 1..40)) {
        let cluster = cluster(3);
        for op in ops {
            match op {
                Op::Call(i) => {
                    let outcome = call(&cluster.replicas[i], &cluster.server);
                    let down = cluster.store.down.load(Ordering::SeqCst);
                    match outcome {
                        Ok(token) => proptest::prop_assert_eq!(
                            token,
                            format!("Bearer at-{}", cluster.server.issued())
                        ),
                        Err(err) => proptest::prop_assert!(
                            down && matches!(
                                err,
                                AuthorizeError::Token(OAuth2Error::Store(_))
                                    | AuthorizeError::Auth(_)
                            ),
                            "{:?} with the store {}", err, if down { "down" } else { "up" }
                        ),
                    }
                }
                Op::Advance(seconds) => cluster.clock.advance(Duration::from_secs(seconds)),
                Op::Down(down) => cluster.store.down.store(down, Ordering::SeqCst),
            }
            proptest::prop_assert_eq!(cluster.server.invalid_grants(), 0);
            proptest::prop_assert_eq!(
                cluster.store.version(&owner()),
                cluster.server.issued() as u64,
                "every credential received was published"
            );
        }
    }
}
