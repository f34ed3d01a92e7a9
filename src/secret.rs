//! [`Secret`]: the one type that holds every sensitive value.
//!
//! A secret is redacted everywhere by default: `Debug` prints a fixed placeholder and
//! serialising writes [`REDACTED`]. The full value leaves the crate only through
//! [`Secret::expose_secret`] or the explicitly named [`export_with_secrets`] /
//! [`to_json_with_secrets`] calls, which a host uses to persist connections losslessly.

use std::cell::Cell;
use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq as _;

/// A header value holding `bytes`, marked sensitive, whose memory is zeroized when the last
/// of its clones (every request it was put on, included) is dropped. Copies an HTTP client
/// makes while sending are beyond credgate's reach.
pub(crate) fn secret_header_value(
    bytes: &[u8],
) -> Result<http::HeaderValue, http::header::InvalidHeaderValue> {
    let owned = bytes::Bytes::from_owner(zeroize::Zeroizing::new(Box::<[u8]>::from(bytes)));
    let mut value = http::HeaderValue::from_maybe_shared(owned)?;
    value.set_sensitive(true);
    Ok(value)
}

/// The placeholder the platform writes in place of a secret when it lists documents, and
/// that credgate writes in redacted output.
pub const REDACTED: &str = "******";

/// A sensitive string: an API key, password, client secret, token, token secret or webhook
/// secret.
///
/// * `Debug` prints `Secret(******)`, never the value.
/// * The memory is zeroized when the secret is dropped.
/// * `Serialize` writes [`REDACTED`]; only [`export_with_secrets`] writes the value.
/// * `Deserialize` accepts any string, including the placeholder [`REDACTED`] of a redacted
///   listing: such a document loads, but building a usable connection from it fails with
///   an error that names the field.
/// * Equality is constant-time.
///
/// # Example
///
/// ```
/// use credgate::Secret;
///
/// let key = Secret::new("sk_live_123");
/// assert_eq!(format!("{key:?}"), "Secret(******)");
/// assert_eq!(serde_json::to_string(&key)?, r#""******""#);
/// assert_eq!(credgate::to_json_with_secrets(&key)?, r#""sk_live_123""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a sensitive value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value itself. Call it only where the value must be used (to encode a header,
    /// compute a MAC, persist it).
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether this is the placeholder [`REDACTED`] of a redacted listing rather than a
    /// real value.
    pub fn is_redacted(&self) -> bool {
        self.expose_secret() == REDACTED
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.expose_secret().is_empty()
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        Self::new(self.expose_secret())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret()
            .as_bytes()
            .ct_eq(other.expose_secret().as_bytes())
            .into()
    }
}

impl Eq for Secret {}

/// The empty secret.
impl Default for Secret {
    fn default() -> Self {
        Self::new(String::new())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if EXPOSE.with(Cell::get) {
            serializer.serialize_str(self.expose_secret())
        } else {
            serializer.serialize_str(REDACTED)
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through `deserialize_document`: a number where the key belongs is not printed.
        crate::model::safe::deserialize_document(deserializer, |de| String::deserialize(de))
            .map(Self::new)
    }
}

thread_local! {
    // Set only for the duration of an `export_with_secrets` call on this thread.
    static EXPOSE: Cell<bool> = const { Cell::new(false) };
}

/// Whether secrets are being written in full on this thread right now.
pub(crate) fn exposing() -> bool {
    EXPOSE.with(Cell::get)
}

/// Extra parameters of a token request, form-encoded (`a=1&b=2`), whose values may be
/// secret under any name (a client assertion, an integration key).
///
/// * `Debug` and `Serialize` write every value as [`REDACTED`] and keep the names; only
///   [`export_with_secrets`] writes the values.
/// * `Deserialize` accepts any string. Parameters with a redacted value (from a redacted
///   listing) load, but building a connection with them fails with an error that names
///   them.
/// * It dereferences to the form-encoded text.
///
/// # Example
///
/// ```
/// use credgate::ExtraParams;
///
/// let params = ExtraParams::from("audience=api&client_assertion=eyJhbGciOi");
/// assert_eq!(format!("{params:?}"), "ExtraParams(audience=******&client_assertion=******)");
/// assert_eq!(serde_json::to_string(&params)?, r#""audience=******&client_assertion=******""#);
/// assert_eq!(credgate::to_json_with_secrets(&params)?, r#""audience=api&client_assertion=eyJhbGciOi""#);
/// assert_eq!(&*params, "audience=api&client_assertion=eyJhbGciOi");
/// // A segment without a name may be the rest of a value.
/// assert_eq!(format!("{:?}", ExtraParams::from("key=a&b")), "ExtraParams(key=******&******)");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExtraParams(String);

impl ExtraParams {
    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a value is the placeholder of a redacted listing, so that the parameters
    /// cannot be sent.
    pub(crate) fn has_redacted_value(&self) -> bool {
        url::form_urlencoded::parse(self.0.as_bytes()).any(|(_, value)| value == REDACTED)
    }
}

impl<'de> Deserialize<'de> for ExtraParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::model::safe::deserialize_document(deserializer, |de| String::deserialize(de))
            .map(Self)
    }
}

impl std::ops::Deref for ExtraParams {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ExtraParams {
    fn from(params: &str) -> Self {
        Self(params.to_owned())
    }
}

impl From<String> for ExtraParams {
    fn from(params: String) -> Self {
        Self(params)
    }
}

impl fmt::Debug for ExtraParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtraParams({})", RedactedParams(&self.0))
    }
}

impl Serialize for ExtraParams {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if exposing() {
            serializer.serialize_str(&self.0)
        } else {
            serializer.collect_str(&RedactedParams(&self.0))
        }
    }
}

/// Form-encoded parameters with each value written as [`REDACTED`].
struct RedactedParams<'a>(&'a str);

impl fmt::Display for RedactedParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.split('&').enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            match pair.split_once('=') {
                Some((name, _)) => write!(f, "{name}={REDACTED}")?,
                // No name of its own: the rest of a value with an unescaped `&`, perhaps.
                None => f.write_str(REDACTED)?,
            }
        }
        Ok(())
    }
}

/// Sets the export mode for a scope and restores the previous one when dropped, even if
/// serialisation panics.
struct ModeGuard(bool);

impl ModeGuard {
    fn enter(expose: bool) -> Self {
        Self(EXPOSE.with(|flag| flag.replace(expose)))
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        EXPOSE.with(|flag| flag.set(self.0));
    }
}

/// Serialises `value` with every [`Secret`] written in full, for a host that persists
/// connections and must read them back losslessly.
///
/// Plain `Serialize` writes secrets as [`REDACTED`]; this is the only way to write them out.
/// It works with any serde format.
///
/// # Errors
///
/// Whatever error the serializer reports.
///
/// # Example
///
/// ```
/// use credgate::{Credential, Secret};
///
/// let credential = Credential::api_key("k-123");
/// let mut out = Vec::new();
/// credgate::export_with_secrets(&credential, &mut serde_json::Serializer::new(&mut out))?;
/// assert!(String::from_utf8_lossy(&out).contains("k-123"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn export_with_secrets<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + ?Sized,
    S: Serializer,
{
    let _guard = ModeGuard::enter(true);
    value.serialize(serializer)
}

/// [`export_with_secrets`] to a JSON string.
///
/// # Errors
///
/// Fails only if `value`'s own `Serialize` implementation fails.
///
/// # Example
///
/// ```
/// use credgate::Credential;
///
/// let json = credgate::to_json_with_secrets(&Credential::api_key("k-123"))?;
/// let back: Credential = serde_json::from_str(&json)?;
/// assert_eq!(back, Credential::api_key("k-123"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn to_json_with_secrets<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    export_with_secrets(value, &mut serde_json::Serializer::new(&mut out))?;
    // serde_json only ever writes valid UTF-8.
    String::from_utf8(out).map_err(|_| serde::ser::Error::custom("serializer wrote invalid UTF-8"))
}

/// A JSON string with every secret written as [`REDACTED`]: the view for display and API
/// responses. Equivalent to `serde_json::to_string`, named for the reader.
///
/// # Errors
///
/// Fails only if `value`'s own `Serialize` implementation fails.
///
/// # Example
///
/// ```
/// use credgate::Credential;
///
/// let json = credgate::to_redacted_json(&Credential::api_key("k-123"))?;
/// assert!(!json.contains("k-123") && json.contains("******"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn to_redacted_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    // Redacted even when called from inside an exporting serializer.
    let _guard = ModeGuard::enter(false);
    serde_json::to_string(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_header_values_are_sensitive_and_refuse_control_bytes() {
        let value = secret_header_value(b"Bearer abc").expect("a valid header value");
        assert_eq!(value, "Bearer abc");
        assert!(value.is_sensitive());
        assert!(value.clone().is_sensitive());
        assert!(secret_header_value(b"abc\r\nx-injected: 1").is_err());
    }

    #[test]
    fn debug_and_default_serialisation_hide_the_value() -> serde_json::Result<()> {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret:#?}").contains("hunter2"));
        assert_eq!(serde_json::to_string(&secret)?, "\"******\"");
        Ok(())
    }

    #[test]
    fn export_writes_the_value_and_restores_redaction() -> serde_json::Result<()> {
        let secret = Secret::new("hunter2");
        assert_eq!(to_json_with_secrets(&secret)?, "\"hunter2\"");
        assert_eq!(serde_json::to_string(&secret)?, "\"******\"");
        Ok(())
    }

    #[test]
    fn export_mode_is_restored_after_a_panic() {
        struct Boom;
        impl Serialize for Boom {
            fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                panic!("boom")
            }
        }
        let outcome = std::panic::catch_unwind(|| to_json_with_secrets(&Boom));
        assert!(outcome.is_err());
        assert!(!EXPOSE.with(Cell::get));
    }

    #[test]
    fn placeholder_is_recognised() -> serde_json::Result<()> {
        let secret: Secret = serde_json::from_str("\"******\"")?;
        assert!(secret.is_redacted());
        assert!(!Secret::new("x").is_redacted());
        Ok(())
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(Secret::new("a"), Secret::new("a"));
        assert_ne!(Secret::new("a"), Secret::new("b"));
        assert_ne!(Secret::new("a"), Secret::new("ab"));
    }
}
