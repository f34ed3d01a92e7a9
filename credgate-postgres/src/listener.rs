//! The listener: learning of credentials other replicas publish, without polling.
//!
//! * One dedicated connection per store runs `LISTEN credgate_tokens`. Each publication
//!   notifies `'<version> <owner>'` at commit (no secret in the payload); the listener
//!   raises that owner's watched version, which wakes every task of this replica waiting in
//!   `wait_for_change` for it. The waiter then reads the row (one round trip) and opens it.
//! * A lost listening connection (PostgreSQL restarted, a network cut) is reconnected with
//!   a backoff from 50 ms to [`PgStoreOptions::listen_retry_max`](crate::PgStoreOptions);
//!   once listening again, it reads the versions of every watched owner, so a publication
//!   made while it was away still wakes its waiters.
//! * Waiters also re-read the row at least every second, whatever the listener does.
//!
//! The task holds the store weakly and is aborted when the store's last clone is dropped.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use crate::sql;
use crate::store::Inner;

/// The newest version this replica knows of, per watched owner.
#[derive(Default)]
pub(crate) struct Changes {
    owners: Mutex<HashMap<String, watch::Sender<u64>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Changes {
    /// Records that `owner` is at `version` (or newer): wakes its waiters if that is news.
    pub(crate) fn note(&self, owner: &str, version: u64) {
        let owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = owners.get(owner) {
            sender.send_if_modified(|known| {
                let newer = version > *known;
                if newer {
                    *known = version;
                }
                newer
            });
        }
    }

    /// A receiver of `owner`'s known version.
    pub(crate) fn subscribe(&self, owner: &str) -> watch::Receiver<u64> {
        let mut owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        // Forget the owners nobody waits for any more.
        if owners.len() > 64 {
            owners.retain(|_, sender| sender.receiver_count() > 0);
        }
        owners
            .entry(owner.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// The owners someone is waiting for.
    fn watched(&self) -> Vec<String> {
        let owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        owners
            .iter()
            .filter(|(_, sender)| sender.receiver_count() > 0)
            .map(|(owner, _)| owner.clone())
            .collect()
    }

    pub(crate) fn set_task(&self, task: JoinHandle<()>) {
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        if let Some(task) = self
            .task
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

/// Listens until the store is dropped, reconnecting as needed.
pub(crate) async fn run(store: Weak<Inner>) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let Some((config, retry_max, timeout)) = store.upgrade().map(|inner| {
            (
                inner.config.clone(),
                inner.options.listen_retry_max,
                inner.options.call_timeout,
            )
        }) else {
            return;
        };
        if session(&store, &config, timeout).await {
            backoff = Duration::from_millis(50);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(retry_max);
    }
}

/// One listening connection, until it is lost; `true` if it got as far as listening.
async fn session(store: &Weak<Inner>, config: &Config, timeout: Duration) -> bool {
    let Ok(Ok((client, mut connection))) =
        tokio::time::timeout(timeout, config.connect(NoTls)).await
    else {
        return false;
    };
    let (sender, mut payloads) = mpsc::unbounded_channel::<String>();
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(notification)) => {
                    if sender.send(notification.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let listening = tokio::time::timeout(timeout, client.batch_execute(sql::LISTEN)).await;
    if !matches!(listening, Ok(Ok(()))) {
        driver.abort();
        return false;
    }
    // Catch up on what was published while this replica was not listening.
    let watched = store
        .upgrade()
        .map(|inner| inner.changes.watched())
        .unwrap_or_default();
    if !watched.is_empty()
        && let Ok(Ok(rows)) =
            tokio::time::timeout(timeout, client.query(sql::VERSIONS, &[&watched])).await
        && let Some(inner) = store.upgrade()
    {
        for row in rows {
            let owner: Result<&str, _> = row.try_get(0);
            let version: Result<i64, _> = row.try_get(1);
            if let (Ok(owner), Ok(version)) = (owner, version) {
                inner
                    .changes
                    .note(owner, u64::try_from(version).unwrap_or(0));
            }
        }
    }
    while let Some(payload) = payloads.recv().await {
        let Some(inner) = store.upgrade() else { break };
        if let Some((version, owner)) = payload.split_once(' ')
            && let Ok(version) = version.parse::<u64>()
        {
            inner.changes.note(owner, version);
        }
    }
    drop(client);
    driver.abort();
    true
}
