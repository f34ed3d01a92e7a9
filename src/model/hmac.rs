//! The `hmac` scheme: a MAC over parts of the request, as webhooks use.

use serde::{Deserialize, Serialize};

use super::scheme::KeyLocation;

/// The hash behind the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum HmacAlgorithm {
    /// HMAC-SHA1 (legacy providers only).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

/// One input of the MAC, fed to it in the order listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DigestInput {
    /// The raw request body.
    Body,
    /// The request URL.
    Url,
}

/// How the MAC is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// Lowercase hexadecimal.
    Hex,
    /// Standard base64, padded.
    Base64,
    /// URL-safe base64.
    Base64url,
}

/// `hmac`: the platform's MAC scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct HmacScheme {
    /// The scheme's user-given id.
    #[serde(default)]
    pub id: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The hash.
    pub algorithm: HmacAlgorithm,
    /// What is MACed, in order.
    pub digest_inputs: Vec<DigestInput>,
    /// How the MAC is written.
    pub encoding: SignatureEncoding,
    /// Where the MAC goes.
    #[serde(rename = "in")]
    pub location: KeyLocation,
    /// The header, query parameter or cookie name.
    pub name: String,
}
