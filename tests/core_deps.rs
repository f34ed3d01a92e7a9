//! With default features credgate depends on no HTTP client, server or async runtime (issue
//! #15): `cargo tree --no-default-features -e normal`, offline from Cargo.lock, names none
//! of them, while each adapter feature pulls only its own stack.

use std::collections::BTreeSet;
use std::process::Command;

/// Crates that send or serve HTTP, or run async I/O.
const IO_CRATES: &[&str] = &[
    "reqwest",
    "reqwest-middleware",
    "hyper",
    "hyper-util",
    "h2",
    "h3",
    "tokio",
    "tokio-util",
    "mio",
    "async-std",
    "smol",
    "async-io",
    "futures-executor",
    "axum",
    "axum-core",
    "tower",
    "tower-service",
    "tower-layer",
    "tower-http",
    "http-body",
    "http-body-util",
    "ureq",
    "tiny_http",
    "isahc",
    "curl",
    "surf",
    "actix-web",
    "actix-rt",
    "warp",
    "socket2",
    "rustls",
    "native-tls",
    "openssl",
];

/// The crates in credgate's normal dependency tree with `features`, by name.
fn normal_tree(features: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--frozen", "--no-default-features", "-e", "normal"])
        .args(["--prefix", "none", "--format", "{p}", "-p", "credgate"]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_default_core_pulls_no_http_client_server_or_runtime() {
    let tree = normal_tree(&[]);
    assert!(
        tree.contains("credgate") && tree.contains("http"),
        "{tree:?}"
    );
    let io: Vec<&&str> = IO_CRATES
        .iter()
        .filter(|name| tree.contains(**name))
        .collect();
    assert!(io.is_empty(), "the default build depends on {io:?}");
}

#[test]
fn each_adapter_feature_pulls_its_own_stack_only() {
    let reqwest = normal_tree(&["reqwest"]);
    assert!(reqwest.contains("reqwest") && reqwest.contains("reqwest-middleware"));
    assert!(!reqwest.contains("axum-core"), "{reqwest:?}");
    let axum = normal_tree(&["axum"]);
    assert!(axum.contains("axum-core"));
    assert!(
        !axum.contains("reqwest") && !axum.contains("hyper-util"),
        "{axum:?}"
    );
    let tower = normal_tree(&["tower"]);
    assert!(tower.contains("tower-service"));
    assert!(
        !tower.contains("reqwest") && !tower.contains("axum-core"),
        "{tower:?}"
    );
}
