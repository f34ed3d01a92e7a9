//! The compiled scheme: validated configuration, pre-keyed MAC states, and the byte-level
//! primitives (hex, base64, constant-time comparison) verification and signing share.

use std::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD,
};
use hmac::{Hmac, Mac};
use http::HeaderName;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::error::BuildError;
use crate::model::KeyLocation;
use crate::model::hmac::{
    DigestInput, FieldSource, HmacAlgorithm, HmacScheme, MessagePart, SecretDecoding,
    SignatureEncoding, SignatureFormat,
};
use crate::secret::Secret;

/// The default body-size cap: 25 MiB, GitHub's documented payload cap and above every
/// other provider's.
pub(super) const DEFAULT_MAX_BODY_BYTES: u64 = 25 * 1024 * 1024;

/// Base64 read with or without padding (`whsec_` secrets, base64url signatures).
const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A scheme compiled for use: everything validated, every secret turned into a keyed MAC
/// state once.
pub(super) struct Engine {
    pub(super) scheme: HmacScheme,
    pub(super) message: Vec<MessagePart>,
    pub(super) signature_from: FieldSource,
    /// Where the signature, the timestamp and the id are read, with header names parsed
    /// once here rather than on every verification.
    pub(super) signature_field: Field,
    pub(super) timestamp_field: Option<Field>,
    pub(super) id_field: Option<Field>,
    pub(super) keys: Vec<Key>,
    pub(super) max_body_bytes: u64,
    /// Whether the message holds the URL (so one must be known).
    pub(super) needs_url: bool,
    /// Whether the body is part of the MAC (Mailgun's is not).
    pub(super) feeds_body: bool,
    /// Whether the MAC covers the delivery id.
    pub(super) signs_id: bool,
    /// Whether the message holds the id as a part (so it is required).
    pub(super) signs_id_part: bool,
    /// Whether verification needs the body's content before the MAC (JSON fields, form
    /// parameters), which a stream cannot give.
    pub(super) reads_body: bool,
    /// The query parameter the signature goes in, if any: kept out of the signed URL, and
    /// redacted in output.
    pub(super) query_names: Vec<String>,
}

impl Engine {
    pub(super) fn new(scheme: &HmacScheme, secrets: &[Secret]) -> Result<Self, BuildError> {
        let message = scheme.message.clone().unwrap_or_else(|| {
            scheme
                .digest_inputs
                .iter()
                .map(|input| match input {
                    DigestInput::Url => MessagePart::Url,
                    DigestInput::Body => MessagePart::Body,
                })
                .collect()
        });
        validate_message(scheme, &message)?;
        let signature_from = match &scheme.signature_from {
            Some(source) => source.clone(),
            None => location_source(scheme.location, &scheme.name),
        };
        validate_source(&signature_from, "signature", &scheme.format)?;
        if let Some(rule) = &scheme.timestamp {
            validate_source(&rule.from, "timestamp", &scheme.format)?;
        }
        if let Some(id) = &scheme.id_from {
            validate_source(id, "id", &scheme.format)?;
        }
        validate_format(&scheme.format)?;
        if scheme.danger_plain_hash && scheme.algorithm != HmacAlgorithm::Sha256 {
            return Err(BuildError::InvalidValue {
                field: "dangerPlainHash",
                reason: "requires the sha256 algorithm",
            });
        }
        if secrets.is_empty() {
            return Err(BuildError::Empty {
                field: "webhook secrets",
            });
        }
        let keys = secrets
            .iter()
            .map(|secret| Key::new(scheme, secret))
            .collect::<Result<_, _>>()?;
        let is_json =
            |source: &FieldSource| matches!(source, FieldSource::Json(_) | FieldSource::Form(_));
        let reads_body = is_json(&signature_from)
            || scheme
                .timestamp
                .as_ref()
                .is_some_and(|rule| is_json(&rule.from))
            || scheme.id_from.as_ref().is_some_and(is_json)
            || message.contains(&MessagePart::TwilioParams);
        Ok(Self {
            needs_url: message.iter().any(|part| {
                matches!(
                    part,
                    MessagePart::Url | MessagePart::HubspotUrl | MessagePart::TwilioParams
                )
            }),
            feeds_body: message.contains(&MessagePart::Body),
            signs_id: scheme
                .id_from
                .as_ref()
                .is_some_and(|source| signs_field(&message, source, &MessagePart::Id)),
            reads_body,
            signs_id_part: message.contains(&MessagePart::Id),
            query_names: match &signature_from {
                FieldSource::Query(name) => vec![name.clone()],
                _ => Vec::new(),
            },
            signature_field: Field::new(&signature_from),
            timestamp_field: scheme.timestamp.as_ref().map(|rule| Field::new(&rule.from)),
            id_field: scheme.id_from.as_ref().map(Field::new),
            scheme: scheme.clone(),
            message,
            signature_from,
            keys,
            max_body_bytes: scheme.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
        })
    }

    /// The query parameter the signature goes in, if any.
    pub(super) fn signature_query(&self) -> Option<&str> {
        self.query_names.first().map(String::as_str)
    }

    /// The length of a MAC in bytes.
    pub(super) fn tag_len(&self) -> usize {
        match self.scheme.algorithm {
            HmacAlgorithm::Sha1 => 20,
            HmacAlgorithm::Sha512 => 64,
            _ => 32,
        }
    }

    /// Decodes a presented signature: `None` unless it is valid in the scheme's encoding
    /// and exactly one MAC long.
    pub(super) fn decode_signature(&self, text: &str) -> Option<Tag> {
        // Room beyond the longest MAC: base64's size check is conservative, and a longer
        // signature must decode to a wrong length rather than fail to fit.
        let mut buffer = [0u8; 80];
        let len = match self.scheme.encoding {
            SignatureEncoding::Hex => decode_hex(text, &mut buffer)?,
            SignatureEncoding::Base64 => STANDARD.decode_slice(text, &mut buffer).ok()?,
            _ => URL_SAFE_ANY_PADDING.decode_slice(text, &mut buffer).ok()?,
        };
        (len == self.tag_len()).then(|| Tag::from_slice(&buffer[..len]))
    }

    /// Writes a MAC in the scheme's encoding.
    pub(super) fn encode_signature(&self, tag: &Tag) -> String {
        match self.scheme.encoding {
            SignatureEncoding::Hex => encode_hex(tag.as_slice()),
            SignatureEncoding::Base64 => STANDARD.encode(tag.as_slice()),
            _ => URL_SAFE_NO_PAD.encode(tag.as_slice()),
        }
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("id", &self.scheme.id)
            .field("algorithm", &self.scheme.algorithm)
            .field("secrets", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// A field source compiled for reading: header names parsed (and lower-cased) once.
pub(super) struct Field {
    pub(super) source: FieldSource,
    /// The parsed names when `source` is a header or several (validated at build time;
    /// empty otherwise).
    pub(super) headers: Vec<HeaderName>,
}

impl Field {
    fn new(source: &FieldSource) -> Self {
        let names = match source {
            FieldSource::Header(name) => std::slice::from_ref(name),
            FieldSource::AnyHeader(names) => names.as_slice(),
            _ => &[],
        };
        let headers: Vec<HeaderName> = names
            .iter()
            .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
            .collect();
        Self {
            source: source.clone(),
            // All or nothing: a name that did not parse leaves the lookup by text.
            headers: if headers.len() == names.len() {
                headers
            } else {
                Vec::new()
            },
        }
    }
}

fn location_source(location: KeyLocation, name: &str) -> FieldSource {
    match location {
        KeyLocation::Query => FieldSource::Query(name.to_owned()),
        KeyLocation::Cookie => FieldSource::Cookie(name.to_owned()),
        _ => FieldSource::Header(name.to_owned()),
    }
}

fn validate_message(scheme: &HmacScheme, message: &[MessagePart]) -> Result<(), BuildError> {
    let invalid = |reason| {
        Err(BuildError::InvalidValue {
            field: "signed message",
            reason,
        })
    };
    let count = |wanted: &MessagePart| message.iter().filter(|part| *part == wanted).count();
    if message.is_empty() {
        return invalid("is empty");
    }
    if count(&MessagePart::Body) > 1 || count(&MessagePart::TwilioParams) > 1 {
        return invalid("may hold the body and the Twilio parameters at most once each");
    }
    if count(&MessagePart::Timestamp) > 0 && scheme.timestamp.is_none() {
        return invalid("holds the timestamp but the scheme has no timestamp rule");
    }
    if count(&MessagePart::Id) > 0 && scheme.id_from.is_none() {
        return invalid("holds the id but the scheme has no idFrom");
    }
    // A window on a timestamp the MAC does not cover stops nothing: a replay just sends a
    // fresh one.
    if let Some(rule) = &scheme.timestamp
        && !signs_field(message, &rule.from, &MessagePart::Timestamp)
    {
        return Err(BuildError::InvalidValue {
            field: "timestamp",
            reason: "is not covered by the signature",
        });
    }
    Ok(())
}

/// Whether the MAC covers a value read from `source`: the message holds it as `part`, or
/// it is a field of the JSON body and the message holds the body.
fn signs_field(message: &[MessagePart], source: &FieldSource, part: &MessagePart) -> bool {
    message.contains(part)
        || (matches!(source, FieldSource::Json(_)) && message.contains(&MessagePart::Body))
}

fn validate_source(
    source: &FieldSource,
    what: &'static str,
    format: &SignatureFormat,
) -> Result<(), BuildError> {
    let (name, location) = match source {
        FieldSource::Header(name) => {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(BuildError::InvalidName {
                    name: name.clone(),
                    location: "header",
                });
            }
            return Ok(());
        }
        FieldSource::AnyHeader(names) => {
            if names.is_empty() {
                return Err(BuildError::InvalidValue {
                    field: what,
                    reason: "lists no header",
                });
            }
            for name in names {
                validate_source(&FieldSource::Header(name.clone()), what, format)?;
            }
            return Ok(());
        }
        FieldSource::Form(name) => (name, "form field"),
        FieldSource::Query(name) => (name, "query parameter"),
        FieldSource::Cookie(name) => (name, "cookie"),
        FieldSource::Json(pointer) => {
            if !pointer.starts_with('/') {
                return Err(BuildError::InvalidName {
                    name: pointer.clone(),
                    location: "JSON pointer",
                });
            }
            return Ok(());
        }
        FieldSource::List(key) => {
            if what == "signature" || !matches!(format, SignatureFormat::KeyValueList { .. }) {
                return Err(BuildError::InvalidValue {
                    field: what,
                    reason: "can be read from the signature list only with the keyValueList format",
                });
            }
            (key, "signature list key")
        }
    };
    if name.is_empty() {
        return Err(BuildError::InvalidName {
            name: name.clone(),
            location,
        });
    }
    Ok(())
}

fn validate_format(format: &SignatureFormat) -> Result<(), BuildError> {
    let invalid = |reason| {
        Err(BuildError::InvalidValue {
            field: "signature format",
            reason,
        })
    };
    match format {
        SignatureFormat::KeyValueList {
            separator,
            signature_key,
        } if *separator == '=' || signature_key.is_empty() => {
            invalid("needs a separator other than = and a signature key")
        }
        SignatureFormat::VersionedList { version }
            if version.is_empty() || version.contains([',', ' ']) =>
        {
            invalid("needs a version without commas or spaces")
        }
        _ => Ok(()),
    }
}

/// One secret, ready to MAC: the HMAC state after the key was absorbed, or (for the
/// dangerous plain hash) the key bytes.
pub(super) enum Key {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
    PlainSha256(Zeroizing<Vec<u8>>),
}

impl Key {
    fn new(scheme: &HmacScheme, secret: &Secret) -> Result<Self, BuildError> {
        if secret.is_redacted() {
            return Err(BuildError::Redacted {
                field: "webhook secret",
            });
        }
        if secret.is_empty() {
            return Err(BuildError::Empty {
                field: "webhook secret",
            });
        }
        let key = decode_secret(&scheme.secret_decoding, secret.expose_secret())?;
        if key.is_empty() {
            return Err(BuildError::Empty {
                field: "webhook secret",
            });
        }
        // HMAC accepts keys of any length, so these cannot fail.
        let invalid = |_| BuildError::InvalidValue {
            field: "webhook secret",
            reason: "cannot be used as an HMAC key",
        };
        Ok(match scheme.algorithm {
            _ if scheme.danger_plain_hash => Self::PlainSha256(key),
            HmacAlgorithm::Sha1 => Self::Sha1(Hmac::new_from_slice(&key).map_err(invalid)?),
            HmacAlgorithm::Sha512 => Self::Sha512(Hmac::new_from_slice(&key).map_err(invalid)?),
            _ => Self::Sha256(Hmac::new_from_slice(&key).map_err(invalid)?),
        })
    }

    /// The MAC of the message `feed` writes, with this key: the keyed state is cloned
    /// once into its own concrete type and finalized in place, never moved through the
    /// (larger) [`MacState`].
    pub(super) fn mac<E>(
        &self,
        feed: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<(), E>,
    ) -> Result<Tag, E> {
        fn run<M: Mac + Clone, E>(
            keyed: &M,
            feed: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<(), E>,
        ) -> Result<Tag, E> {
            let mut mac = keyed.clone();
            feed(&mut |bytes| mac.update(bytes))?;
            Ok(Tag::from_slice(&mac.finalize().into_bytes()))
        }
        match self {
            Self::Sha1(keyed) => run(keyed, feed),
            Self::Sha256(keyed) => run(keyed, feed),
            Self::Sha512(keyed) => run(keyed, feed),
            Self::PlainSha256(key) => {
                let mut hash = Sha256::new_with_prefix(&**key);
                feed(&mut |bytes| hash.update(bytes))?;
                Ok(Tag::from_slice(&hash.finalize()))
            }
        }
    }

    /// A fresh MAC computation with this key.
    pub(super) fn start(&self) -> MacState {
        match self {
            Self::Sha1(mac) => MacState::Sha1(mac.clone()),
            Self::Sha256(mac) => MacState::Sha256(mac.clone()),
            Self::Sha512(mac) => MacState::Sha512(mac.clone()),
            Self::PlainSha256(key) => MacState::PlainSha256(Sha256::new_with_prefix(&**key)),
        }
    }
}

/// A MAC being computed.
pub(super) enum MacState {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
    PlainSha256(Sha256),
}

impl MacState {
    pub(super) fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha1(mac) => mac.update(bytes),
            Self::Sha256(mac) => mac.update(bytes),
            Self::Sha512(mac) => mac.update(bytes),
            Self::PlainSha256(hash) => hash.update(bytes),
        }
    }

    pub(super) fn finalize(self) -> Tag {
        match self {
            Self::Sha1(mac) => Tag::from_slice(&mac.finalize().into_bytes()),
            Self::Sha256(mac) => Tag::from_slice(&mac.finalize().into_bytes()),
            Self::Sha512(mac) => Tag::from_slice(&mac.finalize().into_bytes()),
            Self::PlainSha256(hash) => Tag::from_slice(&hash.finalize()),
        }
    }
}

/// A MAC (computed or presented) of up to 64 bytes, compared in constant time.
#[derive(Clone, Copy)]
pub(super) struct Tag {
    bytes: [u8; 64],
    len: usize,
}

impl Tag {
    /// `bytes` (at most 64: every caller passes a digest).
    fn from_slice(bytes: &[u8]) -> Self {
        let len = bytes.len().min(64);
        let mut tag = Self {
            bytes: [0; 64],
            len,
        };
        tag.bytes[..len].copy_from_slice(&bytes[..len]);
        tag
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Constant-time equality (lengths are public: they are fixed by the algorithm). All
    /// 64 bytes are compared a word at a time (both tags are zero past their length),
    /// their differences OR-ed together without a branch, and only the result goes
    /// through `subtle`: one optimisation barrier rather than one per byte.
    pub(super) fn ct_eq(&self, other: &Self) -> subtle::Choice {
        let mut diff = 0u64;
        for (a, b) in self.bytes.chunks_exact(8).zip(other.bytes.chunks_exact(8)) {
            let mut a_word = [0u8; 8];
            let mut b_word = [0u8; 8];
            a_word.copy_from_slice(a);
            b_word.copy_from_slice(b);
            diff |= u64::from_ne_bytes(a_word) ^ u64::from_ne_bytes(b_word);
        }
        diff.ct_eq(&0) & subtle::Choice::from(u8::from(self.len == other.len))
    }
}

/// Lowercase hex.
pub(super) fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The value of each hex digit (either case); `0xFF` for every other byte.
static HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Hex in either case into `out`; the number of bytes written, or `None` if `text` is not
/// hex or does not fit. A table look-up per digit, the validity of all of them checked
/// once at the end.
pub(super) fn decode_hex(text: &str, out: &mut [u8]) -> Option<usize> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) || text.len() / 2 > out.len() {
        return None;
    }
    let mut invalid = 0u8;
    for (slot, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let high = HEX_VALUES[usize::from(pair[0])];
        let low = HEX_VALUES[usize::from(pair[1])];
        invalid |= high | low;
        *slot = (high << 4) | (low & 0xF);
    }
    (invalid & 0xF0 == 0).then_some(text.len() / 2)
}

fn decode_secret(
    decoding: &SecretDecoding,
    secret: &str,
) -> Result<Zeroizing<Vec<u8>>, BuildError> {
    let invalid = |reason| BuildError::InvalidValue {
        field: "webhook secret",
        reason,
    };
    Ok(Zeroizing::new(match decoding {
        SecretDecoding::PrefixedBase64(prefix) => STANDARD_ANY_PADDING
            .decode(secret.strip_prefix(prefix.as_str()).unwrap_or(secret))
            .map_err(|_| invalid("is not base64 after its prefix"))?,
        SecretDecoding::HtmlEntities => wp_specialchars_decode(secret).into_bytes(),
        SecretDecoding::Hex => {
            let mut out = vec![0; secret.len() / 2];
            decode_hex(secret, &mut out).ok_or_else(|| invalid("is not hex"))?;
            out
        }
        SecretDecoding::Base64 => STANDARD
            .decode(secret)
            .map_err(|_| invalid("is not base64"))?,
        _ => secret.as_bytes().to_vec(),
    }))
}

/// WordPress's `wp_specialchars_decode($text, ENT_QUOTES)`: the entities of `& < > " '`
/// (named, decimal and hex, numeric ones with any zero padding) decoded in one pass, the
/// result never rescanned. Other entities are kept.
fn wp_specialchars_decode(text: &str) -> String {
    const NAMED: [(&str, char); 4] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = NAMED
            .iter()
            .find(|(entity, _)| rest.starts_with(entity))
            .map(|&(entity, c)| (entity.len(), c))
            .or_else(|| numeric_entity(rest));
        match decoded {
            Some((len, c)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `&#0*NN;` (NN one of 34 38 39 60 62) or `&#[xX]0*HH;` (HH one of 22 26 27), as
/// WordPress normalises them: the length and the character.
fn numeric_entity(text: &str) -> Option<(usize, char)> {
    let body = text.strip_prefix("&#")?;
    let (digits, radix, skip) = match body.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16, 3),
        None => (body, 10, 2),
    };
    let end = digits.find(';')?;
    let number = digits[..end].trim_start_matches('0');
    let c = match (radix, number) {
        (10, "34") | (16, "22") => '"',
        (10, "38") | (16, "26") => '&',
        (10, "39") | (16, "27") => '\'',
        (10, "60") => '<',
        (10, "62") => '>',
        _ => return None,
    };
    Some((skip + end + 1, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        let mut out = [0u8; 4];
        assert_eq!(decode_hex("00fFa5", &mut out), Some(3));
        assert_eq!(&out[..3], &[0x00, 0xff, 0xa5]);
        assert_eq!(encode_hex(&out[..3]), "00ffa5");
        assert_eq!(decode_hex("0g", &mut out), None);
        assert_eq!(decode_hex("abc", &mut out), None);
        assert_eq!(decode_hex("0011223344", &mut out), None);
        assert_eq!(decode_hex("+1", &mut out), None);
    }

    #[test]
    fn tags_compare_every_byte_and_the_length() {
        let tag = Tag::from_slice(&[7u8; 32]);
        assert!(bool::from(tag.ct_eq(&Tag::from_slice(&[7u8; 32]))));
        for at in [0, 7, 8, 31] {
            let mut other = [7u8; 32];
            other[at] ^= 0x80;
            assert!(!bool::from(tag.ct_eq(&Tag::from_slice(&other))), "{at}");
        }
        // A prefix is not equal, even though the bytes past it are zero in both.
        assert!(!bool::from(tag.ct_eq(&Tag::from_slice(&[7u8; 31]))));
        assert!(!bool::from(
            Tag::from_slice(&[0u8; 20]).ct_eq(&Tag::from_slice(&[0u8; 32]))
        ));
    }

    #[test]
    fn signatures_decode_to_exactly_one_mac() -> Result<(), BuildError> {
        let mut scheme = HmacScheme::new(
            HmacAlgorithm::Sha512,
            SignatureEncoding::Base64,
            KeyLocation::Header,
            "X-Sig",
        );
        let engine = Engine::new(&scheme, &[Secret::new("k")])?;
        let padded = STANDARD.encode([7u8; 64]);
        assert_eq!(padded.len(), 88);
        assert_eq!(engine.decode_signature(&padded).map(|t| t.len), Some(64));
        assert!(
            engine
                .decode_signature(&STANDARD.encode([7u8; 63]))
                .is_none()
        );
        assert!(
            engine
                .decode_signature(&STANDARD.encode([7u8; 65]))
                .is_none()
        );
        assert!(engine.decode_signature(&padded[..86]).is_none());
        scheme.encoding = SignatureEncoding::Base64url;
        let engine = Engine::new(&scheme, &[Secret::new("k")])?;
        assert!(
            engine
                .decode_signature(&URL_SAFE_NO_PAD.encode([0xfbu8; 64]))
                .is_some()
        );
        assert!(
            engine
                .decode_signature(&STANDARD.encode([0xfbu8; 64]))
                .is_none()
        );
        Ok(())
    }

    #[test]
    fn wordpress_entities_decode_like_wp_specialchars_decode() {
        assert_eq!(
            wp_specialchars_decode("a&amp;b&lt;c&gt;d&quot;e&#039;f"),
            "a&b<c>d\"e'f"
        );
        assert_eq!(
            wp_specialchars_decode("&#39;&#0039;&#x27;&#X027;&#x22;&#38;&#060;"),
            "''''\"&<"
        );
        // Decoded once, never rescanned; unknown entities kept.
        assert_eq!(
            wp_specialchars_decode("&amp;lt;&nbsp;&#65;&"),
            "&lt;&nbsp;&#65;&"
        );
        assert_eq!(wp_specialchars_decode("&#;&#x;&AMP;"), "&#;&#x;&AMP;");
    }
}
