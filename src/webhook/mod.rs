//! Webhook signatures: verify incoming deliveries, and sign outgoing ones, from one
//! scheme described as data.
//!
//! A scheme is the platform's [`HmacScheme`] (its `hmac` auth scheme) with credgate's
//! optional fields for what real providers do: a signed-message template
//! ([`MessagePart`]), a [`SignatureFormat`] (`sha256=` prefixes, `t=..,v1=..` lists,
//! `v1,<b64>` lists), a [`TimestampRule`] with a replay window, a delivery id, a
//! [`SecretDecoding`]. [`Preset`] holds 22 presets: the schemes of 17 providers and
//! their legacy variants. A [`WebhookConfig`] (`{"preset": "stripe", "secrets":
//! ["whsec_..."]}`) names a preset or holds a full scheme document, so a handler's
//! settings can live in a file.
//!
//! [`Verifier::verify`] checks an [`http::Request`] whose body is bytes and returns a
//! [`Verified`] proof or a [`VerifyError`] that never reveals the expected MAC. The rules:
//!
//! * presented signatures are decoded (hex in either case, canonical base64), their length
//!   checked, and compared in constant time with the MAC of every configured secret, every
//!   signature against every secret with no early exit, so secrets can be rotated;
//! * only the trusted version counts: Stripe's `v0`, a Standard Webhooks `v2` or a GitHub
//!   SHA-1 signature is never accepted in place of the configured one;
//! * a missing or duplicated signature, timestamp or id header fails closed;
//! * a timestamp must be a plain decimal integer within the window (inclusive);
//! * the body is capped (25 MiB by default) before it is MACed, and MACed as the exact
//!   bytes received: never decode, re-serialise or trim it first.
//!
//! [`Verifier::stream`] does the same over a body that arrives in chunks, in constant
//! memory. [`Signer`] signs outgoing requests with the same scheme, and is what a
//! connection whose template has an `hmac` scheme uses.
//!
//! # Example
//!
//! ```
//! use credgate::webhook::{Verifier, VerifyError, WebhookConfig};
//!
//! let config: WebhookConfig = serde_json::from_str(
//!     r#"{"preset": "github", "secrets": ["It's a Secret to Everybody"]}"#,
//! )?;
//! let verifier = Verifier::from_config(&config)?;
//!
//! // GitHub's documented example delivery.
//! let delivery = http::Request::post("/hooks/github")
//!     .header(
//!         "X-Hub-Signature-256",
//!         "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
//!     )
//!     .body(b"Hello, World!".to_vec())?;
//! let proof = verifier.verify(&delivery)?;
//! assert_eq!(proof.secret_index(), 0);
//!
//! let tampered = http::Request::post("/hooks/github")
//!     .header("X-Hub-Signature-256", delivery.headers()["x-hub-signature-256"].clone())
//!     .body(b"Hello, World?".to_vec())?;
//! assert_eq!(verifier.verify(&tampered).unwrap_err(), VerifyError::Mismatch);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod engine;
mod error;
mod message;
mod parse;
mod presets;
mod sign;
mod verify;
mod zoom;

use std::sync::Arc;

use http::{HeaderMap, Method, Request, Uri};
use serde::{Deserialize, Serialize};

pub use self::error::VerifyError;
pub use self::presets::Preset;
pub use self::verify::{StreamingVerification, Verified};
pub use crate::model::hmac::{
    FieldSource, MessagePart, SecretDecoding, SignatureFormat, TimeUnit, TimestampRule,
};
pub use crate::model::{DigestInput, HmacAlgorithm, HmacScheme, SignatureEncoding};

use self::engine::Engine;
use self::message::View;
use crate::auth::{Authenticator, OutgoingRequest, RequestBody};
use crate::clock::{Clock, SystemClock};
use crate::error::{AuthError, BuildError};
use crate::model::AuthSchemeConfig;
use crate::secret::Secret;

/// A webhook handler's settings, as stored in a file: a preset or a full `hmac` scheme
/// document, the secrets (newest first: the first one signs), and optional overrides.
///
/// ```json
/// {"preset": "stripe", "secrets": ["whsec_new", "whsec_old"], "pastTolerance": 600}
/// {"scheme": {"type": "hmac", "hmac": {"algorithm": "sha256", "digestInputs": ["body"],
///   "encoding": "hex", "in": "header", "name": "X-Signature"}}, "secrets": ["s3cret"]}
/// ```
///
/// Unknown fields are rejected here and inside a scheme's `timestamp` and `format`, so a
/// misspelt option there (`"pastTolerence"`) is an error rather than its default. The
/// `hmac` object itself accepts unknown fields, because the platform's documents carry
/// fields credgate does not read (`validationMessages`, `credentialId`, ...): a misspelt
/// field directly in it is ignored, so check a hand-written scheme by loading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// A provider's preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// A full scheme document (`{"type": "hmac", "hmac": {...}}`), instead of a preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<AuthSchemeConfig>,
    /// The secrets: every one is tried when verifying; the first one signs.
    pub secrets: Vec<Secret>,
    /// Overrides how old a timestamp may be, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past_tolerance: Option<u64>,
    /// Overrides how far in the future a timestamp may be, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub future_tolerance: Option<u64>,
    /// Overrides the body-size cap, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
    /// Overrides how a secret string becomes the MAC key (`"base64"`, `"hex"`,
    /// `{"prefixedBase64": "whsec_"}`, ...), for a provider whose secrets are not in the
    /// preset's form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_decoding: Option<SecretDecoding>,
    /// Accepts a signed timestamp of any age (it is still read, signed and returned):
    /// for providers that document no window (Zoom, Mailgun) and replays of stored
    /// deliveries. Replay protection is then the caller's, by remembering signed ids.
    /// Cannot be combined with a tolerance.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_replay_window: bool,
    /// Any other fields of the scheme, as a JSON merge patch (RFC 7396) over the preset's
    /// or document's `hmac` object: `{"name": "X-Sig"}` renames the header,
    /// `{"timestamp": {"pastTolerance": 30}}` changes one field of a nested object, `null`
    /// removes an optional field. Unknown field names are rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_overrides: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WebhookConfig {
    /// A configuration for `preset` with `secrets`.
    pub fn preset(preset: Preset, secrets: Vec<Secret>) -> Self {
        Self {
            preset: Some(preset),
            scheme: None,
            secrets,
            past_tolerance: None,
            future_tolerance: None,
            max_body_bytes: None,
            secret_decoding: None,
            no_replay_window: false,
            scheme_overrides: None,
        }
    }

    /// The scheme this configuration describes, overrides applied.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] unless exactly one of `preset` and `scheme` is set,
    /// when `scheme` is not an `hmac` scheme, when a tolerance or `noReplayWindow` is given
    /// for a scheme without a timestamp (or both are given), or when `schemeOverrides` do
    /// not make a valid scheme; [`BuildError::InvalidName`] for an override naming no
    /// field of the scheme.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, WebhookConfig};
    ///
    /// let mut config = WebhookConfig::preset(Preset::Stripe, vec!["whsec_x".into()]);
    /// config.past_tolerance = Some(600);
    /// assert_eq!(config.to_scheme()?.timestamp.map(|rule| rule.past_tolerance), Some(600));
    /// # Ok::<(), credgate::BuildError>(())
    /// ```
    pub fn to_scheme(&self) -> Result<HmacScheme, BuildError> {
        let invalid = |field, reason| BuildError::InvalidValue { field, reason };
        let mut scheme = match (&self.preset, &self.scheme) {
            (Some(preset), None) => preset.scheme(),
            (None, Some(AuthSchemeConfig::Hmac(scheme))) => scheme.clone(),
            (None, Some(_)) => return Err(invalid("scheme", "must be an hmac scheme")),
            _ => {
                return Err(invalid(
                    "webhook config",
                    "needs exactly one of preset and scheme",
                ));
            }
        };
        if let Some(patch) = &self.scheme_overrides {
            scheme = apply_overrides(&scheme, patch)?;
        }
        if let Some(decoding) = &self.secret_decoding {
            scheme.secret_decoding = decoding.clone();
        }
        if self.no_replay_window {
            if self.past_tolerance.is_some() || self.future_tolerance.is_some() {
                return Err(invalid(
                    "noReplayWindow",
                    "cannot be combined with pastTolerance or futureTolerance",
                ));
            }
            let rule = scheme.timestamp.as_mut().ok_or_else(|| {
                invalid("noReplayWindow", "is set but the scheme has no timestamp")
            })?;
            // The window check saturates, so the largest tolerance accepts any age.
            rule.past_tolerance = u64::MAX;
            rule.future_tolerance = u64::MAX;
        }
        if self.past_tolerance.is_some() || self.future_tolerance.is_some() {
            let rule = scheme
                .timestamp
                .as_mut()
                .ok_or_else(|| invalid("tolerance", "is set but the scheme has no timestamp"))?;
            rule.past_tolerance = self.past_tolerance.unwrap_or(rule.past_tolerance);
            rule.future_tolerance = self.future_tolerance.unwrap_or(rule.future_tolerance);
        }
        if self.max_body_bytes.is_some() {
            scheme.max_body_bytes = self.max_body_bytes;
        }
        Ok(scheme)
    }
}

/// The `hmac` object's fields, for rejecting a misspelt override (the object itself
/// accepts unknown fields, which would make a typo silently do nothing).
const HMAC_FIELDS: &[&str] = &[
    "id",
    "description",
    "algorithm",
    "digestInputs",
    "encoding",
    "in",
    "name",
    "message",
    "format",
    "signatureFrom",
    "timestamp",
    "idFrom",
    "secretDecoding",
    "maxBodyBytes",
    "urlPortVariants",
    "dangerPlainHash",
];

/// `scheme` with the JSON merge patch `patch` (RFC 7396) applied.
fn apply_overrides(
    scheme: &HmacScheme,
    patch: &serde_json::Map<String, serde_json::Value>,
) -> Result<HmacScheme, BuildError> {
    let invalid = |reason| BuildError::InvalidValue {
        field: "schemeOverrides",
        reason,
    };
    if let Some(unknown) = patch
        .keys()
        .find(|key| !HMAC_FIELDS.contains(&key.as_str()))
    {
        return Err(BuildError::InvalidName {
            name: unknown.clone(),
            location: "hmac scheme field",
        });
    }
    let mut document =
        serde_json::to_value(scheme).map_err(|_| invalid("cannot be applied to this scheme"))?;
    merge_patch(&mut document, &serde_json::Value::Object(patch.clone()));
    // The scheme holds no secret, so its error message is safe, but it is not shown: the
    // reason names the fix instead.
    serde_json::from_value(document)
        .map_err(|_| invalid("do not make a valid hmac scheme (check each field's type)"))
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(object) = target {
        for (key, value) in fields {
            if value.is_null() {
                object.remove(key);
            } else {
                merge_patch(
                    object.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

/// Verifies webhook deliveries against one scheme and a list of secrets.
///
/// Everything is validated and every secret keyed when it is built; verifying does no
/// configuration work. It is `Send + Sync`: share one across threads.
#[derive(Debug)]
pub struct Verifier {
    engine: Arc<Engine>,
    clock: Arc<dyn Clock>,
}

impl Verifier {
    /// A verifier for `scheme` that accepts a signature made with any of `secrets`.
    ///
    /// # Errors
    ///
    /// [`BuildError`] when there is no secret, a secret is empty, redacted or does not
    /// decode, or the scheme is inconsistent (a message part without its source, a
    /// timestamp the signature does not cover, a bad header name, a list key without a
    /// key/value list format, ...).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier};
    ///
    /// let verifier = Verifier::new(&Preset::Shopify.scheme(), &["old".into(), "new".into()])?;
    /// assert!(Verifier::new(&Preset::Shopify.scheme(), &[]).is_err());
    /// # Ok::<(), credgate::BuildError>(())
    /// ```
    pub fn new(scheme: &HmacScheme, secrets: &[Secret]) -> Result<Self, BuildError> {
        Ok(Self {
            engine: Arc::new(Engine::new(scheme, secrets)?),
            clock: Arc::new(SystemClock),
        })
    }

    /// A verifier for `preset` with `secrets`.
    ///
    /// # Errors
    ///
    /// As [`Verifier::new`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier};
    ///
    /// let verifier = Verifier::from_preset(Preset::Stripe, &["whsec_test".into()])?;
    /// # Ok::<(), credgate::BuildError>(())
    /// ```
    pub fn from_preset(preset: Preset, secrets: &[Secret]) -> Result<Self, BuildError> {
        Self::new(&preset.scheme(), secrets)
    }

    /// A verifier for a handler's stored settings.
    ///
    /// # Errors
    ///
    /// As [`WebhookConfig::to_scheme`] and [`Verifier::new`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Verifier, WebhookConfig};
    ///
    /// let config: WebhookConfig =
    ///     serde_json::from_str(r#"{"preset": "slack", "secrets": ["8f74"], "pastTolerance": 60}"#)?;
    /// let verifier = Verifier::from_config(&config)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_config(config: &WebhookConfig) -> Result<Self, BuildError> {
        Self::new(&config.to_scheme()?, &config.secrets)
    }

    /// The same verifier reading the time from `clock` (for tests and replays).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Verifies a delivery.
    ///
    /// For schemes that sign the URL (Twilio, Square, HubSpot), the signed URL is taken
    /// from the request URI, which must then be absolute. That URI is what the request
    /// says, not what was configured at the provider: behind a proxy it may not be the URL
    /// the sender signed, and a client that sends an absolute-form request target
    /// (`POST https://other.example/hook HTTP/1.1`) chooses it, so a delivery signed for
    /// another endpoint or tenant would verify here. In either case, or whenever you cannot
    /// vouch for the request target, pass the configured URL to
    /// [`verify_with_url`](Self::verify_with_url) instead.
    ///
    /// The URL is rebuilt from the parsed [`http::Uri`], which writes an `http` or `https`
    /// scheme in lower case whatever the request said, so both that spelling and the
    /// upper-case one (`HTTP://`, `HTTPS://`) are tried; the rest of the URL is kept byte for
    /// byte. A sender that signed a mixed-case scheme (`Https://`) fails with
    /// [`VerifyError::Mismatch`] here. [`verify_with_url`](Self::verify_with_url) and
    /// [`verify_parts`](Self::verify_parts) use the URL they are given byte for byte, and
    /// also, when it differs, with the path an [`http::Uri`] gives it (`https://h.example`
    /// as `https://h.example/`, the spelling a [`Signer`] signs for a request sent there).
    ///
    /// # Errors
    ///
    /// [`VerifyError`]: the body is too large, a header is missing, duplicated or
    /// malformed, the timestamp is outside the window, or no signature matches.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use credgate::ManualClock;
    /// use credgate::webhook::{Preset, Verifier};
    ///
    /// // Slack's documented example.
    /// let verifier = Verifier::from_preset(Preset::Slack, &["8f742231b10e8888abcd99yyyzzz85a5".into()])?
    ///     .with_clock(Arc::new(ManualClock::at_unix_seconds(1_531_420_618)));
    /// let request = http::Request::post("/slack/commands")
    ///     .header("X-Slack-Request-Timestamp", "1531420618")
    ///     .header("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
    ///     .body("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")?;
    /// let proof = verifier.verify(&request)?;
    /// assert!(proof.timestamp().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify<B: AsRef<[u8]>>(&self, request: &Request<B>) -> Result<Verified, VerifyError> {
        self.verify_inner(request, None)
    }

    /// Verifies a delivery whose sender signed `signed_url` (Twilio, Square, HubSpot): the
    /// URL as configured at the provider. The request URI is then ignored, so neither a
    /// proxy rewriting `Host` nor a client choosing the request target changes what is
    /// verified. Prefer it to [`verify`](Self::verify) for these schemes.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier, VerifyError};
    ///
    /// let verifier = Verifier::from_preset(Preset::Square, &["asdf1234".into()])?;
    /// let request = http::Request::post("/webhook")
    ///     .header("x-square-hmacsha256-signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    ///     .body(b"{}".to_vec())?;
    /// assert_eq!(verifier.verify(&request).unwrap_err(), VerifyError::MissingUrl);
    /// assert_eq!(
    ///     verifier.verify_with_url(&request, "https://example.com/webhook").unwrap_err(),
    ///     VerifyError::Mismatch,
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_with_url<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        signed_url: &str,
    ) -> Result<Verified, VerifyError> {
        self.verify_inner(request, Some(signed_url))
    }

    /// Verifies a delivery given as its headers and body, for frameworks that hand them
    /// over separately (actix-web, warp, AWS Lambda) and for adapters: no
    /// [`http::Request`] needs to be built.
    ///
    /// `signed_url` is the URL the sender signed, byte for byte, for schemes that sign it
    /// (Twilio, Square, HubSpot; see [`verify_with_url`](Self::verify_with_url)), and where
    /// a signature read from a query parameter is looked up. Pass `None` for the others.
    /// The method is taken to be `POST`, the method every preset's provider delivers
    /// with (HubSpot v2 and v3 sign it).
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify); [`VerifyError::MissingUrl`] when the scheme signs the
    /// URL and `signed_url` is `None`.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier, VerifyError};
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let verifier = Verifier::from_preset(Preset::Github, &["It's a Secret to Everybody".into()])?;
    /// // What a framework hands over: the header map and the collected body bytes.
    /// let mut headers = HeaderMap::new();
    /// headers.insert(
    ///     "x-hub-signature-256",
    ///     HeaderValue::from_static("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
    /// );
    /// verifier.verify_parts(&headers, b"Hello, World!", None)?;
    /// assert_eq!(
    ///     verifier.verify_parts(&headers, b"Hello, World?", None).unwrap_err(),
    ///     VerifyError::Mismatch,
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_parts(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        signed_url: Option<&str>,
    ) -> Result<Verified, VerifyError> {
        if u64::try_from(body.len()).unwrap_or(u64::MAX) > self.engine.max_body_bytes {
            return Err(VerifyError::BodyTooLarge {
                limit: self.engine.max_body_bytes,
            });
        }
        let uri = parts_uri(signed_url);
        let view = View::new(&Method::POST, &uri, signed_url, headers, Some(body));
        self.engine.verify_buffered(&view, body, self.clock.now())
    }

    /// [`stream`](Self::stream) for a delivery given as its headers, with `signed_url` as
    /// in [`verify_parts`](Self::verify_parts). Feed the body to
    /// [`StreamingVerification::update`] as it arrives.
    ///
    /// # Errors
    ///
    /// As [`stream`](Self::stream) and [`verify_parts`](Self::verify_parts).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier};
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let verifier = Verifier::from_preset(Preset::Github, &["It's a Secret to Everybody".into()])?;
    /// let mut headers = HeaderMap::new();
    /// headers.insert(
    ///     "x-hub-signature-256",
    ///     HeaderValue::from_static("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
    /// );
    /// let mut verification = verifier.stream_parts(&headers, None)?;
    /// for chunk in [&b"Hello, "[..], b"World!"] {
    ///     verification.update(chunk)?;
    /// }
    /// verification.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream_parts(
        &self,
        headers: &HeaderMap,
        signed_url: Option<&str>,
    ) -> Result<StreamingVerification, VerifyError> {
        if self.engine.reads_body {
            return Err(VerifyError::NotStreamable);
        }
        let uri = parts_uri(signed_url);
        let view = View::new(&Method::POST, &uri, signed_url, headers, None);
        self.engine.begin(&view, self.clock.now())
    }

    /// The largest body this verifier accepts, in bytes: an adapter can stop reading (or
    /// set its framework's own body limit) there.
    pub fn max_body_bytes(&self) -> u64 {
        self.engine.max_body_bytes
    }

    /// Whether the scheme signs the delivery's URL (Twilio, Square, HubSpot): an adapter
    /// must then be told the URL as configured at the provider.
    pub fn signs_url(&self) -> bool {
        self.engine.needs_url
    }

    fn verify_inner<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        signed_url: Option<&str>,
    ) -> Result<Verified, VerifyError> {
        let body = request.body().as_ref();
        if u64::try_from(body.len()).unwrap_or(u64::MAX) > self.engine.max_body_bytes {
            return Err(VerifyError::BodyTooLarge {
                limit: self.engine.max_body_bytes,
            });
        }
        let view = View::new(
            request.method(),
            request.uri(),
            signed_url,
            request.headers(),
            Some(body),
        );
        self.engine.verify_buffered(&view, body, self.clock.now())
    }

    /// Starts verifying a delivery whose body will arrive in chunks (the request's own
    /// body is ignored). The headers and timestamp are checked now; feed the body to
    /// [`StreamingVerification::update`] and call [`StreamingVerification::finish`].
    /// Memory use does not depend on the body's size. A signed URL is read from the request
    /// URI as in [`verify`](Self::verify), with the same caveat.
    ///
    /// # Errors
    ///
    /// [`VerifyError::NotStreamable`] for schemes that read the body's content (Linear,
    /// Mailgun, Twilio); otherwise as [`verify`](Self::verify), for the headers.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier};
    ///
    /// let verifier = Verifier::from_preset(Preset::Github, &["It's a Secret to Everybody".into()])?;
    /// let head = http::Request::post("/hooks")
    ///     .header("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    ///     .body(())?;
    /// let mut verification = verifier.stream(&head)?;
    /// for chunk in [&b"Hello, "[..], b"World!"] {
    ///     verification.update(chunk)?;
    /// }
    /// verification.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream<B>(&self, request: &Request<B>) -> Result<StreamingVerification, VerifyError> {
        self.stream_inner(request, None)
    }

    /// [`stream`](Self::stream) for a delivery whose sender signed `signed_url`; see
    /// [`verify_with_url`](Self::verify_with_url).
    ///
    /// # Errors
    ///
    /// As [`stream`](Self::stream).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier, VerifyError};
    ///
    /// let verifier = Verifier::from_preset(Preset::Twilio, &["token".into()])?;
    /// let head = http::Request::post("/sms").header("X-Twilio-Signature", "x").body(())?;
    /// let err = verifier.stream_with_url(&head, "https://example.com/sms").unwrap_err();
    /// assert_eq!(err, VerifyError::NotStreamable);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream_with_url<B>(
        &self,
        request: &Request<B>,
        signed_url: &str,
    ) -> Result<StreamingVerification, VerifyError> {
        self.stream_inner(request, Some(signed_url))
    }

    fn stream_inner<B>(
        &self,
        request: &Request<B>,
        signed_url: Option<&str>,
    ) -> Result<StreamingVerification, VerifyError> {
        if self.engine.reads_body {
            return Err(VerifyError::NotStreamable);
        }
        let view = View::new(
            request.method(),
            request.uri(),
            signed_url,
            request.headers(),
            None,
        );
        self.engine.begin(&view, self.clock.now())
    }

    /// A [`Signer`] for the same scheme, signing with the first secret and this
    /// verifier's clock.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] when credgate cannot write the scheme's signature
    /// (Mailgun's is in the JSON body).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier};
    ///
    /// let verifier = Verifier::from_preset(Preset::Stripe, &["whsec_test".into()])?;
    /// let mut request = http::Request::post("https://hooks.example.com/").body(b"{}".to_vec())?;
    /// verifier.signer()?.sign(&mut request)?;
    /// verifier.verify(&request)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signer(&self) -> Result<Signer, BuildError> {
        self.engine.check_signable()?;
        Ok(Signer {
            engine: Arc::clone(&self.engine),
            clock: Arc::clone(&self.clock),
        })
    }
}

/// The request URI [`Verifier::verify_parts`] reads query parameters from: the signed
/// URL when it parses, otherwise `/` (no query).
fn parts_uri(signed_url: Option<&str>) -> Uri {
    signed_url
        .and_then(|url| Uri::try_from(url).ok())
        .unwrap_or_else(|| Uri::from_static("/"))
}

/// Signs outgoing requests so that a receiver with the same scheme verifies them: writes
/// the timestamp (now, from the clock) where the scheme reads it, and the signature,
/// marked sensitive, in its header, query parameter or cookie.
///
/// A request must carry what the scheme signs and credgate cannot invent: a buffered body,
/// an absolute URI for URL-based schemes, the delivery id header (Standard Webhooks).
#[derive(Debug)]
pub struct Signer {
    engine: Arc<Engine>,
    clock: Arc<dyn Clock>,
}

impl Signer {
    /// A signer for `scheme` with `secret`.
    ///
    /// # Errors
    ///
    /// As [`Verifier::new`] and [`Verifier::signer`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Signer};
    ///
    /// let signer = Signer::new(&Preset::Github.scheme(), &"It's a Secret to Everybody".into())?;
    /// let mut request = http::Request::post("https://hooks.example.com/").body("Hello, World!".to_owned())?;
    /// signer.sign(&mut request)?;
    /// assert_eq!(
    ///     request.headers()["x-hub-signature-256"],
    ///     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    /// );
    /// assert!(request.headers()["x-hub-signature-256"].is_sensitive());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(scheme: &HmacScheme, secret: &Secret) -> Result<Self, BuildError> {
        Verifier::new(scheme, std::slice::from_ref(secret))?.signer()
    }

    /// The same signer reading the time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Signs `request`. On error it is unchanged.
    ///
    /// # Errors
    ///
    /// [`AuthError::Sign`] when the body is not buffered, the scheme signs the URL and
    /// the URI is not absolute, or the request lacks the id or JSON timestamp the scheme
    /// signs; [`AuthError::UnsupportedUri`] when the URI cannot carry a query parameter.
    ///
    /// # Example
    ///
    /// See [`Signer::new`].
    pub fn sign<B: RequestBody>(&self, request: &mut Request<B>) -> Result<(), AuthError> {
        self.engine.sign(request, self.clock.now())
    }

    /// The query parameter the signature goes in, for redacted output.
    pub(crate) fn query_names(&self) -> &[String] {
        &self.engine.query_names
    }
}

impl Authenticator for Signer {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        self.engine.sign(request, self.clock.now())
    }
}

crate::model::safe::safe_document!(WebhookConfig);
