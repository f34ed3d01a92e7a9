//! Auth scheme configurations: how a system expects to be authenticated.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::hmac::HmacScheme;
use super::oauth1::OAuth1Scheme;
use super::oauth2::OAuth2Scheme;
use super::tagged;
use crate::Secret;

/// One auth scheme of a system or connection template, in the platform's shape
/// `{"type": "api-key", "apiKey": {...}}`.
///
/// Types credgate does not implement (`certificate`, `jwt-bearer`, `secret`, ...) load as
/// [`AuthSchemeConfig::Unsupported`]: the document stays usable, and only building a
/// connection that needs such a scheme fails, naming the type.
///
/// # Example
///
/// ```
/// use credgate::{AuthSchemeConfig, KeyLocation};
///
/// let scheme: AuthSchemeConfig = serde_json::from_str(
///     r#"{"type":"api-key","apiKey":{"id":"key","name":"X-API-Key","in":"header"}}"#,
/// )?;
/// let AuthSchemeConfig::ApiKey(api_key) = &scheme else { unreachable!() };
/// assert_eq!(api_key.location, KeyLocation::Header);
/// assert_eq!(scheme.id(), "key");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// A configuration document, read once per connection build and never on the request path:
// boxing the OAuth 2.0 variant would cost every `AuthSchemeConfig::OAuth2(scheme)` match
// its plain shape for a few hundred bytes per template.
#[allow(clippy::large_enum_variant)]
pub enum AuthSchemeConfig {
    /// `api-key`: a key in a header, query parameter or cookie.
    ApiKey(ApiKeyScheme),
    /// `basic-auth`: RFC 7617 Basic.
    BasicAuth(BasicAuthScheme),
    /// `oauth1`: RFC 5849 request signing.
    OAuth1(OAuth1Scheme),
    /// `oauth2`: RFC 6749 bearer tokens.
    OAuth2(OAuth2Scheme),
    /// `hmac`: a MAC over the request, as webhooks use.
    Hmac(HmacScheme),
    /// `none`: bypass, no credentials at all.
    None(NoneScheme),
    /// A scheme type credgate does not implement, kept as it was read.
    Unsupported(UnsupportedScheme),
}

impl AuthSchemeConfig {
    /// The platform's type name: `api-key`, `basic-auth`, `oauth1`, `oauth2`, `hmac`,
    /// `none`, or the unsupported type as read.
    pub fn type_name(&self) -> &str {
        match self {
            Self::ApiKey(_) => "api-key",
            Self::BasicAuth(_) => "basic-auth",
            Self::OAuth1(_) => "oauth1",
            Self::OAuth2(_) => "oauth2",
            Self::Hmac(_) => "hmac",
            Self::None(_) => "none",
            Self::Unsupported(other) => &other.scheme_type,
        }
    }

    /// The scheme's user-given id (for example `oauth2-code`).
    pub fn id(&self) -> &str {
        match self {
            Self::ApiKey(s) => &s.id,
            Self::BasicAuth(s) => &s.id,
            Self::OAuth1(s) => &s.id,
            Self::OAuth2(s) => &s.id,
            Self::Hmac(s) => &s.id,
            Self::None(s) => &s.id,
            Self::Unsupported(s) => &s.id,
        }
    }
}

impl Serialize for AuthSchemeConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let type_name = self.type_name();
        match self {
            Self::ApiKey(s) => tagged::serialize_tagged(serializer, type_name, s),
            Self::BasicAuth(s) => tagged::serialize_tagged(serializer, type_name, s),
            Self::OAuth1(s) => tagged::serialize_tagged(serializer, type_name, s),
            Self::OAuth2(s) => tagged::serialize_tagged(serializer, type_name, s),
            Self::Hmac(s) => tagged::serialize_tagged(serializer, type_name, s),
            Self::None(s) => tagged::serialize_tagged(serializer, type_name, s),
            Self::Unsupported(s) => s.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for AuthSchemeConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const WHAT: &str = "auth scheme config";
        let (type_name, mut object) =
            tagged::split_tagged::<D::Error>(WHAT, Value::deserialize(deserializer)?)?;
        let object = &mut object;
        Ok(match type_name.as_str() {
            "api-key" => Self::ApiKey(tagged::take_inner(WHAT, &type_name, object)?),
            "basic-auth" => Self::BasicAuth(tagged::take_inner(WHAT, &type_name, object)?),
            "oauth1" => Self::OAuth1(tagged::take_inner(WHAT, &type_name, object)?),
            "oauth2" => Self::OAuth2(tagged::take_inner(WHAT, &type_name, object)?),
            "hmac" => Self::Hmac(tagged::take_inner(WHAT, &type_name, object)?),
            "none" => Self::None(tagged::take_inner(WHAT, &type_name, object)?),
            _ => Self::Unsupported(UnsupportedScheme::new(type_name, std::mem::take(object))),
        })
    }
}

/// Where a key goes on the request: the platform's `in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie, merged into the `Cookie` header.
    Cookie,
}

/// `api-key`: a key sent in a header, a query parameter or a cookie.
///
/// `valueTemplate` is credgate's own optional field: the value to send, with `{key}` where
/// the key goes (`Bearer {key}`, `Token token={key}`). Without it the key is sent as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiKeyScheme {
    /// The scheme's user-given id.
    #[serde(default)]
    pub id: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The header, query parameter or cookie name.
    pub name: String,
    /// Where the key goes.
    #[serde(rename = "in")]
    pub location: KeyLocation,
    /// The value to send, with `{key}` where the key goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_template: Option<String>,
}

impl ApiKeyScheme {
    /// A scheme that sends the key as is under `name` at `location`.
    pub fn new(id: impl Into<String>, name: impl Into<String>, location: KeyLocation) -> Self {
        Self {
            id: id.into(),
            description: String::new(),
            name: name.into(),
            location,
            value_template: None,
        }
    }

    /// Sends the key inside `template`, which holds `{key}` where the key goes.
    #[must_use]
    pub fn with_value_template(mut self, template: impl Into<String>) -> Self {
        self.value_template = Some(template.into());
        self
    }
}

/// Which half of a Basic credential an API key fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BasicKeyPart {
    /// The key is the username (Stripe, Freshdesk, ...).
    #[default]
    Username,
    /// The key is the password (Mailgun's `api:<key>`, ...).
    Password,
}

/// `basic-auth`: RFC 7617 Basic.
///
/// It takes a `basic-auth` credential (username and password), or a `string` credential
/// (an API key) used as one half with a fixed other half: credgate's own optional fields
/// `keyAs` (`username`, the default, or `password`) and `fixedUsername` /
/// `fixedPassword` (empty by default).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BasicAuthScheme {
    /// The scheme's user-given id.
    #[serde(default)]
    pub id: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Which half an API key credential fills.
    #[serde(default, skip_serializing_if = "is_default")]
    pub key_as: BasicKeyPart,
    /// The username sent with an API key used as the password.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fixed_username: String,
    /// The password sent with an API key used as the username.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub fixed_password: Secret,
}

impl BasicAuthScheme {
    /// A Basic scheme with the given id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `none`: bypass. A connection with this scheme sends requests unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NoneScheme {
    /// The scheme's user-given id.
    #[serde(default)]
    pub id: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl NoneScheme {
    /// A bypass scheme with the given id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            description: String::new(),
        }
    }
}

/// A scheme of a type credgate does not implement (`certificate`, `jwt-bearer`, `secret`,
/// ...), kept whole so the document round-trips.
///
/// Any of its fields may be a secret, so its redacted form shows only `id` and
/// `description`, and `Debug` shows only the type and id.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct UnsupportedScheme {
    /// The platform's type name, as read.
    pub scheme_type: String,
    /// The scheme's id, if it has one.
    pub id: String,
    document: Map<String, Value>,
}

impl UnsupportedScheme {
    fn new(scheme_type: String, document: Map<String, Value>) -> Self {
        let id = document
            .get(&tagged::field_name(&scheme_type))
            .and_then(|inner| inner.get("id"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Self {
            scheme_type,
            id,
            document,
        }
    }
}

impl std::fmt::Debug for UnsupportedScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsupportedScheme")
            .field("scheme_type", &self.scheme_type)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Serialize for UnsupportedScheme {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = if tagged::exporting_secrets() {
            self.document.clone()
        } else {
            match tagged::redact_strings(
                &Value::Object(self.document.clone()),
                &["id", "description"],
            ) {
                Value::Object(object) => object,
                _ => Map::new(),
            }
        };
        object.insert("type".to_owned(), Value::String(self.scheme_type.clone()));
        object.serialize(serializer)
    }
}

crate::model::safe::safe_document!(
    KeyLocation,
    ApiKeyScheme,
    BasicKeyPart,
    BasicAuthScheme,
    NoneScheme
);
