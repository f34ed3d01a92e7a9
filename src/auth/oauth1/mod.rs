//! `oauth1`: RFC 5849 request signing, and the three-legged flow of RFC 5849 §2 without I/O.
//!
//! [`OAuth1`] signs requests with HMAC-SHA1, HMAC-SHA256 or PLAINTEXT and puts the
//! protocol parameters in the `Authorization` header, the query or a form body.
//! [`OAuth1Flow`] builds the temporary-credentials and token requests for you to send and
//! reads their responses.
//!
//! # What is signed (RFC 5849 §3.4.1)
//!
//! * the method, upper-cased;
//! * the request URI exactly as it will be sent, with scheme and host lower-cased, the
//!   default port (`:80`, `:443`, also written `:0443`, or an empty port) dropped, userinfo
//!   and fragment left out, IPv6 hosts kept in brackets;
//! * every query parameter, repeated names kept, and the parameters of an
//!   `application/x-www-form-urlencoded` body (of no other content type): `%XX` decoded
//!   exactly once, `+` read as a space, bytes that are not UTF-8 kept as `%XX`; a
//!   parameter named `realm` there is signed like any other;
//! * the protocol parameters, except `oauth_signature` and the header's `realm`;
//!
//! all sorted by encoded name, then encoded value.
//!
//! Where `oauth1-request` (which credgate's design first built on) writes keys unencoded,
//! sorts raw values, has no realm or HMAC-SHA256 and does not encode PLAINTEXT signatures,
//! this module follows the RFC; it is its own implementation, checked against the RFC's
//! vectors and against `oauth1-request` for the inputs that crate handles correctly.
//!
//! RSA-SHA1 is not offered: the `rsa` crate it would need carries an open advisory
//! (RUSTSEC-2023-0071, the Marvin timing attack).

mod flow;
mod signer;

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;

pub use flow::{OAuth1Flow, OAuth1FlowError, TemporaryCredentials, token_credentials_from_form};

use self::signer::{Credentials, Signed, Signer};
use super::{Authenticator, OutgoingRequest};
use crate::Secret;
use crate::clock::{Clock, OsRandom, RandomSource, SystemClock};
use crate::error::{AuthError, BuildError};
use crate::model::{NameValue, OAuth1Placement, OAuth1Scheme, OAuth1TokenCredential};

/// Signs requests with OAuth 1.0a token credentials (RFC 5849 §3).
///
/// The keyed HMAC, the encoded protocol parameters and the realm are prepared when it is
/// built; each [`authorize`](Authenticator::authorize) takes a timestamp from its
/// [`Clock`] and a 128-bit nonce from its [`RandomSource`].
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use credgate::auth::{Authenticator, OAuth1};
/// use credgate::{ManualClock, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential};
///
/// // The resource request of RFC 5849 §1.2.
/// let scheme = OAuth1Scheme::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44", OAuth1SignatureMethod::Sha1)
///     .with_realm("Photos");
/// let token = OAuth1TokenCredential::new("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00");
/// let oauth1 = OAuth1::new(&scheme, &token)?;
///
/// let mut request = http::Request::get("http://photos.example.net/photos?file=vacation.jpg&size=original")
///     .body(())?;
/// let signed = oauth1.sign(&request, 137131202, "chapoH")?;
/// assert_eq!(signed.signature(), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
/// signed.apply(&mut request)?;
/// assert!(request.headers()["authorization"].is_sensitive());
///
/// // `authorize` takes the time and nonce from the clock and randomness.
/// let oauth1 = oauth1.with_clock(Arc::new(ManualClock::at_unix_seconds(1_700_000_000)));
/// let mut request = http::Request::get("https://photos.example.net/photos").body(())?;
/// oauth1.authorize(&mut request)?;
/// let header = request.headers()["authorization"].to_str()?;
/// assert!(header.starts_with(r#"OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03""#));
/// assert!(header.contains(r#"oauth_timestamp="1700000000""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct OAuth1 {
    signer: Signer,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    /// `oauth_token` and `oauth_signature` when they go in the query, for redaction.
    secret_query_names: Vec<String>,
}

impl OAuth1 {
    /// Validates and pre-encodes the client credentials of `scheme` and the token
    /// credentials of `token`, with the system clock and the operating system's randomness.
    ///
    /// An additional parameter named `realm` is the header's realm (replacing the
    /// scheme's); the others are sent and signed as protocol parameters (for example
    /// `oauth_version=1.0`).
    ///
    /// # Errors
    ///
    /// * [`BuildError::Empty`] for an empty consumer key, token secret, or consumer secret
    ///   (unless the scheme's `allow_empty_consumer_secret` is set);
    /// * [`BuildError::InvalidValue`] for an empty token: [`OAuth1::consumer_only`] signs
    ///   without one;
    /// * [`BuildError::Redacted`] for a secret or value (an additional parameter's
    ///   included) that is the `******` of a listing;
    /// * [`BuildError::InvalidName`] for an additional parameter that is empty or one
    ///   credgate sets (`oauth_nonce`, `oauth_token`, ...);
    /// * [`BuildError::RepeatedName`] for an additional parameter given twice;
    /// * [`BuildError::InvalidValue`] for a realm that cannot be quoted in a header or is
    ///   set with another placement than the header.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::OAuth1;
    /// use credgate::{BuildError, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential};
    ///
    /// let scheme = OAuth1Scheme::new("key", "******", OAuth1SignatureMethod::Sha256);
    /// let token = OAuth1TokenCredential::new("token", "secret");
    /// let err = OAuth1::new(&scheme, &token).unwrap_err();
    /// assert_eq!(err, BuildError::Redacted { field: "consumer secret" });
    /// ```
    pub fn new(scheme: &OAuth1Scheme, token: &OAuth1TokenCredential) -> Result<Self, BuildError> {
        check_client(scheme)?;
        if token.token.is_redacted() {
            return Err(BuildError::Redacted { field: "token" });
        }
        if token.token_secret.is_redacted() {
            return Err(BuildError::Redacted {
                field: "token secret",
            });
        }
        if token.token.is_empty() {
            return Err(BuildError::InvalidValue {
                field: "token",
                reason: "is empty (to sign with the client credentials alone, as two-legged \
                         APIs and LTI 1.x do, use an oauth1-consumer credential or \
                         OAuth1::consumer_only)",
            });
        }
        if token.token_secret.is_empty() {
            return Err(BuildError::Empty {
                field: "token secret",
            });
        }
        Self::build(
            scheme,
            Some((&token.token, &token.token_secret)),
            &token.additional_params,
        )
    }

    /// Signs with the client credentials alone: no `oauth_token`, and an empty token
    /// secret in the key (RFC 5849 §3.1 "MAY omit" the token; §3.4.2), as LTI 1.x launches
    /// and two-legged APIs sign. `additional_params` are sent and signed as protocol
    /// parameters (`oauth_version`, `oauth_callback`, ...); one named `realm` is the
    /// header's realm.
    ///
    /// # Errors
    ///
    /// As [`OAuth1::new`], without the token errors.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::OAuth1;
    /// use credgate::{NameValue, OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("lti-key", "lti-secret", OAuth1SignatureMethod::Sha1);
    /// let oauth1 = OAuth1::consumer_only(&scheme, &[NameValue::new("oauth_version", "1.0")])?;
    /// let request = http::Request::post("https://tool.example/launch").body(())?;
    /// let signed = oauth1.sign(&request, 1, "n")?;
    /// let header = signed.authorization().expect("header placement").to_str()?;
    /// assert!(!header.contains("oauth_token"));
    /// assert!(header.contains(r#"oauth_version="1.0""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn consumer_only(
        scheme: &OAuth1Scheme,
        additional_params: &[NameValue],
    ) -> Result<Self, BuildError> {
        check_client(scheme)?;
        Self::build(scheme, None, additional_params)
    }

    fn build(
        scheme: &OAuth1Scheme,
        token: Option<(&Secret, &Secret)>,
        additional_params: &[NameValue],
    ) -> Result<Self, BuildError> {
        let mut realm = scheme.realm.as_deref();
        let mut realm_param = false;
        let mut extra = Vec::with_capacity(additional_params.len());
        for param in additional_params {
            if param.name == "realm" {
                if realm_param {
                    return Err(BuildError::RepeatedName {
                        name: param.name.clone(),
                        location: "OAuth1 protocol parameter",
                    });
                }
                realm_param = true;
                realm = Some(param.value.expose_secret());
            } else {
                extra.push((param.name.as_str(), param.value.expose_secret()));
            }
        }
        let credentials = Credentials {
            consumer_key: &scheme.consumer_key,
            consumer_secret: &scheme.consumer_secret,
            token,
            omit_plaintext_nonce: scheme.omit_plaintext_nonce,
        };
        let signer = Signer::new(
            &credentials,
            scheme.signature_method,
            &extra,
            realm,
            scheme.placement,
        )?;
        let mut oauth1 = Self::from_signer(signer);
        // The credential's own parameters may be secrets too (a session handle).
        if matches!(scheme.placement, OAuth1Placement::Query) {
            let names = extra.iter().map(|(name, _)| (*name).to_owned());
            oauth1.secret_query_names.extend(names);
        }
        Ok(oauth1)
    }

    fn from_signer(signer: Signer) -> Self {
        let secret_query_names = match signer.placement() {
            OAuth1Placement::Query => vec!["oauth_token".to_owned(), "oauth_signature".to_owned()],
            _ => Vec::new(),
        };
        Self {
            signer,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            secret_query_names,
        }
    }

    /// Takes timestamps from `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Takes nonces from `random` instead of the operating system.
    #[must_use]
    pub fn with_random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// Signs `request` with the given timestamp and nonce, without changing it: each stage
    /// (base string, signature, header, query or body) can be inspected before
    /// [`SignedRequest::apply`] puts it on the request. With PLAINTEXT the timestamp and
    /// nonce are sent too, unless the scheme's `omit_plaintext_nonce` leaves them out.
    ///
    /// A nonce must never be reused with the same timestamp and credentials;
    /// [`authorize`](Authenticator::authorize) draws a fresh one for you.
    ///
    /// # Errors
    ///
    /// * [`AuthError::UnsupportedUri`] for a relative URI, a scheme other than `http` or
    ///   `https`, a query with a malformed `%` escape or that already carries a protocol
    ///   parameter credgate sends;
    /// * [`AuthError::UnsupportedBody`] for a form body that is not buffered, has a
    ///   malformed `%` escape or already carries a protocol parameter, or (body placement)
    ///   a body that is not a form.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::OAuth1;
    /// use credgate::{AuthError, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1);
    /// let oauth1 = OAuth1::new(&scheme, &OAuth1TokenCredential::new("t", "ts"))?;
    /// let request = http::Request::get("/relative").body(())?;
    /// assert!(matches!(oauth1.sign(&request, 1, "n"), Err(AuthError::UnsupportedUri { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign(
        &self,
        request: &dyn OutgoingRequest,
        timestamp: u64,
        nonce: &str,
    ) -> Result<SignedRequest, AuthError> {
        self.signer
            .sign(request, timestamp, nonce)
            .map(SignedRequest)
    }

    pub(crate) fn query_names(&self) -> &[String] {
        &self.secret_query_names
    }
}

/// Checks the client credentials of `scheme`.
fn check_client(scheme: &OAuth1Scheme) -> Result<(), BuildError> {
    if scheme.consumer_key.is_empty() {
        return Err(BuildError::Empty {
            field: "consumer key",
        });
    }
    if scheme.consumer_secret.is_redacted() {
        return Err(BuildError::Redacted {
            field: "consumer secret",
        });
    }
    if scheme.consumer_secret.is_empty() && !scheme.allow_empty_consumer_secret {
        return Err(BuildError::Empty {
            field: "consumer secret",
        });
    }
    Ok(())
}

/// A 128-bit nonce from `random`, as 32 lower-case hex digits.
fn nonce(random: &dyn RandomSource) -> [u8; 32] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    random.fill_bytes(&mut bytes);
    let mut out = [0u8; 32];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 0xF)];
    }
    out
}

impl Authenticator for OAuth1 {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        let nonce = nonce(&*self.random);
        // Only hex digits were written.
        let nonce = std::str::from_utf8(&nonce).unwrap_or_default();
        self.signer
            .sign(request, self.clock.unix_seconds(), nonce)?
            .apply(request)
    }
}

impl fmt::Debug for OAuth1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1")
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

/// A request's OAuth1 signature, each stage open to inspection, ready to be applied: made
/// by [`OAuth1::sign`].
///
/// Its `Debug` shows only where the signature goes: the stages hold the token, and with
/// PLAINTEXT the secrets themselves.
pub struct SignedRequest(Signed);

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let placement = match self.0.output {
            signer::Output::Header(_) => "header",
            signer::Output::Query(_) => "query",
            signer::Output::Body { .. } => "body",
        };
        f.debug_struct("SignedRequest")
            .field("placement", &placement)
            .finish_non_exhaustive()
    }
}

impl SignedRequest {
    /// The signature base string (RFC 5849 §3.4.1.1).
    pub fn base_string(&self) -> &str {
        self.0.base_string()
    }

    /// The `oauth_signature` value before it is percent-encoded for transmission: base64
    /// for the HMAC methods, `secret&secret` (each encoded) for PLAINTEXT.
    pub fn signature(&self) -> &str {
        self.0.signature.expose_secret()
    }

    /// The `Authorization` header value, for the header placement.
    pub fn authorization(&self) -> Option<&HeaderValue> {
        match &self.0.output {
            signer::Output::Header(value) => Some(value),
            _ => None,
        }
    }

    /// The new request URI, for the query placement.
    pub fn uri(&self) -> Option<&http::Uri> {
        match &self.0.output {
            signer::Output::Query(uri) => Some(uri),
            _ => None,
        }
    }

    /// The new request body, for the body placement.
    pub fn body(&self) -> Option<&[u8]> {
        match &self.0.output {
            signer::Output::Body { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// Puts the signature on `request`, which must be the request it was computed from:
    /// inserts the sensitive `Authorization` header, replaces the URI, or replaces the body
    /// (setting `Content-Type: application/x-www-form-urlencoded` if it has none).
    ///
    /// # Errors
    ///
    /// [`AuthError::UnsupportedBody`] when the body placement's new body cannot be stored
    /// in the request's body type; the request is then unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::OAuth1;
    /// use credgate::{OAuth1Placement, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_placement(OAuth1Placement::Body);
    /// let oauth1 = OAuth1::new(&scheme, &OAuth1TokenCredential::new("t", "ts"))?;
    /// let mut request = http::Request::post("https://api.example.com/a").body(b"x=1".to_vec())?;
    /// oauth1.sign(&request, 1, "n")?.apply(&mut request)?;
    /// assert!(request.body().starts_with(b"x=1&oauth_consumer_key=key&"));
    /// assert_eq!(request.headers()["content-type"], "application/x-www-form-urlencoded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        self.0.apply(request)
    }
}
