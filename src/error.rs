//! Error enums, one per caller. None of them holds secret material: they name the field or
//! the rule, never the value.

/// Why a connection could not be built from its documents.
///
/// The first messages are the platform's own, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An `api-key` scheme has no `string` credential.
    #[error("api-key is required for this connection template")]
    ApiKeyRequired,
    /// A `basic-auth` scheme has no username and password.
    #[error("username and password are required for this connection template")]
    UsernameAndPasswordRequired,
    /// A `none` scheme has a credential other than `none`.
    #[error("bypass is required for this connection template")]
    BypassRequired,
    /// An `oauth2` scheme has no client id and secret.
    #[error("client-id and client-secret are required for this connection template")]
    ClientIdAndSecretRequired,
    /// A bypass connection was asked for where the template does not allow one.
    #[error("bypass is not allowed for this connection template")]
    BypassNotAllowed,
    /// A credential of one type was paired with a scheme that takes another.
    #[error(
        "a \"{credential_type}\" credential cannot be used with a \"{scheme_type}\" auth scheme"
    )]
    CredentialMismatch {
        /// The scheme's type.
        scheme_type: String,
        /// The credential's type.
        credential_type: String,
    },
    /// The number of credentials does not match the number of the template's schemes.
    #[error(
        "{given} credentials were given for a connection template with {expected} auth schemes"
    )]
    CredentialCount {
        /// Credentials given.
        given: usize,
        /// Schemes the template has.
        expected: usize,
    },
    /// The connection has no credentials at all.
    #[error("the connection has no credentials")]
    NoCredentials,
    /// A scheme type credgate does not implement.
    #[error("auth scheme type \"{scheme_type}\" is not supported by credgate")]
    UnsupportedScheme {
        /// The type, as read.
        scheme_type: String,
    },
    /// A credential type credgate does not implement.
    #[error("credential type \"{credential_type}\" is not supported by credgate")]
    UnsupportedCredential {
        /// The type, as read.
        credential_type: String,
    },
    /// A secret is the placeholder `******` of a redacted listing.
    #[error("{field} is redacted")]
    Redacted {
        /// The field, in words (`client secret`).
        field: &'static str,
    },
    /// A required value is empty.
    #[error("{field} is empty")]
    Empty {
        /// The field, in words.
        field: &'static str,
    },
    /// A value breaks a rule; `reason` says which, without the value.
    #[error("{field} {reason}")]
    InvalidValue {
        /// The field, in words.
        field: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
    /// A header or parameter name is not valid where it goes.
    #[error("\"{name}\" is not a valid {location} name")]
    InvalidName {
        /// The name as configured (names are not secret).
        name: String,
        /// `header`, `query parameter` or `cookie`.
        location: &'static str,
    },
    /// A name that may be given only once is given more than once.
    #[error("\"{name}\" is repeated: an {location} may be given only once")]
    RepeatedName {
        /// The name as configured (names are not secret).
        name: String,
        /// `OAuth1 protocol parameter`.
        location: &'static str,
    },
    /// Neither the connection nor its template has a base URL.
    #[error("the connection has no base URL")]
    MissingBaseUrl,
    /// The base URL cannot be used.
    #[error("base URL {reason}")]
    InvalidBaseUrl {
        /// The rule broken.
        reason: &'static str,
    },
    /// An `oauth1` scheme has no `oauth1-token` credential with a token and token secret.
    #[error("token and token secret are required for this connection template")]
    OAuth1TokenRequired,
    /// A credential's own token URL cannot be used.
    #[error("token URL {reason}")]
    InvalidTokenUrl {
        /// The rule broken.
        reason: &'static str,
    },
    /// A templated URL (`https://{subdomain}.zendesk.com`) cannot be used.
    #[error("URL template {reason}")]
    InvalidUrlTemplate {
        /// The rule broken.
        reason: &'static str,
    },
    /// A templated URL has a placeholder the connection has no value for.
    #[error("the connection has no value for URL placeholder {{{name}}}")]
    MissingUrlValue {
        /// The placeholder's name.
        name: String,
    },
    /// A connection's value for a templated URL breaks a rule; the value is not shown.
    #[error("URL value for {{{name}}} {reason}")]
    InvalidUrlValue {
        /// The placeholder's name.
        name: String,
        /// The rule broken.
        reason: &'static str,
    },
}

/// Why credentials could not be put on a request. The request is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request goes to another origin than the connection's base URL.
    #[error(
        "refusing to send credentials to {request_origin}: the connection's origin is {connection_origin}"
    )]
    ForeignOrigin {
        /// Scheme, host and port of the request.
        request_origin: String,
        /// Scheme, host and port of the connection's base URL.
        connection_origin: String,
    },
    /// The request URI cannot be authorized; `reason` says why.
    #[error("request URI {reason}")]
    UnsupportedUri {
        /// The rule broken.
        reason: &'static str,
    },
    /// A header already on the request cannot take the credential.
    #[error("{reason}")]
    UnsupportedHeader {
        /// What went wrong.
        reason: &'static str,
    },
    /// The request cannot be signed (`hmac` scheme); `reason` says why.
    #[error("cannot sign the request: {reason}")]
    Sign {
        /// What is missing or wrong.
        reason: &'static str,
    },
    /// The request body cannot be signed or cannot carry the credential.
    #[error("request body {reason}")]
    UnsupportedBody {
        /// The rule broken.
        reason: &'static str,
    },
    /// An OAuth 2.0 token is missing, due or was refused: get one with
    /// [`crate::LiveConnection::token_step`] (or use
    /// [`crate::LiveConnection::authorize_with`]), then authorize again.
    #[error("an oauth2 access token is needed: send the token request first")]
    TokenRefreshNeeded,
    /// The OAuth 2.0 grant was refused or cannot be renewed: the user must reconnect.
    #[error("the oauth2 connection must be reconnected by the user")]
    ReconnectNeeded,
}
