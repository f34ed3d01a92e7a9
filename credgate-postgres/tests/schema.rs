//! The schema against a real PostgreSQL: created, idempotent, concurrent, versioned.

mod support;

use credgate_postgres::schema;
use tokio_postgres::NoTls;

async fn client(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config.connect(NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

#[tokio::test]
async fn migrate_creates_then_is_idempotent() {
    let config = support::fresh_db().await;
    let mut c = client(&config).await;
    assert_eq!(schema::migrate(&mut c).await.unwrap(), 0);
    assert_eq!(
        schema::migrate(&mut c).await.unwrap(),
        schema::current_version()
    );
    assert_eq!(
        schema::migrate(&mut c).await.unwrap(),
        schema::current_version()
    );
    let version: i32 = c
        .query_one("SELECT version FROM credgate_schema_version", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, schema::current_version());
    let rows: i64 = c
        .query_one("SELECT count(*) FROM credgate_schema_version", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
    c.execute("SELECT owner, version, key_id, sealed, lease_holder, lease_expires_at, updated_at FROM credgate_tokens", &[])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_apply_once() {
    let config = support::fresh_db().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let config = config.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = client(&config).await;
            schema::migrate(&mut c).await
        }));
    }
    let mut from_zero = 0;
    for task in tasks {
        let before = task
            .await
            .unwrap()
            .expect("every replica migrates without error");
        if before == 0 {
            from_zero += 1;
        }
    }
    assert_eq!(from_zero, 1, "exactly one replica applies the migrations");
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let config = support::fresh_db().await;
    let mut c = client(&config).await;
    schema::migrate(&mut c).await.unwrap();
    c.execute(
        "UPDATE credgate_schema_version SET version = version + 5",
        &[],
    )
    .await
    .unwrap();
    let err = schema::migrate(&mut c).await.unwrap_err();
    assert!(
        matches!(err, credgate_postgres::StoreError::SchemaTooNew { found, known }
            if found == known + 5),
        "{err}"
    );
    assert!(
        err.to_string().contains("upgrade credgate-postgres"),
        "{err}"
    );
}
