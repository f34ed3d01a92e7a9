//! Loading 100,000 activations (`CREDGATE_LOAD_USERS` for another count) into a registry:
//! from a JSON export (`Registry::from_document`), and from PostgreSQL
//! (`PgRegistry::load`, on a server this example starts on loopback from the system's
//! binaries, as the tests do). Prints the time of each and the heap bytes the loaded
//! registry holds per activation (a counting global allocator; target: at most 1 KiB).
//!
//! `cargo run --release -p credgate-postgres --example registry_load`

#[path = "../tests/support/mod.rs"]
mod support;

use std::alloc::System;
use std::time::Instant;

use credgate::{Activation, ConnectionTemplate, Credential, EndUser, Registry, RegistryDocument};
use credgate_postgres::{Keyring, PgRegistry};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The heap bytes allocated and not freed since `region` began.
fn held(region: &Region<'_, System>) -> isize {
    let change = region.change();
    change.bytes_allocated as isize - change.bytes_deallocated as isize + change.bytes_reallocated
}

const TARGET_BYTES: isize = 1024;

fn template() -> ConnectionTemplate {
    serde_json::from_str(
        r#"{"name": "crm", "connectionTemplateId": "01KKBR67D0484X7WG7KB3DZFS2", "dynamic": true,
            "templateBaseUrl": "https://api.crm.example/v1",
            "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "token",
                "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]}"#,
    )
    .expect("the template parses")
}

/// A document with `users` activations, as a JSON export with secrets.
fn document(users: usize) -> RegistryDocument {
    let registry = Registry::new();
    registry.add_environment("production").expect("environment");
    let template = template();
    registry
        .add_template("production", template.clone())
        .expect("template");
    for i in 0..users {
        let connection = template
            .connect(vec![Credential::api_key(format!(
                "key-{i:08}-0123456789abcdef"
            ))])
            .expect("the credential fits");
        registry
            .activate(Activation::new(
                "production",
                EndUser::new(format!("user-{i:08}")),
                vec![connection],
            ))
            .expect("activates");
    }
    registry.export()
}

/// Prints the figures of one load: `grown`, the heap the process holds more after the
/// load than before (the registry, and what the load's I/O keeps), and the registry's own
/// bytes, which dropping it frees.
fn report(source: &str, users: usize, seconds: f64, grown: isize, registry: Registry) {
    let region = Region::new(GLOBAL);
    drop(registry);
    let own = -held(&region);
    let per = own / users as isize;
    println!(
        "{source}: {users} activations loaded in {seconds:.2} s ({:.1} µs each); the registry holds {own} heap bytes, {per} per activation (target at most {TARGET_BYTES}: {}); the process grew by {grown} bytes ({} per activation)",
        seconds * 1e6 / users as f64,
        if per <= TARGET_BYTES {
            "met"
        } else {
            "NOT met"
        },
        grown / users as isize,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users: usize = std::env::var("CREDGATE_LOAD_USERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let document = document(users);
    let json = credgate::to_json_with_secrets(&document)?;
    println!("the export: {} bytes of JSON", json.len());

    // From the JSON export.
    let region = Region::new(GLOBAL);
    let started = Instant::now();
    let parsed: RegistryDocument = serde_json::from_str(&json)?;
    let registry = Registry::from_document(parsed)?;
    let seconds = started.elapsed().as_secs_f64();
    report(
        "from a JSON export",
        users,
        seconds,
        held(&region),
        registry,
    );
    drop(json);

    // From PostgreSQL.
    let config = support::fresh_db().await;
    let store = PgRegistry::connect(config, Keyring::new("k1", &[7; 32])?).await?;
    let started = Instant::now();
    store.import(&document).await?;
    println!(
        "import into PostgreSQL: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    drop(document);
    let region = Region::new(GLOBAL);
    let started = Instant::now();
    let registry = store.load().await?;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(registry.export().activations.len(), users);
    report("from PostgreSQL", users, seconds, held(&region), registry);
    // What the store itself keeps (its connections' buffers) after a load.
    let region = Region::new(GLOBAL);
    drop(store);
    tokio::task::yield_now().await;
    println!(
        "dropping the PgRegistry frees {} heap bytes",
        -held(&region)
    );
    Ok(())
}
