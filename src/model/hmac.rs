//! The `hmac` scheme: a MAC over parts of the request, as webhooks use.
//!
//! The platform's fields (`algorithm`, `digestInputs`, `encoding`, `in`, `name`) describe a
//! MAC of the body and/or URL written in one header, query parameter or cookie. Real
//! providers need more, so credgate adds optional fields of its own (all omitted from the
//! JSON when unset, so a platform document round-trips unchanged): a signed-message
//! template, a signature format, a timestamp rule, an id, a secret decoding, a body-size
//! cap. [`crate::webhook`] turns a scheme into a verifier or a signer.

use serde::{Deserialize, Serialize};

use super::scheme::KeyLocation;

/// The hash behind the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
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
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DigestInput {
    /// The raw request body.
    Body,
    /// The request URL (without the signature's own query parameter, when the signature
    /// goes in the query).
    Url,
}

/// How the MAC is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// Hexadecimal: written lowercase, read in either case.
    Hex,
    /// Standard base64, padded (read only in its canonical form).
    Base64,
    /// URL-safe base64: written unpadded, read with or without padding.
    Base64url,
}

/// `hmac`: the platform's MAC scheme, with credgate's optional fields for real webhook
/// providers.
///
/// Unknown fields are ignored, since the platform's documents carry fields credgate does
/// not read; those of the nested [`TimestampRule`] and [`SignatureFormat`] are rejected.
///
/// # Example
///
/// ```
/// use credgate::{AuthSchemeConfig, HmacAlgorithm};
///
/// // The platform's own shape: HMAC-SHA256 of the body, hex, in a header.
/// let scheme: AuthSchemeConfig = serde_json::from_str(r#"{"type": "hmac", "hmac": {
///     "id": "sig", "algorithm": "sha256", "digestInputs": ["body"],
///     "encoding": "hex", "in": "header", "name": "X-Signature"}}"#)?;
/// let AuthSchemeConfig::Hmac(hmac) = &scheme else { unreachable!() };
/// assert_eq!(hmac.algorithm, HmacAlgorithm::Sha256);
/// assert!(hmac.message.is_none() && hmac.timestamp.is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
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
    /// What is MACed, in order. Ignored when [`message`](Self::message) is set.
    #[serde(default)]
    pub digest_inputs: Vec<DigestInput>,
    /// How the MAC is written.
    pub encoding: SignatureEncoding,
    /// Where the MAC goes.
    #[serde(rename = "in")]
    pub location: KeyLocation,
    /// The header, query parameter or cookie name.
    pub name: String,

    /// credgate: the signed message, part by part; replaces `digestInputs` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Vec<MessagePart>>,
    /// credgate: how the signature value is written (default: the bare signature).
    #[serde(default, skip_serializing_if = "is_default")]
    pub format: SignatureFormat,
    /// credgate: where the signature is read from, when not from `in`/`name` (Mailgun's
    /// JSON body field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_from: Option<FieldSource>,
    /// credgate: the signed timestamp and its replay window. Without it no timestamp is
    /// checked. The signature must cover it: the message holds
    /// [`MessagePart::Timestamp`], or it is a [`FieldSource::Json`] field and the message
    /// holds the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampRule>,
    /// credgate: the delivery id: signed when the message has [`MessagePart::Id`] (or it
    /// is a field of a signed JSON body), and returned for deduplication either way; see
    /// [`Verified::id_is_signed`](crate::webhook::Verified::id_is_signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_from: Option<FieldSource>,
    /// credgate: how a secret string becomes the MAC key (default: its UTF-8 bytes).
    #[serde(default, skip_serializing_if = "is_default")]
    pub secret_decoding: SecretDecoding,
    /// credgate: the largest body accepted, in bytes (default 25 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
    /// credgate: also try the URL with its port removed and with the default port added
    /// (Twilio's senders are inconsistent about it).
    #[serde(default, skip_serializing_if = "is_default")]
    pub url_port_variants: bool,
    /// credgate: the "MAC" is the plain SHA-256 of `secret ‖ message`, not an HMAC
    /// (HubSpot v1/v2 only). It is open to length extension: use it only where a provider
    /// offers nothing better. Requires the `sha256` algorithm.
    #[serde(default, skip_serializing_if = "is_default")]
    pub danger_plain_hash: bool,
}

impl HmacScheme {
    /// The platform's plain scheme: `algorithm` over the body, written with `encoding` in
    /// the header, query parameter or cookie `name`. Set the public fields to add
    /// credgate's options.
    pub fn new(
        algorithm: HmacAlgorithm,
        encoding: SignatureEncoding,
        location: KeyLocation,
        name: impl Into<String>,
    ) -> Self {
        Self {
            id: String::new(),
            description: String::new(),
            algorithm,
            digest_inputs: vec![DigestInput::Body],
            encoding,
            location,
            name: name.into(),
            message: None,
            format: SignatureFormat::default(),
            signature_from: None,
            timestamp: None,
            id_from: None,
            secret_decoding: SecretDecoding::default(),
            max_body_bytes: None,
            url_port_variants: false,
            danger_plain_hash: false,
        }
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// One part of the signed message. In JSON a unit part is a string (`"body"`) and a
/// literal an object (`{"literal": "v0:"}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum MessagePart {
    /// Fixed text, such as `v0:` or `.`.
    Literal(String),
    /// The timestamp, exactly as received.
    Timestamp,
    /// The delivery id, exactly as received.
    Id,
    /// The request method (`POST`).
    Method,
    /// The URL the sender signed, byte for byte (without the signature's own query
    /// parameter, when the signature goes in the query).
    Url,
    /// The URL with HubSpot v3's twelve escapes (`%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A
    /// %2C %3B`, either case) decoded and all others kept.
    HubspotUrl,
    /// The raw body bytes.
    Body,
    /// Twilio's form parameters: each name, then each of its distinct values, sorted by
    /// code point, written `name ‖ value` with no delimiters. When the URL carries
    /// `bodySHA256`, nothing is appended and the body's SHA-256 must match it instead.
    TwilioParams,
}

/// Where a value is read from (and, when signing, written to).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum FieldSource {
    /// A request header (case-insensitive); a duplicated header is rejected.
    Header(String),
    /// A query parameter of the URL.
    Query(String),
    /// A cookie.
    Cookie(String),
    /// A field of a JSON body, as a JSON pointer (`/signature/timestamp`); a string or a
    /// non-negative integer.
    Json(String),
    /// A key of the signature's key/value list (`t` of `t=..,v1=..`).
    List(String),
    /// A field of an `application/x-www-form-urlencoded` body (Mailgun's legacy
    /// deliveries: `timestamp`, `token`, `signature`): `+` is a space, `%XX` a byte, the
    /// value must be UTF-8, and a repeated field is rejected. Reading it needs the whole
    /// body, so such a scheme cannot be verified as a stream.
    Form(String),
    /// The first of several headers that is present, in the order listed: one sender
    /// under several names (Svix sends `svix-id`, white-labelled Svix `webhook-id`). A
    /// duplicated header is rejected as with [`Header`](Self::Header); credgate writes
    /// the first name when signing.
    AnyHeader(Vec<String>),
}

/// How a signature value is written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
#[non_exhaustive]
pub enum SignatureFormat {
    /// One signature after an exact prefix (`sha256=`, `v0=`, or none).
    Single {
        /// The prefix.
        #[serde(default)]
        prefix: String,
    },
    /// A key/value list such as Stripe's `t=..,v1=..,v1=..` or Paddle's `ts=..;h1=..`:
    /// elements split on `separator`, then on the first `=`. Every element must have an
    /// `=`; keys other than `signatureKey` (and a timestamp key read through
    /// [`FieldSource::List`]) are ignored.
    KeyValueList {
        /// The element separator (`,` or `;`).
        separator: char,
        /// The key of the trusted signatures (`v1`, `h1`).
        signature_key: String,
    },
    /// A space-separated list of `version,signature` entries (Standard Webhooks'
    /// `v1,<base64> v1,<base64>`); entries of other versions are ignored.
    VersionedList {
        /// The trusted version (`v1`).
        version: String,
    },
}

impl Default for SignatureFormat {
    fn default() -> Self {
        Self::Single {
            prefix: String::new(),
        }
    }
}

/// The unit of a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum TimeUnit {
    /// Seconds since the Unix epoch.
    #[default]
    Seconds,
    /// Milliseconds since the Unix epoch.
    Milliseconds,
}

/// Where the signed timestamp is and how far from now it may be. Both boundaries are
/// inclusive; the timestamp is required and must be a plain decimal integer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct TimestampRule {
    /// Where it is read from.
    pub from: FieldSource,
    /// Its unit.
    #[serde(default)]
    pub unit: TimeUnit,
    /// How old it may be, in seconds (default 300).
    #[serde(default = "default_tolerance")]
    pub past_tolerance: u64,
    /// How far in the future it may be, in seconds (default 300).
    #[serde(default = "default_tolerance")]
    pub future_tolerance: u64,
}

impl TimestampRule {
    /// A timestamp read from `from` in `unit`, with the default 300 s window both ways.
    pub fn new(from: FieldSource, unit: TimeUnit) -> Self {
        Self {
            from,
            unit,
            past_tolerance: default_tolerance(),
            future_tolerance: default_tolerance(),
        }
    }

    /// The same rule with a window of `seconds` both ways.
    #[must_use]
    pub fn with_tolerance(mut self, seconds: u64) -> Self {
        self.past_tolerance = seconds;
        self.future_tolerance = seconds;
        self
    }
}

fn default_tolerance() -> u64 {
    300
}

/// How a secret string becomes the MAC key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum SecretDecoding {
    /// The string's UTF-8 bytes, as entered (GitHub, Stripe's `whsec_...`, Paddle's
    /// `pdl_ntfset_...`).
    #[default]
    Utf8,
    /// Standard base64 after an optional prefix, padding optional (Standard Webhooks and
    /// Svix: `whsec_` + base64).
    PrefixedBase64(String),
    /// The five HTML entities `&amp; &lt; &gt; &quot; &#039;` decoded, then UTF-8
    /// (WooCommerce's `wp_specialchars_decode`).
    HtmlEntities,
    /// Hexadecimal bytes.
    Hex,
    /// Standard base64 bytes.
    Base64,
}

// Errors never print a value (see `model::safe`).
crate::model::safe::safe_document!(
    HmacAlgorithm,
    DigestInput,
    SignatureEncoding,
    HmacScheme,
    MessagePart,
    FieldSource,
    SignatureFormat,
    TimeUnit,
    TimestampRule,
    SecretDecoding
);
