//! [`OAuth2Error`] and the wrappers' [`AuthorizeError`].

use std::fmt;

use crate::error::AuthError;

/// Why a token could not be obtained, or an authorization redirect was refused.
///
/// No variant holds a token or a secret: an authorization server's `error` and
/// `error_description` are cut to the characters RFC 6749 §5.2 allows, shortened, and
/// scrubbed of every secret the token request carried and every token the response held;
/// response bodies are never copied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuth2Error {
    /// `invalid_grant` with a status below 500: the authorization code, refresh token or
    /// password was refused. The user must reconnect.
    #[error("the authorization server refused the grant (invalid_grant{}): the user must reconnect", Described(.description))]
    InvalidGrant {
        /// The server's `error_description`, sanitised.
        description: Option<String>,
    },
    /// `invalid_client` with a status below 500: the client id or secret was refused.
    #[error("the authorization server refused the client credentials (invalid_client{})", Described(.description))]
    InvalidClient {
        /// The server's `error_description`, sanitised.
        description: Option<String>,
    },
    /// Any other `error` from the token endpoint (`invalid_scope`, `unauthorized_client`,
    /// `temporarily_unavailable`, ...), whatever the HTTP status; and any `error` at all,
    /// `invalid_grant` included, with a 5xx status.
    #[error("the token endpoint answered {code} (status {status}{})", Described(.description))]
    Server {
        /// The `error` code, sanitised.
        code: String,
        /// The server's `error_description`, sanitised.
        description: Option<String>,
        /// The HTTP status.
        status: u16,
    },
    /// A non-2xx status without an OAuth 2.0 error in the body.
    #[error("the token endpoint answered status {status} without an OAuth 2.0 error")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// A body that is neither a token nor an error, in JSON, form encoding or plain text.
    #[error("the token response (status {status}) cannot be used: {reason}")]
    Unparseable {
        /// The HTTP status.
        status: u16,
        /// What is wrong, without the body.
        reason: &'static str,
    },
    /// The token has expired (or was refused) and there is no refresh token or other
    /// grant to get a new one: the user must reconnect.
    #[error("the access token has expired and there is no refresh token: the user must reconnect")]
    NoRefreshToken,
    /// The persistence hook panicked on a new credential. The credential is kept, unused,
    /// and offered to the hook again by the next token step.
    #[error(
        "the persistence hook panicked on a new credential, which is kept and offered to it again"
    )]
    HookPanicked,
    /// The redirect's `state` is missing or is not the one sent: a possible CSRF attack.
    #[error("the redirect's state does not match the authorize request's (possible CSRF)")]
    StateMismatch,
    /// The redirect carries an `error` (`access_denied`, ...).
    #[error("the authorization was refused ({code}{})", Described(.description))]
    AuthorizationDenied {
        /// The `error` code, sanitised.
        code: String,
        /// The `error_description`, sanitised.
        description: Option<String>,
    },
    /// The redirect has neither a `code` nor an `error`.
    #[error("the redirect has no authorization code")]
    MissingCode,
}

/// Writes `: description` when there is one.
struct Described<'a>(&'a Option<String>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(description) => write!(f, ": {description}"),
            None => Ok(()),
        }
    }
}

/// Why [`crate::LiveConnection::authorize_with`] (or its async twin) failed. The request
/// is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError<E> {
    /// The credentials could not be put on the request.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The token endpoint refused or answered something unusable.
    #[error(transparent)]
    Token(#[from] OAuth2Error),
    /// The caller's HTTP client failed to send the token request.
    #[error("the token request could not be sent: {0}")]
    Transport(#[source] E),
}

/// Keeps what RFC 6749 §5.2 allows in `error` and `error_description` (`%x20-21 /
/// %x23-5B / %x5D-7E`), with every secret in `secrets` replaced by `******`, at most
/// `max` characters. `None` when nothing is left.
pub(crate) fn sanitise(text: &str, secrets: &[&str], max: usize) -> Option<String> {
    let allowed = |c: &char| matches!(*c, ' '..='!' | '#'..='[' | ']'..='~');
    // A secret holding a character the filter drops (`"`, `\`, a newline) survives
    // filtering only in its filtered form, which the raw form no longer matches.
    let filtered: Vec<zeroize::Zeroizing<String>> = secrets
        .iter()
        .map(|secret| zeroize::Zeroizing::new(secret.chars().filter(allowed).collect::<String>()))
        .filter(|secret| !secrets.contains(&secret.as_str()))
        .collect();
    let kept: String = scrub(text.to_owned(), secrets.iter().copied())
        .chars()
        .filter(allowed)
        .collect();
    let every_form = secrets
        .iter()
        .copied()
        .chain(filtered.iter().map(|secret| secret.as_str()));
    let kept: String = scrub(kept, every_form).chars().take(max).collect();
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// `text` with every non-empty one of `secrets` replaced by `******`, whatever the case of
/// its ASCII letters (a server may echo a secret uppercased, or percent-encode it with
/// lowercase hex digits where credgate sent uppercase).
fn scrub<'a>(mut text: String, secrets: impl Iterator<Item = &'a str>) -> String {
    for secret in secrets.filter(|s| !s.is_empty()) {
        let needle = zeroize::Zeroizing::new(secret.to_ascii_lowercase());
        // ASCII case mapping keeps every byte offset, so matches in the lowercase copy
        // are at the same offsets in `text`.
        let lower = zeroize::Zeroizing::new(text.to_ascii_lowercase());
        let mut scrubbed = String::with_capacity(text.len());
        let mut kept = 0;
        for (at, _) in lower.match_indices(needle.as_str()) {
            scrubbed.push_str(&text[kept..at]);
            scrubbed.push_str(crate::secret::REDACTED);
            kept = at + needle.len();
        }
        scrubbed.push_str(&text[kept..]);
        text = scrubbed;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitise_scrubs_secrets_and_disallowed_characters() {
        assert_eq!(
            sanitise("token s3cr\"et is \"bad\"\n", &["s3cret"], 100).as_deref(),
            Some("token ****** is bad")
        );
        assert_eq!(sanitise("abcdef", &[], 3).as_deref(), Some("abc"));
        assert_eq!(
            sanitise("got ab\"cdefgh, then abcdefgh", &["ab\"cdefgh"], 100).as_deref(),
            Some("got ******, then ******")
        );
        assert_eq!(
            sanitise(
                "bad S3CRET/X and s3cret%2fx",
                &["s3cret/x", "s3cret%2Fx"],
                100
            )
            .as_deref(),
            Some("bad ****** and ******")
        );
        assert_eq!(sanitise("\u{7f}\n", &[], 10), None);
    }
}
