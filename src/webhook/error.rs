//! [`VerifyError`]: why a delivery was rejected.

/// Why a webhook delivery was rejected.
///
/// The messages name the header, field or rule, never a secret or the expected MAC, so they
/// are safe to log and to return to the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the scheme needs is absent (an unsigned delivery fails closed).
    #[error("missing header {name}")]
    MissingHeader {
        /// The header name, as configured.
        name: String,
    },
    /// A query parameter, cookie, JSON body field or signature-list key the scheme needs
    /// is absent.
    #[error("missing field {name}")]
    MissingField {
        /// The field, as configured (`/signature/token`, `t`).
        name: String,
    },
    /// A header the scheme reads appears more than once.
    #[error("header {name} appears more than once")]
    DuplicateHeader {
        /// The header name, as configured.
        name: String,
    },
    /// A value cannot be parsed; `reason` says which rule it breaks.
    #[error("malformed delivery: {reason}")]
    Malformed {
        /// The rule broken.
        reason: &'static str,
    },
    /// The timestamp is not a plain decimal integer.
    #[error("the timestamp is not a decimal integer")]
    BadTimestamp,
    /// The timestamp is older than the replay window allows.
    #[error("the timestamp is older than the {tolerance_seconds} s window")]
    TooOld {
        /// The window, in seconds.
        tolerance_seconds: u64,
    },
    /// The timestamp is further in the future than the window allows.
    #[error("the timestamp is more than {tolerance_seconds} s in the future")]
    TooNew {
        /// The window, in seconds.
        tolerance_seconds: u64,
    },
    /// The delivery carries signatures, but none of the trusted version.
    #[error("no signature of the trusted version")]
    NoTrustedSignature,
    /// No signature matches any configured secret.
    ///
    /// For a scheme that signs the URL, also what a URL other than the signed one gives:
    /// [`Verifier::verify`](super::Verifier::verify) reads it from the parsed request URI,
    /// which keeps no spelling of an `http` or `https` scheme but lower case (the upper-case
    /// `HTTP://` and `HTTPS://` are tried too, a mixed-case `Https://` cannot be) and writes
    /// an empty path as `/`; pass the URL byte for byte to
    /// [`Verifier::verify_with_url`](super::Verifier::verify_with_url) or
    /// [`Verifier::verify_parts`](super::Verifier::verify_parts) instead.
    #[error("signature mismatch")]
    Mismatch,
    /// The body's hash does not match the signed hash of it (Twilio's `bodySHA256`).
    #[error("body hash mismatch")]
    BodyHashMismatch,
    /// The body is larger than the configured cap.
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The scheme signs the URL, and no absolute URL is known: pass the URL the sender
    /// signed explicitly.
    #[error("the scheme signs the URL and the request URI is not absolute")]
    MissingUrl,
    /// The scheme reads the body's content (JSON fields, form parameters), so it cannot be
    /// verified as a stream.
    #[error("this scheme reads the body's content and cannot be verified as a stream")]
    NotStreamable,
}
