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
    // Every correctness requirement as the example's; the 100 ms switch-over is measured by
    // the example (release build), here a debug build shares CI's two cores.
    let failures = support::proof::failures(&figures, 1000);
    assert!(failures.is_empty(), "failed: {failures:?}\n{figures}");
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
