//! The schema credgate-postgres creates and migrates.
//!
//! * Migrations are ordered SQL strings ([`MIGRATIONS`]); the database records the last one
//!   applied in `credgate_schema_version` (a single row).
//! * [`migrate`] runs them in one transaction under `pg_advisory_xact_lock`, so replicas
//!   starting at the same moment apply each migration once: the second waits for the first
//!   to commit, then finds nothing left to do. A failed migration rolls back whole.
//! * A database migrated by a newer credgate-postgres fails with
//!   [`StoreError::SchemaTooNew`] rather than being written with an older idea of the rows.
//!
//! Every table is prefixed `credgate_`, to live beside the host's own tables.

use tokio_postgres::Client;

use crate::error::StoreError;

/// The advisory lock key serializing migrations ("credgate" in ASCII).
const MIGRATION_LOCK: i64 = 0x6372_6564_6761_7465;

/// The migrations, in order: migration `i` (0-based) brings the schema to version `i + 1`.
/// Append only; never edit a released migration.
pub const MIGRATIONS: &[&str] = &[
    // 1: the token store. One row per token owner (a connection, or an end user's
    // activation). `version` counts publications (0: no credential yet, only a lease);
    // `sealed` is `nonce ‖ AES-256-GCM ciphertext ‖ tag` under the key `key_id`, with the
    // owner and version as associated data. The lease is a holder and an expiry on the
    // row, compared with the database's clock.
    "CREATE TABLE credgate_tokens (
        owner text PRIMARY KEY,
        version bigint NOT NULL CHECK (version >= 0),
        key_id text,
        sealed bytea,
        lease_holder text,
        lease_expires_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((version = 0) = (sealed IS NULL)),
        CHECK ((key_id IS NULL) = (sealed IS NULL))
    )",
];

/// The schema version this crate writes.
pub fn current_version() -> i32 {
    i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX)
}

/// Creates or migrates the schema to [`current_version`]; returns the version found before.
///
/// Safe to call from every replica at start, concurrently.
///
/// # Errors
/// [`StoreError::SchemaTooNew`] if a newer credgate-postgres migrated the database;
/// [`StoreError::Database`] or [`StoreError::Unreachable`] if a statement failed (nothing
/// is applied then).
///
/// # Example
///
/// ```no_run
/// # async fn run(client: &mut tokio_postgres::Client) -> Result<(), credgate_postgres::StoreError> {
/// let before = credgate_postgres::schema::migrate(client).await?;
/// assert!(before <= credgate_postgres::schema::current_version());
/// # Ok(()) }
/// ```
pub async fn migrate(client: &mut Client) -> Result<i32, StoreError> {
    let transaction = client.transaction().await.map_err(StoreError::from_pg)?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(StoreError::from_pg)?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS credgate_schema_version (
                one boolean PRIMARY KEY DEFAULT true CHECK (one),
                version integer NOT NULL
            );
            INSERT INTO credgate_schema_version (version) VALUES (0) ON CONFLICT DO NOTHING;",
        )
        .await
        .map_err(StoreError::from_pg)?;
    let found: i32 = transaction
        .query_one("SELECT version FROM credgate_schema_version", &[])
        .await
        .map_err(StoreError::from_pg)?
        .try_get(0)
        .map_err(StoreError::from_pg)?;
    let known = current_version();
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    let start = usize::try_from(found).unwrap_or(0);
    for sql in MIGRATIONS.iter().skip(start) {
        transaction
            .batch_execute(sql)
            .await
            .map_err(StoreError::from_pg)?;
    }
    if found < known {
        transaction
            .execute("UPDATE credgate_schema_version SET version = $1", &[&known])
            .await
            .map_err(StoreError::from_pg)?;
    }
    transaction.commit().await.map_err(StoreError::from_pg)?;
    Ok(found)
}
