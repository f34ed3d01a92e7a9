//! The `oauth1` scheme and the `oauth1-token` and `oauth1-consumer` credentials.

use serde::{Deserialize, Serialize};

use crate::Secret;

/// The OAuth1 signature method: the platform's `signatureMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OAuth1SignatureMethod {
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// PLAINTEXT (RFC 5849 §3.4.4): the encoded secrets themselves, for TLS-only servers.
    /// credgate's own value `plaintext`.
    Plaintext,
}

impl OAuth1SignatureMethod {
    /// The `oauth_signature_method` value: `HMAC-SHA1`, `HMAC-SHA256` or `PLAINTEXT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "HMAC-SHA1",
            Self::Sha256 => "HMAC-SHA256",
            Self::Plaintext => "PLAINTEXT",
        }
    }
}

/// Where the OAuth1 protocol parameters go (RFC 5849 §3.5): credgate's own `placement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OAuth1Placement {
    /// The `Authorization: OAuth ...` header (§3.5.1), the default.
    #[default]
    Header,
    /// The request URI's query (§3.5.3).
    Query,
    /// An `application/x-www-form-urlencoded` request body (§3.5.2).
    Body,
}

/// `oauth1`: RFC 5849 request signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth1Scheme {
    /// The scheme's user-given id.
    #[serde(default)]
    pub id: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The client identifier.
    pub consumer_key: String,
    /// The client shared secret.
    pub consumer_secret: Secret,
    /// The signature method.
    pub signature_method: OAuth1SignatureMethod,
    /// RFC 5849 §2.1 temporary credential request endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temp_credential_endpoint: Option<String>,
    /// RFC 5849 §2.2 resource owner authorization endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_owner_authorization_endpoint: Option<String>,
    /// RFC 5849 §2.3 token request endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// Whether the token and token secret are supplied directly (no three-legged flow).
    #[serde(default)]
    pub token_auth: bool,
    /// credgate's own `realm`: sent first in the `Authorization` header and never signed
    /// (NetSuite wants its account id here). An `oauth1-token` credential's additional
    /// parameter named `realm` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// credgate's own `placement`: where the protocol parameters go (`header` by default).
    #[serde(default, skip_serializing_if = "is_header")]
    pub placement: OAuth1Placement,
    /// credgate's own `allowEmptyConsumerSecret`: an empty consumer secret is accepted
    /// (RFC 5849 §3.4.2 keys the HMAC with `&` then, and PLAINTEXT sends `&token-secret`).
    /// Off by default, so a secret missing by mistake is reported at build time.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_empty_consumer_secret: bool,
    /// credgate's own `omitPlaintextNonce`: with PLAINTEXT, leave out `oauth_timestamp`
    /// and `oauth_nonce`, which RFC 5849 §3.1 permits. Off by default: they are sent,
    /// because servers built on oauthlib reject a request without them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub omit_plaintext_nonce: bool,
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(value: &bool) -> bool {
    !*value
}

fn is_header(placement: &OAuth1Placement) -> bool {
    *placement == OAuth1Placement::Header
}

impl OAuth1Scheme {
    /// A scheme with the given client credentials and signature method, parameters in the
    /// `Authorization` header, no realm and no three-legged flow endpoints.
    pub fn new(
        consumer_key: impl Into<String>,
        consumer_secret: impl Into<Secret>,
        signature_method: OAuth1SignatureMethod,
    ) -> Self {
        Self {
            id: String::new(),
            description: String::new(),
            consumer_key: consumer_key.into(),
            consumer_secret: consumer_secret.into(),
            signature_method,
            temp_credential_endpoint: None,
            resource_owner_authorization_endpoint: None,
            token_endpoint: None,
            token_auth: true,
            realm: None,
            placement: OAuth1Placement::Header,
            allow_empty_consumer_secret: false,
            omit_plaintext_nonce: false,
        }
    }

    /// Accepts an empty consumer secret (`allowEmptyConsumerSecret`), as some two-legged
    /// APIs issue: RFC 5849 §3.4.2 then keys the HMAC with `&` and the token secret.
    #[must_use]
    pub fn allowing_empty_consumer_secret(mut self) -> Self {
        self.allow_empty_consumer_secret = true;
        self
    }

    /// With PLAINTEXT, leaves out `oauth_timestamp` and `oauth_nonce`
    /// (`omitPlaintextNonce`; RFC 5849 §3.1 permits it, oauthlib-based servers reject it).
    #[must_use]
    pub fn omitting_plaintext_nonce(mut self) -> Self {
        self.omit_plaintext_nonce = true;
        self
    }

    /// Sends `realm` in the `Authorization` header.
    #[must_use]
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Puts the protocol parameters at `placement`.
    #[must_use]
    pub fn with_placement(mut self, placement: OAuth1Placement) -> Self {
        self.placement = placement;
        self
    }

    /// Sets the three endpoints of the three-legged flow (RFC 5849 §2) and clears
    /// `token_auth`.
    #[must_use]
    pub fn with_endpoints(
        mut self,
        temporary_credentials: impl Into<String>,
        resource_owner_authorization: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        self.temp_credential_endpoint = Some(temporary_credentials.into());
        self.resource_owner_authorization_endpoint = Some(resource_owner_authorization.into());
        self.token_endpoint = Some(token.into());
        self.token_auth = false;
        self
    }
}

/// A name/value pair of an `oauth1-token` credential's `additionalParams`; the value is a
/// [`Secret`], since it may be one (a Yahoo `oauth_session_handle`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct NameValue {
    /// The parameter name.
    pub name: String,
    /// The parameter value.
    pub value: Secret,
}

impl NameValue {
    /// A pair.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Secret::new(value),
        }
    }
}

/// `oauth1-token`: the token credentials of RFC 5849 §2.3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth1TokenCredential {
    /// The token identifier.
    pub token: Secret,
    /// The token shared secret.
    pub token_secret: Secret,
    /// Extra protocol parameters to send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_params: Vec<NameValue>,
}

impl OAuth1TokenCredential {
    /// Token credentials without additional parameters.
    pub fn new(token: impl Into<Secret>, token_secret: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            token_secret: token_secret.into(),
            additional_params: Vec::new(),
        }
    }

    /// Adds an extra protocol parameter (`oauth_version=1.0`, or `realm` for the header).
    #[must_use]
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.additional_params.push(NameValue::new(name, value));
        self
    }
}

/// `oauth1-consumer`: signs with the client credentials alone, without a token (RFC 5849
/// §3.1: a client "MAY omit" `oauth_token`), as LTI 1.x launches and two-legged APIs sign.
/// The HMAC key is the consumer secret and an empty token secret (§3.4.2).
///
/// JSON: `{"type": "oauth1-consumer", "data": {"oauth1Consumer": {"additionalParams":
/// [{"name": "oauth_version", "value": "1.0"}]}}}`; `data` may be left out.
///
/// # Example
///
/// ```
/// use credgate::{ConnectionTemplate, Credential};
///
/// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "lti",
///     "templateBaseUrl": "https://tool.example",
///     "authSchemeConfigs": [{"type": "oauth1", "oauth1": {"id": "lti", "consumerKey": "lti-key",
///         "consumerSecret": "lti-secret", "signatureMethod": "sha1"}}]}"#)?;
/// let credential: Credential = serde_json::from_str(r#"{"type": "oauth1-consumer", "data": {"oauth1Consumer": {
///     "additionalParams": [{"name": "oauth_version", "value": "1.0"}]}}}"#)?;
/// assert_eq!(credential, Credential::oauth1_consumer().with_oauth1_param("oauth_version", "1.0"));
///
/// let live = template.connect_live(vec![credential])?;
/// let mut request = http::Request::post("https://tool.example/launch").body(())?;
/// live.authorize(&mut request)?;
/// let header = request.headers()["authorization"].to_str()?;
/// assert!(header.starts_with(r#"OAuth oauth_consumer_key="lti-key""#));
/// assert!(!header.contains("oauth_token") && header.contains(r#"oauth_version="1.0""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth1ConsumerCredential {
    /// Extra protocol parameters to send and sign (`oauth_version`, `oauth_callback`,
    /// `oauth_verifier`, ...); one named `realm` is the header's realm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_params: Vec<NameValue>,
}

impl OAuth1ConsumerCredential {
    /// Consumer-only signing without additional parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an extra protocol parameter (`oauth_version=1.0`, or `realm` for the header).
    #[must_use]
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.additional_params.push(NameValue::new(name, value));
        self
    }
}

// Errors never print a value (see `model::safe`).
crate::model::safe::safe_document!(
    OAuth1SignatureMethod,
    OAuth1Placement,
    OAuth1Scheme,
    NameValue,
    OAuth1TokenCredential,
    OAuth1ConsumerCredential
);
