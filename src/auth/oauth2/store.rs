//! The token store contract: how replicas of one service share an OAuth 2.0 token.
//!
//! A host that runs several processes for one connection implements [`TokenStore`] (or
//! [`AsyncTokenStore`]) on its database and hands it to
//! [`LiveConnectionBuilder::token_store`](crate::LiveConnectionBuilder::token_store) (or
//! [`async_token_store`](crate::LiveConnectionBuilder::async_token_store)). The state
//! machine then consults it only when the token is due: a cached, valid token makes no
//! store call. See the [`oauth2`](super) module's section "Many replicas: the token store
//! contract" for what each method must guarantee and what the connection does with it.
//!
//! Nothing here does I/O: the traits are the host's to implement, with whatever client
//! and runtime it has.

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use crate::clock::RandomSource;
use crate::model::OAuth2TokenCredential;

/// Who a stored token belongs to: the key of one row in the store.
///
/// The host chooses the string; every replica of one connection must use the same one.
/// [`connection`](Self::connection) and [`end_user`](Self::end_user) spell the two usual
/// choices without ambiguity. It is not a secret (it appears in `Debug` and errors), so do
/// not put one in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenOwner(String);

impl TokenOwner {
    /// The owner key `key`, as is.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth2::TokenOwner;
    ///
    /// assert_eq!(TokenOwner::new("crm/42").as_str(), "crm/42");
    /// ```
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The owner of a connection by its id: `connection:<id>`.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth2::TokenOwner;
    ///
    /// assert_eq!(TokenOwner::connection("c-7").as_str(), "connection:c-7");
    /// ```
    pub fn connection(id: &str) -> Self {
        Self(format!("connection:{}", escape(id)))
    }

    /// The owner of an end user's activation of a template in an environment:
    /// `end-user:<environment>/<template>/<external id>`, each part with `%` and `/`
    /// percent-encoded so that no two triples give the same key.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth2::TokenOwner;
    ///
    /// let owner = TokenOwner::end_user("prod", "xero", "user/1");
    /// assert_eq!(owner.as_str(), "end-user:prod/xero/user%2F1");
    /// ```
    pub fn end_user(environment: &str, template: &str, external_id: &str) -> Self {
        Self(format!(
            "end-user:{}/{}/{}",
            escape(environment),
            escape(template),
            escape(external_id)
        ))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner of the OAuth 2.0 credential at `index` in a connection whose first one
    /// this owns: itself for the first, `<key>#<index>` for any other (connections with
    /// two OAuth 2.0 credentials are rare, but each needs its own row).
    pub(crate) fn nth(&self, index: usize) -> Self {
        if index == 0 {
            self.clone()
        } else {
            Self(format!("{}#{index}", self.0))
        }
    }
}

impl fmt::Display for TokenOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `%` and `/` percent-encoded.
fn escape(part: &str) -> String {
    part.replace('%', "%25").replace('/', "%2F")
}

/// Who holds a lease: one replica (one [`LiveConnection`](crate::LiveConnection)).
///
/// Not a secret. Each replica needs its own; by default a connection with a store draws a
/// random one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseHolder(String);

impl LeaseHolder {
    /// The holder id `id` (a host name and process id, say), as is.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// A random holder id: 32 hex digits from `random`.
    pub fn random(random: &dyn RandomSource) -> Self {
        let mut bytes = [0u8; 16];
        random.fill_bytes(&mut bytes);
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeaseHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A credential as the store holds it, with its version.
///
/// Versions start at 1 and only grow; 0 means "nothing stored". The credential holds
/// secrets (access and refresh token, `responseValues`): `Debug` redacts them, and so does
/// plain serialization; a store writes the credential with
/// [`to_json_with_secrets`](Self::to_json_with_secrets) (encrypted at rest, ideally) and
/// reads it back with [`from_json`](Self::from_json).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredToken {
    /// The version: the compare-and-swap counter of [`TokenStore::publish`].
    pub version: u64,
    /// The credential: the crate's `oauth2-token` credential.
    pub credential: OAuth2TokenCredential,
}

impl StoredToken {
    /// `credential` at `version`.
    pub fn new(version: u64, credential: OAuth2TokenCredential) -> Self {
        Self {
            version,
            credential,
        }
    }

    /// The credential as JSON with its secrets, for the store to write (the version goes
    /// in its own column).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unreadable`] if serialization fails (it does not for this type).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::OAuth2TokenCredential;
    /// use credgate::auth::oauth2::StoredToken;
    ///
    /// let credential: OAuth2TokenCredential =
    ///     serde_json::from_str(r#"{"accessToken": "at-1", "refreshToken": "rt-1"}"#)?;
    /// let stored = StoredToken::new(3, credential);
    /// let json = stored.to_json_with_secrets()?;
    /// assert_eq!(json, r#"{"accessToken":"at-1","refreshToken":"rt-1"}"#);
    /// assert_eq!(StoredToken::from_json(3, &json)?, stored);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json_with_secrets(&self) -> Result<String, StoreError> {
        crate::secret::to_json_with_secrets(&self.credential).map_err(|_| StoreError::Unreadable {
            reason: "the credential could not be serialized".to_owned(),
        })
    }

    /// The credential written by [`to_json_with_secrets`](Self::to_json_with_secrets), at
    /// `version`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unreadable`] when `json` is not such a credential, or holds a
    /// redacted secret (`******`: written with plain serialization, the tokens are lost).
    /// The error names the field, never its value.
    pub fn from_json(version: u64, json: &str) -> Result<Self, StoreError> {
        let credential: OAuth2TokenCredential =
            serde_json::from_str(json).map_err(|error| StoreError::Unreadable {
                // serde_json's syntax errors carry a line and column only, and credgate's
                // documents never print the values they reject.
                reason: format!("the stored credential is not an oauth2-token credential: {error}"),
            })?;
        let redacted = credential.access_token.is_redacted()
            || credential
                .refresh_token
                .as_ref()
                .is_some_and(crate::secret::Secret::is_redacted)
            || credential.response_values.values().any(|v| v.is_redacted());
        if redacted {
            return Err(StoreError::Unreadable {
                reason: "the stored credential holds a redacted secret (`******`); write it with \
                         to_json_with_secrets"
                    .to_owned(),
            });
        }
        Ok(Self::new(version, credential))
    }
}

/// The answer to [`TokenStore::try_lease`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lease {
    /// The caller holds the lease until `until` (taken, renewed, or taken over from an
    /// expired holder). `current` is what the store holds now: if it is newer than what
    /// the caller read before, a sibling published in between, and the caller uses it
    /// instead of sending a token request.
    Acquired {
        /// When the lease expires.
        until: SystemTime,
        /// The stored credential at the time of the lease, if any.
        current: Option<StoredToken>,
    },
    /// Another holder has the lease until `until`: wait for its publication
    /// ([`TokenStore::wait_for_change`]), no longer than that.
    HeldBy {
        /// When the other holder's lease expires, and it may be taken over.
        until: SystemTime,
        /// The stored credential at the time of the answer, if any.
        current: Option<StoredToken>,
    },
}

/// The answer to [`TokenStore::publish`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Publication {
    /// The credential is stored at `version`.
    Published {
        /// The new version, greater than the expected one.
        version: u64,
    },
    /// The stored version was not the expected one: nothing was written. `current` is what
    /// the store holds.
    Conflict {
        /// The stored credential, if any.
        current: Option<StoredToken>,
    },
}

/// Why a token store could not answer. It never holds a secret: a store puts in `reason`
/// what went wrong (a connection refused, a timeout, an unknown key id), never a token or
/// a connection string with a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or did not answer in time.
    #[error("token store unreachable: {reason}; check the store's address and that it is up")]
    Unreachable {
        /// What failed, without secrets.
        reason: String,
    },
    /// The store answered, but the stored credential cannot be used (not a credential,
    /// sealed under an unknown key, redacted).
    #[error("token store record unreadable: {reason}")]
    Unreadable {
        /// What is wrong, without secrets.
        reason: String,
    },
    /// The store refused the operation (permissions, a schema it does not know).
    #[error("token store refused the operation: {reason}")]
    Refused {
        /// What was refused and why, without secrets.
        reason: String,
    },
}

impl StoreError {
    /// [`StoreError::Unreachable`] with `reason`.
    pub fn unreachable(reason: impl Into<String>) -> Self {
        Self::Unreachable {
            reason: reason.into(),
        }
    }

    /// [`StoreError::Unreadable`] with `reason`.
    pub fn unreadable(reason: impl Into<String>) -> Self {
        Self::Unreadable {
            reason: reason.into(),
        }
    }

    /// [`StoreError::Refused`] with `reason`.
    pub fn refused(reason: impl Into<String>) -> Self {
        Self::Refused {
            reason: reason.into(),
        }
    }
}

/// A blocking token store: one row per [`TokenOwner`] holding a [`StoredToken`] and a
/// lease. See the [`oauth2`](super) module's section "Many replicas: the token store
/// contract" for the guarantees each method owes.
///
/// Every method is one round trip to the store. A store shared by many connections is
/// shared behind an `Arc`.
pub trait TokenStore: Send + Sync {
    /// The stored credential of `owner`, `None` if there is none.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot answer or the row cannot be read.
    fn read(&self, owner: &TokenOwner) -> Result<Option<StoredToken>, StoreError>;

    /// Takes the lease to refresh `owner`'s token for `ttl` from `now` (the connection's
    /// clock): granted when no one holds it, when `holder` already does (renewed), or
    /// when the holder's lease expired at or before `now` (taken over). Otherwise
    /// [`Lease::HeldBy`] with the other's expiry. Either way with the stored credential.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot answer.
    fn try_lease(
        &self,
        owner: &TokenOwner,
        holder: &LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<Lease, StoreError>;

    /// Stores `credential` for `owner` if the stored version is `expected_version` (0:
    /// nothing stored), atomically, with a greater version (`expected_version + 1`), and
    /// releases `holder`'s lease whatever the outcome. The lease is not required: the
    /// compare-and-swap is what keeps two writers from overwriting each other.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot answer. The caller then cannot tell whether
    /// the write happened; it keeps the credential and publishes it again.
    fn publish(
        &self,
        owner: &TokenOwner,
        expected_version: u64,
        credential: &OAuth2TokenCredential,
        holder: &LeaseHolder,
    ) -> Result<Publication, StoreError>;

    /// Releases `holder`'s lease on `owner`, if it holds one (nothing otherwise).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot answer (the lease then expires on its own).
    fn release(&self, owner: &TokenOwner, holder: &LeaseHolder) -> Result<(), StoreError>;

    /// Blocks until `owner`'s stored version is above `after_version` and returns that
    /// credential, or returns `None` once `within` has passed (or earlier: the caller
    /// checks again). The default polls [`read`](Self::read) every 25 ms; a store with
    /// notifications (Postgres `LISTEN`/`NOTIFY`) answers as soon as one arrives.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot answer.
    fn wait_for_change(
        &self,
        owner: &TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> Result<Option<StoredToken>, StoreError> {
        const POLL: Duration = Duration::from_millis(25);
        let start = std::time::Instant::now();
        loop {
            if let Some(stored) = self.read(owner)?.filter(|s| s.version > after_version) {
                return Ok(Some(stored));
            }
            let left = within.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(None);
            }
            std::thread::sleep(left.min(POLL));
        }
    }
}

/// The async twin of [`TokenStore`], for stores on an async client: the same methods and
/// guarantees, each returning a `Send` future, on any runtime (credgate polls them and
/// brings none).
pub trait AsyncTokenStore: Send + Sync {
    /// See [`TokenStore::read`].
    fn read(
        &self,
        owner: &TokenOwner,
    ) -> impl Future<Output = Result<Option<StoredToken>, StoreError>> + Send;

    /// See [`TokenStore::try_lease`].
    fn try_lease(
        &self,
        owner: &TokenOwner,
        holder: &LeaseHolder,
        ttl: Duration,
        now: SystemTime,
    ) -> impl Future<Output = Result<Lease, StoreError>> + Send;

    /// See [`TokenStore::publish`].
    fn publish(
        &self,
        owner: &TokenOwner,
        expected_version: u64,
        credential: &OAuth2TokenCredential,
        holder: &LeaseHolder,
    ) -> impl Future<Output = Result<Publication, StoreError>> + Send;

    /// See [`TokenStore::release`].
    fn release(
        &self,
        owner: &TokenOwner,
        holder: &LeaseHolder,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Resolves once `owner`'s stored version is above `after_version`, with that
    /// credential, or with `None` once `within` has passed (or earlier: the caller checks
    /// again). Without notifications, poll [`read`](Self::read) with your runtime's timer.
    fn wait_for_change(
        &self,
        owner: &TokenOwner,
        after_version: u64,
        within: Duration,
    ) -> impl Future<Output = Result<Option<StoredToken>, StoreError>> + Send;
}

/// How a connection uses its token store: the owner of its row, this replica's holder id,
/// and the lease's time to live.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenStoreOptions {
    /// The row: the same for every replica of the connection.
    pub owner: TokenOwner,
    /// This replica's id; `None` draws a random one when the connection is built.
    pub holder: Option<LeaseHolder>,
    /// How long a lease holds: longer than a token request takes (with your client's
    /// timeout), short enough that a crashed holder is taken over soon. 30 s by default.
    pub lease_ttl: Duration,
}

impl TokenStoreOptions {
    /// The default lease time to live.
    pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);

    /// Options for `owner`'s row, with a random holder id and a 30 s lease.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use credgate::auth::oauth2::{LeaseHolder, TokenOwner, TokenStoreOptions};
    ///
    /// let options = TokenStoreOptions::new(TokenOwner::connection("c-7"))
    ///     .with_holder(LeaseHolder::new("web-1"))
    ///     .with_lease_ttl(Duration::from_secs(10));
    /// assert_eq!(options.lease_ttl, Duration::from_secs(10));
    /// ```
    pub fn new(owner: TokenOwner) -> Self {
        Self {
            owner,
            holder: None,
            lease_ttl: Self::DEFAULT_LEASE_TTL,
        }
    }

    /// This replica's holder id.
    #[must_use]
    pub fn with_holder(mut self, holder: LeaseHolder) -> Self {
        self.holder = Some(holder);
        self
    }

    /// The lease's time to live (at least 1 s is used).
    #[must_use]
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }
}
