//! The store a connection coordinates its refreshes through, with its sync or async
//! interface erased, so that one [`LiveConnection`](crate::LiveConnection) type holds
//! either. Boxing costs an allocation per store call, on the refresh path only.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::store::{
    AsyncTokenStore, Lease, LeaseHolder, Publication, StoreError, StoredToken, TokenOwner,
    TokenStore, TokenStoreOptions,
};
use crate::model::OAuth2TokenCredential;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`AsyncTokenStore`] as a trait object.
pub(crate) trait DynStore: Send + Sync {
    fn read<'a>(&'a self, owner: &'a TokenOwner)
    -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;
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
