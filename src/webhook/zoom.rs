//! Zoom's endpoint URL validation challenge: when an event subscription's URL is saved
//! (and every 72 hours after), Zoom posts `{"event": "endpoint.url_validation", "payload":
//! {"plainToken": "..."}}`, signed like any event, and expects `{"plainToken": "...",
//! "encryptedToken": hex(HMAC-SHA256(secret token, plainToken))}` back within 3 s.
//!
//! It promises the exact answer Zoom's documentation and sample compute, from the
//! verifier's already-keyed first secret; it does not verify the request (call
//! [`Verifier::verify`] first, since Zoom signs the challenge) and does no I/O.

use hmac::Mac as _;

use super::engine::{Key, encode_hex};
use super::{Verifier, VerifyError};

/// The event name of Zoom's URL validation challenge.
const VALIDATION_EVENT: &str = "endpoint.url_validation";

impl Verifier {
    /// The JSON answer to Zoom's URL validation challenge, if `body` is one; `None` for
    /// any other event (handle it as usual). Keyed with the first secret, which must be
    /// an HMAC-SHA256 key: use the [`Zoom`](super::Preset::Zoom) preset.
    ///
    /// Verify the delivery first: Zoom signs the challenge like any other event.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Malformed`] when the body is not JSON, when a validation event has
    /// no string `payload.plainToken`, or when this verifier does not use HMAC-SHA256.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::webhook::{Preset, Verifier};
    ///
    /// let verifier = Verifier::from_preset(Preset::Zoom, &["zoom_secret_token".into()])?;
    /// let body = br#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680}"#;
    /// // verifier.verify(&request)? first; then:
    /// let answer = verifier.zoom_url_validation(body)?.expect("a challenge");
    /// let answer: serde_json::Value = serde_json::from_str(&answer)?;
    /// assert_eq!(answer["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    /// assert_eq!(
    ///     answer["encryptedToken"],
    ///     "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726",
    /// );
    /// assert_eq!(verifier.zoom_url_validation(br#"{"event":"meeting.started"}"#)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn zoom_url_validation(&self, body: &[u8]) -> Result<Option<String>, VerifyError> {
        let malformed = |reason| VerifyError::Malformed { reason };
        let event: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| malformed("the body is not JSON"))?;
        if event.get("event").and_then(serde_json::Value::as_str) != Some(VALIDATION_EVENT) {
            return Ok(None);
        }
        let plain_token = event
            .pointer("/payload/plainToken")
            .and_then(serde_json::Value::as_str)
            .ok_or(malformed(
                "the validation event has no string payload.plainToken",
            ))?;
        let Some(Key::Sha256(keyed)) = self.engine.keys.first() else {
            return Err(malformed("the verifier does not use an hmac-sha256 key"));
        };
        let mut mac = keyed.clone();
        mac.update(plain_token.as_bytes());
        let encrypted_token = encode_hex(&mac.finalize().into_bytes());
        Ok(Some(
            serde_json::json!({
                "plainToken": plain_token,
                "encryptedToken": encrypted_token,
            })
            .to_string(),
        ))
    }
}
