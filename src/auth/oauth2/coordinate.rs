//! The store a connection coordinates its refreshes through, with its sync or async
//! interface erased, so that one [`LiveConnection`](crate::LiveConnection) type holds
//! either. Boxing costs an allocation per store call, on the refresh path only.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{Request, Response};

use super::error::{AuthorizeError, OAuth2Error};
use super::state::{TokenRefresh, TokenStep};
use super::store::{
    AsyncTokenStore, Lease, LeaseHolder, Publication, StoreError, StoredToken, TokenOwner,
    TokenStore, TokenStoreOptions,
};
use crate::model::OAuth2TokenCredential;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`AsyncTokenStore`] as a trait object.
pub(crate) trait DynStore: Send + Sync {
    fn read<'a>(
        &'a self,
        owner: &'a TokenOwner,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;
    fn try_lease<'a>(
        &'a self,
        owner: &'a TokenOwner,
        holder: &'a LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Lease, StoreError>>;
    fn publish<'a>(
        &'a self,
        owner: &'a TokenOwner,
        expected_version: u64,
        credential: &'a OAuth2TokenCredential,
        holder: &'a LeaseHolder,
    ) -> BoxFuture<'a, Result<Publication, StoreError>>;
    fn release<'a>(
        &'a self,
        owner: &'a TokenOwner,
        holder: &'a LeaseHolder,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn wait_for_change<'a>(
        &'a self,
        owner: &'a TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;
}

/// A blocking store: each call runs when its future is first polled.
pub(crate) struct Blocking<S: ?Sized>(pub(crate) Arc<S>);

impl<S: TokenStore + ?Sized + 'static> DynStore for Blocking<S> {
    fn read<'a>(
        &'a self,
        owner: &'a TokenOwner,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(async move { self.0.read(owner) })
    }
    fn try_lease<'a>(
        &'a self,
        owner: &'a TokenOwner,
        holder: &'a LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move { self.0.try_lease(owner, holder, ttl, now) })
    }
    fn publish<'a>(
        &'a self,
        owner: &'a TokenOwner,
        expected_version: u64,
        credential: &'a OAuth2TokenCredential,
        holder: &'a LeaseHolder,
    ) -> BoxFuture<'a, Result<Publication, StoreError>> {
        Box::pin(async move { self.0.publish(owner, expected_version, credential, holder) })
    }
    fn release<'a>(
        &'a self,
        owner: &'a TokenOwner,
        holder: &'a LeaseHolder,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.0.release(owner, holder) })
    }
    fn wait_for_change<'a>(
        &'a self,
        owner: &'a TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(async move { self.0.wait_for_change(owner, after_version, within) })
    }
}

/// An async store.
pub(crate) struct Async<S>(pub(crate) Arc<S>);

impl<S: AsyncTokenStore + 'static> DynStore for Async<S> {
    fn read<'a>(
        &'a self,
        owner: &'a TokenOwner,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(self.0.read(owner))
    }
    fn try_lease<'a>(
        &'a self,
        owner: &'a TokenOwner,
        holder: &'a LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(self.0.try_lease(owner, holder, ttl, now))
    }
    fn publish<'a>(
        &'a self,
        owner: &'a TokenOwner,
        expected_version: u64,
        credential: &'a OAuth2TokenCredential,
        holder: &'a LeaseHolder,
    ) -> BoxFuture<'a, Result<Publication, StoreError>> {
        Box::pin(self.0.publish(owner, expected_version, credential, holder))
    }
    fn release<'a>(
        &'a self,
        owner: &'a TokenOwner,
        holder: &'a LeaseHolder,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.0.release(owner, holder))
    }
    fn wait_for_change<'a>(
        &'a self,
        owner: &'a TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(self.0.wait_for_change(owner, after_version, within))
    }
}

/// `store` as a connection holds it.
pub(crate) fn coordinate_blocking<S: TokenStore + 'static>(store: Arc<S>) -> impl DynStore {
    Blocking(store)
}

/// `store` as a connection holds it.
pub(crate) fn coordinate_async<S: AsyncTokenStore + 'static>(store: Arc<S>) -> impl DynStore {
    Async(store)
}

/// A connection's store, as its builder was given it.
#[derive(Clone)]
pub(crate) struct StoreLink {
    pub(crate) store: Arc<dyn DynStore>,
    pub(crate) owner: TokenOwner,
    pub(crate) holder: LeaseHolder,
    pub(crate) lease_ttl: Duration,
}

impl StoreLink {
    pub(crate) fn new(
        store: Arc<dyn DynStore>,
        options: TokenStoreOptions,
        random: &dyn crate::clock::RandomSource,
    ) -> Self {
        Self {
            store,
            holder: options
                .holder
                .unwrap_or_else(|| LeaseHolder::random(random)),
            owner: options.owner,
            lease_ttl: options.lease_ttl.max(Duration::from_secs(1)),
        }
    }
}

impl std::fmt::Debug for StoreLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreLink")
            .field("owner", &self.owner)
            .field("holder", &self.holder)
            .field("lease_ttl", &self.lease_ttl)
            .finish_non_exhaustive()
    }
}

/// What one step of getting a token did.
pub(crate) enum Progress {
    /// Nothing was needed for this credential.
    Ready,
    /// Something happened (a token taken, a wait ended, a refresh done): authorize again.
    Acted,
}

/// How many times a replica asks for a lease that another holds before giving up: after
/// the first wait the other's lease has expired (unless the clocks disagree).
const LEASE_ROUNDS: usize = 3;

/// One step of getting `oauth2` a token through its token store: the single flight of
/// this process, then across processes: read, lease (or wait for another holder's
/// publication), send, publish. `send` is taken if a token request goes out.
pub(crate) async fn step<F, Fut, E>(
    oauth2: &super::OAuth2,
    link: &StoreLink,
    send: &mut Option<F>,
) -> Result<Progress, AuthorizeError<E>>
where
    F: FnOnce(Request<Vec<u8>>) -> Fut,
    Fut: Future<Output = Result<Response<Vec<u8>>, E>>,
{
    let shared = &oauth2.shared;
    if let Some((flight, pending, expected)) = shared.take_unpublished() {
        publish(link, flight, pending, expected).await?;
        return Ok(Progress::Acted);
    }
    let refresh = match shared.step()? {
        TokenStep::Ready => return Ok(Progress::Ready),
        TokenStep::Wait(wait) => {
            wait.await?;
            return Ok(Progress::Acted);
        }
        TokenStep::Send(refresh) => refresh,
    };
    let Some(refresh) = read(link, refresh).await? else {
        return Ok(Progress::Acted);
    };
    let Some(refresh) = lease(link, refresh).await? else {
        return Ok(Progress::Acted);
    };
    let Some(send) = send.take() else {
        release(link).await;
        // Dropping it ends the flight (as a failure); the wrapper gives up.
        drop(refresh);
        return Err(AuthorizeError::Auth(crate::AuthError::TokenRefreshNeeded));
    };
    let response = match send(refresh.request().clone()).await {
        Ok(response) => response,
        Err(error) => {
            release(link).await;
            drop(refresh);
            return Err(AuthorizeError::Transport(error));
        }
    };
    match refresh.receive(&response) {
        Ok(pending) => {
            let expected = refresh.store_version();
            publish(link, refresh, pending, expected).await?;
        }
        Err(error) => {
            let rotated = match (&error, refresh.sent_refresh_token()) {
                (OAuth2Error::InvalidGrant { .. }, Some(sent)) => {
                    rotated_elsewhere(link, sent).await
                }
                _ => None,
            };
            release(link).await;
            match rotated {
                Some(stored) if refresh.take_stored(&stored) => refresh.finish(),
                _ => return Err(AuthorizeError::Token(refresh.fail(error))),
            }
        }
    }
    Ok(Progress::Acted)
}

/// Before a token request: takes a newer credential from the store. `None` when that
/// made the token valid (the flight is over); else the flight, with the request renewed
/// if a credential was taken.
async fn read(
    link: &StoreLink,
    refresh: TokenRefresh,
) -> Result<Option<TokenRefresh>, OAuth2Error> {
    match link.store.read(&link.owner).await {
        Err(error) => store_failed(refresh, error).map(|()| None),
        Ok(Some(stored)) if refresh.take_stored(&stored) => taken(refresh),
        Ok(_) => Ok(Some(refresh)),
    }
}

/// After a credential was taken from the store: `None` (the flight ended) if its token is
/// not due, else the flight with a request for it.
fn taken(refresh: TokenRefresh) -> Result<Option<TokenRefresh>, OAuth2Error> {
    if refresh.is_due() {
        refresh.renew().map(Some)
    } else {
        refresh.finish();
        Ok(None)
    }
}

/// Takes the lease to send the token request: the flight if this replica holds it, `None`
/// when the connection got what it needed meanwhile (another holder's publication, or a
/// still valid token to go on with while it refreshes).
async fn lease(
    link: &StoreLink,
    mut refresh: TokenRefresh,
) -> Result<Option<TokenRefresh>, OAuth2Error> {
    for _ in 0..LEASE_ROUNDS {
        let now = refresh.now();
        let lease = link
            .store
            .try_lease(&link.owner, &link.holder, link.lease_ttl, now)
            .await;
        match lease {
            Err(error) => return store_failed(refresh, error).map(|()| None),
            Ok(Lease::Acquired { current, .. }) => {
                // A publication between the read and the lease.
                if let Some(stored) = current
                    && refresh.take_stored(&stored)
                {
                    let Some(renewed) = taken(refresh)? else {
                        release(link).await;
                        return Ok(None);
                    };
                    refresh = renewed;
                }
                return Ok(Some(refresh));
            }
            Ok(Lease::HeldBy { until, current }) => {
                if let Some(stored) = current
                    && refresh.take_stored(&stored)
                {
                    match taken(refresh)? {
                        None => return Ok(None),
                        Some(renewed) => refresh = renewed,
                    }
                }
                if refresh.usable() {
                    refresh.defer(until);
                    return Ok(None);
                }
                let within = until.duration_since(now).unwrap_or(Duration::ZERO);
                let after = refresh.store_version();
                match link.store.wait_for_change(&link.owner, after, within).await {
                    Err(error) => return store_failed(refresh, error).map(|()| None),
                    Ok(Some(stored)) if refresh.take_stored(&stored) => match taken(refresh)? {
                        None => return Ok(None),
                        Some(renewed) => refresh = renewed,
                    },
                    // The other's lease is over: take it.
                    Ok(_) => {}
                }
            }
        }
    }
    let error = StoreError::refused(format!(
        "the lease on {} stayed with another replica that published nothing; check that \
         replicas' clocks agree",
        link.owner
    ));
    store_failed(refresh, error).map(|()| None)
}

/// Ends the flight on a store failure: `Ok` when a still valid token goes on.
fn store_failed(refresh: TokenRefresh, error: StoreError) -> Result<(), OAuth2Error> {
    match refresh.fail_store(error) {
        None => Ok(()),
        Some(error) => Err(error),
    }
}

/// Publishes `pending`, received in `refresh`'s flight, over version `expected`, then
/// makes it the connection's; on a conflict takes the store's credential instead.
async fn publish(
    link: &StoreLink,
    refresh: TokenRefresh,
    pending: super::state::Pending,
    expected: u64,
) -> Result<(), OAuth2Error> {
    let mut expected = expected;
    // A second try only when the store holds nothing usable (a row removed meanwhile).
    for _ in 0..2 {
        let published = link
            .store
            .publish(&link.owner, expected, pending.credential(), &link.holder)
            .await;
        match published {
            Ok(Publication::Published { version }) => {
                refresh.install(pending, Some(version));
                return Ok(());
            }
            Ok(Publication::Conflict { current }) => {
                // Another replica published first: its credential is the one.
                if let Some(stored) = &current
                    && refresh.take_stored(stored)
                {
                    refresh.finish();
                    return Ok(());
                }
                expected = current.map_or(0, |stored| stored.version);
            }
            Err(error) => return Err(refresh.not_published(pending, expected, error)),
        }
    }
    let error = StoreError::refused(format!(
        "publishing to {} conflicted twice with a credential that cannot be used",
        link.owner
    ));
    Err(refresh.not_published(pending, expected, error))
}

/// After `invalid_grant` for the refresh token `sent`: the stored credential if another
/// replica rotated it (its refresh token is not `sent`).
async fn rotated_elsewhere(link: &StoreLink, sent: &crate::secret::Secret) -> Option<StoredToken> {
    let stored = link.store.read(&link.owner).await.ok().flatten()?;
    let rotated = stored
        .credential
        .refresh_token
        .as_ref()
        .is_some_and(|stored| stored.expose_secret() != sent.expose_secret());
    rotated.then_some(stored)
}

/// Releases this replica's lease; a failure leaves it to expire.
async fn release(link: &StoreLink) {
    let _ = link.store.release(&link.owner, &link.holder).await;
}
