//! Token responses as they arrive in the wild (RFC 6749 §5.1 and §5.2, and the quirks).

use std::borrow::Cow;
use std::collections::BTreeMap;

use http::Response;
use serde_json::{Map, Value};

use std::time::{Duration, SystemTime};

use super::error::{OAuth2Error, echoes, sanitise};
use super::request::ResponseOptions;
use super::time::parse_http_date;
use crate::model::{ExpiresInUnit, ScopeSeparator};
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
    /// The fields the scheme's `tokenResponseValues` names that the response holds.
    pub(crate) values: BTreeMap<String, Secret>,
}

/// The response body's fields, JSON or form-encoded.
enum Fields {
    Json(Map<String, Value>),
    Form(Vec<(String, String)>),
    /// A plain-text body that is a bare error code (`invalid_grant`).
    Code(String),
}

/// How a body is read, as its `Content-Type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// JSON, or (as a JSON type may also carry) a bare error code.
    Json,
    /// `application/x-www-form-urlencoded` (GitHub's legacy answer).
    Form,
    /// Anything else (`text/html`, `application/xml`, ...): never a token.
    Other,
}

/// The parser for `response`'s `Content-Type`: JSON for `application/json`, the `+json`
/// types, `text/plain` and the JavaScript types (which servers use for JSON) and a missing
/// one; a form for `application/x-www-form-urlencoded`; nothing else. The body is not
/// sniffed: an HTML page that holds `access_token=` is still a page.
fn body_kind(response: &Response<Vec<u8>>) -> BodyKind {
    let Some(value) = response.headers().get(http::header::CONTENT_TYPE) else {
        return BodyKind::Json;
    };
    let Ok(value) = value.to_str() else {
        return BodyKind::Other;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let is = |name: &str| essence.eq_ignore_ascii_case(name);
    let is_json_suffix = essence.len() > 5
        && essence.is_char_boundary(essence.len() - 5)
        && essence[essence.len() - 5..].eq_ignore_ascii_case("+json");
    if is("application/json")
        || is_json_suffix
        || is("text/json")
        || is("text/plain")
        || is("text/javascript")
        || is("application/javascript")
        || is("application/x-javascript")
        || essence.is_empty()
    {
        BodyKind::Json
    } else if is("application/x-www-form-urlencoded") {
        BodyKind::Form
    } else {
        BodyKind::Other
    }
}

impl Fields {
    /// Reads the body as its content type says (see [`body_kind`]). `None` when it is not
    /// what the type says, or the type is not one a token endpoint answers with.
    fn read(response: &Response<Vec<u8>>) -> Option<Self> {
        let body = response.body().trim_ascii();
        match body_kind(response) {
            BodyKind::Other => None,
            BodyKind::Form => {
                let pairs = url::form_urlencoded::parse(body)
                    .map(|(n, v)| (n.into_owned(), v.into_owned()))
                    .collect();
                Some(Self::Form(pairs))
            }
            BodyKind::Json if body.starts_with(b"{") => match serde_json::from_slice(body) {
                Ok(Value::Object(object)) => Some(Self::Json(object)),
                _ => None,
            },
            BodyKind::Json => {
                let text = std::str::from_utf8(body).ok()?;
                let is_code = !text.is_empty()
                    && text.len() <= MAX_CODE
                    && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                is_code.then(|| Self::Code(text.to_owned()))
            }
        }
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

    /// The fields as read at the scheme's `accessTokenPath` (`authed_user.access_token`):
    /// the object holding the token, its fields over the top level's, with the token as
    /// `access_token`. Without a path, or when the response has no token there (a refresh
    /// answering at the top level), the top level as it is.
    fn at_token_path(self, path: Option<&[String]>) -> Self {
        let (Some((last, parents)), Self::Json(top)) = (path.and_then(<[_]>::split_last), &self)
        else {
            return self;
        };
        let mut object = top;
        for name in parents {
            match object.get(name.as_str()) {
                Some(Value::Object(inner)) => object = inner,
                _ => return self,
            }
        }
        let token = match object.get(last.as_str()) {
            Some(Value::String(token)) if !token.trim().is_empty() => token.clone(),
            _ => return self,
        };
        let mut merged = top.clone();
        if !parents.is_empty() {
            merged.extend(object.iter().map(|(n, v)| (n.clone(), v.clone())));
        }
        merged.insert("access_token".to_owned(), Value::String(token));
        Self::Json(merged)
    }

    /// The fields at `paths` (dotted, into JSON objects; a form body's names whole) that
    /// hold a string, number or boolean, keyed by the path as written.
    fn values(&self, paths: &[(String, Vec<String>)]) -> BTreeMap<String, Secret> {
        let mut values = BTreeMap::new();
        for (key, names) in paths {
            let value = match self {
                Self::Json(top) => {
                    let mut value = None;
                    let mut object = Some(top);
                    for name in names {
                        value = object.and_then(|o| o.get(name.as_str()));
                        object = match value {
                            Some(Value::Object(inner)) => Some(inner),
                            _ => None,
                        };
                    }
                    match value {
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(Value::Number(n)) => Some(n.to_string()),
                        Some(Value::Bool(b)) => Some(b.to_string()),
                        _ => None,
                    }
                }
                Self::Form(_) => self.get(key).map(Cow::into_owned),
                Self::Code(_) => None,
            };
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                values.insert(key.clone(), Secret::new(value));
            }
        }
        values
    }

    /// `scope`: a string delimited by spaces (RFC 6749 §3.3) or by the scheme's separator
    /// (GitHub and Shopify answer with commas), or (some servers) a JSON array.
    fn scopes(&self, separator: ScopeSeparator) -> Option<Vec<String>> {
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
        let is_separator = |c: char| {
            c.is_whitespace()
                || match separator {
                    ScopeSeparator::Comma => c == ',',
                    ScopeSeparator::Plus => c == '+',
                    _ => false,
                }
        };
        Some(
            scope
                .split(is_separator)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}

/// `expires_in` as a JSON number (integer or not) or a string of digits. A lifetime of 0
/// or less reads as absent, like anything else that is not a number: RFC 6749 would make
/// such a token expired on arrival, which no request could use, and servers that send 0
/// (VK for its `offline` tokens) mean one that does not expire. Without a lifetime the
/// token is used until a 401 is reported, so a server that did mean "expired" costs one
/// refused request.
///
/// `field` is read first (the scheme's `expiresInField`), then `expires_in`; `unit` is the
/// scheme's `expiresInUnit` (milliseconds round up to whole seconds).
fn expires_in(fields: &Fields, field: Option<&str>, unit: ExpiresInUnit) -> Option<u64> {
    let seconds = lifetime(fields, field)?;
    match unit {
        ExpiresInUnit::Milliseconds => Some(seconds.div_ceil(1000)),
        _ => Some(seconds),
    }
}

fn lifetime(fields: &Fields, field: Option<&str>) -> Option<u64> {
    let text = field
        .and_then(|name| fields.get(name))
        .or_else(|| fields.get("expires_in"))?;
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

/// When a 429 or 503 answer's `Retry-After` (delta seconds or an HTTP-date) allows the
/// next request, `now` being when the answer arrived. `None` for any other status, or
/// without a readable `Retry-After`.
pub(crate) fn retry_after(response: &Response<Vec<u8>>, now: SystemTime) -> Option<SystemTime> {
    // An hour at most: a server's typo must not stop a connection for a year.
    const MAX_WAIT: Duration = Duration::from_secs(3600);
    let status = response.status().as_u16();
    if status != 429 && status != 503 {
        return None;
    }
    let value = response
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let at = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        now.checked_add(Duration::from_secs(seconds).min(MAX_WAIT))?
    } else {
        parse_http_date(value)?.max(now)
    };
    Some(at.min(now.checked_add(MAX_WAIT)?))
}

/// Reads a token endpoint's response. `sent` holds the secrets the request carried, so
/// that no error can echo them; `separator` is the scheme's scope separator; `now` is when
/// the response arrived.
///
/// A 3xx is [`OAuth2Error::Redirected`], and a 429 or 503 with a `Retry-After`
/// [`OAuth2Error::RetryAfter`]. Otherwise an `error` field wins whatever the status (some
/// servers answer errors with 200), except that with a 5xx status every code is
/// [`OAuth2Error::Server`]; a non-2xx status without one is [`OAuth2Error::Status`]; a 2xx
/// needs an `access_token` in a JSON or form body.
pub(crate) fn parse(
    response: &Response<Vec<u8>>,
    sent: &[&str],
    separator: ScopeSeparator,
    options: &ResponseOptions,
    now: SystemTime,
) -> Result<TokenResponse, OAuth2Error> {
    let status = response.status();
    if status.is_redirection() {
        return Err(OAuth2Error::Redirected {
            status: status.as_u16(),
        });
    }
    if let Some(retry_at) = retry_after(response, now) {
        return Err(OAuth2Error::RetryAfter {
            status: status.as_u16(),
            retry_at,
        });
    }
    let Some(top) = Fields::read(response) else {
        return Err(if status.is_success() {
            OAuth2Error::Unparseable {
                status: status.as_u16(),
                reason: "the body is not the JSON or form its content type names, or the content type is not one a token comes in",
            }
        } else {
            OAuth2Error::Status {
                status: status.as_u16(),
            }
        });
    };
    let values = top.values(&options.values);
    let fields = top.at_token_path(options.access_token_path.as_deref());
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
    // `scope` and `token_type` are kept in the clear (in `Debug`, in redacted documents): a
    // server that echoes a secret of the request in one of them (the code, the client
    // secret) must not put it there, so such a field reads as absent.
    let repeats_sent = |text: &str| sent.iter().any(|secret| echoes(text, secret));
    let scopes = fields.scopes(separator).filter(|scopes| {
        !repeats_sent(&scopes.join(" "))
            && !fields.get("scope").is_some_and(|raw| repeats_sent(&raw))
    });
    Ok(TokenResponse {
        access_token: Secret::new(access_token.trim()),
        token_type: fields
            .get("token_type")
            .filter(|t| !repeats_sent(t))
            .map(|t| t.trim().to_owned()),
        expires_in: expires_in(
            &fields,
            options.expires_in_field.as_deref(),
            options.expires_in_unit,
        ),
        refresh_token: refresh_token.map(|t| Secret::new(t.trim())),
        scopes,
        values,
    })
}
