//! The `oauth1` scheme and the `oauth1-token` credential.

use serde::{Deserialize, Serialize};

use crate::Secret;

/// The OAuth1 signature method: the platform's `signatureMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OAuth1SignatureMethod {
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256.
    Sha256,
}

/// `oauth1`: RFC 5849 request signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A name/value pair of an `oauth1-token` credential's `additionalParams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NameValue {
    /// The parameter name.
    pub name: String,
    /// The parameter value.
    pub value: String,
}

/// `oauth1-token`: the token credentials of RFC 5849 §2.3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
