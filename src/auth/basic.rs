//! `basic-auth`: RFC 7617 Basic.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, HeaderValue};

use super::{Authenticator, OutgoingRequest};
use crate::error::{AuthError, BuildError};
use crate::model::{BasicAuthScheme, BasicKeyPart, Credential};
use crate::secret::{Secret, secret_header_value};

/// Sends `Authorization: Basic base64(user-id ":" password)` (RFC 7617), the credentials
/// encoded as UTF-8 (§2.1) once, when it is built.
///
/// # Example
///
/// ```
/// use credgate::auth::{Authenticator, Basic};
/// use credgate::Secret;
///
/// // RFC 7617 §2.
/// let basic = Basic::new("Aladdin", &Secret::new("open sesame"))?;
/// let mut request = http::Request::get("https://example.com/").body(())?;
/// basic.authorize(&mut request)?;
/// assert_eq!(request.headers()["authorization"], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Basic {
    header: HeaderValue,
}

impl Basic {
    /// Basic credentials from a user-id and password. Either may be empty here (an API
    /// key as the username with an empty password is common); the platform's rule that a
    /// `basic-auth` credential has both is applied when a connection is built.
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the password is redacted, the user-id contains a colon, or
    /// either contains a control character (RFC 7617 §2).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::{Authenticator, Basic};
    /// use credgate::{BuildError, Secret};
    ///
    /// // An API key as the user-id, with an empty password.
    /// let mut request = http::Request::get("https://api.stripe.com/v1/charges").body(())?;
    /// Basic::new("sk_test_123", &Secret::new(""))?.authorize(&mut request)?;
    /// assert_eq!(request.headers()["authorization"], "Basic c2tfdGVzdF8xMjM6");
    ///
    /// assert!(matches!(
    ///     Basic::new("a:b", &Secret::new("pw")),
    ///     Err(BuildError::InvalidValue { field: "username", .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(user_id: &str, password: &Secret) -> Result<Self, BuildError> {
        if password.is_redacted() {
            return Err(BuildError::Redacted { field: "password" });
        }
        // Either half may hold an API key (`keyAs`), so the placeholder is refused in both.
        if user_id == crate::secret::REDACTED {
            return Err(BuildError::Redacted { field: "username" });
        }
        if user_id.contains(':') {
            return Err(BuildError::InvalidValue {
                field: "username",
                reason: "must not contain a colon (RFC 7617)",
            });
        }
        let has_control = |s: &str| s.chars().any(char::is_control);
        if has_control(user_id) {
            return Err(BuildError::InvalidValue {
                field: "username",
                reason: "must not contain control characters (RFC 7617)",
            });
        }
        let password = password.expose_secret();
        if has_control(password) {
            return Err(BuildError::InvalidValue {
                field: "password",
                reason: "must not contain control characters (RFC 7617)",
            });
        }
        let mut plain =
            zeroize::Zeroizing::new(String::with_capacity(user_id.len() + password.len() + 1));
        plain.push_str(user_id);
        plain.push(':');
        plain.push_str(password);
        let mut encoded = zeroize::Zeroizing::new(String::from("Basic "));
        STANDARD.encode_string(plain.as_bytes(), &mut encoded);
        // Base64 output is always a valid header value.
        let header =
            secret_header_value(encoded.as_bytes()).map_err(|_| BuildError::InvalidValue {
                field: "password",
                reason: "cannot be encoded",
            })?;
        Ok(Self { header })
    }

    /// Builds the authenticator a `basic-auth` scheme asks for from a connection's
    /// credential: a `basic-auth` credential with both halves, or an API key (`string`)
    /// placed as the scheme's `keyAs` says.
    pub(crate) fn from_credential(
        scheme: &BasicAuthScheme,
        credential: &Credential,
    ) -> Result<Self, BuildError> {
        match credential {
            Credential::BasicAuth(basic) => {
                if basic.password.is_redacted() {
                    return Err(BuildError::Redacted { field: "password" });
                }
                if basic.username.is_empty() || basic.password.is_empty() {
                    return Err(BuildError::UsernameAndPasswordRequired);
                }
                Self::new(&basic.username, &basic.password)
            }
            Credential::String(key) => {
                if key.value.is_redacted() {
                    return Err(BuildError::Redacted { field: "api key" });
                }
                if key.value.is_empty() {
                    return Err(BuildError::UsernameAndPasswordRequired);
                }
                match scheme.key_as {
                    BasicKeyPart::Username => {
                        if scheme.fixed_password.is_redacted() {
                            return Err(BuildError::Redacted {
                                field: "fixed password",
                            });
                        }
                        Self::new(key.value.expose_secret(), &scheme.fixed_password)
                    }
                    BasicKeyPart::Password => Self::new(&scheme.fixed_username, &key.value),
                }
            }
            _ => Err(BuildError::UsernameAndPasswordRequired),
        }
    }
}

impl Basic {
    /// The pre-built `Authorization` value.
    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }
}

impl Authenticator for Basic {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        super::set_header(request.headers_mut(), AUTHORIZATION, self.header.clone())
    }
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("header", &crate::secret::REDACTED)
            .finish()
    }
}
