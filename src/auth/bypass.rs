//! `none`: bypass.

use super::{Authenticator, OutgoingRequest};
use crate::error::AuthError;

/// The `none` scheme: leaves the request exactly as it is.
///
/// # Example
///
/// ```
/// use credgate::auth::{Authenticator, Bypass};
///
/// let mut request = http::Request::get("https://example.com/").body(())?;
/// let before = format!("{request:?}");
/// Bypass.authorize(&mut request)?;
/// assert_eq!(format!("{request:?}"), before);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Bypass;

impl Authenticator for Bypass {
    fn authorize(&self, _request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        Ok(())
    }
}
