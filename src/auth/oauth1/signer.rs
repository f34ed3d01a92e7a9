//! The RFC 5849 §3.4 signature: parameter collection and normalisation, the signature base
//! string, the three signature methods, and the three placements of §3.5.
//!
//! Everything that does not depend on the request (the keyed HMAC state, the encoded
//! protocol parameters, the realm) is prepared once in [`Signer::new`]; [`Signer::sign`]
//! then works in a handful of buffers, without formatting machinery.

use std::fmt;
use std::ops::Range;

use hmac::{Hmac, Mac as _};
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use http::uri::{PathAndQuery, Uri};
use http::{Method, header::AUTHORIZATION};
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

mod encode;

pub(crate) use self::encode::parse_form;
use self::encode::{
    AMPERSAND, EQUALS, FORM_CLASS, base64, encode_encoded_into, encode_into, encode_to_buf,
    format_u64, normalise_into, push_encoded, unreserved_run,
};
use super::super::OutgoingRequest;
use crate::encoding::encode;
use crate::error::{AuthError, BuildError};
use crate::model::{OAuth1Placement, OAuth1SignatureMethod};
use crate::secret::Secret;

const FORM: &str = "application/x-www-form-urlencoded";

/// The secret half of a signature method, keyed when it is built.
enum Key {
    HmacSha1(Hmac<Sha1>),
    HmacSha256(Hmac<Sha256>),
    /// The PLAINTEXT signature itself: `encode(consumer secret) & encode(token secret)`.
    Plaintext(Secret),
}

/// What a signer needs besides the request: the client and token credentials, the
/// protocol parameters it sends, the realm and the placement.
pub(crate) struct Signer {
    key: Key,
    method: OAuth1SignatureMethod,
    /// Encoded `(name, value)` protocol parameters sent before `oauth_timestamp` and
    /// `oauth_nonce` (consumer key, token, signature method) ...
    head: Vec<(String, Secret)>,
    /// ... and after them (callback, verifier, additional parameters).
    tail: Vec<(String, Secret)>,
    /// `realm="..."` for the header, validated.
    realm: Option<String>,
    placement: OAuth1Placement,
    /// Whether `oauth_timestamp` and `oauth_nonce` are sent.
    uses_nonce: bool,
    /// The protocol parameters as the base string holds them, sorted by name: the fixed
    /// ones encoded twice once and for all, so a signing only merges them with the
    /// request's own parameters.
    protocol: Vec<Protocol>,
    /// With the header placement, the `Authorization` header up to `oauth_timestamp`
    /// (`OAuth realm="...", oauth_consumer_key="...", ...`), and from the first
    /// parameter after `oauth_nonce` up to the opening quote of `oauth_signature`:
    /// a signing writes the header in five copies.
    header_start: Secret,
    header_end: Secret,
}

/// One protocol parameter of the signature base string.
struct Protocol {
    /// The encoded name, which decides the order, and its first eight bytes as
    /// [`Span::key`] has them.
    name: String,
    key: u64,
    fragment: Fragment,
}

/// What a protocol parameter writes into the base string.
enum Fragment {
    /// `name%3Dvalue`, already encoded twice.
    Fixed(Secret),
    /// `oauth_timestamp%3D` and the request's timestamp.
    Timestamp,
    /// `oauth_nonce%3D` and the request's nonce.
    Nonce,
}

/// The credentials a [`Signer`] signs with.
pub(crate) struct Credentials<'a> {
    pub(crate) consumer_key: &'a str,
    pub(crate) consumer_secret: &'a Secret,
    /// `None` for a temporary-credentials request (no `oauth_token`, empty token secret).
    pub(crate) token: Option<(&'a Secret, &'a Secret)>,
    /// With PLAINTEXT, leave out `oauth_timestamp` and `oauth_nonce` (§3.1 permits it).
    pub(crate) omit_plaintext_nonce: bool,
}

impl Signer {
    /// Encodes the credentials and parameters once. `extra` are further protocol
    /// parameters (`oauth_callback`, `oauth_verifier`, additional ones) as given, unencoded.
    pub(crate) fn new(
        credentials: &Credentials<'_>,
        method: OAuth1SignatureMethod,
        extra: &[(&str, &str)],
        realm: Option<&str>,
        placement: OAuth1Placement,
    ) -> Result<Self, BuildError> {
        check_not_redacted(credentials, extra, realm)?;
        let token_secret = credentials.token.map_or("", |(_, s)| s.expose_secret());
        let mut key = encode(credentials.consumer_secret.expose_secret());
        key.push('&');
        // A `Secret`, so the encoded token secret is zeroized when dropped.
        key.push_str(Secret::new(encode(token_secret)).expose_secret());
        let key = Secret::new(key);
        let invalid = |_| BuildError::InvalidValue {
            field: "consumer secret",
            reason: "cannot key the HMAC",
        };
        let key = match method {
            OAuth1SignatureMethod::Sha1 => Key::HmacSha1(
                Hmac::new_from_slice(key.expose_secret().as_bytes()).map_err(invalid)?,
            ),
            OAuth1SignatureMethod::Sha256 => Key::HmacSha256(
                Hmac::new_from_slice(key.expose_secret().as_bytes()).map_err(invalid)?,
            ),
            // PLAINTEXT sends the secrets themselves; in a URL they would reach logs and
            // proxies whatever the transport.
            OAuth1SignatureMethod::Plaintext if placement == OAuth1Placement::Query => {
                return Err(BuildError::InvalidValue {
                    field: "signature method",
                    reason: "PLAINTEXT cannot be sent in the query string: its signature is the \
                             credentials themselves, and URLs reach logs, proxies and browser history \
                             (use the header or body placement, or an HMAC method)",
                });
            }
            OAuth1SignatureMethod::Plaintext => Key::Plaintext(key),
        };
        let pair = |name: &str, value: &str| (encode(name), Secret::new(encode(value)));
        let mut head = vec![pair("oauth_consumer_key", credentials.consumer_key)];
        if let Some((token, _)) = credentials.token {
            head.push(pair("oauth_token", token.expose_secret()));
        }
        head.push(pair("oauth_signature_method", method.as_str()));
        let mut tail = Vec::with_capacity(extra.len());
        for (name, value) in extra {
            let (encoded, value) = pair(name, value);
            // Names credgate sets itself (from the credentials, or per request) cannot be
            // configured; a configured name given twice is a mistake worth naming as such.
            if name.is_empty() || is_generated(&encoded) || head.iter().any(|(n, _)| *n == encoded)
            {
                return Err(BuildError::InvalidName {
                    name: (*name).to_owned(),
                    location: "OAuth1 protocol parameter",
                });
            }
            if tail.iter().any(|(n, _)| *n == encoded) {
                return Err(BuildError::RepeatedName {
                    name: (*name).to_owned(),
                    location: "OAuth1 protocol parameter",
                });
            }
            tail.push((encoded, value));
        }
        let realm = match realm {
            None => None,
            Some(_) if placement != OAuth1Placement::Header => {
                return Err(BuildError::InvalidValue {
                    field: "realm",
                    reason: "can only be sent with the header placement",
                });
            }
            Some(realm)
                if realm
                    .bytes()
                    .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') =>
            {
                Some(format!("realm=\"{realm}\""))
            }
            Some(_) => {
                return Err(BuildError::InvalidValue {
                    field: "realm",
                    reason: "must be printable ASCII without quotes or backslashes",
                });
            }
        };
        let uses_nonce =
            method != OAuth1SignatureMethod::Plaintext || !credentials.omit_plaintext_nonce;
        let (protocol, header_start, header_end) =
            prepare(&head, &tail, realm.as_deref(), uses_nonce);
        Ok(Self {
            key,
            method,
            head,
            tail,
            realm,
            placement,
            uses_nonce,
            protocol,
            header_start,
            header_end,
        })
    }

    /// Whether this signer sends a protocol parameter with this (encoded) name.
    fn sends(&self, name: &[u8]) -> bool {
        name.starts_with(b"oauth_")
            && (is_generated_bytes(name)
                || self
                    .head
                    .iter()
                    .chain(&self.tail)
                    .any(|(n, _)| n.as_bytes() == name))
    }

    /// Whether `oauth_timestamp` and `oauth_nonce` are sent: always with the HMAC methods;
    /// with PLAINTEXT unless the scheme leaves them out (§3.1 permits it, but oauthlib-based
    /// servers reject the request).
    fn uses_nonce(&self) -> bool {
        self.uses_nonce
    }

    /// Where the protocol parameters go.
    pub(crate) fn placement(&self) -> OAuth1Placement {
        self.placement
    }

    /// Signs `request` as it stands, without changing it.
    pub(crate) fn sign(
        &self,
        request: &dyn OutgoingRequest,
        timestamp: u64,
        nonce: &str,
    ) -> Result<Signed, AuthError> {
        let uri = request.uri();
        // RFC 5849 §3.4.4: PLAINTEXT is only for secure channels.
        if matches!(self.key, Key::Plaintext(_)) && uri.scheme() != Some(&http::uri::Scheme::HTTPS)
        {
            return Err(AuthError::UnsupportedUri {
                reason: "must use https with the PLAINTEXT signature method (RFC 5849 §3.4.4): \
                         its signature is the credentials themselves, readable by anyone on the path",
            });
        }
        let body = self.form_body(request.headers(), request.body_bytes())?;
        let mut timestamp_buf = [0u8; 20];
        let timestamp = format_u64(timestamp, &mut timestamp_buf);
        let mut nonce_encoded = Vec::new();
        // A nonce of unreserved bytes (credgate's own, hex) is its own encoding.
        let nonce = if unreserved_run(nonce.as_bytes()) == nonce.len() {
            nonce
        } else {
            encode_into(&mut nonce_encoded, nonce.as_bytes());
            // Only ASCII was written.
            std::str::from_utf8(&nonce_encoded).unwrap_or_default()
        };
        // A base64 SHA-256 MAC is 44 bytes, each encoded in at most 3.
        let mut signature_encoded = [0u8; 44 * 3];

        // The request's own parameters, sorted; the protocol parameters are merged in as
        // the base string is written.
        let query = uri.query().map_or(&b""[..], str::as_bytes);
        let form = body.form.unwrap_or_default();
        let mut params = Params {
            query,
            form,
            text: Vec::new(),
            spans: Vec::with_capacity((query.len() + form.len()) / 4 + 1),
        };
        params
            .add_form(Source::Query, self)
            .map_err(|reason| AuthError::UnsupportedUri { reason })?;
        params
            .add_form(Source::Form, self)
            .map_err(|reason| AuthError::UnsupportedBody { reason })?;
        params.sort();

        let base_string = self.base_string(request.method(), uri, &params, timestamp, nonce)?;
        let mut signature_buf = [0u8; 44];
        let signature: &str = match &self.key {
            Key::HmacSha1(mac) => {
                let mut mac = mac.clone();
                mac.update(&base_string);
                base64(&mac.finalize().into_bytes(), &mut signature_buf)
            }
            Key::HmacSha256(mac) => {
                let mut mac = mac.clone();
                mac.update(&base_string);
                base64(&mac.finalize().into_bytes(), &mut signature_buf)
            }
            Key::Plaintext(signature) => signature.expose_secret(),
        };
        // PLAINTEXT signatures (the secrets) can be longer than a MAC's.
        let mut signature_long = Zeroizing::new(Vec::new());
        let signature_encoded = if signature.len() <= 44 {
            encode_to_buf(signature.as_bytes(), &mut signature_encoded)
        } else {
            encode_into(&mut signature_long, signature.as_bytes());
            // Only ASCII was written.
            std::str::from_utf8(&signature_long).unwrap_or_default()
        };
        let signature_len = signature.len();
        let signature = match &self.key {
            Key::Plaintext(secret) => Signature::Plaintext(secret.clone()),
            _ => Signature::Mac {
                buf: signature_buf,
                len: signature_len,
            },
        };

        let output = match self.placement {
            OAuth1Placement::Header => {
                Output::Header(self.header(timestamp, nonce, signature_encoded)?)
            }
            OAuth1Placement::Query => Output::Query(with_query(
                uri,
                &self.pairs(timestamp, nonce, signature_encoded),
            )?),
            OAuth1Placement::Body => {
                let existing = body.form.unwrap_or_default();
                let mut bytes = Vec::with_capacity(existing.len() + 256);
                bytes.extend_from_slice(existing);
                append_pairs(
                    &mut bytes,
                    0,
                    &self.pairs(timestamp, nonce, signature_encoded),
                );
                Output::Body {
                    bytes,
                    set_content_type: !body.has_content_type,
                }
            }
        };
        Ok(Signed {
            base_string,
            signature,
            output,
        })
    }

    /// The protocol parameters in the order they are sent, `oauth_signature` last.
    fn pairs<'p>(
        &'p self,
        timestamp: &'p str,
        nonce: &'p str,
        signature: &'p str,
    ) -> Vec<(&'p str, &'p str)> {
        let mut pairs = Vec::with_capacity(self.head.len() + self.tail.len() + 3);
        pairs.extend(
            self.head
                .iter()
                .map(|(n, v)| (n.as_str(), v.expose_secret())),
        );
        if self.uses_nonce() {
            pairs.push(("oauth_timestamp", timestamp));
            pairs.push(("oauth_nonce", nonce));
        }
        pairs.extend(
            self.tail
                .iter()
                .map(|(n, v)| (n.as_str(), v.expose_secret())),
        );
        pairs.push(("oauth_signature", signature));
        pairs
    }

    /// The signature base string (§3.4.1.1): method, base string URI and normalised
    /// parameters, each encoded, joined by `&`; the request's sorted parameters merged
    /// with the protocol parameters, sorted once in [`Signer::new`].
    fn base_string(
        &self,
        method: &Method,
        uri: &Uri,
        params: &Params<'_>,
        timestamp: &str,
        nonce: &str,
    ) -> Result<Vec<u8>, AuthError> {
        let mut out = base_string_uri(method, uri, params.len() + self.protocol_len() + 64)?;
        let mut spans = params.spans.iter().peekable();
        let mut protocol = self.protocol.iter().peekable();
        let mut first = true;
        loop {
            // Names never tie: a request carrying a protocol parameter credgate sends is
            // refused when its parameters are collected.
            let from_request = match (spans.peek(), protocol.peek()) {
                (Some(span), Some(next)) => {
                    (span.key, params.get(&span.name)) < (next.key, next.name.as_bytes())
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if !first {
                out.extend_from_slice(b"%26");
            }
            first = false;
            if from_request {
                if let Some(span) = spans.next() {
                    params.encode_encoded_into(&mut out, &span.name);
                    out.extend_from_slice(b"%3D");
                    params.encode_encoded_into(&mut out, &span.value);
                }
            } else if let Some(next) = protocol.next() {
                match &next.fragment {
                    Fragment::Fixed(fragment) => {
                        out.extend_from_slice(fragment.expose_secret().as_bytes());
                    }
                    Fragment::Timestamp => {
                        out.extend_from_slice(b"oauth_timestamp%3D");
                        out.extend_from_slice(timestamp.as_bytes());
                    }
                    Fragment::Nonce => {
                        out.extend_from_slice(b"oauth_nonce%3D");
                        encode_encoded_into(&mut out, nonce.as_bytes());
                    }
                }
            }
        }
        Ok(out)
    }

    /// The bytes the fixed protocol parameters take in the base string, with separators.
    fn protocol_len(&self) -> usize {
        self.protocol
            .iter()
            .map(|p| match &p.fragment {
                Fragment::Fixed(fragment) => fragment.expose_secret().len() + 3,
                // Name, `%3D`, separator and the value (at most 3 per nonce byte).
                _ => 64 + 3 * 64,
            })
            .sum()
    }

    /// The body's form parameters, if they are signed (§3.4.1.3.1), and whether the
    /// request has a `Content-Type`.
    fn form_body<'r>(
        &self,
        headers: &HeaderMap,
        bytes: Option<&'r [u8]>,
    ) -> Result<Body<'r>, AuthError> {
        let content_type = headers.get(CONTENT_TYPE);
        let is_form = match content_type {
            Some(value) => is_form_content_type(value),
            // Body placement makes the body a form: its existing bytes are signed as one.
            None => self.placement == OAuth1Placement::Body,
        };
        if self.placement == OAuth1Placement::Body && !is_form {
            return Err(AuthError::UnsupportedBody {
                reason: "must be application/x-www-form-urlencoded to carry the OAuth parameters",
            });
        }
        if !is_form {
            return Ok(Body {
                form: None,
                has_content_type: content_type.is_some(),
            });
        }
        let form = bytes.ok_or(AuthError::UnsupportedBody {
            reason: "is a form but not buffered, so its parameters cannot be signed",
        })?;
        if std::str::from_utf8(form).is_err() {
            return Err(AuthError::UnsupportedBody {
                reason: "is a form but not UTF-8 text",
            });
        }
        Ok(Body {
            form: Some(form),
            has_content_type: content_type.is_some(),
        })
    }

    /// The `Authorization` header, written once into a buffer of its exact length that the
    /// header value then owns (zeroized when dropped: with PLAINTEXT the signature is the
    /// secrets themselves): the parts prepared in [`Signer::new`] around the timestamp,
    /// the nonce and the signature.
    fn header(
        &self,
        timestamp: &str,
        nonce: &str,
        signature: &str,
    ) -> Result<HeaderValue, AuthError> {
        const TIMESTAMP: &[u8] = b", oauth_timestamp=\"";
        const NONCE: &[u8] = b"\", oauth_nonce=\"";
        let start = self.header_start.expose_secret().as_bytes();
        let end = self.header_end.expose_secret().as_bytes();
        let varying = if self.uses_nonce {
            TIMESTAMP.len() + timestamp.len() + NONCE.len() + nonce.len() + 1
        } else {
            0
        };
        let mut header = Zeroizing::new(Vec::with_capacity(
            start.len() + varying + end.len() + signature.len() + 1,
        ));
        header.extend_from_slice(start);
        if self.uses_nonce {
            header.extend_from_slice(TIMESTAMP);
            header.extend_from_slice(timestamp.as_bytes());
            header.extend_from_slice(NONCE);
            header.extend_from_slice(nonce.as_bytes());
            header.push(b'"');
        }
        header.extend_from_slice(end);
        header.extend_from_slice(signature.as_bytes());
        header.push(b'"');
        let mut value =
            HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(header)).map_err(|_| {
                AuthError::UnsupportedHeader {
                    reason: "the OAuth Authorization header could not be built",
                }
            })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// The protocol parameters as the base string holds them (sorted, encoded twice), and the
/// fixed parts of the `Authorization` header around the timestamp, the nonce and the
/// signature.
fn prepare(
    head: &[(String, Secret)],
    tail: &[(String, Secret)],
    realm: Option<&str>,
    uses_nonce: bool,
) -> (Vec<Protocol>, Secret, Secret) {
    let fixed = |(name, value): &(String, Secret)| {
        let mut fragment = Vec::new();
        encode_encoded_into(&mut fragment, name.as_bytes());
        fragment.extend_from_slice(b"%3D");
        encode_encoded_into(&mut fragment, value.expose_secret().as_bytes());
        Protocol {
            name: name.clone(),
            key: prefix(name.as_bytes()),
            // Only ASCII was written.
            fragment: Fragment::Fixed(Secret::new(String::from_utf8(fragment).unwrap_or_default())),
        }
    };
    let mut protocol: Vec<Protocol> = head.iter().chain(tail).map(fixed).collect();
    if uses_nonce {
        protocol.push(Protocol {
            name: "oauth_timestamp".to_owned(),
            key: prefix(b"oauth_timestamp"),
            fragment: Fragment::Timestamp,
        });
        protocol.push(Protocol {
            name: "oauth_nonce".to_owned(),
            key: prefix(b"oauth_nonce"),
            fragment: Fragment::Nonce,
        });
    }
    // Names are distinct (checked in `Signer::new`), so the order is the names' order.
    protocol.sort_by(|a, b| a.name.cmp(&b.name));

    let pair = |out: &mut String, (name, value): &(String, Secret)| {
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(value.expose_secret());
        out.push('"');
    };
    let mut start = String::from("OAuth ");
    if let Some(realm) = realm {
        start.push_str(realm);
        start.push_str(", ");
    }
    for (i, head_pair) in head.iter().enumerate() {
        if i > 0 {
            start.push_str(", ");
        }
        pair(&mut start, head_pair);
    }
    let mut end = String::new();
    for tail_pair in tail {
        end.push_str(", ");
        pair(&mut end, tail_pair);
    }
    end.push_str(", oauth_signature=\"");
    (protocol, Secret::new(start), Secret::new(end))
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("signature_method", &self.method.as_str())
            .field("placement", &self.placement)
            .field("realm", &self.realm)
            .field(
                "parameters",
                &self
                    .head
                    .iter()
                    .chain(&self.tail)
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

struct Body<'r> {
    form: Option<&'r [u8]>,
    has_content_type: bool,
}

/// A signature and where it goes: computed by [`Signer::sign`], applied by [`Signed::apply`].
/// Its parts hold the token (and, with PLAINTEXT, the secrets), so it has no `Debug`.
pub(crate) struct Signed {
    /// ASCII only; kept as bytes, so signing does not check it (see [`Self::base_string`]).
    base_string: Vec<u8>,
    pub(crate) signature: Signature,
    pub(crate) output: Output,
}

/// The `oauth_signature` value before it is encoded: a MAC in base64, kept inline (no
/// allocation per signing), or the PLAINTEXT secrets.
pub(crate) enum Signature {
    Mac { buf: [u8; 44], len: usize },
    Plaintext(Secret),
}

impl Signature {
    /// The signature as text (with PLAINTEXT, the secrets themselves).
    pub(crate) fn expose_secret(&self) -> &str {
        match self {
            // Only base64 was written.
            Self::Mac { buf, len } => {
                std::str::from_utf8(buf.get(..*len).unwrap_or_default()).unwrap_or_default()
            }
            Self::Plaintext(secret) => secret.expose_secret(),
        }
    }
}

/// The request's new header, URI or body.
pub(crate) enum Output {
    Header(HeaderValue),
    Query(Uri),
    Body {
        bytes: Vec<u8>,
        set_content_type: bool,
    },
}

impl Signed {
    /// The signature base string (checked as text only here, off the signing path).
    pub(crate) fn base_string(&self) -> &str {
        std::str::from_utf8(&self.base_string).unwrap_or_default()
    }

    /// Puts the signature on `request`; on error the request is unchanged.
    pub(crate) fn apply(self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        match self.output {
            Output::Header(value) => {
                crate::auth::set_header(request.headers_mut(), AUTHORIZATION, value)?;
            }
            Output::Query(uri) => request.set_uri(uri),
            Output::Body {
                bytes,
                set_content_type,
            } => {
                // Room for the Content-Type first: the body must not change if it cannot go.
                if set_content_type {
                    crate::auth::reserve_headers(request.headers_mut(), 1)?;
                }
                if !request.replace_body(bytes) {
                    return Err(AuthError::UnsupportedBody {
                        reason: "cannot be replaced to carry the OAuth parameters",
                    });
                }
                if set_content_type {
                    crate::auth::set_header(
                        request.headers_mut(),
                        CONTENT_TYPE,
                        HeaderValue::from_static(FORM),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// Whether a `Content-Type` is `application/x-www-form-urlencoded`, parameters aside.
fn is_form_content_type(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    let essence = bytes.split(|&b| b == b';').next().unwrap_or_default();
    essence.trim_ascii().eq_ignore_ascii_case(FORM.as_bytes())
}

/// Refuses the `******` of a redacted listing wherever a value would be sent or keyed,
/// naming the field.
fn check_not_redacted(
    credentials: &Credentials<'_>,
    extra: &[(&str, &str)],
    realm: Option<&str>,
) -> Result<(), BuildError> {
    let redacted = |field| Err(BuildError::Redacted { field });
    if credentials.consumer_key == crate::secret::REDACTED {
        return redacted("consumer key");
    }
    if credentials.consumer_secret.is_redacted() {
        return redacted("consumer secret");
    }
    if let Some((token, token_secret)) = credentials.token {
        if token.is_redacted() {
            return redacted("token");
        }
        if token_secret.is_redacted() {
            return redacted("token secret");
        }
    }
    if realm == Some(crate::secret::REDACTED) {
        return redacted("realm");
    }
    for (name, value) in extra {
        if *value == crate::secret::REDACTED {
            return redacted(match *name {
                "oauth_callback" => "callback",
                "oauth_verifier" => "verifier",
                _ => "additional parameter value",
            });
        }
    }
    Ok(())
}

/// Protocol parameters credgate generates itself; a request or configuration must not
/// carry them.
fn is_generated(name: &str) -> bool {
    is_generated_bytes(name.as_bytes())
}

fn is_generated_bytes(name: &[u8]) -> bool {
    matches!(
        name,
        b"oauth_signature" | b"oauth_timestamp" | b"oauth_nonce"
    )
}

/// Where a collected name or value lies.
#[derive(Clone, Copy)]
enum Source {
    /// In the query as sent: its normalised form is itself (only unreserved bytes).
    Query,
    /// In the form body as sent, likewise.
    Form,
    /// In [`Params::text`], normalised.
    Text,
}

/// A name or value: a range of one of the sources.
struct Piece {
    source: Source,
    start: usize,
    end: usize,
}

/// One request parameter.
struct Span {
    /// The name's first eight bytes as a big-endian number (zero-padded: encoded text
    /// holds no zero byte, so a shorter name still sorts first), which decides most
    /// comparisons without looking at the text.
    key: u64,
    name: Piece,
    value: Piece,
}

/// The request's parameters, encoded (§3.6). A name or value that is already its own
/// normalisation (unreserved bytes only: almost all of them) is not copied; the others
/// are normalised into one buffer.
struct Params<'r> {
    query: &'r [u8],
    form: &'r [u8],
    text: Vec<u8>,
    spans: Vec<Span>,
}

impl Params<'_> {
    /// Adds the pairs of a form-encoded string (the query or the form body): `%XX`
    /// decoded exactly once, `+` read as a space, each byte then encoded (§3.6), so bytes
    /// that are not UTF-8 stay `%XX`. One pass over the bytes finds the pairs and which
    /// names and values need normalising at all.
    fn add_form(&mut self, source: Source, signer: &Signer) -> Result<(), &'static str> {
        let form = match source {
            Source::Query => self.query,
            _ => self.form,
        };
        let mut at = 0;
        while at < form.len() {
            let start = at;
            let mut equals = None;
            let mut name_plain = true;
            let mut value_plain = true;
            loop {
                // Runs of unreserved bytes in a tight loop; a branch only on the others.
                at += unreserved_run(form.get(at..).unwrap_or_default());
                match form.get(at).map(|&b| FORM_CLASS[usize::from(b)]) {
                    None | Some(AMPERSAND) => break,
                    Some(EQUALS) if equals.is_none() => equals = Some(at),
                    Some(_) if equals.is_none() => name_plain = false,
                    Some(_) => value_plain = false,
                }
                at += 1;
            }
            let end = at;
            // Past the `&`.
            at += 1;
            if start == end {
                continue;
            }
            let (name, value) = match equals {
                Some(equals) => (start..equals, equals + 1..end),
                None => (start..end, end..end),
            };
            let name = self.piece(source, form, name, name_plain)?;
            let name_bytes = self.get(&name);
            if signer.sends(name_bytes) {
                return Err("already carries an OAuth protocol parameter credgate sends");
            }
            let key = prefix(name_bytes);
            let value = self.piece(source, form, value, value_plain)?;
            self.spans.push(Span { key, name, value });
        }
        Ok(())
    }

    /// `form[range]` as a piece: itself when `plain` (only unreserved bytes), else
    /// normalised into `text`.
    fn piece(
        &mut self,
        source: Source,
        form: &[u8],
        range: Range<usize>,
        plain: bool,
    ) -> Result<Piece, &'static str> {
        if plain {
            return Ok(Piece {
                source,
                start: range.start,
                end: range.end,
            });
        }
        let start = self.text.len();
        normalise_into(&mut self.text, form.get(range).unwrap_or_default())?;
        Ok(Piece {
            source: Source::Text,
            start,
            end: self.text.len(),
        })
    }

    /// The bytes of `piece`.
    fn get(&self, piece: &Piece) -> &[u8] {
        let source = match piece.source {
            Source::Query => self.query,
            Source::Form => self.form,
            Source::Text => &self.text,
        };
        source.get(piece.start..piece.end).unwrap_or_default()
    }

    /// Appends `piece` encoded a second time: a piece taken as it was sent holds only
    /// unreserved bytes, so it is its own encoding and is copied whole.
    fn encode_encoded_into(&self, out: &mut Vec<u8>, piece: &Piece) {
        match piece.source {
            Source::Text => encode_encoded_into(out, self.get(piece)),
            _ => out.extend_from_slice(self.get(piece)),
        }
    }

    /// The bytes of every name and value.
    fn len(&self) -> usize {
        self.spans
            .iter()
            .map(|span| span.name.end - span.name.start + span.value.end - span.value.start)
            .sum()
    }

    /// Sorts by encoded name, then encoded value, in byte order (§3.4.1.3.2).
    fn sort(&mut self) {
        let mut spans = std::mem::take(&mut self.spans);
        spans.sort_unstable_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| self.get(&a.name).cmp(self.get(&b.name)))
                .then_with(|| self.get(&a.value).cmp(self.get(&b.value)))
        });
        self.spans = spans;
    }
}

/// The first eight bytes of `name`, zero-padded, as a big-endian number.
fn prefix(name: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let len = name.len().min(8);
    bytes[..len].copy_from_slice(&name[..len]);
    u64::from_be_bytes(bytes)
}

/// The start of the signature base string (§3.4.1.1): the encoded method and base
/// string URI, each followed by `&`, in a buffer with room for `params` more bytes.
fn base_string_uri(method: &Method, uri: &Uri, params: usize) -> Result<Vec<u8>, AuthError> {
    let scheme = uri.scheme_str().ok_or(AuthError::UnsupportedUri {
        reason: "must be absolute (with a scheme and host) to be signed",
    })?;
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else if scheme.eq_ignore_ascii_case("http") {
        80
    } else {
        return Err(AuthError::UnsupportedUri {
            reason: "must use http or https to be signed",
        });
    };
    let host = uri.host().ok_or(AuthError::UnsupportedUri {
        reason: "must be absolute (with a scheme and host) to be signed",
    })?;
    let path = match uri.path() {
        "" => "/",
        path => path,
    };
    // At most three bytes per byte (each `%` becomes `%25`), each separator 3 bytes: one
    // allocation, without counting the `%`s first.
    let mut out =
        Vec::with_capacity(3 * (method.as_str().len() + host.len() + path.len() + params) + 32);
    for b in method.as_str().bytes() {
        push_encoded(&mut out, b.to_ascii_uppercase());
    }
    out.push(b'&');
    out.extend_from_slice(if default_port == 443 {
        b"https"
    } else {
        b"http"
    });
    out.extend_from_slice(b"%3A%2F%2F");
    for b in host.bytes() {
        push_encoded(&mut out, b.to_ascii_lowercase());
    }
    // `port_u16` reads `:0443` as 443 and an empty port as none: both are dropped.
    if let Some(port) = uri.port_u16().filter(|&p| p != default_port) {
        out.extend_from_slice(b"%3A");
        out.extend_from_slice(format_u64(u64::from(port), &mut [0u8; 20]).as_bytes());
    }
    encode_into(&mut out, path.as_bytes());
    out.push(b'&');
    Ok(out)
}

/// `uri` with `pairs` appended to its query.
fn with_query(uri: &Uri, pairs: &[(&str, &str)]) -> Result<Uri, AuthError> {
    let mut path_and_query = Zeroizing::new(Vec::with_capacity(uri.path().len() + 256));
    path_and_query.extend_from_slice(uri.path().as_bytes());
    path_and_query.push(b'?');
    let start = path_and_query.len();
    if let Some(query) = uri.query() {
        path_and_query.extend_from_slice(query.as_bytes());
    }
    append_pairs(&mut path_and_query, start, pairs);
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        PathAndQuery::from_maybe_shared(bytes::Bytes::from_owner(path_and_query)).map_err(
            |_| AuthError::UnsupportedUri {
                reason: "cannot carry the OAuth parameters",
            },
        )?,
    );
    Uri::from_parts(parts).map_err(|_| AuthError::UnsupportedUri {
        reason: "cannot carry the OAuth parameters",
    })
}

/// Appends `name=value` pairs to a query or form whose existing text (after the `?` for a
/// query) is `out[start..]`: "properly separated by an `&`" (RFC 5849 §3.5.2, §3.5.3), so a
/// `&` comes first unless that text is empty or already ends in one. A trailing `?` is part
/// of the last value, which is how it was signed: `a=b?` must become `a=b?&oauth_...`.
fn append_pairs(out: &mut Vec<u8>, start: usize, pairs: &[(&str, &str)]) {
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 || (out.len() > start && out.last() != Some(&b'&')) {
            out.push(b'&');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
    }
}
