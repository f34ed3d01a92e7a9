//! `oauth2`: the sans-I/O OAuth 2.0 token lifecycle (RFC 6749, RFC 6750, RFC 7636).
//!
//! credgate never sends a token request itself. When a connection's token is missing,
//! inside its expiry buffer (60 s by default) or was reported refused with
//! [`LiveConnection::report_unauthorized`](crate::LiveConnection::report_unauthorized),
//! [`LiveConnection::authorize`](crate::LiveConnection::authorize) fails with
//! [`crate::AuthError::TokenRefreshNeeded`], and
//! [`LiveConnection::token_step`](crate::LiveConnection::token_step) hands out the token
//! request (an `http::Request<Vec<u8>>`) to send; [`TokenRefresh::complete`] takes the
//! `http::Response<Vec<u8>>` back. The wrappers
//! [`authorize_with`](crate::LiveConnection::authorize_with) and
//! [`authorize_with_async`](crate::LiveConnection::authorize_with_async) do the round trip
//! with your HTTP client in one line.
//!
//! **Send token requests without following redirects, and hand back 4xx and 5xx answers
//! as responses**, not as your client's errors: a client that follows a 307 or 308 resends
//! the client secret, code or refresh token to wherever the token endpoint points, and
//! credgate can only tell `invalid_grant` ("the user must reconnect") from an outage if it
//! sees the 400. A 3xx handed back fails with [`OAuth2Error::Redirected`]. With
//! reqwest, build the client with `redirect(reqwest::redirect::Policy::none())`; with ureq
//! 3, set `max_redirects(0)` and `http_status_as_error(false)`.
//!
//! * **Grants**: client credentials (`oauth2-client`), authorization code (build the
//!   authorize URL with [`AuthorizationRequest`], exchange the `oauth2-code` once),
//!   refresh token (`oauth2-token`, optional separate refresh URL), password
//!   (`oauth2-password`).
//! * **Single flight**: however many threads or tasks find the token due, one token
//!   request is issued; the others wait for it ([`TokenWait`] blocks or is a future, with
//!   no async runtime of its own), or keep using the old token while it is still valid.
//! * **No lost tokens**: every new credential reaches the persistence hook
//!   ([`LiveConnectionBuilder::on_token_update`](crate::LiveConnectionBuilder::on_token_update))
//!   and [`TokenRefresh::complete`]'s return value before its token is used; a response
//!   without a refresh token keeps the old one; a failed refresh changes nothing. If the
//!   hook panics, the credential is kept, unused, and offered to it again by the next
//!   token step, before any token request.
//! * **Outages**: when a refresh inside the expiry buffer fails (a 5xx, an unusable body,
//!   a token request that could not be sent), the current token, still valid, stays in
//!   use, and the next token request waits 5 s or until the token expires, whichever
//!   comes first. Only then does the failure reach requests. With no valid token, the
//!   next token request waits 1 s after a failure, doubling with each one in a row up to
//!   60 s ([`OAuth2Error::BackingOff`]); a 429 or 503 with
//!   `Retry-After` (seconds or an HTTP-date, read with the connection's clock) holds every
//!   token request back until then, an hour at most
//!   ([`OAuth2Error::RetryAfter`]). Every caller and copy
//!   of the connection shares the wait.
//! * **Endpoints** must be absolute `https` URLs; `http` is accepted only to a loopback
//!   host (`localhost`, `127.0.0.0/8`, `[::1]`), for development and tests.
//! * **Responses as they arrive**: the `Content-Type` decides the parser: JSON for
//!   `application/json`, `+json` types, `text/plain`, `text/javascript` or none; a form
//!   for `application/x-www-form-urlencoded` (GitHub's legacy answer); anything else, an
//!   HTML page above all, is never a token, and an error from it carries only the status.
//!   `expires_in` as a number or a string, `error` with status 200 (answering a code
//!   exchange, it spends the code: [`OAuth2Error::CodeRefused`],
//!   the user must reconnect), plain-text error codes, no `token_type`, no `expires_in` or
//!   one of 0 (the token is then used until a 401 is reported), a `scope` split with the
//!   scheme's `scopeSeparator` as well as spaces (GitHub and Shopify answer with commas).
//!   `expiresAt` may be before 1970; Go's zero time `0001-01-01T00:00:00Z` means no expiry
//!   is known.
//! * **Error text**: an `error_description` is scrubbed of every secret the request
//!   carried, also as servers echo it (form, percent, HTML and JSON escaping); a
//!   description echoing one in an encoded form, or holding a secret shorter than 8
//!   characters at all, is dropped whole rather than garbled.
//! * **mTLS** (`mtlsEnabled`) is up to the HTTP client that sends the token request.
//!
//! # Many replicas: the token store contract
//!
//! Single flight reaches across threads and tasks, not across processes: two replicas of a
//! service that each refresh the same connection present the same refresh token, and
//! against a server that rotates refresh tokens (single use: Xero, Intuit, Zoho,
//! Atlassian, ...) the second gets `invalid_grant` and the user must reconnect. Give every
//! replica's connection the same [`TokenStore`] (blocking) or [`AsyncTokenStore`] with
//! [`LiveConnectionBuilder::token_store`](crate::LiveConnectionBuilder::token_store) or
//! [`async_token_store`](crate::LiveConnectionBuilder::async_token_store), naming the row
//! with a [`TokenOwner`] (the same on every replica) in [`TokenStoreOptions`].
//!
//! **What a store keeps**: one row per owner: a [`StoredToken`] (the `oauth2-token`
//! credential, written with [`StoredToken::to_json_with_secrets`], and its version, a
//! `u64` that starts at 1 and grows by one with each publication; no row is version 0),
//! and a lease (holder id, expiry). **What each method owes**, each in one round trip:
//!
//! * [`read`](TokenStore::read): the row's credential and version as last published.
//! * [`try_lease`](TokenStore::try_lease)`(owner, holder, ttl, now)`: atomically, grants
//!   the lease until `now + ttl` if it is free, already `holder`'s, or expired at `now`
//!   (times are the connection's clock's: keep replicas' clocks in sync); otherwise
//!   answers [`Lease::HeldBy`] with the holder's expiry. Both answers carry the stored
//!   credential as of the same instant, so that a publication between a replica's read
//!   and its lease is never missed.
//! * [`publish`](TokenStore::publish)`(owner, expected, credential, holder)`: atomically,
//!   writes the credential with version `expected + 1` if the stored version is
//!   `expected` (0: no row), else writes nothing and answers
//!   [`Publication::Conflict`] with the stored credential; releases `holder`'s lease
//!   either way. The write is durable when it answers.
//! * [`release`](TokenStore::release): drops `holder`'s lease, if it has it.
//! * [`wait_for_change`](TokenStore::wait_for_change)`(owner, after, within)`: the stored
//!   credential once its version is above `after`, or `None` after `within` (or sooner).
//!   The blocking trait polls `read` by default; a store with notifications answers at
//!   once. A host that receives notifications itself can also push a credential into a
//!   connection with [`LiveConnection::offer_stored`](crate::LiveConnection::offer_stored).
//!
//! Errors are [`StoreError`]s, whose text must hold no secret.
//!
//! **What the connection does with it** (in
//! [`authorize_with`](crate::LiveConnection::authorize_with),
//! [`authorize_with_async`](crate::LiveConnection::authorize_with_async) and the adapters
//! built on them; [`token_step`](crate::LiveConnection::token_step) does not consult the
//! store):
//!
//! * A cached token that is not due makes **no store call**: the request path is the same
//!   as without a store.
//! * When the token is due (expiry buffer, a reported 401), one caller per process (single
//!   flight as before) reads the store: a newer version is taken, with no token request.
//!   Else it asks for the lease. Only the lease holder sends the token request; the
//!   others keep their token while it is still valid, or wait for the publication, no
//!   longer than the lease's time to live, and then take the lease over.
//! * A new credential is published (compare-and-swap on the version read) **before** its
//!   access token is used, and also goes to the persistence hook as before. A conflict
//!   means another replica published first: its credential is taken. A publication that
//!   fails is [`OAuth2Error::NotPublished`]: the credential is kept in the process, unused,
//!   and published again before any other token request.
//! * `invalid_grant` on a refresh token is checked against the store first: if the stored
//!   refresh token differs from the one sent, a sibling rotated it, and its credential is
//!   taken instead of asking the user to reconnect.
//! * A refresh costs at most three store round trips beyond the token request: read,
//!   lease, publish. A store that cannot be reached when no valid token is left is
//!   [`OAuth2Error::Store`], and the request is unchanged; with a valid token left, that
//!   token is used.
//!
//! **What no client can avoid**: a lease holder that dies after the authorization server
//! rotated the refresh token but before its answer reached the store (a crash, a lost
//! response) takes the new refresh token with it; the old one is spent. The next holder's
//! refresh then fails with `invalid_grant` and the user must reconnect. The lease keeps
//! this to one in-flight request, and publishing before use keeps it to that window. The
//! same holds when the store stays unreachable for longer than the lease after a holder
//! received a credential ([`OAuth2Error::NotPublished`]): the holder keeps it and publishes
//! it as soon as it can, but a replica that took the lease over meanwhile spends the old
//! refresh token. Choose a lease longer than your store's usual blips.
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//! use std::time::{Duration, SystemTime};
//! use credgate::OAuth2TokenCredential;
//! use credgate::auth::oauth2::{
//!     Lease, LeaseHolder, Publication, StoreError, StoredToken, TokenOwner, TokenStore,
//! };
//!
//! /// One process's store; a real one is a database table with the same rules.
//! #[derive(Default)]
//! struct MemoryStore(Mutex<HashMap<TokenOwner, Row>>);
//!
//! #[derive(Default)]
//! struct Row {
//!     stored: Option<StoredToken>,
//!     lease: Option<(LeaseHolder, SystemTime)>,
//! }
//!
//! impl TokenStore for MemoryStore {
//!     fn read(&self, owner: &TokenOwner) -> Result<Option<StoredToken>, StoreError> {
//!         let rows = self.0.lock().map_err(|_| StoreError::unreachable("poisoned"))?;
//!         Ok(rows.get(owner).and_then(|row| row.stored.clone()))
//!     }
//!
//!     fn try_lease(&self, owner: &TokenOwner, holder: &LeaseHolder, ttl: Duration,
//!         now: SystemTime) -> Result<Lease, StoreError> {
//!         let mut rows = self.0.lock().map_err(|_| StoreError::unreachable("poisoned"))?;
//!         let row = rows.entry(owner.clone()).or_default();
//!         let current = row.stored.clone();
//!         match &row.lease {
//!             Some((other, until)) if other != holder && *until > now => {
//!                 Ok(Lease::HeldBy { until: *until, current })
//!             }
//!             _ => {
//!                 let until = now + ttl;
//!                 row.lease = Some((holder.clone(), until));
//!                 Ok(Lease::Acquired { until, current })
//!             }
//!         }
//!     }
//!
//!     fn publish(&self, owner: &TokenOwner, expected: u64, credential: &OAuth2TokenCredential,
//!         holder: &LeaseHolder) -> Result<Publication, StoreError> {
//!         let mut rows = self.0.lock().map_err(|_| StoreError::unreachable("poisoned"))?;
//!         let row = rows.entry(owner.clone()).or_default();
//!         if row.lease.as_ref().is_some_and(|(h, _)| h == holder) {
//!             row.lease = None;
//!         }
//!         let version = row.stored.as_ref().map_or(0, |s| s.version);
//!         if version != expected {
//!             return Ok(Publication::Conflict { current: row.stored.clone() });
//!         }
//!         row.stored = Some(StoredToken::new(version + 1, credential.clone()));
//!         Ok(Publication::Published { version: version + 1 })
//!     }
//!
//!     fn release(&self, owner: &TokenOwner, holder: &LeaseHolder) -> Result<(), StoreError> {
//!         let mut rows = self.0.lock().map_err(|_| StoreError::unreachable("poisoned"))?;
//!         if let Some(row) = rows.get_mut(owner)
//!             && row.lease.as_ref().is_some_and(|(h, _)| h == holder)
//!         {
//!             row.lease = None;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! // Two replicas of one connection (in two processes, in real life) share the store.
//! use std::sync::Arc;
//! use credgate::auth::oauth2::TokenStoreOptions;
//! use credgate::{ConnectionTemplate, Credential, LiveConnection};
//!
//! let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "xero",
//!     "templateBaseUrl": "https://api.xero.example",
//!     "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "code",
//!         "authorizeUrl": "https://login.xero.example/authorize",
//!         "tokenUrl": "https://identity.xero.example/token",
//!         "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "id-1"}}}}]}"#)?;
//! // Both start from the stored document: a token that has expired, and refresh token rt-1.
//! let document: Credential = serde_json::from_str(r#"{"type": "oauth2-token", "data":
//!     {"oauth2Token": {"accessToken": "at-1", "refreshToken": "rt-1",
//!         "expiresAt": "2020-01-01T00:00:00Z"}}}"#)?;
//! let connection = template.connect(vec![document])?;
//! let store = Arc::new(MemoryStore::default());
//! let replica = |name: &str| {
//!     LiveConnection::builder(&connection)
//!         .template(&template)
//!         .token_store(
//!             Arc::clone(&store),
//!             TokenStoreOptions::new(TokenOwner::connection("c-7"))
//!                 .with_holder(LeaseHolder::new(name)),
//!         )
//!         .build()
//! };
//! let (a, b) = (replica("replica-a")?, replica("replica-b")?);
//!
//! let mut request = http::Request::get("/invoices").body(())?;
//! a.authorize_with(&mut request, |token_request| {
//!     // Xero rotates refresh tokens: rt-1 works once.
//!     assert!(String::from_utf8_lossy(token_request.body()).contains("refresh_token=rt-1"));
//!     http::Response::builder()
//!         .header("content-type", "application/json")
//!         .body(br#"{"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 1800}"#.to_vec())
//! })?;
//! assert_eq!(request.headers()["authorization"], "Bearer at-2");
//! assert_eq!(store.read(&TokenOwner::connection("c-7"))?.map(|s| s.version), Some(1));
//!
//! // The other replica finds a's token in the store: no token request, no spent rt-1.
//! let mut request = http::Request::get("/invoices").body(())?;
//! b.authorize_with(&mut request, |_| -> Result<http::Response<Vec<u8>>, std::io::Error> {
//!     unreachable!("no token request")
//! })?;
//! assert_eq!(request.headers()["authorization"], "Bearer at-2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example
//!
//! ```
//! use credgate::{Connection, ConnectionTemplate, Credential};
//!
//! let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "crm",
//!     "templateBaseUrl": "https://api.crm.example",
//!     "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
//!         "tokenUrl": "https://auth.crm.example/token",
//!         "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]}"#)?;
//! let client: Credential = serde_json::from_str(r#"{"type": "oauth2-client",
//!     "data": {"oauth2Client": {"clientId": "id-1", "clientSecret": "s3cret"}}}"#)?;
//! let live = template.connect(vec![client])?.build(&template)?;
//!
//! let mut request = http::Request::get("/contacts").body(())?;
//! live.authorize_with(&mut request, |token_request| {
//!     // Your HTTP client sends `token_request`; here, the server's answer.
//!     assert_eq!(token_request.body(), b"grant_type=client_credentials");
//!     http::Response::builder()
//!         .header("content-type", "application/json")
//!         .body(br#"{"access_token": "at-1", "token_type": "bearer", "expires_in": "3600"}"#.to_vec())
//! })?;
//! assert_eq!(request.headers()["authorization"], "Bearer at-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authorize;
mod coordinate;
mod error;
mod live;
mod request;
mod response;
mod state;
mod store;
mod time;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Request;

pub use authorize::AuthorizationRequest;
pub(crate) use coordinate::{StoreLink, coordinate_async, coordinate_blocking};
pub use error::{AuthorizeError, OAuth2Error};
pub(crate) use state::TokenHook;
pub use state::{TokenRefresh, TokenStep, TokenUpdate, TokenWait};
pub use store::{
    AsyncTokenStore, Lease, LeaseHolder, Publication, StoreError, StoredToken, TokenOwner,
    TokenStore, TokenStoreOptions,
};

use super::{ApiKey, Authenticator, BuildContext, OutgoingRequest};
use crate::error::{AuthError, BuildError};
use crate::model::{
    ApiKeyScheme, Credential, KeyLocation, OAuth2Grant, OAuth2Scheme, TokenPlacement,
};
use crate::secret::Secret;
use request::{Client, join_scopes};
use state::{Code, Config, Initial, Primary, Shared};

/// The expiry buffer when the scheme sets none.
const DEFAULT_BUFFER: Duration = Duration::from_secs(60);

/// An `oauth2` scheme with its credential: the token, shared by every clone.
#[derive(Clone)]
pub(crate) struct OAuth2 {
    shared: Arc<Shared>,
    /// The query parameter the token goes in, if any, for redaction.
    query_name: Vec<String>,
}

impl OAuth2 {
    /// Validates `credential` for `scheme` and pre-encodes the client.
    pub(crate) fn build(
        scheme: &OAuth2Scheme,
        credential: &Credential,
        context: &BuildContext,
    ) -> Result<Self, BuildError> {
        let expansion = if context.url_stand_ins {
            crate::url_template::Expansion::stand_ins(&context.placeholders)
        } else {
            crate::url_template::Expansion::new(&context.url_values, &context.placeholders)
        };
        let scheme = &scheme.expanded(expansion)?;
        let mismatch = || BuildError::CredentialMismatch {
            scheme_type: "oauth2".to_owned(),
            credential_type: credential.type_name().to_owned(),
        };
        // The client of the code and password grants is the scheme's.
        let scheme_client = || match &scheme.grant {
            OAuth2Grant::AuthorizationCode(g) => {
                Some((g.client_id.as_str(), g.client_secret.as_ref()))
            }
            OAuth2Grant::Password(g) => Some((g.client_id.as_str(), g.client_secret.as_ref())),
            OAuth2Grant::ClientCredentials(_) => None,
        };
        let placement = placement(scheme)?;
        let mut initial = Initial {
            access_token: None,
            refresh_token: None,
            code: None,
            response_values: std::collections::BTreeMap::new(),
        };
        let (client, primary) = match (&scheme.grant, credential) {
            (_, Credential::None) => return Err(BuildError::ClientIdAndSecretRequired),
            (OAuth2Grant::ClientCredentials(_), Credential::OAuth2Client(c)) => {
                if c.client_secret.is_empty() {
                    return Err(BuildError::ClientIdAndSecretRequired);
                }
                let token_url = c
                    .token_url
                    .as_deref()
                    .filter(|url| !url.trim().is_empty())
                    .map(|url| expansion.url(url))
                    .transpose()?;
                if let Some(own) = &token_url
                    && !context.any_endpoint_host
                {
                    check_own_token_url(&scheme.token_url, own)?;
                }
                let client = Client::new(
                    scheme,
                    token_url.as_deref(),
                    &c.client_id,
                    Some(&c.client_secret),
                    c.additional_params.as_ref(),
                )?;
                let scope = join_scopes(scheme, &c.scopes);
                (client, Primary::ClientCredentials { scope })
            }
            (OAuth2Grant::Password(g), Credential::OAuth2Password(p)) => {
                not_redacted(&p.password, "password")?;
                if p.username.is_empty() || p.password.is_empty() {
                    return Err(BuildError::UsernameAndPasswordRequired);
                }
                let client =
                    Client::new(scheme, None, &g.client_id, g.client_secret.as_ref(), None)?;
                let primary = Primary::Password {
                    username: p.username.clone(),
                    password: p.password.clone(),
                    scope: join_scopes(scheme, &[]),
                };
                (client, primary)
            }
            (OAuth2Grant::AuthorizationCode(g), Credential::OAuth2Code(c)) => {
                not_redacted(&c.code, "authorization code")?;
                if c.code.is_empty() {
                    return Err(BuildError::Empty {
                        field: "authorization code",
                    });
                }
                if let Some(verifier) = &c.code_verifier {
                    not_redacted(verifier, "code verifier")?;
                }
                initial.code = Some(Code {
                    code: c.code.clone(),
                    redirect_url: c.redirect_url.clone(),
                    verifier: c.code_verifier.clone(),
                });
                let client = Client::new(
                    scheme,
                    None,
                    &g.client_id,
                    g.client_secret.as_ref(),
                    c.additional_params.as_ref(),
                )?;
                (client, Primary::None)
            }
            (_, Credential::OAuth2Token(t)) => {
                let (client_id, client_secret) = scheme_client().ok_or_else(mismatch)?;
                not_redacted(&t.access_token, "access token")?;
                if let Some(refresh_token) = &t.refresh_token {
                    not_redacted(refresh_token, "refresh token")?;
                }
                initial.refresh_token = t.refresh_token.clone().filter(|r| !r.is_empty());
                if t.response_values.values().any(Secret::is_redacted) {
                    return Err(BuildError::Redacted {
                        field: "responseValues",
                    });
                }
                initial.response_values = t.response_values.clone();
                if t.access_token.is_empty() && initial.refresh_token.is_none() {
                    return Err(BuildError::Empty {
                        field: "access token",
                    });
                }
                let expires_at = match &t.expires_at {
                    Some(at) => {
                        time::parse_expires_at(at).map_err(|()| BuildError::InvalidValue {
                            field: "expires at",
                            reason: "is not an RFC 3339 date-time",
                        })?
                    }
                    None => None,
                };
                if !t.access_token.is_empty() {
                    ApiKey::new(&placement, &t.access_token).map_err(|_| {
                        BuildError::InvalidValue {
                            field: "access token",
                            reason: "cannot be sent where the scheme puts it",
                        }
                    })?;
                    initial.access_token =
                        Some((t.access_token.clone(), expires_at, t.scopes.clone()));
                }
                let client = Client::new(scheme, None, client_id, client_secret, None)?;
                (client, Primary::None)
            }
            _ => return Err(mismatch()),
        };
        let query_name = match placement.location {
            KeyLocation::Query => vec![placement.name.clone()],
            _ => Vec::new(),
        };
        let config = Config {
            placement,
            clock: Arc::clone(&context.clock),
            buffer: scheme
                .expiry_buffer_seconds
                .map_or(DEFAULT_BUFFER, |s| Duration::from_secs(s.into())),
            client,
            primary,
            hook: context.token_hook.clone(),
            store: context.token_store.clone(),
            credential_index: context.credential_index,
        };
        Ok(Self {
            shared: Arc::new(Shared::new(config, initial)),
            query_name,
        })
    }

    /// The credential of the last token received, and the index of the connection's
    /// credential it replaces (see [`TokenUpdate::credential`]).
    pub(crate) fn latest(&self) -> Option<(usize, crate::model::OAuth2TokenCredential)> {
        self.shared.latest()
    }

    /// Takes a credential another connection of the same document received.
    pub(crate) fn adopt(&self, credential: &crate::model::OAuth2TokenCredential) {
        self.shared.adopt(credential);
    }

    /// The token store this credential coordinates through, if any.
    pub(crate) fn store(&self) -> Option<&StoreLink> {
        self.shared.store()
    }

    /// Takes a newer credential from the token store; see [`Shared::offer_stored`].
    pub(crate) fn offer_stored(&self, owner: &TokenOwner, stored: &StoredToken) -> bool {
        self.shared.store_owner() == Some(owner) && self.shared.offer_stored(stored)
    }

    /// What the caller does next to have a valid token.
    pub(crate) fn step(&self) -> Result<TokenStep, OAuth2Error> {
        self.shared.step()
    }

    /// Marks the token `request` carries as refused (once). `true` if it was current.
    pub(crate) fn report_unauthorized<B>(&self, request: &Request<B>) -> bool {
        self.shared
            .report_unauthorized(request.headers(), request.uri())
    }

    /// Inserts this thread's copy of the current token's header; `false` when
    /// [`Authenticator::authorize`] must run.
    #[inline]
    pub(crate) fn insert_cached(&self, headers: &mut http::HeaderMap) -> bool {
        self.shared.insert_cached(headers)
    }

    /// The query parameter the token goes in, if any.
    pub(crate) fn query_name(&self) -> &[String] {
        &self.query_name
    }
}

/// Checks that a credential's own token URL stays on the domain of its scheme's (expanded
/// both), by the rule for a base URL override: the client secret and the template's extra
/// token parameters go there, and the credential may come from an end user.
fn check_own_token_url(configured: &str, own: &str) -> Result<(), BuildError> {
    // Parsing their origins is all that can fail; the error names the rule broken
    // (userinfo, no host, a control character, empty) rather than a vague "not valid".
    let admitted = crate::base_url::BaseUrl::admits_endpoint(configured, own).map_err(|err| {
        BuildError::InvalidTokenUrl {
            reason: match err {
                BuildError::InvalidBaseUrl { reason } => reason,
                BuildError::MissingBaseUrl => "is empty; set an absolute https URL",
                _ => "is not a valid http or https URL",
            },
        }
    })?;
    if admitted {
        Ok(())
    } else {
        Err(BuildError::InvalidTokenUrl {
            reason: "override must keep the scheme's https and stay on its domain",
        })
    }
}

fn not_redacted(secret: &Secret, field: &'static str) -> Result<(), BuildError> {
    if secret.is_redacted() {
        return Err(BuildError::Redacted { field });
    }
    Ok(())
}

/// Where tokens go, as the `api-key` scheme that puts them there; names are checked here.
fn placement(scheme: &OAuth2Scheme) -> Result<ApiKeyScheme, BuildError> {
    let placement = match &scheme.token_placement {
        TokenPlacement::Bearer => {
            ApiKeyScheme::new(&scheme.id, "Authorization", KeyLocation::Header)
                .with_value_template("Bearer {key}")
        }
        TokenPlacement::Header { name } => ApiKeyScheme::new(&scheme.id, name, KeyLocation::Header),
        TokenPlacement::Query { name } => ApiKeyScheme::new(&scheme.id, name, KeyLocation::Query),
    };
    ApiKey::new(&placement, &Secret::new("token"))?;
    Ok(placement)
}

impl Authenticator for OAuth2 {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        self.shared.authorize(request)
    }
}

impl fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OAuth2").field(&self.shared).finish()
    }
}
