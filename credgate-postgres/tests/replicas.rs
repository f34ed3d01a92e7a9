//! The proof, short: 3 OS processes × 10 tasks × 8 s share one token through PostgreSQL
//! against a server with single-use rotating refresh tokens. The long run (8 × 50 × 60 s)
//! is `cargo run -p credgate-postgres --example replicas`.

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_token() {
    let url = support::fresh_db_url().await;
    let exe = std::env::current_exe().expect("the test binary");
    let seconds = 8;
    let figures = support::proof::run_proof(&url, 3, 10, seconds, || {
        let mut command = tokio::process::Command::new(&exe);
        command.args([
            "--ignored",
            "--exact",
            "proof_replica",
            "--nocapture",
            "--test-threads=1",
        ]);
        command
    })
    .await;
    println!("{figures}");
    assert_eq!(figures.invalid_grants, 0, "{figures}");
    assert!(!figures.revoked, "{figures}");
    assert_eq!(figures.lost_refresh_tokens, 0, "{figures}");
    assert_eq!(figures.errors, 0, "{figures}");
    // One token request per expiry: every request presented the live refresh token (no
    // invalid_grant), each was answered and published, and there was no more than one per
    // second (the tokens live 2 s, refreshed 1 s before their expiry).
    assert_eq!(
        figures.token_requests, figures.issued_after_start,
        "{figures}"
    );
    assert_eq!(
        figures.final_version,
        figures.issued_after_start + 1,
        "{figures}"
    );
    assert!(figures.token_requests >= seconds - 2, "{figures}");
    assert!(figures.token_requests <= seconds + 2, "{figures}");
    assert!(
        figures.late_switches.is_empty(),
        "{:?}\n{figures}",
        figures.late_switches
    );
    assert!(
        figures.expired_uses.is_empty(),
        "{:?}\n{figures}",
        figures.expired_uses
    );
    assert!(figures.switch_max_ms <= 100, "{figures}");
}

/// One replica of [`replicas_share_one_token`], run in its own process with its
/// environment; does nothing when run by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a replica process of replicas_share_one_token, started by it"]
async fn proof_replica() {
    if !support::proof::child_main().await {
        eprintln!("proof_replica: no CREDGATE_PROOF_* environment, nothing to do");
    }
}
