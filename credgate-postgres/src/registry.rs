//! [`PgRegistry`]: a [`Registry`] stored in PostgreSQL, shared by replicas.
//!
//! * **Rows.** `credgate_registry_rows` holds the registry as documents, one row per
//!   system, environment, template, static connection, link and activation, keyed by kind,
//!   scope (the environment, or empty) and name. [`PgRegistry::load_into`] reads them in one
//!   snapshot to start a new replica.
//! * **Change log.** `credgate_registry_changes` is append-only: one row per
//!   [`RegistryChange`] (`id bigserial`, the replica that wrote it, the change sealed).
//!   [`PgRegistry::record`] writes a registry's [`take_changes`](Registry::take_changes)
//!   and updates the rows in the same transaction, then `NOTIFY credgate_registry`;
//!   [`PgRegistry::apply_new`] applies, in id order, the changes other replicas wrote since
//!   the last call (or since the load). Writers take one advisory lock for the
//!   transaction, so ids are committed in increasing order and a reader never skips one.
//! * **Sealed at rest.** Every row and every change is JSON with its secrets in full, sealed
//!   with the [`Keyring`] (AES-256-GCM, key id stored beside it), bound to its key (row) or
//!   id (change) and to the change that wrote it: a row copied elsewhere fails to open.
//! * **Cost.** A recorded change costs three round trips plus one per row it rewrites; an
//!   applied one is opened, parsed and applied in memory. Loading reads every row once.
//! * **Not here.** OAuth 2.0 tokens are not registry changes: they live in the token store
//!   ([`PgTokenStore`](crate::PgTokenStore)). Two replicas that change one name differently
//!   at once both succeed locally; the second change the others apply gives
//!   [`ApplyOutcome::Conflict`] and the rows hold the one written last (see
//!   [`ApplyReport::conflicts`]). A lost connection is not re-established: connect again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use credgate::{
    Activation, ApplyOutcome, AuthSchemeConfig, Connection, ConnectionTemplate, Registry,
    RegistryChange, RegistryDocument, RegistryError, System,
};
use tokio::sync::{Mutex as AsyncMutex, Notify};
use tokio_postgres::{AsyncMessage, Client, Config, GenericClient, NoTls, Transaction};
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::keyring::Keyring;

/// The advisory lock key serializing writers of the change log ("cgreglog").
const LOG_LOCK: i64 = 0x6367_7265_676c_6f67;
/// The advisory lock key serializing the creation of the registry's tables ("cgregddl").
const DDL_LOCK: i64 = 0x6367_7265_6764_646c;
/// The channel every recorded batch is notified on.
const CHANNEL: &str = "credgate_registry";

const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS credgate_registry_rows (
        kind text NOT NULL,
        scope text NOT NULL,
        name text NOT NULL,
        -- For a link: the static connection's id, so that removing it removes its links.
        ref text,
        -- The change that wrote the row (0: written by import), bound into the seal.
        change_id bigint NOT NULL,
        key_id text NOT NULL,
        sealed bytea NOT NULL,
        PRIMARY KEY (kind, scope, name)
    );
    CREATE INDEX IF NOT EXISTS credgate_registry_rows_ref
        ON credgate_registry_rows (ref) WHERE ref IS NOT NULL;
    CREATE TABLE IF NOT EXISTS credgate_registry_changes (
        id bigserial PRIMARY KEY,
        replica text NOT NULL,
        key_id text NOT NULL,
        sealed bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );";

/// An error of the durable registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgRegistryError {
    /// PostgreSQL, or a sealed row (unknown key id, tampered row).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored row could not be put in the registry.
    #[error("registry {what} could not be loaded: {source}")]
    Registry {
        /// The row, by kind and name.
        what: String,
        /// The registry's error.
        #[source]
        source: Box<RegistryError>,
    },
    /// A stored row or change is not a document credgate can read (never its value).
    #[error(
        "registry {what} is not a valid document: {reason}; it was not written by credgate-postgres"
    )]
    Corrupt {
        /// The row or change.
        what: String,
        /// What is wrong, without the value.
        reason: String,
    },
}

/// What [`PgRegistry::apply_new`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ApplyReport {
    /// Changes from other replicas applied.
    pub applied: usize,
    /// Changes this registry already held.
    pub already_present: usize,
    /// Ids of changes that conflicted with what this registry holds (nothing changed).
    pub conflicts: Vec<i64>,
    /// Ids of changes the registry refused, with its error (nothing changed).
    pub failed: Vec<(i64, RegistryError)>,
    /// The id of the last change read.
    pub position: i64,
}

/// A [`Registry`] stored in PostgreSQL: load it on start, record its changes, apply the
/// changes of the other replicas.
///
/// # Example
///
/// ```no_run
/// # async fn run(config: tokio_postgres::Config, keyring: credgate_postgres::Keyring)
/// #     -> Result<(), credgate_postgres::PgRegistryError> {
/// use credgate_postgres::PgRegistry;
///
/// let store = PgRegistry::connect(config, keyring).await?;
/// let registry = store.load().await?;
/// registry.add_environment("production").ok();
/// store.record(&registry.take_changes()).await?;
/// loop {
///     store.wait_for_change(std::time::Duration::from_secs(1)).await;
///     store.apply_new(&registry).await?;
/// }
/// # }
/// ```
pub struct PgRegistry {
    client: AsyncMutex<Client>,
    keyring: Keyring,
    replica: String,
    position: AtomicI64,
    notified: Arc<Notify>,
    /// The client whose connection `LISTEN`s: kept, or its connection would end.
    _listener: Client,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for PgRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRegistry")
            .field("replica", &self.replica)
            .field("position", &self.position.load(Ordering::Relaxed))
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

impl Drop for PgRegistry {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn pg(source: tokio_postgres::Error) -> PgRegistryError {
    PgRegistryError::Store(StoreError::from_pg(source))
}

impl PgRegistry {
    /// Connects (two connections: one for queries, one that `LISTEN`s), and creates the
    /// registry's tables if they are missing. Call from within a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`PgRegistryError::Store`] when PostgreSQL cannot be reached or refuses.
    ///
    /// # Example
    ///
    /// See [`PgRegistry`].
    pub async fn connect(config: Config, keyring: Keyring) -> Result<Self, PgRegistryError> {
        let (mut client, connection) = config.connect(NoTls).await.map_err(pg)?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let transaction = client.transaction().await.map_err(pg)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&DDL_LOCK])
            .await
            .map_err(pg)?;
        transaction.batch_execute(TABLES).await.map_err(pg)?;
        transaction.commit().await.map_err(pg)?;

        let notified = Arc::new(Notify::new());
        let (listener, mut connection) = config.connect(NoTls).await.map_err(pg)?;
        let wake = Arc::clone(&notified);
        let listening = tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(_)) => wake.notify_one(),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        listener
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(pg)?;
        let mut id = [0u8; 12];
        getrandom::getrandom(&mut id).map_err(|e| PgRegistryError::Corrupt {
            what: "replica id".to_owned(),
            reason: format!("the operating system gave no random bytes: {e}"),
        })?;
        Ok(Self {
            client: AsyncMutex::new(client),
            keyring,
            replica: id.iter().map(|b| format!("{b:02x}")).collect(),
            position: AtomicI64::new(0),
            notified,
            _listener: listener,
            tasks: vec![driver, listening],
        })
    }

    /// A new registry with a change log, holding what the database holds; changes recorded
    /// after this snapshot are applied by the next [`apply_new`](Self::apply_new).
    ///
    /// # Errors
    ///
    /// As [`load_into`](Self::load_into).
    ///
    /// # Example
    ///
    /// See [`PgRegistry`].
    pub async fn load(&self) -> Result<Registry, PgRegistryError> {
        self.load_into(Registry::new().with_change_log()).await
    }

    /// Fills `registry` (new and empty, built with the clock, token hook and change log
    /// the host wants) with what the database holds, through [`Registry::restore`], and
    /// returns it. Whatever this records in its change log is dropped: it is already
    /// stored.
    ///
    /// # Errors
    ///
    /// [`PgRegistryError::Store`] (PostgreSQL, or a row sealed under a key the keyring
    /// does not hold), [`PgRegistryError::Corrupt`], and [`PgRegistryError::Registry`] for a
    /// row the registry refuses (a registry that was not empty, say).
    ///
    /// # Example
    ///
    /// See [`PgRegistry`].
    pub async fn load_into(&self, registry: Registry) -> Result<Registry, PgRegistryError> {
        let mut client = self.client.lock().await;
        let transaction = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg)?;
        let position: i64 = transaction
            .query_one(
                "SELECT coalesce(max(id), 0) FROM credgate_registry_changes",
                &[],
            )
            .await
            .map_err(pg)?
            .get(0);
        // Read in batches through a portal, so that the rows of one batch are freed before
        // the next arrives.
        let portal = transaction
            .bind(
                "SELECT kind, scope, name, ref, change_id, key_id, sealed
                 FROM credgate_registry_rows",
                &[],
            )
            .await
            .map_err(pg)?;
        let mut loaded = Loaded::default();
        loop {
            let rows = transaction.query_portal(&portal, 2_000).await.map_err(pg)?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let key = RowKey {
                    kind: row.get(0),
                    scope: row.get(1),
                    name: row.get(2),
                };
                let plaintext = self.open_row(&key, row.get(4), row.get(5), row.get(6))?;
                loaded.add(&key, row.get(3), &plaintext)?;
            }
        }
        transaction.commit().await.map_err(pg)?;
        drop(client);
        loaded.fill(&registry)?;
        drop(registry.take_changes());
        self.position.store(position, Ordering::Release);
        Ok(registry)
    }

    /// Writes a whole document (an export of a registry: the start of the database from a
    /// JSON export) as rows, in one transaction, replacing rows of the same keys. It
    /// records no change: replicas started before it do not see it; start them after.
    ///
    /// # Errors
    ///
    /// [`PgRegistryError::Store`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn run(store: credgate_postgres::PgRegistry, json: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let document: credgate::RegistryDocument = serde_json::from_str(json)?;
    /// store.import(&document).await?;
    /// let registry = store.load().await?;
    /// # drop(registry); Ok(()) }
    /// ```
    pub async fn import(&self, document: &RegistryDocument) -> Result<(), PgRegistryError> {
        let mut rows: Vec<(RowKey, Option<String>, Zeroizing<String>)> = Vec::new();
        for system in &document.systems {
            rows.push((RowKey::new("system", "", &system.name), None, json(system)?));
        }
        for env in &document.environments {
            rows.push((RowKey::new("environment", "", &env.name), None, empty()));
            for template in &env.templates {
                let key = RowKey::new("template", &env.name, &template.name);
                rows.push((key, None, json(template)?));
            }
            for link in &env.links {
                let key = RowKey::new("link", &env.name, &link.template);
                let id = link.connection_id.clone();
                rows.push((key, Some(id), empty()));
            }
        }
        for connection in &document.connections {
            let key = RowKey::new("connection", "", &connection.id);
            rows.push((key, None, json(connection)?));
        }
        for activation in &document.activations {
            let key = RowKey::activation(&activation.environment, &activation.user.external_id);
            rows.push((key, None, json(activation)?));
        }
        let mut client = self.client.lock().await;
        let transaction = client.transaction().await.map_err(pg)?;
        for chunk in rows.chunks(2_000) {
            let mut columns: [Vec<String>; 5] = Default::default();
            let mut refs: Vec<Option<String>> = Vec::with_capacity(chunk.len());
            let mut sealed: Vec<Vec<u8>> = Vec::with_capacity(chunk.len());
            for (key, reference, plaintext) in chunk {
                let seal = self.keyring.seal(&key.owner(), 0, plaintext.as_bytes())?;
                columns[0].push(key.kind.clone());
                columns[1].push(key.scope.clone());
                columns[2].push(key.name.clone());
                columns[3].push(seal.key_id.clone());
                refs.push(reference.clone());
                sealed.push(seal.bytes);
            }
            let [kinds, scopes, names, key_ids, _] = &columns;
            transaction
                .execute(
                    "INSERT INTO credgate_registry_rows
                         (kind, scope, name, ref, change_id, key_id, sealed)
                     SELECT kind, scope, name, ref, 0, key_id, sealed
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])
                         AS t(kind, scope, name, ref, key_id, sealed)
                     ON CONFLICT (kind, scope, name) DO UPDATE SET ref = excluded.ref,
                         change_id = 0, key_id = excluded.key_id, sealed = excluded.sealed",
                    &[kinds, scopes, names, &refs, key_ids, &sealed],
                )
                .await
                .map_err(pg)?;
        }
        transaction.commit().await.map_err(pg)?;
        Ok(())
    }

    /// Appends `changes` (from [`Registry::take_changes`], in order) to the change log and
    /// updates the rows, in one transaction, then notifies the other replicas. Returns the
    /// id of the last change written (0 for none).
    ///
    /// # Errors
    ///
    /// [`PgRegistryError::Store`]; then nothing is written, and the caller may record the
    /// same changes again.
    ///
    /// # Example
    ///
    /// See [`PgRegistry`].
    pub async fn record(&self, changes: &[RegistryChange]) -> Result<i64, PgRegistryError> {
        if changes.is_empty() {
            return Ok(0);
        }
        let mut client = self.client.lock().await;
        let transaction = client.transaction().await.map_err(pg)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])
            .await
            .map_err(pg)?;
        let mut last = 0;
        for change in changes {
            let id: i64 = transaction
                .query_one(
                    "SELECT nextval(pg_get_serial_sequence('credgate_registry_changes', 'id'))",
                    &[],
                )
                .await
                .map_err(pg)?
                .get(0);
            let plaintext = json(change)?;
            let sealed = self
                .keyring
                .seal(CHANGE_OWNER, as_version(id), plaintext.as_bytes())?;
            transaction
                .execute(
                    "INSERT INTO credgate_registry_changes (id, replica, key_id, sealed)
                     VALUES ($1, $2, $3, $4)",
                    &[&id, &self.replica, &sealed.key_id, &sealed.bytes],
                )
                .await
                .map_err(pg)?;
            self.update_rows(&transaction, id, change).await?;
            last = id;
        }
        transaction
            .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &last.to_string()])
            .await
            .map_err(pg)?;
        transaction.commit().await.map_err(pg)?;
        Ok(last)
    }

    /// Applies to `registry`, in order, the changes other replicas recorded since the last
    /// call (or since [`load`](Self::load)); this replica's own are skipped. Idempotent: a
    /// change applied twice changes nothing the second time.
    ///
    /// # Errors
    ///
    /// [`PgRegistryError::Store`] and [`PgRegistryError::Corrupt`] for a change that cannot
    /// be read (nothing after it is applied, and the next call starts from it again). A
    /// change the registry refuses is reported in [`ApplyReport::failed`], not an error.
    ///
    /// # Example
    ///
    /// See [`PgRegistry`].
    pub async fn apply_new(&self, registry: &Registry) -> Result<ApplyReport, PgRegistryError> {
        let client = self.client.lock().await;
        let from = self.position.load(Ordering::Acquire);
        let rows = client
            .query(
                "SELECT id, replica, key_id, sealed FROM credgate_registry_changes
                 WHERE id > $1 ORDER BY id",
                &[&from],
            )
            .await
            .map_err(pg)?;
        drop(client);
        let mut report = ApplyReport {
            position: from,
            ..ApplyReport::default()
        };
        for row in rows {
            let id: i64 = row.get(0);
            let replica: &str = row.get(1);
            if replica != self.replica {
                let plaintext =
                    self.keyring
                        .open(CHANGE_OWNER, as_version(id), row.get(2), row.get(3))?;
                let change: RegistryChange =
                    serde_json::from_slice(&plaintext).map_err(|e| PgRegistryError::Corrupt {
                        what: format!("change {id}"),
                        reason: e.to_string(),
                    })?;
                match registry.apply(change) {
                    Ok(ApplyOutcome::AlreadyPresent) => report.already_present += 1,
                    Ok(ApplyOutcome::Conflict) => report.conflicts.push(id),
                    Ok(_) => report.applied += 1,
                    Err(error) => report.failed.push((id, error)),
                }
            }
            report.position = id;
            self.position.fetch_max(id, Ordering::AcqRel);
        }
        Ok(report)
    }

    /// Waits until another replica (or this one) records changes, or `timeout` passes,
    /// whichever comes first: then call [`apply_new`](Self::apply_new). A notification
    /// that came while nobody waited ends the next wait at once.
    pub async fn wait_for_change(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.notified.notified()).await;
    }

    /// The id of the last change [`apply_new`](Self::apply_new) read (or the last before
    /// [`load`](Self::load)'s snapshot).
    pub fn position(&self) -> i64 {
        self.position.load(Ordering::Acquire)
    }

    fn open_row(
        &self,
        key: &RowKey,
        change_id: i64,
        key_id: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, PgRegistryError> {
        Ok(self
            .keyring
            .open(&key.owner(), as_version(change_id), key_id, sealed)?)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        transaction: &Transaction<'_>,
        key: &RowKey,
    ) -> Result<Option<T>, PgRegistryError> {
        let row = transaction
            .query_opt(
                "SELECT change_id, key_id, sealed FROM credgate_registry_rows
                 WHERE kind = $1 AND scope = $2 AND name = $3",
                &[&key.kind, &key.scope, &key.name],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let plaintext = self.open_row(key, row.get(0), row.get(1), row.get(2))?;
        serde_json::from_slice(&plaintext)
            .map(Some)
            .map_err(|e| key.corrupt(&e))
    }

    async fn put(
        &self,
        transaction: &impl GenericClient,
        change_id: i64,
        key: &RowKey,
        reference: Option<&str>,
        plaintext: &str,
    ) -> Result<(), PgRegistryError> {
        let sealed =
            self.keyring
                .seal(&key.owner(), as_version(change_id), plaintext.as_bytes())?;
        transaction
            .execute(
                "INSERT INTO credgate_registry_rows
                     (kind, scope, name, ref, change_id, key_id, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (kind, scope, name) DO UPDATE SET ref = excluded.ref,
                     change_id = excluded.change_id, key_id = excluded.key_id,
                     sealed = excluded.sealed",
                &[
                    &key.kind,
                    &key.scope,
                    &key.name,
                    &reference,
                    &change_id,
                    &sealed.key_id,
                    &sealed.bytes,
                ],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn delete(
        &self,
        transaction: &Transaction<'_>,
        key: &RowKey,
    ) -> Result<(), PgRegistryError> {
        transaction
            .execute(
                "DELETE FROM credgate_registry_rows WHERE kind = $1 AND scope = $2 AND name = $3",
                &[&key.kind, &key.scope, &key.name],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    /// Brings the rows to what `change` makes.
    async fn update_rows(
        &self,
        transaction: &Transaction<'_>,
        id: i64,
        change: &RegistryChange,
    ) -> Result<(), PgRegistryError> {
        match change {
            RegistryChange::SystemAdded { system } => {
                let key = RowKey::new("system", "", &system.name);
                self.put(transaction, id, &key, None, &json(system)?).await
            }
            RegistryChange::SystemSchemeUpdated { system, scheme } => {
                let key = RowKey::new("system", "", system);
                let Some(mut stored) = self.get::<System>(transaction, &key).await? else {
                    return Ok(());
                };
                replace_by_id(&mut stored.auth_scheme_configs, scheme);
                self.put(transaction, id, &key, None, &json(&stored)?)
                    .await?;
                // The copies in the system's templates, as the registry edits them.
                let names = transaction
                    .query(
                        "SELECT scope, name FROM credgate_registry_rows WHERE kind = 'template'",
                        &[],
                    )
                    .await
                    .map_err(pg)?;
                for row in names {
                    let key = RowKey::new("template", row.get(0), row.get(1));
                    let Some(mut template) =
                        self.get::<ConnectionTemplate>(transaction, &key).await?
                    else {
                        continue;
                    };
                    if answers_to(&stored, &template.domain) {
                        replace_by_id(&mut template.auth_scheme_configs, scheme);
                        self.put(transaction, id, &key, None, &json(&template)?)
                            .await?;
                    }
                }
                Ok(())
            }
            RegistryChange::EnvironmentAdded { environment } => {
                let key = RowKey::new("environment", "", environment);
                self.put(transaction, id, &key, None, &empty()).await
            }
            RegistryChange::TemplateAdded {
                environment,
                template,
            }
            | RegistryChange::TemplateReplaced {
                environment,
                template,
            } => {
                let key = RowKey::new("template", environment, &template.name);
                self.put(transaction, id, &key, None, &json(template)?)
                    .await
            }
            RegistryChange::ConnectionAdded {
                environment,
                template,
                connection,
            } => {
                let key = RowKey::new("connection", "", &connection.id);
                self.put(transaction, id, &key, None, &json(connection)?)
                    .await?;
                let link = RowKey::new("link", environment, template);
                self.put(transaction, id, &link, Some(&connection.id), &empty())
                    .await
            }
            RegistryChange::ConnectionLinked {
                environment,
                template,
                connection_id,
            } => {
                let link = RowKey::new("link", environment, template);
                self.put(transaction, id, &link, Some(connection_id), &empty())
                    .await
            }
            RegistryChange::ConnectionMoved {
                connection_id,
                scheme,
            } => {
                let key = RowKey::new("connection", "", connection_id);
                let Some(mut connection) = self.get::<Connection>(transaction, &key).await? else {
                    return Ok(());
                };
                move_to(&mut connection, scheme);
                self.put(transaction, id, &key, None, &json(&connection)?)
                    .await
            }
            RegistryChange::ConnectionRemoved { connection_id } => {
                let key = RowKey::new("connection", "", connection_id);
                self.delete(transaction, &key).await?;
                transaction
                    .execute(
                        "DELETE FROM credgate_registry_rows WHERE kind = 'link' AND ref = $1",
                        &[connection_id],
                    )
                    .await
                    .map_err(pg)?;
                Ok(())
            }
            RegistryChange::Activated { activation } => {
                let key = RowKey::activation(&activation.environment, &activation.user.external_id);
                self.put(transaction, id, &key, None, &json(activation)?)
                    .await
            }
            RegistryChange::UserConnectionMoved {
                environment,
                template,
                external_id,
                scheme,
            } => {
                let key = RowKey::activation(environment, external_id);
                let template_key = RowKey::new("template", environment, template);
                let stored = self.get::<Activation>(transaction, &key).await?;
                let served = self
                    .get::<ConnectionTemplate>(transaction, &template_key)
                    .await?;
                let (Some(mut activation), Some(served)) = (stored, served) else {
                    return Ok(());
                };
                let template_id = served.template_id();
                for connection in &mut activation.connections {
                    if connection.connection_template_id == template_id {
                        move_to(connection, scheme);
                    }
                }
                self.put(transaction, id, &key, None, &json(&activation)?)
                    .await
            }
            RegistryChange::Deactivated {
                environment,
                external_id,
            } => {
                self.delete(transaction, &RowKey::activation(environment, external_id))
                    .await
            }
            // A change kind this version does not know: the log keeps it, the rows do not.
            _ => Ok(()),
        }
    }
}

/// The associated data's owner of a change.
const CHANGE_OWNER: &str = "credgate-registry change";

/// A bigserial id, or a row's change id, as the keyring's version (both are never negative).
fn as_version(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

/// `value` as JSON with its secrets in full, zeroized when dropped.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Zeroizing<String>, PgRegistryError> {
    credgate::to_json_with_secrets(value)
        .map(Zeroizing::new)
        .map_err(|e| PgRegistryError::Corrupt {
            what: "document".to_owned(),
            reason: e.to_string(),
        })
}

fn empty() -> Zeroizing<String> {
    Zeroizing::new("{}".to_owned())
}

/// Whether `system` is the one a template's `domain` names, as the registry decides it.
fn answers_to(system: &System, name_or_domain: &str) -> bool {
    system.name == name_or_domain || (!system.domain.is_empty() && system.domain == name_or_domain)
}

fn replace_by_id(schemes: &mut [AuthSchemeConfig], scheme: &AuthSchemeConfig) {
    for slot in schemes.iter_mut().filter(|slot| slot.id() == scheme.id()) {
        slot.clone_from(scheme);
    }
}

fn move_to(connection: &mut Connection, scheme: &AuthSchemeConfig) {
    for pair in &mut connection.credentials {
        if pair.auth_scheme_config.id() == scheme.id() {
            pair.auth_scheme_config.clone_from(scheme);
        }
    }
}

/// A row's key.
#[derive(Debug, Clone)]
struct RowKey {
    kind: String,
    scope: String,
    name: String,
}

impl RowKey {
    fn new(kind: &str, scope: &str, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            scope: scope.to_owned(),
            name: name.to_owned(),
        }
    }

    fn activation(environment: &str, external_id: &str) -> Self {
        Self::new("activation", environment, external_id)
    }

    /// The owner bound into the row's seal: unambiguous, the scope's length first.
    fn owner(&self) -> String {
        format!(
            "credgate-registry {} {}:{} {}",
            self.kind,
            self.scope.len(),
            self.scope,
            self.name
        )
    }

    fn describe(&self) -> String {
        if self.scope.is_empty() {
            format!("{} \"{}\"", self.kind, self.name)
        } else {
            format!("{} \"{}\" in \"{}\"", self.kind, self.name, self.scope)
        }
    }

    fn corrupt(&self, error: &serde_json::Error) -> PgRegistryError {
        PgRegistryError::Corrupt {
            what: self.describe(),
            reason: error.to_string(),
        }
    }
}

/// The rows of a snapshot, sorted into what the registry is filled with.
#[derive(Default)]
struct Loaded {
    systems: Vec<System>,
    environments: BTreeMap<String, Vec<ConnectionTemplate>>,
    /// Connection id to its links (environment, template).
    links: BTreeMap<String, Vec<(String, String)>>,
    connections: Vec<Connection>,
    activations: Vec<Activation>,
}

impl Loaded {
    fn add(
        &mut self,
        key: &RowKey,
        reference: Option<String>,
        plaintext: &[u8],
    ) -> Result<(), PgRegistryError> {
        match key.kind.as_str() {
            "system" => self
                .systems
                .push(serde_json::from_slice(plaintext).map_err(|e| key.corrupt(&e))?),
            "environment" => {
                self.environments.entry(key.name.clone()).or_default();
            }
            "template" => self
                .environments
                .entry(key.scope.clone())
                .or_default()
                .push(serde_json::from_slice(plaintext).map_err(|e| key.corrupt(&e))?),
            "link" => {
                let id = reference.ok_or_else(|| PgRegistryError::Corrupt {
                    what: key.describe(),
                    reason: "a link without its connection id".to_owned(),
                })?;
                self.links
                    .entry(id)
                    .or_default()
                    .push((key.scope.clone(), key.name.clone()));
            }
            "connection" => self
                .connections
                .push(serde_json::from_slice(plaintext).map_err(|e| key.corrupt(&e))?),
            "activation" => self
                .activations
                .push(serde_json::from_slice(plaintext).map_err(|e| key.corrupt(&e))?),
            other => {
                return Err(PgRegistryError::Corrupt {
                    what: key.describe(),
                    reason: format!("unknown row kind `{other}`"),
                });
            }
        }
        Ok(())
    }

    fn fill(self, registry: &Registry) -> Result<(), PgRegistryError> {
        let failed = |what: String| {
            move |source| PgRegistryError::Registry {
                what,
                source: Box::new(source),
            }
        };
        let restore = registry.restore();
        for system in self.systems {
            let what = format!("system \"{}\"", system.name);
            registry.add_system(system).map_err(failed(what))?;
        }
        for (environment, templates) in self.environments {
            let what = format!("environment \"{environment}\"");
            registry
                .add_environment(&environment)
                .map_err(failed(what))?;
            for template in templates {
                let what = format!("template \"{}\" in \"{environment}\"", template.name);
                restore
                    .add_template(&environment, template)
                    .map_err(failed(what))?;
            }
        }
        let mut links = self.links;
        for connection in self.connections {
            let id = connection.id.clone();
            let what = || format!("connection \"{id}\"");
            let mut linked = links.remove(&id).unwrap_or_default().into_iter();
            // A connection without a link is not reachable: the registry does not hold one.
            let Some((environment, template)) = linked.next() else {
                continue;
            };
            restore
                .add_connection(&environment, &template, connection)
                .map_err(failed(what()))?;
            for (environment, template) in linked {
                restore
                    .link_connection(&environment, &template, &id)
                    .map_err(failed(what()))?;
            }
        }
        for activation in self.activations {
            let what = format!(
                "activation of \"{}\" in \"{}\"",
                activation.user.external_id, activation.environment
            );
            restore.activate(activation).map_err(failed(what))?;
        }
        Ok(())
    }
}
