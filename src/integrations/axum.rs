//! `axum` feature: webhook verification for axum 0.8 servers: [`VerifyWebhookLayer`] on a
//! route verifies each delivery before the handler runs, and the [`Webhook`] extractor
//! hands the handler the verified body and the [`Verified`] proof.
//!
//! * **Failures** are answered before the handler runs, with no detail (which header was
//!   missing, whether the timestamp or the signature failed, stays in the server):
//!   `401 Unauthorized` with an empty body, `413 Payload Too Large` for a body over the
//!   cap, `405 Method Not Allowed` for a method other than `POST` (every preset's provider
//!   delivers with `POST`, and HubSpot signs it).
//! * **Streaming**: the headers and the timestamp are checked before the body is read (a
//!   forged or stale delivery is refused without reading it); for schemes that sign the
//!   raw body (GitHub, Stripe, Slack, Shopify, Svix, ...) the MAC runs over each chunk as
//!   it arrives ([`Verifier::stream_parts`]), and reading stops at the cap. The body is
//!   kept (up to the cap) for the handler: memory per delivery is bounded by the cap.
//!   Schemes that read the body's content (Linear, Mailgun, Twilio) are verified once it is
//!   read ([`Verifier::verify_parts`]).
//! * **Body cap**: the verifier's own cap ([`Verifier::max_body_bytes`]: `maxBodyBytes`,
//!   25 MiB by default), or the layer's [`max_body_bytes`](VerifyWebhookLayer::max_body_bytes)
//!   when lower, for every scheme. A `Content-Length` over the cap is answered 413 before
//!   the body is read; a body that grows past it stops being read there. axum's
//!   `DefaultBodyLimit` (2 MB by default) applies to axum's own body extractors (`Bytes`,
//!   `String`, `Json`), **not** to this layer, which reads the raw body: take the body
//!   through [`Webhook`] (which does not read it again) and `DefaultBodyLimit` never
//!   applies, so the verifier's cap is the one limit. A handler that extracts `Bytes` or
//!   `Json` instead reads the verified copy through `DefaultBodyLimit`: raise that too
//!   (`DefaultBodyLimit::max(..)`) for a cap above 2 MB.
//! * **Signed URLs** (Twilio, Square, HubSpot): give the URL as configured at the provider
//!   with [`signed_url`](VerifyWebhookLayer::signed_url). The layer never takes it from the
//!   request (which the client, or a proxy, chooses): a route whose verifier signs the URL
//!   and that has no `signed_url` answers every delivery `500` with no detail, a
//!   configuration error to fix ([`Verifier::signs_url`] tells which schemes need one).
//! * **Not done**: deduplication ([`Verified::id`] gives the delivery id to record).
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use credgate::integrations::axum::{VerifyWebhookLayer, Webhook};
//! use credgate::webhook::Preset;
//!
//! async fn github(hook: Webhook) -> &'static str {
//!     println!("{} bytes, delivery {:?}", hook.body.len(), hook.verified.id());
//!     "ok"
//! }
//!
//! async fn stripe(hook: Webhook) -> &'static str {
//!     println!("event {}", String::from_utf8_lossy(&hook.body));
//!     "ok"
//! }
//!
//! # fn run() -> Result<(), credgate::BuildError> {
//! let app: Router = Router::new()
//!     .route("/github", post(github).layer(VerifyWebhookLayer::from_preset(Preset::Github, &["It's a Secret to Everybody".into()])?))
//!     .route("/stripe", post(stripe).layer(VerifyWebhookLayer::from_preset(Preset::Stripe, &["whsec_test".into()])?));
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

use crate::BuildError;
use crate::secret::Secret;
use crate::webhook::{Preset, Verified, Verifier, VerifyError, WebhookConfig};

/// The verifier's default body cap (`maxBodyBytes` unset): the layer reads no more than
/// its verifier accepts.
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
    "the route has no VerifyWebhookLayer: add one with .layer(VerifyWebhookLayer::from_preset(preset, &secrets)?)"
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
    /// The layer's own cap, if set; the verifier's applies as well.
    max_body_bytes: Option<u64>,
}

impl VerifyWebhookLayer {
    /// A layer verifying with `verifier`.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::integrations::axum::VerifyWebhookLayer;
    /// use credgate::webhook::{Verifier, WebhookConfig};
    ///
    /// let config: WebhookConfig = serde_json::from_str(
    ///     r#"{"preset": "github", "secrets": ["It's a Secret to Everybody"], "maxBodyBytes": 65536}"#,
    /// )?;
    /// let layer = VerifyWebhookLayer::new(Verifier::from_config(&config)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(verifier: impl Into<Arc<Verifier>>) -> Self {
        Self {
            config: Arc::new(Config {
                verifier: verifier.into(),
                signed_url: None,
                max_body_bytes: None,
            }),
        }
    }

    /// A layer verifying deliveries of `preset` signed with one of `secrets` (several
    /// while rotating): [`Verifier::from_preset`] and [`new`](Self::new) in one call.
    ///
    /// # Errors
    ///
    /// As [`Verifier::from_preset`]: `secrets` is empty, or a secret is not in the form the
    /// preset expects (Svix's `whsec_` base64, for example).
    ///
    /// # Example
    ///
    /// ```
    /// use axum::{Router, routing::post};
    /// use credgate::integrations::axum::{VerifyWebhookLayer, Webhook};
    /// use credgate::webhook::Preset;
    ///
    /// async fn stripe(hook: Webhook) {}
    ///
    /// let app: Router = Router::new()
    ///     .route("/stripe", post(stripe).layer(VerifyWebhookLayer::from_preset(Preset::Stripe, &["whsec_test".into()])?));
    /// # Ok::<(), credgate::BuildError>(())
    /// ```
    pub fn from_preset(preset: Preset, secrets: &[Secret]) -> Result<Self, BuildError> {
        Verifier::from_preset(preset, secrets).map(Self::new)
    }

    /// A layer for a handler's stored settings: [`Verifier::from_config`] and
    /// [`new`](Self::new) in one call.
    ///
    /// # Errors
    ///
    /// As [`Verifier::from_config`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::integrations::axum::VerifyWebhookLayer;
    /// use credgate::webhook::WebhookConfig;
    ///
    /// let config: WebhookConfig =
    ///     serde_json::from_str(r#"{"preset": "stripe", "secrets": ["whsec_test"], "maxBodyBytes": 65536}"#)?;
    /// let layer = VerifyWebhookLayer::from_config(&config)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_config(config: &WebhookConfig) -> Result<Self, BuildError> {
        Verifier::from_config(config).map(Self::new)
    }

    /// Verifies against `url`, the endpoint exactly as configured at the provider (Twilio,
    /// Square, HubSpot sign it); required for those schemes, ignored by the others except
    /// as where a signature in a query parameter is read. The request URI is never used
    /// as the signed URL: behind a proxy it is not what the sender signed, and a client
    /// choosing it could replay a delivery signed for another endpoint.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::integrations::axum::VerifyWebhookLayer;
    /// use credgate::webhook::Preset;
    ///
    /// let layer = VerifyWebhookLayer::from_preset(Preset::Square, &["sq-signature-key".into()])?
    ///     .signed_url("https://hooks.example.com/square");
    /// # Ok::<(), credgate::BuildError>(())
    /// ```
    #[must_use]
    pub fn signed_url(mut self, url: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config).signed_url = Some(url.into());
        self
    }

    /// Reads at most `limit` bytes of a delivery, when that is lower than the verifier's
    /// own cap ([`Verifier::max_body_bytes`], which always applies); a longer body is
    /// answered 413. Set the verifier's `maxBodyBytes` instead where you can: the layer
    /// cannot raise it.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::integrations::axum::VerifyWebhookLayer;
    /// use credgate::webhook::Preset;
    ///
    /// let layer = VerifyWebhookLayer::from_preset(Preset::Linear, &["lin_wh_secret".into()])?
    ///     .max_body_bytes(1 << 20);
    /// # Ok::<(), credgate::BuildError>(())
    /// ```
    #[must_use]
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        Arc::make_mut(&mut self.config).max_body_bytes = Some(limit);
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
    Method,
    /// The verifier signs the URL and the layer was given none.
    NoSignedUrl,
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
            Self::Method => StatusCode::METHOD_NOT_ALLOWED.into_response(),
            Self::NoSignedUrl => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

impl Config {
    /// The most bytes read: the verifier's cap, or the layer's when lower.
    fn limit(&self) -> u64 {
        let verifier = self.verifier.max_body_bytes();
        self.max_body_bytes
            .map_or(verifier, |own| own.min(verifier))
    }

    /// Reads and verifies the body of the delivery whose head is `head`.
    async fn verify(&self, head: &Parts, body: Body) -> Result<(Bytes, Verified), Refused> {
        if head.method != http::Method::POST {
            return Err(Refused::Method);
        }
        // The signed URL is the configured one, never the request's; the request target
        // only serves to find a signature sent as a query parameter.
        let url = match &self.signed_url {
            Some(url) => Some(url.as_str()),
            None if self.verifier.signs_url() => return Err(Refused::NoSignedUrl),
            None => head
                .uri
                .path_and_query()
                .map(http::uri::PathAndQuery::as_str),
        };
        let mut streaming = match self.verifier.stream_parts(&head.headers, url) {
            Ok(verification) => Some(verification),
            Err(VerifyError::NotStreamable) => None,
            Err(error) => return Err(error.into()),
        };
        let limit = self.limit();
        let declared = head
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(Refused::TooLarge);
        }
        let mut body = body;
        let mut buffer = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(Refused::Unauthorized);
            };
            let Ok(chunk) = frame.into_data() else {
                continue; // trailers are not signed
            };
            let len = u64::try_from(buffer.len() + chunk.len()).unwrap_or(u64::MAX);
            if len > limit {
                return Err(Refused::TooLarge);
            }
            if let Some(verification) = &mut streaming {
                verification.update(&chunk)?;
            }
            buffer.extend_from_slice(&chunk);
        }
        let body = buffer.freeze();
        let verified = match streaming {
            Some(verification) => verification.finish()?,
            None => self.verifier.verify_parts(&head.headers, &body, url)?,
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
            let (mut parts, body) = request.into_parts();
            match config.verify(&parts, body).await {
                Ok((body, verified)) => {
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
