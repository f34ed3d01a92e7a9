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
    #[error(
        "auth scheme type \"{scheme_type}\" is not supported by credgate{hint}",
        hint = did_you_mean(scheme_type, KNOWN_SCHEME_TYPES)
    )]
    UnsupportedScheme {
        /// The type, as read.
        scheme_type: String,
    },
    /// A credential type credgate does not implement.
    #[error(
        "credential type \"{credential_type}\" is not supported by credgate{hint}",
        hint = did_you_mean(credential_type, KNOWN_CREDENTIAL_TYPES)
    )]
    UnsupportedCredential {
        /// The type, as read.
        credential_type: String,
    },
    /// A secret is the placeholder `******` of a redacted listing.
    #[error("{field} {verb} redacted", verb = be(field))]
    Redacted {
        /// The field, in words (`client secret`).
        field: &'static str,
    },
    /// A required value is empty.
    #[error("{field} {verb} empty", verb = be(field))]
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
    /// A valid header name that credgate must not write (`Host`, `Content-Length`,
    /// `Transfer-Encoding` and the other headers that route or frame a request).
    #[error(
        "\"{name}\" is a valid header name but may not carry {field}: it routes or frames the request; choose another header"
    )]
    ReservedHeader {
        /// The name as configured (names are not secret).
        name: String,
        /// What would have been written: `a credential`, `the timestamp`, ...
        field: &'static str,
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
    /// An `oauth1` scheme has neither an `oauth1-token` credential (token and token secret)
    /// nor an `oauth1-consumer` credential (signing without a token).
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
    /// A templated URL has a placeholder in its host (`{subdomain}.zendesk.com`, `{domain}`,
    /// `{instanceUrl}`) that the template's `placeholders` give no `hostPatterns`: a
    /// value could then send the credentials to any host.
    #[error(
        "URL placeholder {{{name}}} sets the host, which needs the template's placeholders to give it hostPatterns (the hosts it may produce, such as \"*.example.com\")"
    )]
    HostPlaceholderNotDeclared {
        /// The placeholder's name.
        name: String,
    },
    /// A connection's value makes a templated URL's host one that none of the placeholder's
    /// `hostPatterns` allow.
    #[error(
        "URL value for {{{name}}} produces host {host}, which none of the placeholder's hostPatterns allow; use a value for an allowed host or add a pattern to the template"
    )]
    HostNotAllowed {
        /// The placeholder's name.
        name: String,
        /// The host produced (lowercase).
        host: String,
    },
    /// A placeholder's `hostPatterns` entry cannot be used.
    #[error("hostPatterns of placeholder {{{name}}}: a pattern {reason}")]
    InvalidHostPattern {
        /// The placeholder's name.
        name: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// A parameter string (`additionalTokenParams`, `additionalAuthorizeParams`) has a
    /// placeholder the connection has no value for, and no default.
    #[error(
        "the connection has no value for placeholder {{{name}}} in {field}; give the connection that value, or the placeholder a default ({{{name}|default}})"
    )]
    MissingParamValue {
        /// The placeholder's name.
        name: String,
        /// The parameters, in words.
        field: &'static str,
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
    /// The request already holds as many headers as `http::HeaderMap` can (about 24,576):
    /// the credential could not be added, and the request is unchanged.
    #[error("the request has too many headers to add the credential; send fewer headers")]
    TooManyHeaders,
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
    #[error(
        "an oauth2 access token is needed: authorize with authorize_with (or send the request of token_step), then authorize again"
    )]
    TokenRefreshNeeded,
    /// The OAuth 2.0 grant was refused or cannot be renewed: the user must reconnect.
    #[error(
        "the oauth2 connection must be reconnected by the user: no token request can get a token"
    )]
    ReconnectNeeded,
}

/// "is" or "are", agreeing with a field named in words: the last word of a plural name
/// (`webhook secrets`, `additional token parameters`) ends in one `s`, so messages read
/// "are empty" without each call site choosing.
fn be(field: &str) -> &'static str {
    let last = field.rsplit(' ').next().unwrap_or(field);
    if last.ends_with('s') && !last.ends_with("ss") && last.len() > 2 {
        "are"
    } else {
        "is"
    }
}

/// The scheme types credgate implements, as the platform spells them.
pub(crate) const KNOWN_SCHEME_TYPES: &[&str] =
    &["api-key", "basic-auth", "oauth1", "oauth2", "hmac", "none"];

/// The credential types credgate implements, as the platform spells them.
pub(crate) const KNOWN_CREDENTIAL_TYPES: &[&str] = &[
    "none",
    "string",
    "basic-auth",
    "oauth2-client",
    "oauth2-code",
    "oauth2-password",
    "oauth2-token",
    "oauth1-token",
    "oauth1-consumer",
];

/// A type name reduced to what a misspelling keeps: lowercase letters and digits
/// (`api_key`, `apiKey` and `API-KEY` all read `apikey`).
pub(crate) fn loose(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `; did you mean "api-key"?` when `name` is a near miss of one of `known`: the same
/// letters in another case or with other separators (`apikey`, `oauth2_token`), the start
/// of one (`basic`), or one or two edits away (`oauht2`). Empty otherwise.
pub(crate) fn did_you_mean(name: &str, known: &[&str]) -> String {
    let wanted = loose(name);
    if wanted.is_empty() {
        return String::new();
    }
    let near = known
        .iter()
        .find(|k| loose(k) == wanted)
        .or_else(|| {
            known
                .iter()
                .find(|k| wanted.len() >= 3 && loose(k).starts_with(&wanted))
        })
        .or_else(|| {
            known
                .iter()
                .find(|k| edit_distance(&loose(k), &wanted) <= 2)
        });
    match near {
        Some(k) => format!("; did you mean \"{k}\"?"),
        None => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}
