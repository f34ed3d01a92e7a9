//! `credgate-postgres`: credgate's token store on PostgreSQL.
//!
//! Several replicas of a service (processes on one or many machines) each build a
//! [`LiveConnection`](credgate::LiveConnection) for the same OAuth 2.0 connection. Without
//! coordination each refreshes on its own, and against a server with single-use rotating
//! refresh tokens the second replica presents a spent token: `invalid_grant`, and the user
//! must reconnect. [`PgTokenStore`] implements credgate's
//! [`AsyncTokenStore`](credgate::auth::oauth2::AsyncTokenStore) contract on the database
//! these services already run, so that **one replica refreshes per expiry and every other
//! one uses its token**.
//!
//! This crate does I/O (tokio and tokio-postgres); the `credgate` core does none, and a
//! connection's cached-token path makes no database round trip.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use credgate::auth::oauth2::{TokenOwner, TokenStoreOptions};
//! use credgate_postgres::{Keyring, PgTokenStore};
//!
//! # async fn run(connection: credgate::Connection) -> Result<(), Box<dyn std::error::Error>> {
//! let config: tokio_postgres::Config = "host=db.internal user=app dbname=app".parse()?;
//! let key: [u8; 32] = [7; 32]; // from your secret manager
//! let store = Arc::new(PgTokenStore::connect(config, Keyring::new("2026-12", &key)?).await?);
//!
//! // The same owner on every replica; its row holds the connection's token.
//! let owner = TokenOwner::connection("crm-42");
//! let live = Arc::new(
//!     credgate::LiveConnection::builder(&connection)
//!         .async_token_store(Arc::clone(&store), TokenStoreOptions::new(owner.clone()))
//!         .build()?,
//! );
//! // Push other replicas' publications into this one as they are notified.
//! let _follow = store.follow(owner, &live);
//! // Authorize with `live.authorize_with_async(&mut request, send).await` as usual.
//! # Ok(()) }
//! ```
//!
//! # The table
//!
//! [`schema::migrate`] (run by [`PgTokenStore::connect`]) creates `credgate_tokens`, one row
//! per token owner: `owner text` (the key), `version bigint` (the compare-and-swap
//! counter; 0 for a row that holds only a lease), `key_id text` and `sealed bytea` (the
//! credential as JSON, sealed), `lease_holder text` and `lease_expires_at timestamptz`,
//! `updated_at timestamptz`. Migrations are ordered SQL strings applied in one transaction
//! under `pg_advisory_xact_lock`, the version kept in `credgate_schema_version`.
//!
//! # How each contract method maps to SQL (one round trip each)
//!
//! * **`read`**: `SELECT version, key_id, sealed ... WHERE owner = $1`, opened with the
//!   [`Keyring`].
//! * **`try_lease`**: an `INSERT ... ON CONFLICT (owner) DO UPDATE SET lease_holder = $h,
//!   lease_expires_at = $now + ttl WHERE` the lease is free, already `$h`'s, or expired at
//!   `$now`; the statement returns the row (and so the stored credential) whether or not
//!   the lease was taken. **Why a row update rather than an advisory lock**: an advisory
//!   lock belongs to a database session, so it needs a connection held for the whole token
//!   request, and it is dropped the moment that connection blips (a pooler, a restart)
//!   while the refresh may still be in flight; it has no time to live, and it cannot be
//!   seen from outside the session. A lease on the row survives a lost connection until
//!   its expiry, expires on its own when its holder dies, is visible to anyone who
//!   `SELECT`s the row, and is taken and checked in the same statement that returns the
//!   credential.
//! * **`publish`**: `UPDATE ... SET version = version + 1, sealed = $s, ... WHERE owner = $1
//!   AND version = $expected` (an `INSERT ... ON CONFLICT ... WHERE version = 0` for the
//!   first), which also clears the publisher's lease, and `pg_notify('credgate_tokens',
//!   '<version> <owner>')` in the same statement, hence the same transaction: the
//!   notification is delivered at commit, after the row is visible, and holds no secret.
//!   No row updated is a conflict; the store then releases the lease and reads the row.
//! * **`release`**: `UPDATE ... SET lease_holder = NULL ... WHERE owner = $1 AND
//!   lease_holder = $h`.
//! * **`wait_for_change`**: a dedicated connection `LISTEN`s on `credgate_tokens`; a
//!   notification for the owner wakes the waiters of this process, which read the row. A
//!   lost listening connection is re-established and catches up on the watched owners;
//!   waiters re-read at least every second regardless.
//!
//! Lease times are the connection's clock's (the contract passes `now`): keep the
//! replicas' clocks in sync (NTP) to well within the lease's time to live.
//!
//! # Writing a store for another database
//!
//! The same shape works on any database with an atomic conditional update: one row per
//! owner; the lease as a conditional write with an expiry (free, mine, or expired); the
//! publication as a compare-and-swap on the version that also releases the lease; a
//! change feed (or polling, which the blocking trait's default `wait_for_change` does) to
//! wake waiters. Seal the credential: it holds the refresh token.
//!
//! # Encryption at rest
//!
//! See [`Keyring`]: AES-256-GCM, a random 96-bit nonce per seal, the owner and version as
//! associated data, keys by id for rotation; a row under an unknown key id fails with
//! [`StoreError::UnknownKeyId`] naming it, a tampered, moved or replayed row with
//! [`StoreError::Tampered`].
//!
//! # Faults
//!
//! * **PostgreSQL restarts**: connections with a valid token keep serving (no store call
//!   on that path); the next store call reconnects; the listener reconnects with a backoff
//!   and catches up. A commit answered before the restart is kept.
//! * **PostgreSQL unreachable with no valid token**: the connection fails promptly (within
//!   [`PgStoreOptions::call_timeout`]) with credgate's `OAuth2Error::Store`, and the
//!   request is unchanged; no token request is sent without the lease.
//! * **The lease holder dies mid-refresh** (`kill -9`): another replica takes the lease
//!   over once its time to live has passed, and refreshes with the refresh token the dead
//!   one sent, which is still good **if the server never answered**. If the server had
//!   already rotated the refresh token and its answer died with the process, the new
//!   refresh token is lost and the old one is spent: the next refresh gets
//!   `invalid_grant`, and the user must reconnect. No client can avoid this: the only copy
//!   of the new token was in the dead process's socket buffer. The lease keeps it to one
//!   in-flight request, and publishing before use keeps the window to that request.
//!
//! # Not here
//!
//! Only the async contract is implemented (see `contract.rs`): tokio-postgres needs a
//! tokio runtime, and a blocking store over it would block a runtime thread.
#![forbid(unsafe_code)]

mod contract;
mod error;
mod keyring;
mod listener;
mod registry;
pub mod schema;
mod sql;
mod store;

pub use contract::Follow;
pub use error::{KeyringError, StoreError};
pub use keyring::Keyring;
pub use registry::{ApplyReport, PgRegistry, PgRegistryError};
pub use store::{PgStoreOptions, PgTokenStore};
