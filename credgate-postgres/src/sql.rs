//! The statements of the token store, each one round trip (prepared once per connection).
//!
//! Parameters are numbered as each statement's doc says; every statement touches one row,
//! `credgate_tokens` keyed by `owner`.

/// `$1` owner → `version, key_id, sealed`.
pub(crate) const READ: &str =
    "SELECT version, key_id, sealed FROM credgate_tokens WHERE owner = $1";

/// `$1` owner, `$2` holder, `$3` now, `$4` until → `version, key_id, sealed,
/// lease_expires_at, acquired`.
///
/// The lease is a row update: taken when free, renewed by its holder, taken over once its
/// expiry is at or before the caller's `now`. When it is not taken, the row as the
/// statement's snapshot saw it comes back with `acquired = false`. A row created for the
/// lease alone has version 0 and no credential.
pub(crate) const LEASE: &str = "WITH taken AS (
    INSERT INTO credgate_tokens AS t (owner, version, lease_holder, lease_expires_at)
    VALUES ($1, 0, $2, $4)
    ON CONFLICT (owner) DO UPDATE
        SET lease_holder = EXCLUDED.lease_holder, lease_expires_at = EXCLUDED.lease_expires_at
        WHERE t.lease_holder IS NULL
           OR t.lease_holder = EXCLUDED.lease_holder
           OR t.lease_expires_at IS NULL
           OR t.lease_expires_at <= $3
    RETURNING t.version, t.key_id, t.sealed, t.lease_expires_at
)
SELECT version, key_id, sealed, lease_expires_at, true FROM taken
UNION ALL
SELECT version, key_id, sealed, lease_expires_at, false FROM credgate_tokens
    WHERE owner = $1 AND NOT EXISTS (SELECT 1 FROM taken)";

/// `$1` owner, `$2` expected version (> 0), `$3` key id, `$4` sealed, `$5` holder →
/// `version` when published, no row on a version mismatch.
///
/// Compare-and-swap on the version, the holder's lease released, and `NOTIFY
/// credgate_tokens, '<version> <owner>'` in the same statement, hence the same transaction:
/// the notification is delivered at commit, after the row is visible, and carries no
/// secret.
pub(crate) const PUBLISH_NEXT: &str = "WITH up AS (
    UPDATE credgate_tokens
    SET version = version + 1, key_id = $3, sealed = $4, updated_at = now(),
        lease_holder = CASE WHEN lease_holder = $5 THEN NULL ELSE lease_holder END,
        lease_expires_at = CASE WHEN lease_holder = $5 THEN NULL ELSE lease_expires_at END
    WHERE owner = $1 AND version = $2
    RETURNING owner, version
)
SELECT version, pg_notify('credgate_tokens', version::text || ' ' || owner)::text FROM up";

/// `$1` owner, `$2` key id, `$3` sealed, `$4` holder → `version` (1) when published, no row
/// when a credential is already stored. As [`PUBLISH_NEXT`], for an expected version of 0:
/// the row may not exist yet, or exist for a lease alone.
pub(crate) const PUBLISH_FIRST: &str = "WITH up AS (
    INSERT INTO credgate_tokens AS t (owner, version, key_id, sealed) VALUES ($1, 1, $2, $3)
    ON CONFLICT (owner) DO UPDATE
    SET version = 1, key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed, updated_at = now(),
        lease_holder = CASE WHEN t.lease_holder = $4 THEN NULL ELSE t.lease_holder END,
        lease_expires_at = CASE WHEN t.lease_holder = $4 THEN NULL ELSE t.lease_expires_at END
    WHERE t.version = 0
    RETURNING t.owner, t.version
)
SELECT version, pg_notify('credgate_tokens', version::text || ' ' || owner)::text FROM up";

/// `$1` owner, `$2` holder: the holder's lease released, if it holds it.
pub(crate) const RELEASE: &str =
    "UPDATE credgate_tokens SET lease_holder = NULL, lease_expires_at = NULL
    WHERE owner = $1 AND lease_holder = $2";

/// `$1` owners → `owner, version`: what the listener catches up on after reconnecting.
pub(crate) const VERSIONS: &str =
    "SELECT owner, version FROM credgate_tokens WHERE owner = ANY($1)";

/// The notification channel.
pub(crate) const LISTEN: &str = "LISTEN credgate_tokens";
