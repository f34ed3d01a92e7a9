//! Token responses as they arrive in the wild (RFC 6749 §5.1 and §5.2, and the quirks).

use std::borrow::Cow;

use http::Response;
use serde_json::{Map, Value};

use super::error::{OAuth2Error, sanitise};
use crate::secret::Secret;

/// The longest `error_description` kept in an error.
const MAX_DESCRIPTION: usize = 200;
/// The longest `error` code kept in an error.
const MAX_CODE: usize = 64;

/// A successful token response.
#[derive(Debug)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: Secret,
    pub(crate) token_type: Option<String>,
    pub(crate) expires_in: Option<u64>,
    pub(crate) refresh_token: Option<Secret>,
    pub(crate) scopes: Option<Vec<String>>,
}

/// The response body's fields, JSON or form-encoded.
enum Fields {
    Json(Map<String, Value>),
    Form(Vec<(String, String)>),
    /// A plain-text body that is a bare error code (`invalid_grant`).
    Code(String),
}

impl Fields {
    /// Sniffs the body rather than trusting `Content-Type`, which servers get wrong: an
    /// object is JSON, anything with `=` is a form, else perhaps a bare error code.
    fn read(response: &Response<Vec<u8>>) -> Option<Self> {
        let body = response.body().trim_ascii();
        if body.starts_with(b"{") {
            return match serde_json::from_slice(body) {
                Ok(Value::Object(object)) => Some(Self::Json(object)),
                _ => None,
            };
        }
        if body.contains(&b'=') {
            let pairs = url::form_urlencoded::parse(body)
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            return Some(Self::Form(pairs));
        }
        let text = std::str::from_utf8(body).ok()?;
        let is_code = !text.is_empty()
            && text.len() <= MAX_CODE
            && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        is_code.then(|| Self::Code(text.to_owned()))
    }

    /// A field as text: a JSON string or number, or a form value. Empty reads as absent.
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        let value = match self {
            Self::Json(object) => match object.get(name)? {
                Value::String(s) => Cow::Borrowed(s.as_str()),
                Value::Number(n) => Cow::Owned(n.to_string()),
                _ => return None,
            },
            Self::Form(pairs) => Cow::Borrowed(pairs.iter().find(|(n, _)| n == name)?.1.as_str()),
            Self::Code(code) => match name {
                "error" => Cow::Borrowed(code.as_str()),
                _ => return None,
            },
        };
        (!value.trim().is_empty()).then_some(value)
    }

    /// `scope`: a space-delimited string or (some servers) a JSON array.
    fn scopes(&self) -> Option<Vec<String>> {
        if let Self::Json(object) = self
            && let Some(Value::Array(items)) = object.get("scope")
        {
            return Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            );
        }
        let scope = self.get("scope")?;
        Some(scope.split_whitespace().map(str::to_owned).collect())
    }
}

/// `expires_in` as a JSON number (integer or not) or a string of digits. A lifetime of 0
/// or less reads as absent, like anything else that is not a number: RFC 6749 would make
/// such a token expired on arrival, which no request could use, and servers that send 0
/// (VK for its `offline` tokens) mean one that does not expire. Without a lifetime the
/// token is used until a 401 is reported, so a server that did mean "expired" costs one
/// refused request.
fn expires_in(fields: &Fields) -> Option<u64> {
    let text = fields.get("expires_in")?;
    let text = text.trim();
    let seconds = text.parse::<u64>().ok().or_else(|| {
        let seconds = text.parse::<f64>().ok()?;
        // Truncation is intended: a lifetime of 3599.9 s is 3599 s.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        seconds
            .is_finite()
            .then(|| seconds.clamp(0.0, u64::MAX as f64) as u64)
    })?;
    (seconds > 0).then_some(seconds)
}

/// Reads a token endpoint's response. `sent` holds the secrets the request carried, so
/// that no error can echo them.
///
/// An `error` field wins whatever the status (some servers answer errors with 200), except
/// that with a 5xx status every code is [`OAuth2Error::Server`]; a non-2xx status without
/// one is [`OAuth2Error::Status`]; a 2xx needs an `access_token`.
pub(crate) fn parse(
    response: &Response<Vec<u8>>,
    sent: &[&str],
) -> Result<TokenResponse, OAuth2Error> {
    let status = response.status();
    let Some(fields) = Fields::read(response) else {
        return Err(if status.is_success() {
            OAuth2Error::Unparseable {
                status: status.as_u16(),
                reason: "the body is neither JSON, form-encoded nor an error code",
            }
        } else {
            OAuth2Error::Status {
                status: status.as_u16(),
            }
        });
    };
    let access_token = fields.get("access_token");
    let refresh_token = fields.get("refresh_token");
    if let Some(code) = fields.get("error") {
        let mut secrets = sent.to_vec();
        secrets.extend(access_token.as_deref());
        secrets.extend(refresh_token.as_deref());
        let description = fields
            .get("error_description")
            .and_then(|d| sanitise(&d, &secrets, MAX_DESCRIPTION));
        // A server error is the server's trouble, not a verdict on the grant or client: an
        // `invalid_grant` from a failing proxy or backend must not make the user reconnect.
        let code = code.trim();
        return Err(match code {
            "invalid_grant" if !status.is_server_error() => {
                OAuth2Error::InvalidGrant { description }
            }
            "invalid_client" if !status.is_server_error() => {
                OAuth2Error::InvalidClient { description }
            }
            other => OAuth2Error::Server {
                code: sanitise(other, &secrets, MAX_CODE)
                    .unwrap_or_else(|| "an unreadable error".to_owned()),
                description,
                status: status.as_u16(),
            },
        });
    }
    if !status.is_success() {
        return Err(OAuth2Error::Status {
            status: status.as_u16(),
        });
    }
    let Some(access_token) = access_token else {
        return Err(OAuth2Error::Unparseable {
            status: status.as_u16(),
            reason: "there is no access_token",
        });
    };
    Ok(TokenResponse {
        access_token: Secret::new(access_token.trim()),
        token_type: fields.get("token_type").map(|t| t.trim().to_owned()),
        expires_in: expires_in(&fields),
        refresh_token: refresh_token.map(|t| Secret::new(t.trim())),
        scopes: fields.scopes(),
    })
}
