//! Outbound signing with the same scheme the presets verify.

use std::borrow::Cow;
use std::time::SystemTime;

use http::HeaderValue;

use super::VerifyError;
use super::engine::Engine;
use super::message::{self, Computed, Inputs, View};
use super::parse;
use crate::auth::{ApiKey, Authenticator as _, OutgoingRequest};
use crate::error::{AuthError, BuildError};
use crate::model::hmac::{FieldSource, MessagePart, SignatureFormat, TimestampRule};
use crate::model::{ApiKeyScheme, KeyLocation};
use crate::secret::Secret;

fn sign_error(reason: &'static str) -> AuthError {
    AuthError::Sign { reason }
}

impl Engine {
    /// Whether a request can be signed with this scheme: the signature must go in a
    /// header, query parameter or cookie, a timestamp read from a query parameter or
    /// cookie cannot be written, and every header written obeys the one rule for header
    /// names a template chooses ([`crate::auth::writable_header_name`]: never `Host`,
    /// `Content-Length` and the like).
    pub(super) fn check_signable(&self) -> Result<(), BuildError> {
        for (source, field) in [
            (Some(&self.signature_from), "the signature"),
            (
                self.scheme.timestamp.as_ref().map(|rule| &rule.from),
                "the timestamp",
            ),
        ] {
            match source {
                Some(FieldSource::Header(name)) => {
                    crate::auth::writable_header_name(name, field)?;
                }
                Some(FieldSource::AnyHeader(names)) => {
                    for name in names {
                        crate::auth::writable_header_name(name, field)?;
                    }
                }
                _ => {}
            }
        }
        if matches!(
            self.signature_from,
            FieldSource::Json(_) | FieldSource::List(_) | FieldSource::Form(_)
        ) {
            return Err(BuildError::InvalidValue {
                field: "signature",
                reason: "is read from the body, so credgate cannot write it",
            });
        }
        if let Some(rule) = &self.scheme.timestamp
            && matches!(
                rule.from,
                FieldSource::Query(_) | FieldSource::Cookie(_) | FieldSource::Form(_)
            )
        {
            return Err(BuildError::InvalidValue {
                field: "timestamp",
                reason: "can be written only to a header, the signature list or a JSON body the caller fills",
            });
        }
        Ok(())
    }

    /// Signs `request` with the first secret. On error the request is unchanged.
    pub(super) fn sign(
        &self,
        request: &mut dyn OutgoingRequest,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let body = request
            .body_bytes()
            .ok_or_else(|| sign_error("the body is not buffered"))?;
        let view = View::new(
            request.method(),
            request.uri(),
            None,
            request.headers(),
            Some(body),
        );
        let timestamp: Option<Cow<'_, str>> = match &self.scheme.timestamp {
            None => None,
            Some(rule) if matches!(rule.from, FieldSource::Json(_)) => Some(
                view.read(&rule.from, None)
                    .map_err(|_| sign_error("the body has no timestamp field"))?,
            ),
            Some(rule) => Some(Cow::Owned(parse::format_timestamp(rule.unit, now))),
        };
        let id = match &self.scheme.id_from {
            Some(source) if self.message.contains(&MessagePart::Id) => Some(
                view.read(source, None)
                    .map_err(|_| sign_error("the request has no delivery id"))?,
            ),
            _ => None,
        };
        let url = if self.needs_url {
            Some(
                view.url(self.signature_query())
                    .map_err(|_| sign_error("the request URI is not absolute"))?,
            )
        } else {
            None
        };
        let inputs = Inputs {
            method: view.method.as_str(),
            url: url.as_deref(),
            body: Some(body),
            timestamp: timestamp.as_deref(),
            id: id.as_deref(),
        };
        let cannot_build = |err| match err {
            VerifyError::BodyHashMismatch => {
                sign_error("the body does not match the URL's bodySHA256")
            }
            _ => sign_error("the signed message cannot be built"),
        };
        let computed = Computed::new(&self.message, &inputs).map_err(cannot_build)?;
        let mut mac = self.keys[0].start();
        message::for_each_part(&self.message, &inputs, &computed, |part| {
            mac.update(part.unwrap_or(body));
        })
        .map_err(cannot_build)?;
        let signature = self.encode_signature(&mac.finalize());

        let value = match &self.scheme.format {
            SignatureFormat::KeyValueList {
                separator,
                signature_key,
            } => match (&self.scheme.timestamp, &timestamp) {
                (
                    Some(TimestampRule {
                        from: FieldSource::List(key),
                        ..
                    }),
                    Some(ts),
                ) => {
                    format!("{key}={ts}{separator}{signature_key}={signature}")
                }
                _ => format!("{signature_key}={signature}"),
            },
            SignatureFormat::VersionedList { version } => format!("{version},{signature}"),
            SignatureFormat::Single { prefix } => format!("{prefix}{signature}"),
        };
        let written_header = |source: &'_ FieldSource| -> Option<String> {
            match source {
                FieldSource::Header(name) => Some(name.clone()),
                // One sender under several names: written under the first.
                FieldSource::AnyHeader(names) => names.first().cloned(),
                _ => None,
            }
        };
        let timestamp_header = match (
            self.scheme
                .timestamp
                .as_ref()
                .and_then(|rule| written_header(&rule.from)),
            &timestamp,
        ) {
            (Some(name), Some(ts)) => Some((
                crate::auth::writable_header_name(&name, "the timestamp")
                    .map_err(|_| sign_error("the timestamp header name is invalid"))?,
                HeaderValue::from_str(ts)
                    .map_err(|_| sign_error("the timestamp is not a header value"))?,
            )),
            _ => None,
        };
        let (name, location) = match &self.signature_from {
            FieldSource::Query(name) => (name, KeyLocation::Query),
            FieldSource::Cookie(name) => (name, KeyLocation::Cookie),
            FieldSource::Header(name) => (name, KeyLocation::Header),
            FieldSource::AnyHeader(names) => (
                names
                    .first()
                    .ok_or_else(|| sign_error("the signature header list is empty"))?,
                KeyLocation::Header,
            ),
            _ => return Err(sign_error("the signature cannot be written into the body")),
        };
        let placement = ApiKey::new(
            &ApiKeyScheme::new(self.scheme.id.clone(), name.clone(), location),
            &Secret::new(value),
        )
        .map_err(|_| sign_error("the signature cannot be written where the scheme puts it"))?;
        // Room for both headers first, so that neither write can fail once the other is
        // done; the placement itself leaves the request unchanged when it fails.
        crate::auth::reserve_headers(request.headers_mut(), 2)?;
        placement.authorize(request)?;
        if let Some((name, value)) = timestamp_header {
            crate::auth::set_header(request.headers_mut(), name, value)?;
        }
        Ok(())
    }
}
