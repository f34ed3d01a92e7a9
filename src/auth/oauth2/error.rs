//! [`OAuth2Error`] and the wrappers' [`AuthorizeError`].

use std::fmt;
use std::time::SystemTime;

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
    /// An error answering the exchange of an authorization code, `200 OK` included
    /// (GitHub's `{"error":"bad_verification_code"}`, Slack's
    /// `{"ok":false,"error":"invalid_code"}`), other than a server error, rate limiting,
    /// `temporarily_unavailable` or `invalid_client`. An authorization code can be used once
    /// (RFC 6749 §4.1.2): it is dropped, never sent again, and the user must reconnect.
    #[error("the authorization server refused the authorization code ({code}, status {status}{}): the code is spent, the user must reconnect", Described(.description))]
    CodeRefused {
        /// The `error` code, sanitised.
        code: String,
        /// The server's `error_description`, sanitised.
        description: Option<String>,
        /// The HTTP status.
        status: u16,
    },
    /// A 3xx answer. Token requests carry secrets and must be sent by a client that
    /// follows no redirects; credgate never uses a token from a redirect's target.
    #[error(
        "the token endpoint redirected (status {status}): send token requests with a client that follows no redirects"
    )]
    Redirected {
        /// The HTTP status.
        status: u16,
    },
    /// A 429 or 503 with a `Retry-After`: no token request is sent before `retry_at`.
    #[error("the token endpoint asked to wait (status {status}): retry after {}", At(*.retry_at))]
    RetryAfter {
        /// The HTTP status.
        status: u16,
        /// When the next token request may be sent.
        retry_at: SystemTime,
    },
    /// A token request failed moments ago and there is no valid token: the next one is not
    /// sent before `retry_at` (the delay doubles with each failure, from 1 s to 60 s), so
    /// that an outage does not get a token request from every call.
    #[error("the last token request failed and there is no valid token: retry after {}", At(*.retry_at))]
    BackingOff {
        /// When the next token request may be sent.
        retry_at: SystemTime,
    },
    /// A non-2xx status without an OAuth 2.0 error in the body.
    #[error("the token endpoint answered status {status} without an OAuth 2.0 error")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// A body that is neither a token nor an error, in JSON, form encoding or plain text;
    /// or, with a 2xx status, a content type that is neither JSON nor a form (an HTML page
    /// is never a token, whatever it holds).
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
    /// The connection's token store could not be consulted (read, leased) when no valid
    /// token was left: no token request was sent, and the request is unchanged. Try again
    /// once the store is back; a token still valid would have been used instead.
    #[error(transparent)]
    Store(super::store::StoreError),
    /// A new credential was received but could not be published to the token store. It is
    /// kept in this process, unused, and published again before any other token request;
    /// the persistence hook has had it. If this process ends before the store takes it, the
    /// credential is lost (the authorization server has already rotated the refresh
    /// token), and the user may have to reconnect.
    #[error(
        "a new token was received but could not be published to the token store ({0}): it is kept in this process and published again before any token request; if the process ends first it is lost"
    )]
    NotPublished(super::store::StoreError),
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

/// Writes a time as RFC 3339.
struct At(SystemTime);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::time::format_rfc3339(self.0))
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

/// Secrets shorter than this are not starred out inside a description, which would garble
/// it (`The code pa******ed`): a description holding one is dropped whole instead.
const MIN_SCRUBBED_SECRET_CHARS: usize = 8;

/// Keeps what RFC 6749 §5.2 allows in `error` and `error_description` (`%x20-21 /
/// %x23-5B / %x5D-7E`), with every secret in `secrets` replaced by `******`, at most
/// `max` characters. `None` when nothing is left.
///
/// Servers echo what they were sent in the encodings they use themselves: form encoding
/// (`+` for a space), percent-encoding in either case, HTML escaping (named, decimal and
/// hex entities), JSON escaping (`\/`, `\u002f`). Rather than list every way each secret
/// can be spelled (servers mix them), the text is decoded in each of those ways, and
/// combinations of two; if any decoding holds a secret anywhere but where it is starred out
/// in place, the whole text is dropped. So is a text holding a secret shorter than
/// [`MIN_SCRUBBED_SECRET_CHARS`], in any form: starring out two letters garbles every word
/// that happens to hold them, and the words left around it could still give it away.
pub(crate) fn sanitise(text: &str, secrets: &[&str], max: usize) -> Option<String> {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    let (short, long): (Vec<&str>, Vec<&str>) = secrets
        .iter()
        .partition(|secret| secret.chars().count() < MIN_SCRUBBED_SECRET_CHARS);
    let allowed = |c: &char| matches!(*c, ' '..='!' | '#'..='[' | ']'..='~');
    // A secret holding a character the filter drops (`"`, `\`, a newline) survives
    // filtering only in its filtered form, which the raw form no longer matches.
    let filtered: Vec<zeroize::Zeroizing<String>> = long
        .iter()
        .map(|secret| zeroize::Zeroizing::new(secret.chars().filter(allowed).collect::<String>()))
        .filter(|secret| !secret.is_empty() && !long.contains(&secret.as_str()))
        .collect();
    let scrubbed = zeroize::Zeroizing::new(scrub(text.to_owned(), long.iter().copied()));
    if short.iter().any(|secret| echoes(text, secret))
        || long.iter().any(|secret| echoes(&scrubbed, secret))
    {
        return None;
    }
    let kept: String = scrubbed.chars().filter(allowed).collect();
    let every_form = long
        .iter()
        .copied()
        .chain(filtered.iter().map(|secret| secret.as_str()));
    let kept = zeroize::Zeroizing::new(scrub(kept, every_form));
    if short.iter().any(|secret| echoes(&kept, secret)) {
        return None;
    }
    let kept: String = kept.chars().take(max).collect();
    let kept = kept.trim();
    // Dropping the characters RFC 6749 does not allow can join what they split: a secret
    // echoed HTML-escaped with a `\` inside (`CANARY&#x2F;42+\&amp;x`) is readable only
    // once the `\` is gone. So the text as it will be shown is checked again, in every
    // decoding, for every form of every secret.
    if secrets
        .iter()
        .copied()
        .chain(filtered.iter().map(|secret| secret.as_str()))
        .any(|secret| echoes(kept, secret))
    {
        return None;
    }
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// Whether `text`, read in any of the encodings servers echo values in (see
/// [`sanitise`]), holds `secret`. Letters compare without case, and `+` as a space (form
/// encoding writes a space as `+`, and some servers leave a literal `+` alone).
fn echoes(text: &str, secret: &str) -> bool {
    let needle = zeroize::Zeroizing::new(loose(secret));
    if needle.is_empty() {
        return false;
    }
    let decoders: [fn(&str) -> String; 4] =
        [|t| t.to_owned(), percent_decode, html_decode, json_unescape];
    decoders.iter().any(|first| {
        let once = zeroize::Zeroizing::new(first(text));
        decoders.iter().any(|second| {
            let twice = zeroize::Zeroizing::new(second(&once));
            loose(&twice).contains(needle.as_str())
        })
    })
}

/// `text` lowercased (ASCII), with `+` read as a space.
fn loose(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '+' {
                ' '
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Percent-decoding (`%2f` or `%2F`); invalid UTF-8 is replaced, not refused.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// HTML character references: `&amp;` and the other named ones servers write, `&#47;`,
/// `&#x2F;` (the `;` may be missing, as browsers allow).
fn html_decode(text: &str) -> String {
    const NAMED: [(&str, char); 8] = [
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
        ("nbsp", ' '),
        ("sol", '/'),
        ("plus", '+'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let (decoded, used) = if let Some(number) = rest.strip_prefix('#') {
            let (hex, digits) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (true, hex),
                None => (false, number),
            };
            let len = digits
                .bytes()
                .take_while(|b| {
                    if hex {
                        b.is_ascii_hexdigit()
                    } else {
                        b.is_ascii_digit()
                    }
                })
                .count();
            let value = u32::from_str_radix(&digits[..len], if hex { 16 } else { 10 }).ok();
            let used = number.len() - digits.len() + 1 + len;
            (value.and_then(char::from_u32), used)
        } else {
            let named = NAMED.iter().find(|(name, _)| {
                rest.get(..name.len())
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
            (
                named.map(|(_, c)| *c),
                named.map_or(0, |(name, _)| name.len()),
            )
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[used..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
}

/// JSON string escapes: `\/`, `\"`, `\\`, `\n` and the rest, `\u002f` (either case).
fn json_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some('u') => {
                let hex: String = chars.clone().skip(1).take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) if hex.len() == 4 => {
                        out.push(decoded);
                        chars.nth(4);
                    }
                    _ => out.push(c),
                }
            }
            Some(escaped) => {
                out.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    other => other,
                });
                chars.next();
            }
            None => out.push(c),
        }
    }
    out
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
            sanitise("token s3cr\"et-long is \"bad\"\n", &["s3cret-long"], 100).as_deref(),
            Some("token ****** is bad")
        );
        assert_eq!(sanitise("abcdef", &[], 3).as_deref(), Some("abc"));
        assert_eq!(
            sanitise("got ab\"cdefgh, then abcdefgh", &["ab\"cdefgh"], 100).as_deref(),
            Some("got ******, then ******")
        );
        assert_eq!(
            sanitise(
                "bad S3CRET/XYZ and s3cret%2fxyz",
                &["s3cret/xyz", "s3cret%2Fxyz"],
                100
            )
            .as_deref(),
            Some("bad ****** and ******")
        );
        assert_eq!(sanitise("\u{7f}\n", &[], 10), None);
    }

    #[test]
    fn sanitise_drops_a_text_echoing_a_secret_in_another_encoding() {
        let secret = "my secret/42+&x";
        for echoed in [
            "bad my+secret/42+&x",
            "bad my+secret%2F42%2B%26x",
            "bad my%20secret%2f42%2b%26x",
            "bad my secret&#x2F;42+&amp;x",
            "bad my secret&#47;42&#43;&x",
            "bad my secret\\/42+&x",
            "bad my\\u0020secret\\u002F42+\\u0026x",
            "bad my+secret%26%23x2F%3B42+%26amp%3Bx",
        ] {
            assert_eq!(sanitise(echoed, &[secret], 100), None, "{echoed}");
        }
        assert_eq!(
            sanitise("the code passed is wrong", &["ss"], 100),
            None,
            "a short secret drops the text rather than garble it"
        );
        for echoed in [
            "bad my secret&#x2F;42+\\\\&amp;x",
            "bad my secret&#\\x2F;42+&amp;x",
            "bad my\"+secret%2\\F42%2B%26x",
        ] {
            assert_eq!(
                sanitise(echoed, &[secret], 100),
                None,
                "a secret readable once the disallowed characters are dropped: {echoed}"
            );
        }
        assert_eq!(
            sanitise("the code is wrong", &["ss"], 100).as_deref(),
            Some("the code is wrong")
        );
    }
}
