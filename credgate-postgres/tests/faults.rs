//! Faults: PostgreSQL restarted mid-run, the store unreachable with no valid token, and
//! `kill -9` of the lease holder in the middle of a refresh. Each test has a PostgreSQL of
//! its own, since it stops it.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use credgate::auth::oauth2::{AsyncTokenStore, LeaseHolder, TokenOwner};
use credgate::{AuthorizeError, OAuth2Error};
use credgate_postgres::{PgStoreOptions, PgTokenStore};
use support::PgServer;
use support::proof::{self, ChildConfig, ChildReport, TokenServer};

async fn own_server() -> (PgServer, String) {
    let server = PgServer::start().expect("a PostgreSQL of this test's own");
    let db = server.create_database().await.expect("database");
    let url = server.url(&db);
    (server, url)
}

async fn connect(url: &str) -> PgTokenStore {
    let options = PgStoreOptions::new()
        .with_call_timeout(Duration::from_secs(1))
        .with_listen_retry_max(Duration::from_millis(200));
    PgTokenStore::connect_with(url.parse().expect("url"), proof::keyring(), options)
        .await
        .expect("store")
}

fn bearer(request: &http::Request<Vec<u8>>) -> String {
    request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_valid_tokens_keep_serving_and_the_store_recovers() {
    let (pg, url) = own_server().await;
    let (tokens, first) = TokenServer::start().await;
    let owner = TokenOwner::new(proof::OWNER);
    let a = Arc::new(connect(&url).await);
    let b = connect(&url).await;
    a.publish(&owner, 0, &first, &LeaseHolder::new("seed"))
        .await
        .unwrap();
    let mut long_lived = first.clone();
    // A token valid for an hour: no refresh is due during the outage.
    long_lived.expires_at = Some("2999-01-01T00:00:00Z".to_owned());
    let live = proof::live_connection(
        &tokens.url,
        long_lived,
        Arc::clone(&a),
        0,
        Duration::from_secs(5),
    );

    pg.stop_immediate();
    // Requests keep being authorized with the valid token: no store call on that path.
    for _ in 0..100 {
        let mut request = http::Request::get("/items").body(Vec::new()).unwrap();
        live.authorize(&mut request)
            .expect("authorized while PostgreSQL is down");
        assert_eq!(bearer(&request), "Bearer at-0");
    }
    // The store itself says it is unreachable, promptly.
    let start = Instant::now();
    let err = a.read(&owner).await.unwrap_err();
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );

    pg.start_again().expect("PostgreSQL starts again");
    // The query connection is replaced on the next call; nothing was lost.
    let stored = a
        .read(&owner)
        .await
        .expect("read after the restart")
        .expect("row kept");
    assert_eq!(stored.version, 1);
    // The listener reconnects (within its 200 ms backoff cap): a publication by another
    // replica wakes a waiter by notification again.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let waiter = {
        let (a, owner) = (Arc::clone(&a), owner.clone());
        tokio::spawn(async move {
            let got = a.wait_for_change(&owner, 1, Duration::from_secs(10)).await;
            (got, Instant::now())
        })
    };
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let published = Instant::now();
    let mut second = first.clone();
    second.access_token = credgate::Secret::new("at-second");
    b.publish(&owner, 1, &second, &LeaseHolder::new("b"))
        .await
        .unwrap();
    let (got, woke) = waiter.await.unwrap();
    assert_eq!(got.unwrap().unwrap().version, 2);
    let latency = woke.duration_since(published);
    assert!(
        latency < Duration::from_millis(500),
        "notified after {latency:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_store_with_no_valid_token_is_a_prompt_clear_error() {
    let (pg, url) = own_server().await;
    let (tokens, first) = TokenServer::start().await;
    let owner = TokenOwner::new(proof::OWNER);
    let store = Arc::new(connect(&url).await);
    store
        .publish(&owner, 0, &first, &LeaseHolder::new("seed"))
        .await
        .unwrap();
    let mut expired = first.clone();
    expired.expires_at = Some("2001-01-01T00:00:00Z".to_owned());
    let live = proof::live_connection(
        &tokens.url,
        expired,
        Arc::clone(&store),
        0,
        Duration::from_secs(5),
    );

    pg.stop_immediate();
    let start = Instant::now();
    let mut request = http::Request::get("/items").body(Vec::new()).unwrap();
    let result = live
        .authorize_with_async(&mut request, |_token_request| async {
            Err::<http::Response<Vec<u8>>, std::io::Error>(std::io::Error::other(
                "no token request may be sent without the store",
            ))
        })
        .await;
    let elapsed = start.elapsed();
    let err = result.unwrap_err();
    assert!(
        matches!(
            &err,
            AuthorizeError::Token(OAuth2Error::Store(_)) | AuthorizeError::Auth(_)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert!(elapsed < Duration::from_secs(3), "failed after {elapsed:?}");
    assert!(
        request.headers().get("authorization").is_none(),
        "the request is unchanged"
    );
    assert_eq!(
        tokens.lock().token_requests,
        0,
        "no token request without the lease"
    );
}

/// A replica of the kill test, in its own process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a replica process of lease_holder_killed_mid_refresh_another_takes_over, started by it"]
async fn fault_replica() {
    if !proof::child_main().await {
        eprintln!("fault_replica: no CREDGATE_PROOF_* environment, nothing to do");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_holder_killed_mid_refresh_another_takes_over() {
    let url = support::fresh_db_url().await;
    let (tokens, first) = TokenServer::start().await;
    let owner = TokenOwner::new(proof::OWNER);
    let store = connect(&url).await;
    store
        .publish(&owner, 0, &first, &LeaseHolder::new("seed"))
        .await
        .unwrap();
    // The next refresh's answer is held (the server has not rotated yet) until its sender
    // hangs up: killed, it never gets the new tokens, and the old refresh token stays good.
    tokens.lock().hold_next = Some(Duration::from_secs(30));
    let lease_ttl = Duration::from_secs(3);
    let exe = std::env::current_exe().unwrap();
    let mut children = Vec::new();
    for index in 0..2 {
        let config = ChildConfig {
            index,
            db_url: url.clone(),
            token_url: tokens.url.clone(),
            tasks: 4,
            seconds: 9,
            lease_ttl_ms: u64::try_from(lease_ttl.as_millis()).unwrap(),
        };
        let mut command = tokio::process::Command::new(&exe);
        command
            .args([
                "--ignored",
                "--exact",
                "fault_replica",
                "--nocapture",
                "--test-threads=1",
            ])
            .envs(config.to_env())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        children.push(Some(command.spawn().unwrap()));
    }
    // Wait for the held refresh, then kill -9 its sender.
    let deadline = Instant::now() + Duration::from_secs(6);
    let holder = loop {
        if let Some(process) = tokens.lock().holding.clone() {
            break process;
        }
        assert!(Instant::now() < deadline, "no refresh was held");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let victim: usize = holder.parse().unwrap();
    let mut killed = children[victim].take().unwrap();
    killed.start_kill().unwrap();
    let killed_at = proof::unix_ms();
    let _ = killed.wait().await;

    let survivor = children[1 - victim].take().unwrap();
    let output = survivor.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: ChildReport = stdout
        .lines()
        .find_map(|l| {
            l.find(proof::REPORT_PREFIX)
                .map(|at| &l[at + proof::REPORT_PREFIX.len()..])
        })
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("the survivor printed no report:\n{stdout}"));

    let stored = store.read(&owner).await.unwrap().unwrap();
    let state = tokens.lock();
    assert_eq!(
        state.lost_answers, 1,
        "the held answer never reached the killed holder"
    );
    assert_eq!(state.invalid_grants, 0, "{:?}", state.log);
    assert!(!state.revoked);
    // The survivor took the lease over after its time to live and refreshed with the
    // refresh token the dead holder had sent (the server never rotated it).
    let (&after_kill, &(issued_at, ref by)) = state
        .issued
        .iter()
        .find(|(_, (at, _))| *at > killed_at)
        .expect("a token issued after the kill");
    assert_eq!(by, &(1 - victim).to_string());
    let took = issued_at - killed_at;
    assert!(
        took <= u64::try_from(lease_ttl.as_millis()).unwrap() + 1500,
        "took over after {took} ms"
    );
    assert!(
        report.uses.contains_key(&after_kill),
        "the survivor used the new token"
    );
    let stored_refresh = stored
        .credential
        .refresh_token
        .as_ref()
        .unwrap()
        .expose_secret();
    assert_eq!(
        Some(stored_refresh),
        state.current_refresh.as_deref(),
        "nothing lost"
    );
    println!("killed process {victim}; the survivor got a token {took} ms after the kill");
}
