//! Credentials: the secrets a connection holds for each of its auth schemes.

use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::oauth1::{OAuth1ConsumerCredential, OAuth1TokenCredential};
use super::oauth2::{
    OAuth2ClientCredential, OAuth2CodeCredential, OAuth2PasswordCredential, OAuth2TokenCredential,
};
use super::tagged;
use crate::Secret;

/// A credential in the platform's shape `{"type": "basic-auth", "data": {"basicAuth": {...}}}`.
///
/// Every sensitive field is a [`Secret`]: plain serialisation writes `******` in its place,
/// and [`crate::to_json_with_secrets`] writes it in full.
///
/// # Example
///
/// ```
/// use credgate::Credential;
///
/// let credential: Credential = serde_json::from_str(
///     r#"{"type":"basic-auth","data":{"basicAuth":{"username":"ada","password":"pw"}}}"#,
/// )?;
/// assert_eq!(credential, Credential::basic_auth("ada", "pw"));
/// assert_eq!(
///     serde_json::to_string(&credential)?,
///     r#"{"type":"basic-auth","data":{"basicAuth":{"username":"ada","password":"******"}}}"#,
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Credential {
    /// `none`: for a bypass scheme.
    None,
    /// `string`: an API key.
    String(StringCredential),
    /// `basic-auth`: a username and password.
    BasicAuth(BasicAuthCredential),
    /// `oauth2-client`: a client id and secret.
    OAuth2Client(OAuth2ClientCredential),
    /// `oauth2-code`: an authorization code to exchange.
    OAuth2Code(OAuth2CodeCredential),
    /// `oauth2-password`: a resource owner's username and password.
    OAuth2Password(OAuth2PasswordCredential),
    /// `oauth2-token`: an access token and perhaps a refresh token.
    OAuth2Token(OAuth2TokenCredential),
    /// `oauth1-token`: OAuth1 token credentials.
    OAuth1Token(OAuth1TokenCredential),
    /// `oauth1-consumer`: OAuth 1.0a signing with the client credentials alone, no token
    /// (RFC 5849 §3.1).
    OAuth1Consumer(OAuth1ConsumerCredential),
    /// A credential type credgate does not implement, kept whole. All its values are
    /// treated as secrets.
    Unsupported(UnsupportedCredential),
}

impl Credential {
    /// An API key (`string`) credential, for an `api-key` scheme.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ConnectionTemplate, Credential};
    ///
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "maps",
    ///     "templateBaseUrl": "https://maps.example",
    ///     "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "key", "name": "key", "in": "query"}}]}"#)?;
    /// let live = template.connect_live(vec![Credential::api_key("mk_123")])?;
    /// let mut request = http::Request::get("/geocode?q=Oslo").body(())?;
    /// live.authorize(&mut request)?;
    /// assert_eq!(request.uri(), "https://maps.example/geocode?q=Oslo&key=mk_123");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn api_key(key: impl Into<Secret>) -> Self {
        Self::String(StringCredential { value: key.into() })
    }

    /// A `basic-auth` credential (RFC 7617).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ConnectionTemplate, Credential};
    ///
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "jira",
    ///     "templateBaseUrl": "https://acme.atlassian.net/rest/api/3",
    ///     "authSchemeConfigs": [{"type": "basic-auth", "basicAuth": {"id": "basic"}}]}"#)?;
    /// let live = template.connect_live(vec![Credential::basic_auth("ada@example.com", "api-token")])?;
    /// let mut request = http::Request::get("/myself").body(())?;
    /// live.authorize(&mut request)?;
    /// assert!(request.headers()["authorization"].to_str()?.starts_with("Basic "));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn basic_auth(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::BasicAuth(BasicAuthCredential {
            username: username.into(),
            password: password.into(),
        })
    }

    /// An `oauth2-client` credential: the client id and secret for the client credentials
    /// grant (and the client's half of the others).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Credential;
    ///
    /// let client = Credential::oauth2_client("my-client", "s3cret");
    /// assert_eq!(client.type_name(), "oauth2-client");
    /// assert!(!format!("{client:?}").contains("s3cret"));
    /// ```
    pub fn oauth2_client(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self::OAuth2Client(OAuth2ClientCredential {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            token_url: None,
            scopes: Vec::new(),
            additional_params: None,
        })
    }

    /// An `oauth2-token` credential: an access token obtained elsewhere, with the refresh
    /// token if there is one (credgate then refreshes it when it expires).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Credential;
    ///
    /// let token = Credential::oauth2_token("at-123", Some("rt-456".into()));
    /// assert_eq!(token.type_name(), "oauth2-token");
    /// ```
    pub fn oauth2_token(access_token: impl Into<Secret>, refresh_token: Option<Secret>) -> Self {
        Self::OAuth2Token(OAuth2TokenCredential {
            access_token: access_token.into(),
            refresh_token,
            expires_at: None,
            scopes: Vec::new(),
            token_type: None,
            response_values: std::collections::BTreeMap::new(),
        })
    }

    /// An `oauth2-code` credential: an authorization code to exchange, with the redirect
    /// URL it was issued for (RFC 6749 §4.1.3 requires the same one) and the PKCE code
    /// verifier when the authorization request used one (RFC 7636).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Credential;
    ///
    /// let code = Credential::oauth2_code("code-789", Some("https://app.example/cb".into()), None);
    /// assert_eq!(code.type_name(), "oauth2-code");
    /// ```
    pub fn oauth2_code(
        code: impl Into<Secret>,
        redirect_url: Option<String>,
        code_verifier: Option<Secret>,
    ) -> Self {
        Self::OAuth2Code(OAuth2CodeCredential {
            code: code.into(),
            state: None,
            redirect_url,
            additional_params: None,
            code_verifier,
        })
    }

    /// An `oauth2-password` credential: a resource owner's username and password.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Credential;
    ///
    /// assert_eq!(Credential::oauth2_password("ada", "pw").type_name(), "oauth2-password");
    /// ```
    pub fn oauth2_password(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::OAuth2Password(OAuth2PasswordCredential {
            username: username.into(),
            password: password.into(),
        })
    }

    /// An `oauth1-token` credential: the token and token secret (RFC 5849 §2.3).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Credential;
    ///
    /// assert_eq!(Credential::oauth1_token("t", "ts").type_name(), "oauth1-token");
    /// ```
    pub fn oauth1_token(token: impl Into<Secret>, token_secret: impl Into<Secret>) -> Self {
        Self::OAuth1Token(OAuth1TokenCredential::new(token, token_secret))
    }

    /// An `oauth1-consumer` credential: an `oauth1` scheme signs with its client
    /// credentials alone, sending no `oauth_token` (RFC 5849 §3.1 "MAY omit" it), as LTI
    /// 1.x launches and two-legged APIs do.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Credential;
    ///
    /// let credential = Credential::oauth1_consumer().with_oauth1_param("oauth_version", "1.0");
    /// assert_eq!(credential.type_name(), "oauth1-consumer");
    /// ```
    pub fn oauth1_consumer() -> Self {
        Self::OAuth1Consumer(OAuth1ConsumerCredential::new())
    }

    /// Adds an extra OAuth 1.0a protocol parameter (`oauth_version`, `oauth_callback`,
    /// `oauth_verifier`, or `realm` for the header) to an `oauth1-token` or
    /// `oauth1-consumer` credential; any other credential is returned unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Credential;
    ///
    /// let credential = Credential::oauth1_token("t", "ts").with_oauth1_param("oauth_verifier", "v1");
    /// let Credential::OAuth1Token(token) = credential else { unreachable!() };
    /// assert_eq!(token.additional_params[0].name, "oauth_verifier");
    /// ```
    #[must_use]
    pub fn with_oauth1_param(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        match self {
            Self::OAuth1Token(token) => Self::OAuth1Token(token.with_param(name, value)),
            Self::OAuth1Consumer(consumer) => {
                Self::OAuth1Consumer(consumer.with_param(name, value))
            }
            other => other,
        }
    }

    /// The platform's type name: `none`, `string`, `basic-auth`, `oauth2-client`,
    /// `oauth2-code`, `oauth2-password`, `oauth2-token`, `oauth1-token`,
    /// `oauth1-consumer`, or the unsupported type as read.
    pub fn type_name(&self) -> &str {
        match self {
            Self::None => "none",
            Self::String(_) => "string",
            Self::BasicAuth(_) => "basic-auth",
            Self::OAuth2Client(_) => "oauth2-client",
            Self::OAuth2Code(_) => "oauth2-code",
            Self::OAuth2Password(_) => "oauth2-password",
            Self::OAuth2Token(_) => "oauth2-token",
            Self::OAuth1Token(_) => "oauth1-token",
            Self::OAuth1Consumer(_) => "oauth1-consumer",
            Self::Unsupported(other) => &other.credential_type,
        }
    }
}

/// Writes `{"type": T, "data": {field(T): inner}}`.
struct Data<'a, T: ?Sized>(&'a str, &'a T);

impl<T: Serialize + ?Sized> Serialize for Data<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(&tagged::field_name(self.0), self.1)?;
        map.end()
    }
}

fn serialize_data<S: Serializer, T: Serialize + ?Sized>(
    serializer: S,
    type_name: &str,
    inner: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("type", type_name)?;
    map.serialize_entry("data", &Data(type_name, inner))?;
    map.end()
}

impl Serialize for Credential {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let type_name = self.type_name();
        match self {
            Self::None => serialize_data(serializer, type_name, &Map::new()),
            Self::String(c) => serialize_data(serializer, type_name, c),
            Self::BasicAuth(c) => serialize_data(serializer, type_name, c),
            Self::OAuth2Client(c) => serialize_data(serializer, type_name, c),
            Self::OAuth2Code(c) => serialize_data(serializer, type_name, c),
            Self::OAuth2Password(c) => serialize_data(serializer, type_name, c),
            Self::OAuth2Token(c) => serialize_data(serializer, type_name, c),
            Self::OAuth1Token(c) => serialize_data(serializer, type_name, c),
            Self::OAuth1Consumer(c) => serialize_data(serializer, type_name, c),
            Self::Unsupported(c) => c.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Credential {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const WHAT: &str = "credential";
        let (type_name, mut object) =
            tagged::split_tagged::<D::Error>(WHAT, Value::deserialize(deserializer)?)?;
        let mut data = match object.remove("data") {
            Some(Value::Object(data)) => data,
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                return Err(serde::de::Error::custom(
                    "credential \"data\" must be a JSON object",
                ));
            }
        };
        let data = &mut data;
        Ok(match type_name.as_str() {
            "none" => Self::None,
            "string" => Self::String(tagged::take_inner(WHAT, &type_name, data)?),
            "basic-auth" => Self::BasicAuth(tagged::take_inner(WHAT, &type_name, data)?),
            "oauth2-client" => Self::OAuth2Client(tagged::take_inner(WHAT, &type_name, data)?),
            "oauth2-code" => Self::OAuth2Code(tagged::take_inner(WHAT, &type_name, data)?),
            "oauth2-password" => Self::OAuth2Password(tagged::take_inner(WHAT, &type_name, data)?),
            "oauth2-token" => Self::OAuth2Token(tagged::take_inner(WHAT, &type_name, data)?),
            "oauth1-token" => Self::OAuth1Token(tagged::take_inner(WHAT, &type_name, data)?),
            "oauth1-consumer" => Self::OAuth1Consumer(tagged::take_inner(WHAT, &type_name, data)?),
            _ => Self::Unsupported(UnsupportedCredential {
                credential_type: type_name,
                data: std::mem::take(data),
            }),
        })
    }
}

/// `string`: an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct StringCredential {
    /// The key.
    pub value: Secret,
}

/// `basic-auth`: a username and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BasicAuthCredential {
    /// The user-id of RFC 7617.
    #[serde(default)]
    pub username: String,
    /// The password.
    #[serde(default = "empty_secret")]
    pub password: Secret,
}

fn empty_secret() -> Secret {
    Secret::new("")
}

/// A credential of a type credgate does not implement. Every string in it is treated as a
/// secret: redacted output writes `******` for each, and `Debug` shows only the type.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct UnsupportedCredential {
    /// The platform's type name, as read.
    pub credential_type: String,
    data: Map<String, Value>,
}

impl std::fmt::Debug for UnsupportedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsupportedCredential")
            .field("credential_type", &self.credential_type)
            .finish_non_exhaustive()
    }
}

impl Serialize for UnsupportedCredential {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let data = if tagged::exporting_secrets() {
            Value::Object(self.data.clone())
        } else {
            tagged::redact_strings(&Value::Object(self.data.clone()), &[])
        };
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", &self.credential_type)?;
        map.serialize_entry("data", &data)?;
        map.end()
    }
}

crate::model::safe::safe_document!(StringCredential, BasicAuthCredential);
