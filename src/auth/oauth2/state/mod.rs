//! The token state shared by every clone of a connection: the hot read path, single-flight
//! refresh, waiting (blocking and async) and the persistence hook.
//!
//! * Hot path: one atomic load of a generation that changes only when the token does, one
//!   slot of a thread-local table holding this thread's copy of the pre-encoded token, and
//!   one clock read for the expiry check. No lock and no shared write, so threads do not
//!   contend on a cache line (not even a reference count).
//! * Everything else takes one mutex: at most once per token per thread, inside the expiry
//!   buffer, and around refreshes.
//!
//! Each thread keeps copies of up to [`THREAD_CACHE`] connections' encoded tokens, one slot
//! per connection id modulo that size, until a newer token or another connection replaces
//! it, so a token may outlive its connection in that table (as it does in any request that
//! carried it).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, HeaderValue};
use http::{HeaderMap, Request, Response, Uri};
use subtle::ConstantTimeEq as _;

use super::error::OAuth2Error;
use super::request::Client;
use super::response::{self, TokenResponse};
use super::time::format_rfc3339;
use crate::auth::api_key::sensitive_header;
use crate::auth::{ApiKey, Authenticator as _, OutgoingRequest};
use crate::clock::Clock;
use crate::error::AuthError;
use crate::model::{ApiKeyScheme, OAuth2TokenCredential};
use crate::secret::Secret;

mod replicas;

/// The persistence hook: called with every new credential before its token is used.
#[derive(Clone)]
pub(crate) struct TokenHook(pub(crate) Arc<dyn Fn(&TokenUpdate) + Send + Sync>);

impl fmt::Debug for TokenHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHook")
    }
}

/// A credential change a host must persist: a new access token, and the refresh token to
/// keep (rotated or not).
///
/// Given to the hook set with [`crate::LiveConnectionBuilder::on_token_update`] before the
/// new token is used, and returned by [`TokenRefresh::complete`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenUpdate {
    /// The position of the OAuth 2.0 credential in the connection's `credentials`.
    pub credential_index: usize,
    /// The new `oauth2-token` credential. Store it in place of an `oauth2-code` or
    /// `oauth2-token` credential; beside an `oauth2-client` or `oauth2-password` one it is
    /// a cache.
    pub credential: OAuth2TokenCredential,
}

/// Connection ids, which pick a connection's slot in each thread's table.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Generations, unique across connections so that a slot's copy matches only the connection
/// and token it was made from; 0 is never one.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// How many connections' tokens each thread keeps a copy of.
const THREAD_CACHE: usize = 16;

/// One thread's copy of a token, so applying it writes only memory this thread owns.
struct Cached {
    generation: u64,
    /// When the token is due, in whole seconds since the Unix epoch rounded down (so the
    /// copy is dropped up to a second early); [`NEVER`] for a token without expiry.
    refresh_at: u64,
    apply: Apply,
}

/// The `refresh_at` of a token that is used until a 401 is reported.
const NEVER: u64 = u64::MAX;

/// How long a still-valid token is used after a failed refresh before the next token
/// request: short enough for several tries inside the default 60 s buffer, long enough
/// that an outage does not get a token request from every call.
const RETRY_DELAY: Duration = Duration::from_secs(5);
/// The wait before the next token request after one failed with no valid token to go on
/// with; it doubles with each failure in a row, up to [`MAX_BACK_OFF`].
const MIN_BACK_OFF: Duration = Duration::from_secs(1);
/// The longest back-off after failed token requests (a server's `Retry-After` may ask for
/// longer, up to an hour).
const MAX_BACK_OFF: Duration = Duration::from_secs(60);

/// How a token is put on a request.
enum Apply {
    /// `Authorization: Bearer <token>`, pre-built: the insert the hand-written baseline does.
    Bearer(HeaderValue),
    /// A vendor header or a query parameter, as an `api-key` scheme puts it.
    Other(ApiKey),
}

impl Apply {
    fn new(placement: &ApiKeyScheme, token: &Secret) -> Result<Self, AuthError> {
        let unusable = |_| AuthError::UnsupportedHeader {
            reason: "the access token cannot be sent in this placement",
        };
        let api_key = ApiKey::new(placement, token).map_err(unusable)?;
        if !is_bearer(placement) {
            return Ok(Self::Other(api_key));
        }
        let value = zeroize::Zeroizing::new(format!("Bearer {}", token.expose_secret()));
        sensitive_header(value.as_bytes())
            .map(Self::Bearer)
            .map_err(unusable)
    }

    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        match self {
            Self::Bearer(value) => {
                crate::auth::set_header(request.headers_mut(), AUTHORIZATION, value.clone())
            }
            Self::Other(api_key) => api_key.authorize(request),
        }
    }

    /// Inserts the token's header; `false` when it goes in the query instead.
    #[inline]
    fn insert_header(&self, headers: &mut HeaderMap) -> bool {
        match self {
            // The constant name lets the compiler fold the header's hash away.
            Self::Bearer(value) => headers.try_insert(AUTHORIZATION, value.clone()).is_ok(),
            Self::Other(api_key) => api_key.insert_header(headers),
        }
    }
}

/// Whether tokens go in `Authorization: Bearer`: the placement has the `Bearer {key}`
/// template (see [`super::placement`]).
fn is_bearer(placement: &ApiKeyScheme) -> bool {
    placement.value_template.is_some()
}

thread_local! {
    static CACHE: RefCell<[Option<Cached>; THREAD_CACHE]> =
        const { RefCell::new([const { None }; THREAD_CACHE]) };
}

/// What gets a new token when the current one is due.
pub(crate) enum Primary {
    /// Only the refresh token (and a code, until it is exchanged).
    None,
    /// `client_credentials` (§4.4).
    ClientCredentials { scope: Option<String> },
    /// `password` (§4.3).
    Password {
        username: String,
        password: Secret,
        scope: Option<String>,
    },
}

/// An authorization code waiting to be exchanged (§4.1.3, RFC 7636 §4.5).
pub(crate) struct Code {
    pub(crate) code: Secret,
    pub(crate) redirect_url: Option<String>,
    pub(crate) verifier: Option<Secret>,
}

/// The grant parameters that carry secrets, kept out of any error (with the client secret
/// and the additional token parameters' values, see [`Client::extra_secrets`]).
const SECRET_PARAMS: [&str; 4] = ["code", "code_verifier", "refresh_token", "password"];

/// The grant of the next token request and its parameters: the code until it is
/// exchanged, then the refresh token (unless refused), then the primary grant. `None` when
/// there is nothing to get a token with.
fn next_grant<'a>(
    inner: &'a Inner,
    primary: &'a Primary,
) -> Option<(Used, Vec<(&'static str, &'a str)>)> {
    if let Some(code) = &inner.code {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code.code.expose_secret()),
        ];
        params.extend(code.redirect_url.as_deref().map(|r| ("redirect_uri", r)));
        params.extend(
            code.verifier
                .as_ref()
                .map(|v| ("code_verifier", v.expose_secret())),
        );
        return Some((Used::Code, params));
    }
    if let Some(refresh_token) = inner
        .refresh_token
        .as_ref()
        .filter(|_| !inner.refresh_refused)
    {
        let params = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        return Some((Used::Refresh, params));
    }
    let (mut params, scope) = match primary {
        Primary::None => return None,
        Primary::ClientCredentials { scope } => (vec![("grant_type", "client_credentials")], scope),
        Primary::Password {
            username,
            password,
            scope,
        } => (
            vec![
                ("grant_type", "password"),
                ("username", username.as_str()),
                ("password", password.expose_secret()),
            ],
            scope,
        ),
    };
    params.extend(scope.as_deref().map(|s| ("scope", s)));
    Some((Used::Primary, params))
}

/// Which grant a flight uses, for what a failure means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Used {
    Code,
    Refresh,
    Primary,
}

/// A token as held: the secret, when it expires and is due, and its scopes.
struct Token {
    access_token: Secret,
    expires_at: Option<SystemTime>,
    refresh_at: Option<SystemTime>,
    scopes: Vec<String>,
}

impl Token {
    /// A token as a credential stores it: due `buffer` before it expires (its lifetime is
    /// not known, unlike a received one's, see [`Shared::token`]).
    fn stored(
        access_token: Secret,
        expires_at: Option<SystemTime>,
        scopes: Vec<String>,
        buffer: Duration,
    ) -> Self {
        Self {
            access_token,
            refresh_at: expires_at.map(|at| at.checked_sub(buffer).unwrap_or(at)),
            expires_at,
            scopes,
        }
    }
}

/// The immutable configuration and the mutable state.
pub(crate) struct Shared {
    /// This connection's slot in each thread's table.
    slot: usize,
    generation: AtomicU64,
    config: Config,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    token: Option<Token>,
    refresh_token: Option<Secret>,
    code: Option<Code>,
    /// The caller reported a 401 for the current token.
    stale: bool,
    /// The refresh token was refused; use the primary grant.
    refresh_refused: bool,
    /// Why no token can be had without the user (a refused code, or nothing to refresh
    /// with).
    reconnect: Option<OAuth2Error>,
    in_flight: Option<u64>,
    flights: u64,
    /// The failure of the last failed flight, for its waiters.
    failed: Option<(u64, OAuth2Error)>,
    /// After a refresh failed while the token was still usable: the token is not due again
    /// before this (nor after it expires).
    retry_at: Option<SystemTime>,
    /// Token requests that failed in a row (no answer, or an answer that was no token),
    /// for the back-off.
    failures: u32,
    /// No token request before this: the back-off after a failed one, or the server's
    /// `Retry-After`.
    not_before: Option<SystemTime>,
    /// The status of the answer whose `Retry-After` set `not_before`, if one did.
    not_before_status: Option<u16>,
    wakers: Vec<Waker>,
    /// The credential of the last token received, as given to the hook (even if the hook
    /// panicked on it).
    latest: Option<OAuth2TokenCredential>,
    /// A token whose hook call panicked, to offer the hook again (see [`Shared::install`]).
    pending: Option<Pending>,
    /// The current credential's `responseValues`.
    response_values: BTreeMap<String, Secret>,
    /// The token store's version of the current credential: 0 when it did not come from
    /// the store (nor went to it).
    store_version: u64,
    /// A received credential the token store did not take (it could not be reached): kept,
    /// unused, and published before any other token request, with the version it
    /// replaces and the store's error.
    unpublished: Option<(Pending, u64, super::StoreError)>,
}

impl Inner {
    fn due(&self, now: SystemTime) -> bool {
        self.token.is_none() || self.stale || self.due_at().is_some_and(|at| now >= at)
    }

    /// When the token becomes due, unless a 401 is reported first: its `refresh_at`, or
    /// the retry time after a failed refresh; with a credential the hook has not accepted
    /// yet, the retry time (at once without one). `None` for no token, or one without
    /// expiry.
    fn due_at(&self) -> Option<SystemTime> {
        let token = self.token.as_ref()?;
        if self.pending.is_some() || self.unpublished.is_some() {
            return Some(self.retry_at.unwrap_or(UNIX_EPOCH));
        }
        let refresh_at = token.refresh_at?;
        Some(
            self.retry_at
                .map_or(refresh_at, |retry_at| retry_at.max(refresh_at)),
        )
    }

    /// After a failed refresh: keeps a token that is still usable in use until
    /// [`RETRY_DELAY`] has passed or it expires, so that an outage neither fails requests
    /// the token can still authorize nor sends a token request with every one.
    fn back_off(&mut self, now: SystemTime) {
        let Some(token) = self.usable(now) else {
            return;
        };
        let retry_at = now.checked_add(RETRY_DELAY).unwrap_or(now);
        let retry_at = self.not_before.map_or(retry_at, |at| at.max(retry_at));
        self.retry_at = Some(token.expires_at.map_or(retry_at, |at| at.min(retry_at)));
    }

    /// After a token request failed (unanswered, or answered without a token, but not so
    /// that the user must reconnect): no token request before the back-off, doubling from
    /// [`MIN_BACK_OFF`] to [`MAX_BACK_OFF`] with each failure in a row, nor before the
    /// server's `Retry-After`. Every caller of the connection shares it.
    ///
    /// While the current token is still usable the back-off is [`back_off`](Self::back_off)'s
    /// (a retry delay the token covers); only the server's `Retry-After` holds then.
    fn failed_request(&mut self, now: SystemTime, error: Option<&OAuth2Error>) {
        let mut at = now;
        if self.usable(now).is_none() {
            self.failures = self.failures.saturating_add(1);
            let doubled = MIN_BACK_OFF.saturating_mul(1 << (self.failures - 1).min(16));
            at = now.checked_add(doubled.min(MAX_BACK_OFF)).unwrap_or(now);
        }
        self.not_before_status = None;
        if let Some(OAuth2Error::RetryAfter { status, retry_at }) = error
            && *retry_at >= at
        {
            at = *retry_at;
            self.not_before_status = Some(*status);
        }
        self.not_before = Some(at);
    }

    /// The error for a token request wanted before `not_before`, when there is no usable
    /// token to go on with.
    fn held_back(&self, now: SystemTime) -> Option<OAuth2Error> {
        let retry_at = self.not_before.filter(|at| now < *at)?;
        if self.usable(now).is_some() {
            return None;
        }
        Some(match self.not_before_status {
            Some(status) => OAuth2Error::RetryAfter { status, retry_at },
            None => OAuth2Error::BackingOff { retry_at },
        })
    }

    /// Makes a received token and the refresh token to keep the connection's, `credential`
    /// being both as a host stores them: whatever was due, refused or failed is over.
    fn receive(
        &mut self,
        token: Option<Token>,
        refresh_token: Option<Secret>,
        credential: &OAuth2TokenCredential,
    ) {
        self.token = token;
        self.refresh_token = refresh_token;
        self.response_values = credential.response_values.clone();
        self.latest = Some(credential.clone());
        self.code = None;
        self.stale = false;
        self.refresh_refused = false;
        self.retry_at = None;
        self.failures = 0;
        self.not_before = None;
        self.not_before_status = None;
    }

    fn usable(&self, now: SystemTime) -> Option<&Token> {
        self.token
            .as_ref()
            .filter(|t| !self.stale && t.expires_at.is_none_or(|at| now < at))
    }
}

/// What a connection's token state is built from.
pub(crate) struct Config {
    pub(crate) placement: ApiKeyScheme,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) buffer: Duration,
    pub(crate) client: Client,
    pub(crate) primary: Primary,
    pub(crate) hook: Option<TokenHook>,
    /// The token store shared with other replicas, if any.
    pub(crate) store: Option<super::coordinate::StoreLink>,
    pub(crate) credential_index: usize,
}

/// The initial state of a connection.
pub(crate) struct Initial {
    pub(crate) access_token: Option<(Secret, Option<SystemTime>, Vec<String>)>,
    pub(crate) refresh_token: Option<Secret>,
    pub(crate) code: Option<Code>,
    /// The stored credential's `responseValues`.
    pub(crate) response_values: BTreeMap<String, Secret>,
}

/// How a caller gets on with a token.
#[derive(Debug)]
// Short-lived and returned once per refresh: boxing the request would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[must_use]
pub enum TokenStep {
    /// The token is valid (or a refresh is under way, or failed less than 5 s ago, and the
    /// old token is still valid): authorize.
    Ready,
    /// Send [`TokenRefresh::request`] and give the response to [`TokenRefresh::complete`].
    Send(TokenRefresh),
    /// Another caller is getting the token: wait for it, then authorize.
    Wait(TokenWait),
}

impl Shared {
    pub(crate) fn new(config: Config, initial: Initial) -> Self {
        let token = initial
            .access_token
            .map(|(access_token, expires_at, scopes)| {
                Token::stored(access_token, expires_at, scopes, config.buffer)
            });
        Self {
            // The remainder is below THREAD_CACHE, so it fits a usize.
            slot: (NEXT_ID.fetch_add(1, Ordering::Relaxed) % THREAD_CACHE as u64) as usize,
            generation: AtomicU64::new(NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)),
            config,
            inner: Mutex::new(Inner {
                token,
                refresh_token: initial.refresh_token,
                code: initial.code,
                response_values: initial.response_values,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code runs under this lock that can leave the state half-changed.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The credential of the last token this connection received, if it received one, with
    /// its position in the connection's `credentials`.
    pub(crate) fn latest(&self) -> Option<(usize, OAuth2TokenCredential)> {
        let latest = self.lock().latest.clone()?;
        Some((self.config.credential_index, latest))
    }

    /// Takes `credential`, which another connection built from the same document received
    /// (one a registry has replaced, whose holders may still refresh it), as this one's
    /// token: a rotated refresh token must reach the connection the registry serves.
    pub(crate) fn adopt(&self, credential: &OAuth2TokenCredential) {
        let expires_at = credential
            .expires_at
            .as_deref()
            .and_then(|at| super::time::parse_expires_at(at).ok().flatten());
        let token = (!credential.access_token.is_empty()).then(|| {
            Token::stored(
                credential.access_token.clone(),
                expires_at,
                credential.scopes.clone(),
                self.config.buffer,
            )
        });
        let mut inner = self.lock();
        let refresh_token = (credential.refresh_token.clone())
            .filter(|t| !t.is_empty())
            .or_else(|| inner.refresh_token.take());
        inner.receive(token, refresh_token, credential);
        self.changed(&mut inner);
    }

    /// Takes a new generation so every thread-local copy is read again.
    fn changed(&self, _inner: &mut Inner) {
        let generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Release);
    }

    /// Runs `f` on this thread's copy of the token, if it has a current one that is not yet
    /// due; `None` sends the caller to the slow path.
    #[inline]
    fn with_cached<R>(&self, f: impl FnOnce(&Apply) -> R) -> Option<R> {
        let generation = self.generation.load(Ordering::Acquire);
        // `try_with`: during thread teardown the table is gone and the slow path serves.
        CACHE
            .try_with(|cache| {
                let cache = cache.try_borrow().ok()?;
                let entry = cache[self.slot].as_ref()?;
                let fresh = entry.generation == generation
                    && (entry.refresh_at == NEVER
                        || self.config.clock.unix_seconds() < entry.refresh_at);
                fresh.then(|| f(&entry.apply))
            })
            .ok()
            .flatten()
    }

    /// Inserts the token's header from this thread's copy, without dispatching on the
    /// request type. `false` when the full [`authorize`](Self::authorize) must run: no
    /// current copy, the token is due, or it goes in the query.
    #[inline]
    pub(crate) fn insert_cached(&self, headers: &mut HeaderMap) -> bool {
        self.with_cached(|apply| apply.insert_header(headers))
            .unwrap_or(false)
    }

    /// Puts the token on `request`.
    pub(crate) fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        match self.with_cached(|apply| apply.authorize(request)) {
            Some(outcome) => outcome,
            None => self.authorize_slow(request),
        }
    }

    fn authorize_slow(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        let inner = self.lock();
        if inner.reconnect.is_some() {
            return Err(AuthError::ReconnectNeeded);
        }
        let now = self.config.clock.now();
        let due = inner.due(now);
        let token = match inner.usable(now) {
            Some(token) if !due || inner.in_flight.is_some() => token,
            // Nothing to send a token request with (no code, refresh token or grant): only
            // the user can help.
            _ if inner.pending.is_none()
                && inner.unpublished.is_none()
                && inner.in_flight.is_none()
                && next_grant(&inner, &self.config.primary).is_none() =>
            {
                return Err(AuthError::ReconnectNeeded);
            }
            _ => return Err(AuthError::TokenRefreshNeeded),
        };
        let apply = Apply::new(&self.config.placement, &token.access_token)?;
        apply.authorize(request)?;
        if !due {
            // The copy must go at the retry time as well, not only at `refresh_at`.
            let entry = Cached {
                generation: self.generation.load(Ordering::Acquire),
                refresh_at: inner.due_at().map_or(NEVER, |at| {
                    at.duration_since(UNIX_EPOCH)
                        .map_or(0, |since| since.as_secs())
                }),
                apply,
            };
            let _ = CACHE.try_with(|cache| {
                if let Ok(mut cache) = cache.try_borrow_mut() {
                    cache[self.slot] = Some(entry);
                }
            });
        }
        Ok(())
    }

    /// Marks the current token refused if `request` carries it. `true` if it did.
    pub(crate) fn report_unauthorized(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let mut inner = self.lock();
        let Some(token) = inner.token.as_ref() else {
            return false;
        };
        if inner.stale || !self.carries(headers, uri, token.access_token.expose_secret()) {
            return false;
        }
        inner.stale = true;
        self.changed(&mut inner);
        true
    }

    /// Whether `headers`/`uri` carry `token` where this connection puts it.
    fn carries(&self, headers: &HeaderMap, uri: &Uri, token: &str) -> bool {
        let scheme = &self.config.placement;
        if scheme.location == crate::model::KeyLocation::Query {
            return uri.query().is_some_and(|query| {
                url::form_urlencoded::parse(query.as_bytes()).any(|(n, v)| {
                    n == scheme.name.as_str() && bool::from(v.as_bytes().ct_eq(token.as_bytes()))
                })
            });
        }
        let prefix = if is_bearer(scheme) { "Bearer " } else { "" };
        headers.get_all(scheme.name.as_str()).iter().any(|value| {
            let value = value.as_bytes();
            value.len() == prefix.len() + token.len()
                && value[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
                && bool::from(value[prefix.len()..].ct_eq(token.as_bytes()))
        })
    }

    /// Decides what the caller does next.
    pub(crate) fn step(self: &Arc<Self>) -> Result<TokenStep, OAuth2Error> {
        let mut inner = self.lock();
        if let Some(reason) = &inner.reconnect {
            return Err(reason.clone());
        }
        let now = self.config.clock.now();
        if !inner.due(now) {
            return Ok(TokenStep::Ready);
        }
        if let Some(flight) = inner.in_flight {
            return Ok(if inner.usable(now).is_some() {
                TokenStep::Ready
            } else {
                TokenStep::Wait(TokenWait {
                    shared: Arc::clone(self),
                    flight,
                })
            });
        }
        // A received token the hook has not accepted comes before any token request: the
        // request would send a refresh token or code the server has already spent.
        if let Some(pending) = inner.pending.take() {
            inner.flights += 1;
            let flight = inner.flights;
            inner.in_flight = Some(flight);
            drop(inner);
            self.install(pending, flight, None);
            return Ok(TokenStep::Ready);
        }
        // Only the token store path publishes it (see `coordinate`); a token request now
        // would send a refresh token the server has already rotated.
        if let Some((_, _, error)) = &inner.unpublished {
            return Err(OAuth2Error::NotPublished(error.clone()));
        }
        if let Some(error) = inner.held_back(now) {
            return Err(error);
        }
        inner.flights += 1;
        let flight = inner.flights;
        match self.token_request(&inner, flight) {
            Some(refresh) => {
                inner.in_flight = Some(flight);
                Ok(TokenStep::Send(refresh))
            }
            None => {
                inner.reconnect = Some(OAuth2Error::NoRefreshToken);
                self.changed(&mut inner);
                Err(OAuth2Error::NoRefreshToken)
            }
        }
    }

    /// The token request of `flight` for the state in `inner`; `None` when there is
    /// nothing to get a token with.
    fn token_request(self: &Arc<Self>, inner: &Inner, flight: u64) -> Option<TokenRefresh> {
        let (used, params) = next_grant(inner, &self.config.primary)?;
        let request = self
            .config
            .client
            .token_request(&params, used == Used::Refresh);
        // Every form a secret takes on the wire, so that no error can echo it: as given,
        // form- and percent-encoded, and the Basic header's base64.
        let raw: Vec<&str> = params
            .iter()
            .filter(|(name, _)| SECRET_PARAMS.contains(name))
            .map(|(_, value)| *value)
            .chain(self.config.client.secret())
            .chain(self.config.client.extra_secrets())
            .collect();
        let basic = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "));
        let secrets = raw
            .iter()
            .flat_map(|secret| {
                [
                    (*secret).to_owned(),
                    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
                    crate::encoding::encode(secret),
                ]
            })
            .chain(basic.map(str::to_owned))
            .map(Secret::new)
            .collect();
        let sent_refresh_token = (used == Used::Refresh)
            .then(|| inner.refresh_token.clone())
            .flatten();
        Some(TokenRefresh {
            shared: Arc::clone(self),
            flight,
            used,
            request,
            secrets,
            sent_refresh_token,
        })
    }

    /// Ends `flight`: records a failure for its waiters and wakes them.
    fn land(&self, mut inner: MutexGuard<'_, Inner>, flight: u64, failure: Option<OAuth2Error>) {
        if inner.in_flight != Some(flight) {
            return;
        }
        inner.in_flight = None;
        if let Some(failure) = failure {
            inner.failed = Some((flight, failure));
        }
        self.changed(&mut inner);
        let wakers = std::mem::take(&mut inner.wakers);
        drop(inner);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// `None` while `flight` is under way; then its failure, or `Ok` (success or
    /// abandonment: try again).
    fn outcome(inner: &Inner, flight: u64) -> Option<Result<(), OAuth2Error>> {
        if inner.in_flight == Some(flight) {
            return None;
        }
        Some(match &inner.failed {
            Some((failed, error)) if *failed == flight => Err(error.clone()),
            _ => Ok(()),
        })
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2State")
            .field("placement", &self.config.placement.location)
            .field("generation", &self.generation.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The token request this caller must send: the one request of a single flight. Every
/// other caller waits for it (or keeps using the old token while it is still valid).
///
/// Send [`request`](Self::request) **without following redirects**, and hand 4xx and 5xx
/// answers to [`complete`](Self::complete) as responses: a 3xx fails with
/// [`OAuth2Error::Redirected`].
///
/// Dropping it without [`complete`](Self::complete) (the send failed, or the future was
/// cancelled) ends the flight, and a waiting caller takes over. It counts as a failed token
/// request: as after a failed `complete`, a current token that is still valid (not
/// expired, no 401 reported) stays in use, and the next token request waits 5 s or until
/// it expires, whichever comes first; with no valid token, the next token request waits
/// 1 s, doubling with each failure in a row up to 60 s ([`OAuth2Error::BackingOff`]).
#[must_use = "dropping a TokenRefresh abandons the refresh"]
pub struct TokenRefresh {
    shared: Arc<Shared>,
    flight: u64,
    used: Used,
    request: Request<Vec<u8>>,
    secrets: Vec<Secret>,
    /// The refresh token the request sends, if it sends one.
    sent_refresh_token: Option<Secret>,
}

impl TokenRefresh {
    /// The token request: `POST` to the token (or refresh) URL with
    /// `Accept: application/json`. Its body and `Authorization` header hold secrets: do
    /// not log them. Send it **without following redirects** (a client that follows a 307
    /// or 308 would resend the secrets to the new location; a 3xx handed back fails with
    /// [`OAuth2Error::Redirected`]), and hand 4xx and 5xx answers back as responses, not
    /// as your client's errors: only the 400 tells a refused grant from an outage.
    pub fn request(&self) -> &Request<Vec<u8>> {
        &self.request
    }

    /// Reads the token endpoint's `response`. On success the new credential (with the new
    /// refresh token, or the old one when the response has none) goes to the persistence
    /// hook, then becomes the connection's token, and is returned. `expires_at` counts from
    /// now, when the response arrived.
    ///
    /// # Errors
    ///
    /// [`OAuth2Error`] for an error response or an unusable body (a 3xx is
    /// [`OAuth2Error::Redirected`]; a 429 or 503 with `Retry-After` is
    /// [`OAuth2Error::RetryAfter`], and no token request is sent before that time). The
    /// previous credential is kept, except as follows. An error answering the exchange of
    /// an authorization code, even with a 200, spends the code
    /// ([`OAuth2Error::CodeRefused`], see there): it is never sent again, and the user must
    /// reconnect. After [`OAuth2Error::InvalidGrant`] for an
    /// authorization code, for a refresh token without another grant, or for the
    /// client-credentials or password grant itself, the connection needs the user to
    /// reconnect. After `InvalidGrant` for a refresh token beside a client-credentials or
    /// password grant, the refresh token is dropped and that grant takes over. After that
    /// and any other failure, a current token that is still valid (not expired, no 401
    /// reported) stays in use: [`authorize`](crate::LiveConnection::authorize) succeeds
    /// with it, and it is not due again for 5 s or until it expires, whichever comes first.
    ///
    /// # Panics
    ///
    /// With the persistence hook's panic, if it panics. The new credential is then kept,
    /// unused, and offered to the hook again by the next
    /// [`token_step`](crate::LiveConnection::token_step) (before any token request, since
    /// the server may have revoked the old refresh token); its token is used once the hook
    /// returns normally. A current token that is still valid stays in use until then (5 s,
    /// as after a failed refresh); callers waiting for this refresh, which had none, are
    /// released with [`OAuth2Error::HookPanicked`]. Documents made
    /// from the connection (a registry's export) already hold it, so that the refresh
    /// token it replaces, which the server may have revoked, is not stored again.
    ///
    /// # Example
    ///
    /// See [`LiveConnection::token_step`](crate::LiveConnection::token_step).
    pub fn complete(self, response: Response<Vec<u8>>) -> Result<TokenUpdate, OAuth2Error> {
        match self.receive(&response) {
            Ok(pending) => Ok(self.install(pending, None)),
            Err(error) => Err(self.fail(error)),
        }
    }

    /// The credential in the token endpoint's `response`, not yet installed: nothing
    /// changes.
    pub(crate) fn receive(&self, response: &Response<Vec<u8>>) -> Result<Pending, OAuth2Error> {
        let shared = &self.shared;
        let received_at = shared.config.clock.now();
        let sent: Vec<&str> = self.secrets.iter().map(Secret::expose_secret).collect();
        let separator = shared.config.client.scope_separator;
        let parsed = response::parse(
            response,
            &sent,
            separator,
            &shared.config.client.response,
            received_at,
        )
        .and_then(|parsed| {
            ApiKey::new(&shared.config.placement, &parsed.access_token)
                .map(|_| parsed)
                .map_err(|_| OAuth2Error::Unparseable {
                    status: response.status().as_u16(),
                    reason: "the access token cannot be sent in an HTTP header or query",
                })
        })
        .map_err(|error| spent_code(self.used, error))?;
        let (refresh_token, previous_scopes, response_values) = {
            let inner = shared.lock();
            // Values a refresh answer leaves out (Slack's team id) are kept.
            let mut values = inner.response_values.clone();
            values.extend(parsed.values.clone());
            let scopes = inner.token.as_ref().map(|t| t.scopes.clone());
            // A response without a refresh token keeps the one we have.
            let refresh_token = parsed
                .refresh_token
                .clone()
                .or_else(|| inner.refresh_token.clone());
            (refresh_token, scopes.unwrap_or_default(), values)
        };
        let token_type = parsed.token_type.clone();
        let token = shared.token(parsed, received_at, previous_scopes);
        let update = TokenUpdate {
            credential_index: shared.config.credential_index,
            credential: OAuth2TokenCredential {
                access_token: token.access_token.clone(),
                refresh_token: refresh_token.clone(),
                expires_at: token.expires_at.map(format_rfc3339),
                scopes: token.scopes.clone(),
                token_type,
                response_values,
            },
        };
        Ok(Pending {
            token,
            refresh_token,
            update,
            hooked: false,
        })
    }

    /// Ends the flight with `error`, the token endpoint's answer (see
    /// [`complete`](Self::complete) for what each means), and returns it.
    pub(crate) fn fail(mut self, error: OAuth2Error) -> OAuth2Error {
        let shared = Arc::clone(&self.shared);
        let received_at = shared.config.clock.now();
        let mut inner = shared.lock();
        if matches!(
            error,
            OAuth2Error::InvalidGrant { .. } | OAuth2Error::CodeRefused { .. }
        ) {
            match self.used {
                Used::Code => {
                    inner.code = None;
                    inner.reconnect = Some(error.clone());
                }
                Used::Refresh if !matches!(shared.config.primary, Primary::None) => {
                    // The refused refresh token is dead: never send or store it again; the
                    // primary grant takes over, so waiters go on to it rather than fail,
                    // and a token still valid stays in use meanwhile.
                    inner.refresh_token = None;
                    inner.refresh_refused = true;
                    inner.back_off(received_at);
                    shared.land(inner, self.flight, None);
                    self.flight = 0;
                    return error;
                }
                Used::Refresh | Used::Primary => inner.reconnect = Some(error.clone()),
            }
        } else {
            inner.failed_request(received_at, Some(&error));
            inner.back_off(received_at);
        }
        shared.land(inner, self.flight, Some(error.clone()));
        self.flight = 0;
        error
    }

    /// Offers `pending` to the persistence hook (unless it had it), makes it the
    /// connection's token (at `store_version` in the token store, if it was published), and
    /// ends the flight. See [`Shared::install`].
    pub(crate) fn install(mut self, pending: Pending, store_version: Option<u64>) -> TokenUpdate {
        // The flight is `install`'s to end now, even if the hook panics.
        let flight = std::mem::replace(&mut self.flight, 0);
        self.shared.install(pending, flight, store_version)
    }
}

/// `error` as it ends a code exchange: any error the server answered the code with, other
/// than a server-side failure, rate limiting or `invalid_client` (a configuration fault the
/// code is not to blame for), means the code is spent (RFC 6749 §4.1.2: it can be used
/// once), including an error in a `200 OK` (GitHub's `bad_verification_code`, Slack's
/// `ok: false`).
fn spent_code(used: Used, error: OAuth2Error) -> OAuth2Error {
    match error {
        OAuth2Error::Server {
            code,
            description,
            status,
        } if used == Used::Code
            && status < 500
            && status != 429
            && code != "temporarily_unavailable"
            && code != "slow_down" =>
        {
            OAuth2Error::CodeRefused {
                code,
                description,
                status,
            }
        }
        other => other,
    }
}

/// A token received but not yet accepted by the persistence hook, or not yet published to
/// the token store.
pub(crate) struct Pending {
    token: Token,
    refresh_token: Option<Secret>,
    update: TokenUpdate,
    /// The persistence hook returned normally on it.
    hooked: bool,
}

impl Shared {
    /// Offers `pending` to the persistence hook, then makes it the connection's token, and
    /// ends `flight`.
    ///
    /// If the hook panics, the credential is kept pending rather than dropped (a rotating
    /// server has already revoked the refresh token the connection holds, and any code is
    /// spent), the flight ends so that no waiter hangs, and the panic goes on to the
    /// caller; the next [`step`](Self::step) offers the credential to the hook again. Its
    /// token is not used before the hook has returned normally.
    fn install(&self, pending: Pending, flight: u64, store_version: Option<u64>) -> TokenUpdate {
        let persisted = match &self.config.hook {
            // Nothing of ours is inside the closure: the state it could break is the
            // host's, and the lock is not held.
            Some(hook) if !pending.hooked => {
                panic::catch_unwind(AssertUnwindSafe(|| (hook.0)(&pending.update)))
            }
            _ => Ok(()),
        };
        let now = self.config.clock.now();
        let mut inner = self.lock();
        if let Some(version) = store_version {
            // The store has it at this version already, whatever the hook does.
            inner.store_version = version;
        }
        if let Err(panic) = persisted {
            // Documents made from this connection (a registry's export, a connection moved
            // to another scheme) must not go back to the revoked refresh token either.
            inner.latest = Some(pending.update.credential.clone());
            inner.pending = Some(pending);
            // As after a failed refresh, a token still valid stays in use until the
            // credential is offered again; waiters with none are told why.
            inner.back_off(now);
            self.land(inner, flight, Some(OAuth2Error::HookPanicked));
            panic::resume_unwind(panic);
        }
        let Pending {
            token,
            refresh_token,
            update,
            hooked: _,
        } = pending;
        inner.receive(Some(token), refresh_token, &update.credential);
        self.land(inner, flight, None);
        update
    }
}

impl Shared {
    /// The token of `parsed`, received at `at` (keeping `previous_scopes` when the response
    /// names none). It is due `buffer` before it expires, or halfway through a lifetime
    /// shorter than twice the buffer.
    fn token(&self, parsed: TokenResponse, at: SystemTime, previous_scopes: Vec<String>) -> Token {
        // A longer lifetime than a century would write an `expiresAt` past year 9999, which
        // RFC 3339 cannot hold and the stored credential could not be read back from.
        const MAX_LIFETIME_SECS: u64 = 100 * 365 * 86_400;
        let lifetime = parsed
            .expires_in
            .map(|seconds| Duration::from_secs(seconds.min(MAX_LIFETIME_SECS)));
        let expires_at = lifetime.and_then(|l| at.checked_add(l));
        let refresh_at = lifetime
            .zip(expires_at)
            .map(|(lifetime, expires_at)| expires_at - self.config.buffer.min(lifetime / 2));
        Token {
            access_token: parsed.access_token,
            expires_at,
            refresh_at,
            scopes: parsed.scopes.unwrap_or(previous_scopes),
        }
    }
}

impl Drop for TokenRefresh {
    fn drop(&mut self) {
        if self.flight != 0 {
            // Most often the caller could not reach the token endpoint: an outage like any
            // other failed refresh.
            let now = self.shared.config.clock.now();
            let mut inner = self.shared.lock();
            inner.failed_request(now, None);
            inner.back_off(now);
            self.shared.land(inner, self.flight, None);
        }
    }
}

impl fmt::Debug for TokenRefresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRefresh")
            .field("flight", &self.flight)
            // The path only: with `tokenParamsLocation: query` the query holds secrets.
            .field("path", &self.request().uri().path())
            .finish_non_exhaustive()
    }
}

/// Waiting for another caller's token request to finish. (Never wait while holding a
/// [`TokenRefresh`] of the same connection: the wait would be for yourself.)
#[derive(Debug)]
#[must_use]
pub struct TokenWait {
    shared: Arc<Shared>,
    flight: u64,
}

impl TokenWait {
    /// Blocks this thread until the other caller's refresh ends.
    ///
    /// # Errors
    ///
    /// The [`OAuth2Error`] that refresh failed with. `Ok` when it succeeded, or was
    /// abandoned (then the next step sends a new request).
    ///
    /// # Example
    ///
    /// See [`LiveConnection::token_step`](crate::LiveConnection::token_step).
    pub fn wait(self) -> Result<(), OAuth2Error> {
        block_on(self)
    }
}

/// Wakes a thread parked in [`block_on`].
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on this thread, parking it while the future is pending: the
/// blocking wrappers are the async ones driven here, with no runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// Waits without blocking a thread, on any async runtime: the refresh wakes the task.
impl Future for TokenWait {
    type Output = Result<(), OAuth2Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.shared.lock();
        match Shared::outcome(&inner, self.flight) {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                if !inner.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    inner.wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}
