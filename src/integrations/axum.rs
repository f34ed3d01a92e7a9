//! `axum` feature: webhook verification for axum 0.8 servers: [`VerifyWebhookLayer`] on a
//! route verifies each delivery before the handler runs, and the [`Webhook`] extractor
//! hands the handler the verified body and the [`Verified`] proof.
//!
//! * **Failures** are answered before the handler runs, with no detail (which header was
//!   missing, whether the timestamp or the signature failed, stays in the server):
//!   `401 Unauthorized` with an empty body, or `413 Payload Too Large` for a body over the
//!   cap.
//! * **Streaming**: the headers and the timestamp are checked before the body is read (a
//!   forged or stale delivery is refused without reading it); for schemes that sign the
//!   raw body (GitHub, Stripe, Slack, Shopify, Svix, ...) the MAC runs over each chunk as
//!   it arrives, and reading stops at the cap. The body is kept (up to the cap) for the
//!   handler: memory per delivery is bounded by the cap. Schemes that read the body's
//!   content (Linear, Mailgun, Twilio) are verified once it is read.
//! * **Body cap**: the verifier's own cap (`maxBodyBytes`, 25 MiB by default) for schemes
//!   verified as they stream; for the others the layer's
//!   [`max_body_bytes`](VerifyWebhookLayer::max_body_bytes) (25 MiB by default) while
//!   reading, then the verifier's. axum's `DefaultBodyLimit` (2 MB by default) applies to
//!   axum's own body extractors (`Bytes`, `String`, `Json`), **not** to this layer, which
//!   reads the raw body; take the body through [`Webhook`] (which does not read it again)
//!   and `DefaultBodyLimit` never applies. A handler that extracts `Bytes` or `Json`
//!   instead reads the verified copy through `DefaultBodyLimit`: raise that too for a cap
//!   above 2 MB.
//! * **Signed URLs** (Twilio, Square, HubSpot): give the URL as configured at the provider
//!   with [`signed_url`](VerifyWebhookLayer::signed_url); otherwise the request URI is
//!   used, which the client chooses (see [`Verifier::verify`]).
//! * **Not done**: deduplication ([`Verified::id`] gives the delivery id to record).
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use credgate::integrations::axum::{VerifyWebhookLayer, Webhook};
//! use credgate::webhook::{Preset, Verifier};
//!
//! async fn github(hook: Webhook) -> &'static str {
//!     println!("{} bytes, delivery {:?}", hook.body.len(), hook.verified.id());
//!     "ok"
//! }
//!
//! # fn run() -> Result<(), credgate::BuildError> {
//! let verifier = Verifier::from_preset(Preset::Github, &["It's a Secret to Everybody".into()])?;
//! let app: Router = Router::new()
//!     .route("/github", post(github).layer(VerifyWebhookLayer::new(verifier)));
//! # Ok(())
//! # }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower_layer::Layer;
use tower_service::Service;

use crate::webhook::{Verified, Verifier, VerifyError};

/// The layer's default read cap for schemes verified once the body is read: the
/// verifier's own default.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 25 * 1024 * 1024;

/// A verified delivery: the body as received and the proof. Extract it in a handler
/// behind [`VerifyWebhookLayer`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Webhook {
    /// The body, exactly as signed.
    pub body: Bytes,
    /// Which secret matched, the signed timestamp, the delivery id.
    pub verified: Verified,
}

/// The [`Webhook`] extractor's rejection: the route has no [`VerifyWebhookLayer`] (a
/// programming error, answered `500` with no detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the route has no VerifyWebhookLayer: add one with .layer(VerifyWebhookLayer::new(verifier))"
)]
#[non_exhaustive]
pub struct MissingLayer;

impl IntoResponse for MissingLayer {
    fn into_response(self) -> Response {
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Webhook {
    type Rejection = MissingLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Webhook>()
            .cloned()
            .ok_or(MissingLayer)
    }
}

/// Verifies each delivery with a [`Verifier`] before the wrapped route runs.
///
/// # Example
///
/// See the [module](self).
#[derive(Debug, Clone)]
pub struct VerifyWebhookLayer {
    config: Arc<Config>,
}

#[derive(Debug, Clone)]
struct Config {
    verifier: Arc<Verifier>,
    signed_url: Option<String>,
    max_body_bytes: u64,
}

impl VerifyWebhookLayer {
    /// A layer verifying with `verifier`.
    pub fn new(verifier: impl Into<Arc<Verifier>>) -> Self {
        Self {
            config: Arc::new(Config {
                verifier: verifier.into(),
                signed_url: None,
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            }),
        }
    }

    /// Verifies against `url`, the endpoint as configured at the provider, instead of the
    /// request URI (Twilio, Square, HubSpot sign it).
    #[must_use]
    pub fn signed_url(mut self, url: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config).signed_url = Some(url.into());
        self
    }

    /// The most bytes read for a scheme that is verified once its body is read (Linear,
    /// Mailgun, Twilio); the verifier's own cap still applies after. Streamed schemes stop
    /// at the verifier's cap.
    #[must_use]
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        Arc::make_mut(&mut self.config).max_body_bytes = limit;
        self
    }
}

impl<S> Layer<S> for VerifyWebhookLayer {
    type Service = VerifyWebhook<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyWebhook {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`VerifyWebhookLayer`] makes.
#[derive(Clone)]
pub struct VerifyWebhook<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> fmt::Debug for VerifyWebhook<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyWebhook").finish_non_exhaustive()
    }
}

/// Why a delivery was refused, as answered: never more than the status.
enum Refused {
    Unauthorized,
    TooLarge,
}

impl From<VerifyError> for Refused {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::BodyTooLarge { .. } => Self::TooLarge,
            _ => Self::Unauthorized,
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        }
    }
}

impl Config {
    /// Reads and verifies the body of the delivery whose head is `head`.
    async fn verify(&self, head: &Request<()>, body: Body) -> Result<(Bytes, Verified), Refused> {
        let streamed = match &self.signed_url {
            Some(url) => self.verifier.stream_with_url(head, url),
            None => self.verifier.stream(head),
        };
        let mut streaming = match streamed {
            Ok(verification) => Some(verification),
            Err(VerifyError::NotStreamable) => None,
            Err(error) => return Err(error.into()),
        };
        let mut body = body;
        let mut buffer = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(Refused::Unauthorized);
            };
            let Ok(chunk) = frame.into_data() else {
                continue; // trailers are not signed
            };
            match &mut streaming {
                Some(verification) => verification.update(&chunk)?,
                None => {
                    let len = u64::try_from(buffer.len() + chunk.len()).unwrap_or(u64::MAX);
                    if len > self.max_body_bytes {
                        return Err(Refused::TooLarge);
                    }
                }
            }
            buffer.extend_from_slice(&chunk);
        }
        let body = buffer.freeze();
        let verified = match streaming {
            Some(verification) => verification.finish()?,
            None => {
                let mut request = Request::new(body.clone());
                *request.method_mut() = head.method().clone();
                *request.uri_mut() = head.uri().clone();
                *request.headers_mut() = head.headers().clone();
                match &self.signed_url {
                    Some(url) => self.verifier.verify_with_url(&request, url)?,
                    None => self.verifier.verify(&request)?,
                }
            }
        };
        Ok((body, verified))
    }
}

impl<S> Service<Request<Body>> for VerifyWebhook<S>
where
    S: Service<Request<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let head = Request::from_parts(parts, ());
            match config.verify(&head, body).await {
                Ok((body, verified)) => {
                    let (mut parts, ()) = head.into_parts();
                    parts.extensions.insert(Webhook {
                        body: body.clone(),
                        verified,
                    });
                    let request = Request::from_parts(parts, Body::from(body));
                    Ok(inner.call(request).await.into_response())
                }
                Err(refused) => Ok(refused.into_response()),
            }
        })
    }
}
