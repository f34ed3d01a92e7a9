//! `api-key`: a key in a header, a query parameter or a cookie.

use std::fmt;

use http::header::{COOKIE, HeaderName, HeaderValue};
use http::uri::PathAndQuery;

use zeroize::Zeroizing;

use super::{Authenticator, OutgoingRequest};
use crate::encoding;
use crate::error::{AuthError, BuildError};
use crate::model::{ApiKeyScheme, KeyLocation};
use crate::secret::{Secret, secret_header_value};

const KEY_PLACEHOLDER: &str = "{key}";

/// Sends an API key in a header, a query parameter or a cookie, optionally inside a value
/// template such as `Bearer {key}`.
///
/// Everything is encoded when it is built: applying it to a request only inserts a
/// pre-built header value (header), splices a pre-encoded `name=value` pair into the query
/// (query, replacing any parameter of the same name), or merges a pre-encoded pair into the
/// `Cookie` header (cookie).
///
/// # Example
///
/// ```
/// use credgate::auth::{ApiKey, Authenticator};
/// use credgate::{ApiKeyScheme, KeyLocation, Secret};
///
/// let bearer = ApiKeyScheme::new("token", "Authorization", KeyLocation::Header)
///     .with_value_template("Bearer {key}");
/// let query = ApiKeyScheme::new("key", "api_key", KeyLocation::Query);
///
/// let mut request = http::Request::get("https://api.example.com/v1/items?api_key=old&page=2")
///     .body(Vec::new())?;
/// ApiKey::new(&bearer, &Secret::new("t0k"))?.authorize(&mut request)?;
/// ApiKey::new(&query, &Secret::new("a b&c"))?.authorize(&mut request)?;
///
/// assert_eq!(request.headers()["authorization"], "Bearer t0k");
/// assert_eq!(request.uri(), "https://api.example.com/v1/items?page=2&api_key=a%20b%26c");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ApiKey {
    placement: Placement,
}

enum Placement {
    Header {
        name: HeaderName,
        value: HeaderValue,
    },
    Query {
        /// Kept in a one-element slice so redaction can borrow it as a list.
        name: [String; 1],
        pair: Zeroizing<String>,
    },
    Cookie {
        name: String,
        pair: Zeroizing<String>,
        header: HeaderValue,
    },
}

impl ApiKey {
    /// Validates and pre-encodes `key` for `scheme`.
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the key is empty or redacted, the value template does not hold
    /// `{key}` exactly once, the name is not valid where it goes, or the key has bytes the
    /// placement cannot carry (CR, LF, NUL in a header; `;`, `,`, spaces, quotes in a cookie).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::ApiKey;
    /// use credgate::{ApiKeyScheme, BuildError, KeyLocation, Secret};
    ///
    /// let scheme = ApiKeyScheme::new("key", "X-API-Key", KeyLocation::Header);
    /// let err = ApiKey::new(&scheme, &Secret::new("bad\r\nkey")).unwrap_err();
    /// assert!(matches!(err, BuildError::InvalidValue { field: "api key", .. }));
    /// assert!(!err.to_string().contains("bad"));
    /// ```
    pub fn new(scheme: &ApiKeyScheme, key: &Secret) -> Result<Self, BuildError> {
        if key.is_redacted() {
            return Err(BuildError::Redacted { field: "api key" });
        }
        if key.is_empty() {
            return Err(BuildError::ApiKeyRequired);
        }
        let key = key.expose_secret();
        let value = Zeroizing::new(match &scheme.value_template {
            None => key.to_owned(),
            Some(template) => {
                if template.matches(KEY_PLACEHOLDER).count() != 1 {
                    return Err(BuildError::InvalidValue {
                        field: "value template",
                        reason: "must contain {key} exactly once",
                    });
                }
                template.replacen(KEY_PLACEHOLDER, key, 1)
            }
        });
        let placement = match scheme.location {
            KeyLocation::Header => header_placement(scheme, &value)?,
            KeyLocation::Query => {
                if scheme.name.is_empty() {
                    return Err(BuildError::InvalidName {
                        name: scheme.name.clone(),
                        location: "query parameter",
                    });
                }
                Placement::Query {
                    pair: Zeroizing::new(format!(
                        "{}={}",
                        encoding::encode(&scheme.name),
                        *Zeroizing::new(encoding::encode(&value))
                    )),
                    name: [scheme.name.clone()],
                }
            }
            KeyLocation::Cookie => cookie_placement(scheme, &value)?,
        };
        Ok(Self { placement })
    }

    /// Inserts the key's header when it goes in one (a header placement), so a caller
    /// holding a `HeaderMap` needs no dispatch on the request type. `false` for the query
    /// and cookie placements, which need [`Authenticator::authorize`].
    // mutants: equivalent because `false` only sends the request down the full
    // `Authenticator::authorize` path, which sets the same header (a fast path, no rule).
    #[inline]
    pub(crate) fn insert_header(&self, headers: &mut http::HeaderMap) -> bool {
        match &self.placement {
            Placement::Header { name, value } => {
                headers.try_insert(name.clone(), value.clone()).is_ok()
            }
            Placement::Query { .. } | Placement::Cookie { .. } => false,
        }
    }

    pub(crate) fn query_name(&self) -> &[String] {
        match &self.placement {
            Placement::Query { name, .. } => name,
            Placement::Header { .. } | Placement::Cookie { .. } => &[],
        }
    }
}

fn header_placement(scheme: &ApiKeyScheme, value: &str) -> Result<Placement, BuildError> {
    let name = super::writable_header_name(&scheme.name, "a credential")?;
    if let Some(template) = &scheme.value_template
        && HeaderValue::from_str(template).is_err()
    {
        return Err(BuildError::InvalidValue {
            field: "value template",
            reason: "contains a byte not allowed in an HTTP header value (such as CR, LF or NUL)",
        });
    }
    Ok(Placement::Header {
        name,
        value: sensitive_header(value.as_bytes())?,
    })
}

fn cookie_placement(scheme: &ApiKeyScheme, value: &str) -> Result<Placement, BuildError> {
    // RFC 6265 §4.1.1: cookie-name is a token, cookie-value is cookie-octets.
    let is_token = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
    if scheme.name.is_empty() || !scheme.name.bytes().all(is_token) {
        return Err(BuildError::InvalidName {
            name: scheme.name.clone(),
            location: "cookie",
        });
    }
    let is_cookie_octet = |b: u8| b.is_ascii_graphic() && !b"\",;\\".contains(&b);
    if !value.bytes().all(is_cookie_octet) {
        return Err(BuildError::InvalidValue {
            field: "api key",
            reason: "contains a character not allowed in a cookie value (space, quote, comma, semicolon, backslash or non-ASCII)",
        });
    }
    let pair = Zeroizing::new(format!("{}={value}", scheme.name));
    Ok(Placement::Cookie {
        header: sensitive_header(pair.as_bytes())?,
        name: scheme.name.clone(),
        pair,
    })
}

/// A header value marked sensitive, or the error that names the api key as the culprit.
pub(crate) fn sensitive_header(bytes: &[u8]) -> Result<HeaderValue, BuildError> {
    secret_header_value(bytes).map_err(|_| BuildError::InvalidValue {
        field: "api key",
        reason: "contains a byte not allowed in an HTTP header value (such as CR, LF or NUL)",
    })
}

impl Authenticator for ApiKey {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        match &self.placement {
            Placement::Header { name, value } => {
                super::set_header(request.headers_mut(), name.clone(), value.clone())?;
            }
            Placement::Query { name, pair } => {
                let uri = request.uri();
                let (path, query) = (uri.path(), uri.query());
                let mut path_and_query = Zeroizing::new(String::with_capacity(
                    path.len() + 2 + query.map_or(0, str::len) + pair.len(),
                ));
                path_and_query.push_str(path);
                path_and_query.push('?');
                encoding::push_replaced_query(&mut path_and_query, query, &name[0], pair);
                // Zeroized, like the header values, once the last URI holding it is gone.
                let path_and_query =
                    PathAndQuery::from_maybe_shared(bytes::Bytes::from_owner(path_and_query))
                        .map_err(|_| AuthError::UnsupportedUri {
                            reason: "cannot carry the query parameter",
                        })?;
                let mut parts = uri.clone().into_parts();
                parts.path_and_query = Some(path_and_query);
                let uri = http::Uri::from_parts(parts).map_err(|_| AuthError::UnsupportedUri {
                    reason: "cannot carry the query parameter",
                })?;
                request.set_uri(uri);
            }
            Placement::Cookie { name, pair, header } => {
                let merged = merge_cookie(request.headers(), name, pair)?;
                let headers = request.headers_mut();
                let value = merged.unwrap_or_else(|| header.clone());
                super::set_header(headers, COOKIE, value)?;
            }
        }
        Ok(())
    }
}

/// The single `Cookie` value that results from adding `pair` to the request's existing
/// cookies (all `Cookie` headers folded into one, any cookie named `name` replaced), or
/// `None` if there are none.
fn merge_cookie(
    headers: &http::HeaderMap,
    name: &str,
    pair: &str,
) -> Result<Option<HeaderValue>, AuthError> {
    let mut existing = headers.get_all(COOKIE).iter().peekable();
    if existing.peek().is_none() {
        return Ok(None);
    }
    let mut merged = Zeroizing::new(Vec::new());
    for value in existing {
        for cookie in value.as_bytes().split(|&b| b == b';') {
            let cookie = cookie.trim_ascii();
            let cookie_name = cookie.split(|&b| b == b'=').next().unwrap_or_default();
            if cookie.is_empty() || cookie_name == name.as_bytes() {
                continue;
            }
            merged.extend_from_slice(cookie);
            merged.extend_from_slice(b"; ");
        }
    }
    merged.extend_from_slice(pair.as_bytes());
    // Existing bytes came from valid header values and `pair` was validated when built, so
    // this cannot fail; if it did, the request must stay unchanged.
    secret_header_value(&merged)
        .map(Some)
        .map_err(|_| AuthError::UnsupportedHeader {
            reason: "the existing Cookie header cannot be merged with the credential",
        })
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (location, name) = match &self.placement {
            Placement::Header { name, .. } => ("header", name.as_str()),
            Placement::Query { name, .. } => ("query", name[0].as_str()),
            Placement::Cookie { name, .. } => ("cookie", name.as_str()),
        };
        f.debug_struct("ApiKey")
            .field("location", &location)
            .field("name", &name)
            .field("value", &crate::secret::REDACTED)
            .finish()
    }
}
