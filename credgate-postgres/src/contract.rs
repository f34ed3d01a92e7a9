//! credgate's [`AsyncTokenStore`] contract on [`PgTokenStore`], and [`PgTokenStore::follow`],
//! which pushes other replicas' publications into a connection.
//!
//! Each method is the one round trip the contract asks for (a publication that conflicts
//! adds a release and a read, off the normal path). Lease times are the caller's clock's,
//! as the contract says: keep the replicas' clocks in sync (NTP) to well within the lease's
//! time to live.
//!
//! Only the async contract is implemented: tokio-postgres needs a tokio runtime (its
//! sockets and this store's timeouts are tokio's), and a blocking
//! [`TokenStore`](credgate::auth::oauth2::TokenStore) over it would block a thread on that
//! runtime, deadlocking when called from one of the runtime's own threads. A blocking host
//! keeps a tokio runtime for the store and calls
//! [`authorize_with_async`](credgate::LiveConnection::authorize_with_async) through
//! `Runtime::block_on` from its own threads.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use credgate::OAuth2TokenCredential;
use credgate::auth::oauth2::{
    AsyncTokenStore, Lease, LeaseHolder, Publication, StoreError as ContractError, StoredToken,
    TokenOwner,
};
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::store::{PgTokenStore, Row};

impl From<StoreError> for ContractError {
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::Unreachable { source } => ContractError::unreachable(source.to_string()),
            StoreError::Timeout { millis } => {
                ContractError::unreachable(format!("PostgreSQL did not answer within {millis} ms"))
            }
            StoreError::UnknownKeyId { .. }
            | StoreError::Tampered { .. }
            | StoreError::Corrupt { .. }
            | StoreError::InvalidVersion { .. } => ContractError::unreadable(error.to_string()),
            _ => ContractError::refused(error.to_string()),
        }
    }
}

fn stored(owner: &str, row: Row) -> Result<StoredToken, ContractError> {
    let json = std::str::from_utf8(&row.plaintext).map_err(|_| {
        ContractError::from(StoreError::Corrupt {
            owner: owner.to_owned(),
            reason: "the opened credential is not UTF-8".to_owned(),
        })
    })?;
    StoredToken::from_json(row.version, json)
}

fn stored_opt(owner: &str, row: Option<Row>) -> Result<Option<StoredToken>, ContractError> {
    row.map(|row| stored(owner, row)).transpose()
}

impl AsyncTokenStore for PgTokenStore {
    async fn read(&self, owner: &TokenOwner) -> Result<Option<StoredToken>, ContractError> {
        let row = self.read_raw(owner.as_str()).await?;
        stored_opt(owner.as_str(), row)
    }

    async fn try_lease(
        &self,
        owner: &TokenOwner,
        holder: &LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<Lease, ContractError> {
        let lease = self
            .lease_raw(owner.as_str(), holder.as_str(), ttl, now)
            .await?;
        let until = lease
            .until
            .unwrap_or_else(|| now.checked_add(ttl).unwrap_or(now));
        let current = stored_opt(owner.as_str(), lease.current)?;
        Ok(if lease.acquired {
            Lease::Acquired { until, current }
        } else {
            Lease::HeldBy { until, current }
        })
    }

    async fn publish(
        &self,
        owner: &TokenOwner,
        expected_version: u64,
        credential: &OAuth2TokenCredential,
        holder: &LeaseHolder,
    ) -> Result<Publication, ContractError> {
        let json = credgate::to_json_with_secrets(credential)
            .map(Zeroizing::new)
            .map_err(|_| ContractError::unreadable("the credential could not be serialized"))?;
        let published = self
            .publish_raw(
                owner.as_str(),
                expected_version,
                json.as_bytes(),
                holder.as_str(),
            )
            .await?;
        Ok(match published {
            Some(version) => Publication::Published { version },
            None => Publication::Conflict {
                current: self.read(owner).await?,
            },
        })
    }

    async fn release(&self, owner: &TokenOwner, holder: &LeaseHolder) -> Result<(), ContractError> {
        Ok(self.release_raw(owner.as_str(), holder.as_str()).await?)
    }

    async fn wait_for_change(
        &self,
        owner: &TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> Result<Option<StoredToken>, ContractError> {
        let row = self.wait_raw(owner.as_str(), after_version, within).await?;
        stored_opt(owner.as_str(), row)
    }
}

/// The task behind [`PgTokenStore::follow`]; dropping it stops the task.
#[derive(Debug)]
#[must_use = "dropping it stops following"]
pub struct Follow {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PgTokenStore {
    /// Keeps `live` up to date with `owner`'s row: each credential another replica
    /// publishes is offered to it ([`LiveConnection::offer_stored`](credgate::LiveConnection::offer_stored))
    /// as soon as its notification arrives (one read), so every replica switches to a new
    /// token within milliseconds of its publication, not at its next refresh. The current
    /// row is offered first. Runs until the returned [`Follow`] or the connection is
    /// dropped (it holds the connection weakly); store errors are retried every second.
    ///
    /// Call it inside a tokio runtime.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn run(store: credgate_postgres::PgTokenStore, live: credgate::LiveConnection) {
    /// use std::sync::Arc;
    /// use credgate::auth::oauth2::TokenOwner;
    ///
    /// let live = Arc::new(live);
    /// let follow = store.follow(TokenOwner::connection("c-7"), &live);
    /// // ... serve requests with `live`; drop `follow` to stop.
    /// # drop(follow); }
    /// ```
    pub fn follow(&self, owner: TokenOwner, live: &Arc<credgate::LiveConnection>) -> Follow {
        let store = self.clone();
        let live = Arc::downgrade(live);
        let task = tokio::spawn(async move {
            let mut known = 0;
            loop {
                match store
                    .wait_for_change(&owner, known, Duration::from_secs(30))
                    .await
                {
                    Ok(Some(token)) => {
                        known = token.version;
                        let Some(live) = live.upgrade() else { return };
                        live.offer_stored(&owner, &token);
                    }
                    Ok(None) => {}
                    Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
        });
        Follow { task }
    }
}
