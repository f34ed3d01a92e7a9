//! The token state's side of the token store: taking a stored credential, and the ways a
//! flight ends when the store decides it (the round trips themselves are in
//! [`coordinate`](super::super::coordinate)).

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::SystemTime;

use super::{Pending, Shared, Token, TokenRefresh, Used};
use crate::auth::ApiKey;
use crate::auth::oauth2::{OAuth2Error, StoreError, StoredToken, TokenOwner};
use crate::model::OAuth2TokenCredential;
use crate::secret::Secret;

impl Shared {
    /// The token store this credential coordinates through, if any.
    pub(crate) fn store(&self) -> Option<&crate::auth::oauth2::StoreLink> {
        self.config.store.as_ref()
    }

    /// The owner of this credential's row in the token store, if it has one.
    pub(crate) fn store_owner(&self) -> Option<&TokenOwner> {
        self.config.store.as_ref().map(|link| &link.owner)
    }

    /// The token store's version of the current credential (0: none from the store).
    pub(crate) fn store_version(&self) -> u64 {
        self.lock().store_version
    }

    /// Takes `stored`, from the connection's token store, if it is newer than the
    /// credential this connection has from there (any version is, for a credential that
    /// did not come from the store). `false` when it is not newer, or unusable (a redacted
    /// or unplaceable token, an unreadable expiry): the current one is kept then. A flight
    /// under way goes on.
    pub(crate) fn offer_stored(&self, stored: &StoredToken) -> bool {
        let credential = &stored.credential;
        let unusable = credential.access_token.is_redacted()
            || (!credential.access_token.is_empty()
                && ApiKey::new(&self.config.placement, &credential.access_token).is_err())
            || credential
                .refresh_token
                .as_ref()
                .is_some_and(Secret::is_redacted)
            || credential.response_values.values().any(Secret::is_redacted);
        let expires_at = match credential.expires_at.as_deref() {
            Some(at) => match crate::auth::oauth2::time::parse_expires_at(at) {
                Ok(at) => at,
                Err(()) => return false,
            },
            None => None,
        };
        if unusable {
            return false;
        }
        let token = (!credential.access_token.is_empty()).then(|| {
            Token::stored(
                credential.access_token.clone(),
                expires_at,
                credential.scopes.clone(),
                self.config.buffer,
            )
        });
        let mut inner = self.lock();
        if stored.version <= inner.store_version {
            return false;
        }
        let refresh_token = (credential.refresh_token.clone())
            .filter(|t| !t.is_empty())
            .or_else(|| inner.refresh_token.take());
        inner.receive(token, refresh_token, credential);
        inner.store_version = stored.version;
        inner.reconnect = None;
        inner.pending = None;
        inner.unpublished = None;
        self.changed(&mut inner);
        true
    }

    /// Starts a flight to publish the credential the token store did not take, if there
    /// is one and no flight is under way: the flight, the credential and the version it
    /// replaces.
    pub(crate) fn take_unpublished(self: &Arc<Self>) -> Option<(TokenRefresh, Pending, u64)> {
        let mut inner = self.lock();
        if inner.in_flight.is_some() {
            return None;
        }
        let (pending, expected, _) = inner.unpublished.take()?;
        inner.flights += 1;
        let flight = inner.flights;
        inner.in_flight = Some(flight);
        let refresh = TokenRefresh {
            shared: Arc::clone(self),
            flight,
            used: Used::Primary,
            request: http::Request::new(Vec::new()),
            secrets: Vec::new(),
            sent_refresh_token: None,
        };
        Some((refresh, pending, expected))
    }
}

impl Pending {
    /// The credential as the store keeps it.
    pub(crate) fn credential(&self) -> &OAuth2TokenCredential {
        &self.update.credential
    }
}

impl TokenRefresh {
    /// The refresh token this request sends, if it sends one.
    pub(crate) fn sent_refresh_token(&self) -> Option<&Secret> {
        self.sent_refresh_token.as_ref()
    }

    /// The token store's version of the connection's credential.
    pub(crate) fn store_version(&self) -> u64 {
        self.shared.store_version()
    }

    /// The connection's clock.
    pub(crate) fn now(&self) -> SystemTime {
        self.shared.config.clock.now()
    }

    /// Takes `stored` (see [`Shared::offer_stored`]); the flight goes on.
    pub(crate) fn take_stored(&self, stored: &StoredToken) -> bool {
        self.shared.offer_stored(stored)
    }

    /// Whether the connection's token is due.
    pub(crate) fn is_due(&self) -> bool {
        let now = self.now();
        self.shared.lock().due(now)
    }

    /// Whether the connection's token can still authorize requests (not expired, no 401).
    pub(crate) fn usable(&self) -> bool {
        let now = self.now();
        self.shared.lock().usable(now).is_some()
    }

    /// The token request of this flight for the credential the connection holds now (one
    /// taken from the store, with its refresh token).
    ///
    /// # Errors
    ///
    /// [`OAuth2Error::NoRefreshToken`] when nothing can get a token any more.
    pub(crate) fn renew(mut self) -> Result<Self, OAuth2Error> {
        let shared = Arc::clone(&self.shared);
        let mut inner = shared.lock();
        let flight = std::mem::replace(&mut self.flight, 0);
        match shared.token_request(&inner, flight) {
            Some(renewed) => Ok(renewed),
            None => {
                inner.reconnect = Some(OAuth2Error::NoRefreshToken);
                shared.land(inner, flight, Some(OAuth2Error::NoRefreshToken));
                Err(OAuth2Error::NoRefreshToken)
            }
        }
    }

    /// Ends the flight without a failure: the connection has what it needed.
    pub(crate) fn finish(mut self) {
        let flight = std::mem::replace(&mut self.flight, 0);
        let inner = self.shared.lock();
        self.shared.land(inner, flight, None);
    }

    /// Ends the flight while another replica refreshes: the current token, still usable,
    /// stays in use until `until` (the other's lease) or its expiry, whichever comes first.
    pub(crate) fn defer(mut self, until: SystemTime) {
        let flight = std::mem::replace(&mut self.flight, 0);
        let now = self.now();
        let mut inner = self.shared.lock();
        if let Some(token) = inner.usable(now) {
            let until = token.expires_at.map_or(until, |at| at.min(until));
            inner.retry_at = Some(until.max(now));
        }
        self.shared.land(inner, flight, None);
    }

    /// Ends the flight on a store failure: `None` when the current token is still usable
    /// (it stays in use for a while, as after a failed refresh), else
    /// [`OAuth2Error::Store`], which waiters get too.
    pub(crate) fn fail_store(mut self, error: StoreError) -> Option<OAuth2Error> {
        let flight = std::mem::replace(&mut self.flight, 0);
        let now = self.now();
        let mut inner = self.shared.lock();
        if inner.usable(now).is_some() {
            inner.back_off(now);
            self.shared.land(inner, flight, None);
            return None;
        }
        let error = OAuth2Error::Store(error);
        self.shared.land(inner, flight, Some(error.clone()));
        Some(error)
    }

    /// Ends the flight when the store did not take `pending`: it goes to the persistence
    /// hook (as every credential does), and is kept, unused, to publish again before any
    /// token request. Returns [`OAuth2Error::NotPublished`].
    ///
    /// # Panics
    ///
    /// With the hook's panic, once the credential is kept.
    pub(crate) fn not_published(
        mut self,
        mut pending: Pending,
        expected: u64,
        error: StoreError,
    ) -> OAuth2Error {
        let flight = std::mem::replace(&mut self.flight, 0);
        let shared = Arc::clone(&self.shared);
        let persisted = match &shared.config.hook {
            Some(hook) if !pending.hooked => {
                panic::catch_unwind(AssertUnwindSafe(|| (hook.0)(&pending.update)))
            }
            _ => Ok(()),
        };
        pending.hooked = persisted.is_ok();
        let now = self.now();
        let mut inner = shared.lock();
        // Documents made from the connection carry the new refresh token: the old one is
        // spent.
        inner.latest = Some(pending.update.credential.clone());
        inner.unpublished = Some((pending, expected, error.clone()));
        inner.back_off(now);
        let failure = OAuth2Error::NotPublished(error);
        shared.land(inner, flight, Some(failure.clone()));
        if let Err(panic) = persisted {
            panic::resume_unwind(panic);
        }
        failure
    }
}
