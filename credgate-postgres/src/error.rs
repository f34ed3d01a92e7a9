//! The errors of the store and of the keyring.
//!
//! Messages are lowercase, name the field or the rule and the next step, and never carry a
//! secret: no key material, no plaintext, no sealed bytes. Token owners and key ids are
//! names, not secrets, and are shown.

/// An error building a [`Keyring`](crate::Keyring).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The key is not 32 bytes long.
    #[error("key `{key_id}` is {len} bytes long: an AES-256-GCM key is exactly 32 bytes")]
    KeyLength {
        /// The key's id.
        key_id: String,
        /// The length given.
        len: usize,
    },
    /// The key id is empty, longer than 64 bytes or not printable ASCII without spaces.
    #[error(
        "key id `{key_id}` is not usable: use 1 to 64 printable ASCII characters without spaces"
    )]
    InvalidKeyId {
        /// The key id given (ids are names, not secrets).
        key_id: String,
    },
    /// Two keys were given the same id.
    #[error("key id `{key_id}` is given twice: give each key its own id")]
    DuplicateKeyId {
        /// The repeated key id.
        key_id: String,
    },
}

/// An error of the token store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// PostgreSQL could not be reached, or the connection was lost. The store reconnects
    /// on the next call.
    #[error(
        "token store unreachable: {}; check that PostgreSQL is running and reachable",
        describe(source)
    )]
    Unreachable {
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// PostgreSQL answered with an error.
    #[error("token store query failed: {}", describe(source))]
    Database {
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A store call did not finish within its time limit.
    #[error(
        "token store did not answer within {millis} ms; check PostgreSQL's load and reachability"
    )]
    Timeout {
        /// The limit, in milliseconds.
        millis: u64,
    },
    /// A row was sealed under a key the keyring does not hold.
    #[error(
        "the credential of token owner `{owner}` is sealed under key id `{key_id}`, which the \
         keyring does not hold: add that key with `Keyring::with_old_key`"
    )]
    UnknownKeyId {
        /// The row's token owner.
        owner: String,
        /// The key id stored beside the sealed credential.
        key_id: String,
    },
    /// A row failed authentication: its bytes were changed, it was copied from another
    /// owner or version, or the key under its id is not the key that sealed it.
    #[error(
        "the credential of token owner `{owner}` (key id `{key_id}`) failed authentication: \
         the row was altered or copied from another owner or version, or key `{key_id}` is \
         not the key that sealed it"
    )]
    Tampered {
        /// The row's token owner.
        owner: String,
        /// The key id stored beside the sealed credential.
        key_id: String,
    },
    /// An opened credential is not a credential document.
    #[error("the credential of token owner `{owner}` is not a valid credential document: {reason}")]
    Corrupt {
        /// The row's token owner.
        owner: String,
        /// What is wrong, without the value.
        reason: String,
    },
    /// The database's schema is newer than this crate.
    #[error(
        "the database's credgate schema is version {found}, newer than the {known} this \
         credgate-postgres knows: upgrade credgate-postgres"
    )]
    SchemaTooNew {
        /// The version in the database.
        found: i32,
        /// The newest version this crate knows.
        known: i32,
    },
    /// A token owner key is empty or too long.
    #[error("token owner `{owner}` is not usable: use 1 to 200 bytes without NUL")]
    InvalidOwner {
        /// The owner given.
        owner: String,
    },
    /// A stored version does not fit the contract's `u64` (a negative `bigint`).
    #[error(
        "token owner `{owner}` has version {version} in the database: versions are never negative"
    )]
    InvalidVersion {
        /// The row's token owner.
        owner: String,
        /// The stored value.
        version: i64,
    },
}

/// The driver's error with PostgreSQL's message and SQLSTATE (tokio-postgres shows only
/// "db error"). The statements bind no secret: the only secret column is sealed.
fn describe(source: &tokio_postgres::Error) -> String {
    match source.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => source.to_string(),
    }
}

impl StoreError {
    /// Classifies a driver error: a closed connection, an I/O failure, a connection
    /// exception (SQLSTATE class 08) or an operator intervention (57P: the server shutting
    /// down or starting up) is [`StoreError::Unreachable`], anything else
    /// [`StoreError::Database`].
    pub(crate) fn from_pg(source: tokio_postgres::Error) -> Self {
        let connection_level = source.code().is_some_and(|code| {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P")
        });
        if source.is_closed() || source.as_db_error().is_none() || connection_level {
            StoreError::Unreachable { source }
        } else {
            StoreError::Database { source }
        }
    }

    /// Whether the connection this error came from should be replaced.
    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(
            self,
            StoreError::Unreachable { .. } | StoreError::Timeout { .. }
        )
    }
}
