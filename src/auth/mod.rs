//! The [`Authenticator`] trait and one module per scheme.
//!
//! An authenticator decorates an outgoing request. Its contract:
//!
//! * on `Err`, the request is unchanged;
//! * on `Ok`, only headers, the URI's query and (for body placement) the body change;
//! * every header it injects that carries a credential is marked sensitive
//!   ([`http::HeaderValue::set_sensitive`]), so HTTP/2 encoders never index it and `Debug`
//!   hides it.
//!
//! Most code does not use authenticators directly: a [`crate::LiveConnection`] builds one
//! per credential and applies them in order, after resolving the request URI against the
//! connection's base URL and refusing foreign origins.

mod api_key;
mod basic;
mod bypass;
pub mod oauth1;
pub mod oauth2;

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

pub use api_key::ApiKey;
pub use basic::Basic;
pub use bypass::Bypass;
pub use oauth1::OAuth1;

use crate::clock::{Clock, RandomSource};
use crate::error::{AuthError, BuildError};
use crate::model::{AuthSchemeConfig, Credential};

/// Puts credentials on an outgoing request.
///
/// Object-safe: `Box<dyn Authenticator>` and `&dyn Authenticator` work, and an
/// `&mut http::Request<B>` coerces to the `&mut dyn OutgoingRequest` it takes.
///
/// # Example
///
/// ```
/// use credgate::auth::{ApiKey, Authenticator};
/// use credgate::{ApiKeyScheme, KeyLocation, Secret};
///
/// let scheme = ApiKeyScheme::new("key", "X-API-Key", KeyLocation::Header);
/// let authenticator: Box<dyn Authenticator> = Box::new(ApiKey::new(&scheme, &Secret::new("k-1"))?);
///
/// let mut request = http::Request::get("https://api.example.com/items").body(Vec::new())?;
/// authenticator.authorize(&mut request)?;
/// assert_eq!(request.headers()["x-api-key"], "k-1");
/// assert!(request.headers()["x-api-key"].is_sensitive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Puts this authenticator's credential on `request`.
    ///
    /// # Errors
    ///
    /// [`AuthError`] when the credential cannot be applied to this request; the request is
    /// then unchanged.
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError>;
}

impl<A: Authenticator + ?Sized> Authenticator for Box<A> {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        (**self).authorize(request)
    }
}

impl<A: Authenticator + ?Sized> Authenticator for Arc<A> {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        (**self).authorize(request)
    }
}

/// The parts of an outgoing request an authenticator reads and changes.
///
/// Implemented for every `http::Request<B>` whose body is a [`RequestBody`].
pub trait OutgoingRequest {
    /// The method.
    fn method(&self) -> &Method;
    /// The URI.
    fn uri(&self) -> &Uri;
    /// Replaces the URI.
    fn set_uri(&mut self, uri: Uri);
    /// The headers.
    fn headers(&self) -> &HeaderMap;
    /// The headers, to change.
    fn headers_mut(&mut self) -> &mut HeaderMap;
    /// The body's bytes, if it is buffered.
    fn body_bytes(&self) -> Option<&[u8]>;
    /// Replaces the body; `false` if this body type cannot hold `bytes`.
    fn replace_body(&mut self, bytes: Vec<u8>) -> bool;
}

impl<B: RequestBody> OutgoingRequest for http::Request<B> {
    fn method(&self) -> &Method {
        http::Request::method(self)
    }
    fn uri(&self) -> &Uri {
        http::Request::uri(self)
    }
    fn set_uri(&mut self, uri: Uri) {
        *self.uri_mut() = uri;
    }
    fn headers(&self) -> &HeaderMap {
        http::Request::headers(self)
    }
    fn headers_mut(&mut self) -> &mut HeaderMap {
        http::Request::headers_mut(self)
    }
    fn body_bytes(&self) -> Option<&[u8]> {
        self.body().bytes()
    }
    fn replace_body(&mut self, bytes: Vec<u8>) -> bool {
        self.body_mut().replace(bytes)
    }
}

/// A request body an authenticator may read (to sign form parameters) or replace (OAuth1
/// parameters in the body).
///
/// Implemented for the buffered body types; a streaming body can implement it with
/// `bytes` returning `None`.
pub trait RequestBody {
    /// The bytes, if the body is buffered.
    fn bytes(&self) -> Option<&[u8]>;
    /// Replaces the body; `false` if this type cannot hold `bytes`.
    fn replace(&mut self, bytes: Vec<u8>) -> bool;
}

impl RequestBody for Vec<u8> {
    fn bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
    fn replace(&mut self, bytes: Vec<u8>) -> bool {
        *self = bytes;
        true
    }
}

impl RequestBody for String {
    fn bytes(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
    fn replace(&mut self, bytes: Vec<u8>) -> bool {
        match String::from_utf8(bytes) {
            Ok(text) => {
                *self = text;
                true
            }
            Err(_) => false,
        }
    }
}

impl RequestBody for bytes::Bytes {
    fn bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
    fn replace(&mut self, bytes: Vec<u8>) -> bool {
        *self = bytes.into();
        true
    }
}

impl RequestBody for () {
    fn bytes(&self) -> Option<&[u8]> {
        Some(&[])
    }
    fn replace(&mut self, bytes: Vec<u8>) -> bool {
        bytes.is_empty()
    }
}

impl RequestBody for &[u8] {
    fn bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
    fn replace(&mut self, _: Vec<u8>) -> bool {
        false
    }
}

/// What an authenticator may need while it is built: the injected clock and randomness,
/// and for OAuth 2.0 the persistence hook and the credential's position.
#[derive(Debug, Clone)]
pub(crate) struct BuildContext {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn RandomSource>,
    pub(crate) token_hook: Option<oauth2::TokenHook>,
    /// The token store an OAuth 2.0 credential coordinates its refreshes through, with the
    /// owner of its own row.
    pub(crate) token_store: Option<oauth2::StoreLink>,
    pub(crate) credential_index: usize,
    /// The connection's values for `{placeholder}`s in endpoint URLs.
    pub(crate) url_values: std::collections::BTreeMap<String, String>,
    /// The template's placeholders: which may set a host, and to what.
    pub(crate) placeholders: std::collections::BTreeMap<String, crate::model::Placeholder>,
    /// Whether `url_values` are unknown yet (stand-ins are used and only the template's
    /// rules are checked).
    pub(crate) url_stand_ins: bool,
    /// Whether a credential's own endpoint URL may name any host: no template says
    /// otherwise, or it allows any base URL. Else it must stay on the scheme's domain.
    pub(crate) any_endpoint_host: bool,
}

impl Default for BuildContext {
    fn default() -> Self {
        Self {
            clock: Arc::new(crate::clock::SystemClock),
            random: Arc::new(crate::clock::OsRandom),
            token_hook: None,
            token_store: None,
            credential_index: 0,
            url_values: std::collections::BTreeMap::new(),
            placeholders: std::collections::BTreeMap::new(),
            url_stand_ins: false,
            any_endpoint_host: true,
        }
    }
}

/// One built authenticator per scheme type, dispatched by `match` rather than a vtable.
#[derive(Debug)]
pub(crate) enum SchemeAuthenticator {
    ApiKey(ApiKey),
    Basic(Basic),
    Bypass(Bypass),
    Hmac(crate::webhook::Signer),
    /// Boxed: its keyed HMAC states are large.
    OAuth1(Box<OAuth1>),
    OAuth2(oauth2::OAuth2),
}

impl SchemeAuthenticator {
    /// Validates `credential` against `scheme` and pre-encodes it.
    pub(crate) fn build(
        scheme: &AuthSchemeConfig,
        credential: &Credential,
        context: &BuildContext,
    ) -> Result<Self, BuildError> {
        if let Credential::Unsupported(other) = credential {
            return Err(BuildError::UnsupportedCredential {
                credential_type: other.credential_type.clone(),
            });
        }
        match scheme {
            AuthSchemeConfig::ApiKey(scheme) => match credential {
                Credential::String(key) => ApiKey::new(scheme, &key.value).map(Self::ApiKey),
                _ => Err(BuildError::ApiKeyRequired),
            },
            AuthSchemeConfig::BasicAuth(scheme) => {
                Basic::from_credential(scheme, credential).map(Self::Basic)
            }
            AuthSchemeConfig::Hmac(scheme) => match credential {
                Credential::String(secret) => crate::webhook::Signer::new(scheme, &secret.value)
                    .map(|signer| Self::Hmac(signer.with_clock(Arc::clone(&context.clock)))),
                _ => Err(BuildError::CredentialMismatch {
                    scheme_type: "hmac".to_owned(),
                    credential_type: credential.type_name().to_owned(),
                }),
            },
            AuthSchemeConfig::OAuth1(scheme) => match credential {
                Credential::OAuth1Token(token) => OAuth1::new(scheme, token).map(|a| {
                    Self::OAuth1(Box::new(
                        a.with_clock(Arc::clone(&context.clock))
                            .with_random(Arc::clone(&context.random)),
                    ))
                }),
                Credential::OAuth1Consumer(consumer) => {
                    OAuth1::consumer_only(scheme, &consumer.additional_params).map(|a| {
                        Self::OAuth1(Box::new(
                            a.with_clock(Arc::clone(&context.clock))
                                .with_random(Arc::clone(&context.random)),
                        ))
                    })
                }
                _ => Err(BuildError::OAuth1TokenRequired),
            },
            AuthSchemeConfig::OAuth2(scheme) => {
                oauth2::OAuth2::build(scheme, credential, context).map(Self::OAuth2)
            }
            AuthSchemeConfig::None(_) => match credential {
                Credential::None => Ok(Self::Bypass(Bypass)),
                _ => Err(BuildError::BypassRequired),
            },
            other => Err(BuildError::UnsupportedScheme {
                scheme_type: other.type_name().to_owned(),
            }),
        }
    }

    /// Inserts the one header this authenticator sets, when that is all it has to do now,
    /// so a connection needs no dispatch on the request type. `false` when the full
    /// [`Authenticator::authorize`] must run (also when the map is full: that call then
    /// returns the error); `headers` is then unchanged.
    #[inline]
    pub(crate) fn insert_header(&self, headers: &mut http::HeaderMap) -> bool {
        match self {
            Self::ApiKey(api_key) => api_key.insert_header(headers),
            // The constant name lets the compiler fold the header's hash away.
            Self::Basic(basic) => headers
                .try_insert(http::header::AUTHORIZATION, basic.header().clone())
                .is_ok(),
            Self::OAuth2(oauth2) => oauth2.insert_cached(headers),
            Self::Bypass(_) | Self::Hmac(_) | Self::OAuth1(_) => false,
        }
    }

    /// Query parameter names this authenticator puts credentials in, for redacted output.
    pub(crate) fn secret_query_names(&self) -> &[String] {
        match self {
            Self::ApiKey(api_key) => api_key.query_name(),
            Self::Hmac(signer) => signer.query_names(),
            Self::OAuth1(oauth1) => oauth1.query_names(),
            Self::OAuth2(oauth2) => oauth2.query_name(),
            Self::Basic(_) | Self::Bypass(_) => &[],
        }
    }
}

impl Authenticator for SchemeAuthenticator {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        match self {
            Self::ApiKey(a) => a.authorize(request),
            Self::Basic(a) => a.authorize(request),
            Self::Bypass(a) => a.authorize(request),
            Self::Hmac(a) => a.authorize(request),
            Self::OAuth1(a) => a.authorize(request),
            Self::OAuth2(a) => a.authorize(request),
        }
    }
}

/// Headers that route or frame the request rather than authenticate it: a value credgate
/// writes in one of them (a credential, a signature, a timestamp) could send the request
/// elsewhere or smuggle another. Every header name a template can make credgate write goes
/// through [`writable_header_name`].
const RESERVED_HEADERS: [&str; 9] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
];

/// The one rule for a header name taken from a template: a valid name that does not route
/// or frame the request. `field` names what would be written there, for the error.
pub(crate) fn writable_header_name(
    name: &str,
    field: &'static str,
) -> Result<HeaderName, BuildError> {
    let parsed = HeaderName::from_bytes(name.as_bytes()).map_err(|_| BuildError::InvalidName {
        name: name.to_owned(),
        location: "header",
    })?;
    if RESERVED_HEADERS.contains(&parsed.as_str()) {
        return Err(BuildError::ReservedHeader {
            name: name.to_owned(),
            field,
        });
    }
    Ok(parsed)
}

/// Sets `name` to `value` (replacing any), or fails with [`AuthError::TooManyHeaders`]
/// leaving `headers` unchanged: `HeaderMap::insert` panics once the map is full, so every
/// header credgate writes goes through here.
#[inline]
pub(crate) fn set_header(
    headers: &mut HeaderMap,
    name: HeaderName,
    value: HeaderValue,
) -> Result<(), AuthError> {
    match headers.try_insert(name, value) {
        Ok(_) => Ok(()),
        Err(_) => Err(AuthError::TooManyHeaders),
    }
}

/// Makes room for `additional` headers, so that a step writing several cannot fail half
/// way (and leave the request changed).
pub(crate) fn reserve_headers(headers: &mut HeaderMap, additional: usize) -> Result<(), AuthError> {
    headers
        .try_reserve(additional)
        .map_err(|_| AuthError::TooManyHeaders)
}
