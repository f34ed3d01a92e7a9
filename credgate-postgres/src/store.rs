//! [`PgTokenStore`]: the rows, the connection, the round trips.
//!
//! * **Round trips**: a read, a lease, a publication and a release are one statement each,
//!   prepared once per connection. A refresh by the lease holder costs two (lease,
//!   publish); a replica that waits for it costs the wait plus one read.
//! * **Connection**: one query connection, shared by every task (tokio-postgres pipelines
//!   concurrent statements), replaced on the next call after it is lost; one dedicated
//!   connection `LISTEN`s ([`crate::listener`]). Every call is bounded by
//!   [`PgStoreOptions::call_timeout`], so a store that is down fails promptly with
//!   [`StoreError::Unreachable`] or [`StoreError::Timeout`].
//! * **Sealing**: credentials are sealed with the [`Keyring`] before they leave the
//!   process and opened after they come back; PostgreSQL never sees a token.
//!
//! These byte-level methods are the layer beneath the [`credgate::auth::oauth2`] contract
//! (implemented in `contract.rs`): they store any document, sealed.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex as AsyncMutex;
use tokio_postgres::{Client, Config, NoTls, Statement};
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::keyring::Keyring;
use crate::listener::Changes;
use crate::{schema, sql};

/// How a [`PgTokenStore`] talks to PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PgStoreOptions {
    /// The longest a store call (connecting included) may take before it fails with
    /// [`StoreError::Timeout`]. 5 s by default.
    pub call_timeout: Duration,
    /// The longest the listener waits between two attempts to reconnect. 2 s by default.
    pub listen_retry_max: Duration,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl PgStoreOptions {
    /// The defaults: 5 s per call, reconnecting the listener at least every 2 s.
    pub fn new() -> Self {
        PgStoreOptions {
            call_timeout: Duration::from_secs(5),
            listen_retry_max: Duration::from_secs(2),
        }
    }

    /// The per-call time limit (at least 1 ms is used).
    #[must_use]
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The listener's longest wait between reconnection attempts (at least 10 ms).
    #[must_use]
    pub fn with_listen_retry_max(mut self, wait: Duration) -> Self {
        self.listen_retry_max = wait.max(Duration::from_millis(10));
        self
    }
}

/// A row's credential, opened.
pub(crate) struct Row {
    pub(crate) version: u64,
    pub(crate) plaintext: Zeroizing<Vec<u8>>,
}

/// The outcome of [`PgTokenStore::lease_raw`].
pub(crate) struct RawLease {
    pub(crate) acquired: bool,
    /// The lease's expiry (the other holder's when not acquired); `None` if unknown.
    pub(crate) until: Option<SystemTime>,
    pub(crate) current: Option<Row>,
}

struct Conn {
    client: Client,
    read: Statement,
    lease: Statement,
    publish_next: Statement,
    publish_first: Statement,
    release: Statement,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    keyring: Keyring,
    pub(crate) options: PgStoreOptions,
    conn: AsyncMutex<Option<Arc<Conn>>>,
    pub(crate) changes: Changes,
}

/// The token store on PostgreSQL: one sealed row per token owner, shared by every replica.
///
/// Cheap to clone (an `Arc`); every clone shares the connections and the listener, which
/// stops when the last clone is dropped.
///
/// # Example
///
/// ```no_run
/// use credgate_postgres::{Keyring, PgTokenStore};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config: tokio_postgres::Config = "host=127.0.0.1 user=app dbname=app".parse()?;
/// let keyring = Keyring::new("2026-12", &[7u8; 32])?; // from your secret manager
/// let store = PgTokenStore::connect(config, keyring).await?; // creates or migrates the schema
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PgTokenStore {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for PgTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The configuration may hold a password: only where it points is shown.
        f.debug_struct("PgTokenStore")
            .field("hosts", &self.inner.config.get_hosts())
            .field("ports", &self.inner.config.get_ports())
            .field("dbname", &self.inner.config.get_dbname())
            .field("keyring", &self.inner.keyring)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

pub(crate) fn check_owner(owner: &str) -> Result<(), StoreError> {
    if owner.is_empty() || owner.len() > 1000 || owner.contains('\0') {
        return Err(StoreError::InvalidOwner {
            owner: owner.chars().take(100).filter(|c| *c != '\0').collect(),
        });
    }
    Ok(())
}

fn to_db_version(owner: &str, version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::InvalidVersion {
        owner: owner.to_owned(),
        version: -1,
    })
}

fn from_db_version(owner: &str, version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| StoreError::InvalidVersion {
        owner: owner.to_owned(),
        version,
    })
}

impl PgTokenStore {
    /// Connects, creates or migrates the schema, and starts the listener, with the default
    /// [`PgStoreOptions`]. Call it inside a tokio runtime.
    ///
    /// # Errors
    /// [`StoreError::Unreachable`] or [`StoreError::Timeout`] if PostgreSQL cannot be
    /// reached; [`StoreError::SchemaTooNew`] if a newer credgate-postgres migrated the
    /// database; [`StoreError::Database`] if a migration failed.
    ///
    /// # Example
    /// See [`PgTokenStore`].
    pub async fn connect(config: Config, keyring: Keyring) -> Result<Self, StoreError> {
        Self::connect_with(config, keyring, PgStoreOptions::new()).await
    }

    /// As [`connect`](Self::connect), with `options`.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use credgate_postgres::{Keyring, PgStoreOptions, PgTokenStore};
    ///
    /// # async fn run(config: tokio_postgres::Config) -> Result<(), Box<dyn std::error::Error>> {
    /// let options = PgStoreOptions::new().with_call_timeout(Duration::from_secs(2));
    /// let store =
    ///     PgTokenStore::connect_with(config, Keyring::new("k1", &[7u8; 32])?, options).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_with(
        mut config: Config,
        keyring: Keyring,
        options: PgStoreOptions,
    ) -> Result<Self, StoreError> {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.call_timeout);
        }
        let inner = Arc::new(Inner {
            config,
            keyring,
            options,
            conn: AsyncMutex::new(None),
            changes: Changes::default(),
        });
        let timeout = inner.options.call_timeout;
        let conn = bounded(timeout, async {
            let (mut client, connection) = inner
                .config
                .connect(NoTls)
                .await
                .map_err(StoreError::from_pg)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            schema::migrate(&mut client).await?;
            prepare(client).await
        })
        .await?;
        *inner.conn.lock().await = Some(Arc::new(conn));
        let listener = tokio::spawn(crate::listener::run(Arc::downgrade(&inner)));
        inner.changes.set_task(listener);
        Ok(PgTokenStore { inner })
    }

    /// The keyring sealing and opening this store's rows.
    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    /// The stored document of `owner` with its version, opened; `None` when nothing is
    /// stored (no row, or a row holding only a lease).
    pub(crate) async fn read_raw(&self, owner: &str) -> Result<Option<Row>, StoreError> {
        check_owner(owner)?;
        let row = self
            .retrying(|conn| async move { conn.client.query_opt(&conn.read, &[&owner]).await })
            .await?;
        let Some(row) = row else { return Ok(None) };
        self.open_row(owner, row.try_get(0), row.try_get(1), row.try_get(2))
    }

    fn open_row(
        &self,
        owner: &str,
        version: Result<i64, tokio_postgres::Error>,
        key_id: Result<Option<String>, tokio_postgres::Error>,
        sealed: Result<Option<Vec<u8>>, tokio_postgres::Error>,
    ) -> Result<Option<Row>, StoreError> {
        let version = from_db_version(owner, version.map_err(StoreError::from_pg)?)?;
        let key_id = key_id.map_err(StoreError::from_pg)?;
        let sealed = sealed.map_err(StoreError::from_pg)?;
        let (Some(key_id), Some(sealed)) = (key_id, sealed) else {
            return Ok(None);
        };
        if version == 0 {
            return Ok(None);
        }
        let plaintext = self.inner.keyring.open(owner, version, &key_id, &sealed)?;
        Ok(Some(Row { version, plaintext }))
    }

    /// Takes, renews or takes over the lease of `owner` for `holder` until `now + ttl`.
    pub(crate) async fn lease_raw(
        &self,
        owner: &str,
        holder: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<RawLease, StoreError> {
        check_owner(owner)?;
        // PostgreSQL keeps microseconds: the expiry handed back is the one stored.
        let until = truncate_to_micros(now.checked_add(ttl).unwrap_or(now));
        let row = self
            .retrying(|conn| async move {
                conn.client
                    .query_opt(&conn.lease, &[&owner, &holder, &now, &until])
                    .await
            })
            .await?;
        let Some(row) = row else {
            // A row another replica created (with its lease) after this statement's
            // snapshot: held, for no longer than a lease of the same length.
            return Ok(RawLease {
                acquired: false,
                until: Some(until),
                current: None,
            });
        };
        let acquired: bool = row.try_get(4).map_err(StoreError::from_pg)?;
        let lease_until: Option<SystemTime> = row.try_get(3).map_err(StoreError::from_pg)?;
        let current = self.open_row(owner, row.try_get(0), row.try_get(1), row.try_get(2))?;
        Ok(RawLease {
            acquired,
            until: if acquired { Some(until) } else { lease_until },
            current,
        })
    }

    /// Stores `plaintext` for `owner` at `expected + 1` if the stored version is `expected`,
    /// releasing `holder`'s lease; `Ok(None)` on a version mismatch (the lease is then
    /// released by a second statement).
    pub(crate) async fn publish_raw(
        &self,
        owner: &str,
        expected: u64,
        plaintext: &[u8],
        holder: &str,
    ) -> Result<Option<u64>, StoreError> {
        check_owner(owner)?;
        let next = expected
            .checked_add(1)
            .ok_or_else(|| StoreError::InvalidVersion {
                owner: owner.to_owned(),
                version: -1,
            })?;
        let expected_db = to_db_version(owner, expected)?;
        to_db_version(owner, next)?;
        let sealed = self.inner.keyring.seal(owner, next, plaintext)?;
        let key_id = sealed.key_id.as_str();
        let bytes = sealed.bytes.as_slice();
        // Not retried: after a lost connection the caller cannot know whether the write
        // happened, and publishes again (a conflict then shows its own credential).
        let conn = self.conn().await?;
        let rows = bounded(self.inner.options.call_timeout, async {
            let rows = if expected == 0 {
                conn.client
                    .query(&conn.publish_first, &[&owner, &key_id, &bytes, &holder])
                    .await
            } else {
                conn.client
                    .query(
                        &conn.publish_next,
                        &[&owner, &expected_db, &key_id, &bytes, &holder],
                    )
                    .await
            };
            rows.map_err(StoreError::from_pg)
        })
        .await;
        let rows = self.forget_if_unreachable(rows).await?;
        match rows.first() {
            Some(row) => {
                let version = from_db_version(owner, row.try_get(0).map_err(StoreError::from_pg)?)?;
                self.inner.changes.note(owner, version);
                Ok(Some(version))
            }
            None => {
                self.release_raw(owner, holder).await?;
                Ok(None)
            }
        }
    }

    /// Releases `holder`'s lease on `owner`, if it holds it.
    pub(crate) async fn release_raw(&self, owner: &str, holder: &str) -> Result<(), StoreError> {
        check_owner(owner)?;
        self.retrying(|conn| async move {
            conn.client.execute(&conn.release, &[&owner, &holder]).await
        })
        .await?;
        Ok(())
    }

    /// The stored document of `owner` once its version is above `after`, or `None` after
    /// `within`. Woken by the listener; re-reads the row at least every second.
    pub(crate) async fn wait_raw(
        &self,
        owner: &str,
        after: u64,
        within: Duration,
    ) -> Result<Option<Row>, StoreError> {
        check_owner(owner)?;
        let deadline = tokio::time::Instant::now() + within;
        let mut known = self.inner.changes.subscribe(owner);
        loop {
            // Marked seen before the read: a notification after it wakes the wait below.
            known.borrow_and_update();
            if let Some(row) = self
                .read_raw(owner)
                .await?
                .filter(|row| row.version > after)
            {
                return Ok(Some(row));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let nap = (deadline - now).min(Duration::from_secs(1));
            if let Ok(Err(_)) = tokio::time::timeout(nap, known.changed()).await {
                // The store is being dropped.
                return Ok(None);
            }
        }
    }

    /// The shared query connection, (re)connected if needed.
    async fn conn(&self) -> Result<Arc<Conn>, StoreError> {
        let mut slot = self.inner.conn.lock().await;
        if let Some(conn) = slot.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(Arc::clone(conn));
        }
        *slot = None;
        let config = &self.inner.config;
        let conn = bounded(self.inner.options.call_timeout, async {
            let (client, connection) = config.connect(NoTls).await.map_err(StoreError::from_pg)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            prepare(client).await
        })
        .await?;
        let conn = Arc::new(conn);
        *slot = Some(Arc::clone(&conn));
        Ok(conn)
    }

    async fn forget_if_unreachable<T>(
        &self,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if result
            .as_ref()
            .err()
            .is_some_and(StoreError::is_unreachable)
        {
            *self.inner.conn.lock().await = None;
        }
        result
    }

    /// Runs an idempotent statement, once more on a new connection if the cached one turned
    /// out to be lost (PostgreSQL restarted since the last call).
    async fn retrying<T, F, Fut>(&self, statement: F) -> Result<T, StoreError>
    where
        F: Fn(Arc<Conn>) -> Fut,
        Fut: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        let timeout = self.inner.options.call_timeout;
        let mut last = None;
        for _ in 0..2 {
            let conn = self.conn().await?;
            let result = bounded(timeout, async {
                statement(conn).await.map_err(StoreError::from_pg)
            })
            .await;
            match self.forget_if_unreachable(result).await {
                Err(e) if e.is_unreachable() => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or(StoreError::Timeout {
            millis: millis(timeout),
        }))
    }
}

fn truncate_to_micros(time: SystemTime) -> SystemTime {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => {
            let micros =
                Duration::from_micros(u64::try_from(since.as_micros()).unwrap_or(u64::MAX));
            SystemTime::UNIX_EPOCH.checked_add(micros).unwrap_or(time)
        }
        Err(_) => time,
    }
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `future`, failing with [`StoreError::Timeout`] after `timeout`.
pub(crate) async fn bounded<T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::Timeout {
            millis: millis(timeout),
        }),
    }
}

async fn prepare(client: Client) -> Result<Conn, StoreError> {
    let read = client
        .prepare(sql::READ)
        .await
        .map_err(StoreError::from_pg)?;
    let lease = client
        .prepare(sql::LEASE)
        .await
        .map_err(StoreError::from_pg)?;
    let publish_next = client
        .prepare(sql::PUBLISH_NEXT)
        .await
        .map_err(StoreError::from_pg)?;
    let publish_first = client
        .prepare(sql::PUBLISH_FIRST)
        .await
        .map_err(StoreError::from_pg)?;
    let release = client
        .prepare(sql::RELEASE)
        .await
        .map_err(StoreError::from_pg)?;
    Ok(Conn {
        client,
        read,
        lease,
        publish_next,
        publish_first,
        release,
    })
}
