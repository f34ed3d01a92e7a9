//! `tower` feature: [`AuthorizeLayer`], which authorizes every request of any
//! `tower::Service<http::Request<B>>` (hyper-util's client, a tower-http stack, a
//! tonic-style channel) with one [`LiveConnection`].
//!
//! * **What it does**: runs [`LiveConnection::authorize_with_async`] on each request and
//!   sends the token request itself, through the inner service (the default) or through a
//!   token service you provide ([`AuthorizeLayer::token_service`]). Refresh is
//!   single-flight: concurrent requests wait for one token request.
//! * **Redirects**: the service that sends token requests must **not follow redirects**
//!   (a 307 or 308 would resend the client secret or refresh token to the new location)
//!   and must return every status as a response (credgate reads `invalid_grant` from a
//!   400). hyper-util's client does neither; if your stack has tower-http's
//!   `FollowRedirect` *below* this layer, give the layer a separate token service.
//! * **401**: when the API answers 401 to a request carrying the current OAuth 2.0 token,
//!   the layer reports it ([`LiveConnection::report_unauthorized`]), gets a new token and
//!   sends the request **once** more: the request body is cloned before it is sent, so
//!   prefer a cheaply cloned body (`Bytes`); the retry has no extensions. A 401 to an API
//!   key, Basic or OAuth 1.0a request is returned as is.
//! * **Bodies**: `B` must be a [`RequestBody`] (credgate reads it for schemes that sign
//!   the body): `String`, `Vec<u8>`, `Bytes`, `()`. Token requests through the inner
//!   service are built as `B::from(String)`; their responses are read up to
//!   [`MAX_TOKEN_RESPONSE_BYTES`].
//! * **Not done**: no runtime, no timeouts of its own (put tower's `Timeout` around it).
//!
//! # Example
//!
//! ```no_run
//! use credgate::integrations::tower::AuthorizeLayer;
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use tower_layer::Layer;
//! use tower_service::Service;
//! # async fn run(live: credgate::LiveConnection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let client = Client::builder(TokioExecutor::new()).build_http::<String>();
//! let mut api = AuthorizeLayer::new(live).layer(client);
//! let request = http::Request::get("/contacts").body(String::new())?;
//! let response = api.call(request).await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::RequestBody;
use crate::{AuthorizeError, LiveConnection};

/// The error type of tower services.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The largest token response read through the inner service, in bytes.
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1 << 20;

/// Why [`Authorize`] did not send a request; the service's `BoxError` downcasts to it.
/// Messages never hold a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials could not be put on the request, or the token endpoint refused.
    #[error("credgate could not authorize the request: {0}")]
    Authorize(#[from] AuthorizeError<TokenTransportError>),
}

/// The token request could not be sent or its response read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TokenTransportError(#[source] BoxError);

/// Sends token requests through the wrapped service (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThroughInner;

/// Sends token requests through a service of your own.
#[derive(Debug, Clone)]
pub struct ThroughService<U>(U);

/// How [`Authorize`] sends a token request: [`ThroughInner`] or [`ThroughService`].
pub trait SendToken<S, B> {
    /// Sends `request` (with `inner`, a clone of the wrapped service, if it wants) and
    /// returns the whole response.
    fn send_token(
        &self,
        inner: S,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<Result<Response<Vec<u8>>, TokenTransportError>>;
}

async fn ready_call<S, R>(mut service: S, request: R) -> Result<S::Response, BoxError>
where
    S: Service<R>,
    S::Error: Into<BoxError>,
{
    poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(Into::into)?;
    service.call(request).await.map_err(Into::into)
}

impl<S, B, RB> SendToken<S, B> for ThroughInner
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: From<String> + Send + 'static,
    RB: Body + Send + 'static,
    RB::Data: Send,
    RB::Error: Into<BoxError>,
{
    fn send_token(
        &self,
        inner: S,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<Result<Response<Vec<u8>>, TokenTransportError>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            // A form-encoded token request is ASCII.
            let body = String::from_utf8(body)
                .map_err(|_| TokenTransportError("the token request is not utf-8".into()))?;
            let response = ready_call(inner, Request::from_parts(parts, B::from(body)))
                .await
                .map_err(TokenTransportError)?;
            let (parts, body) = response.into_parts();
            let bytes = Limited::new(body, MAX_TOKEN_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(TokenTransportError)?
                .to_bytes();
            Ok(Response::from_parts(parts, bytes.to_vec()))
        })
    }
}

impl<S, B, U> SendToken<S, B> for ThroughService<U>
where
    U: Service<Request<Vec<u8>>, Response = Response<Vec<u8>>> + Clone + Send + 'static,
    U::Future: Send,
    U::Error: Into<BoxError>,
{
    fn send_token(
        &self,
        _inner: S,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<Result<Response<Vec<u8>>, TokenTransportError>> {
        let service = self.0.clone();
        Box::pin(async move {
            ready_call(service, request)
                .await
                .map_err(TokenTransportError)
        })
    }
}

/// A [`Layer`] that authorizes every request with one [`LiveConnection`].
///
/// # Example
///
/// See the [module](self).
#[derive(Clone)]
pub struct AuthorizeLayer<T = ThroughInner> {
    live: Arc<LiveConnection>,
    tokens: T,
}

impl<T> fmt::Debug for AuthorizeLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeLayer")
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

impl AuthorizeLayer {
    /// A layer for `live`, sending token requests through the service it wraps.
    pub fn new(live: impl Into<Arc<LiveConnection>>) -> Self {
        Self {
            live: live.into(),
            tokens: ThroughInner,
        }
    }
}

impl<T> AuthorizeLayer<T> {
    /// Sends token requests through `service` instead of the wrapped one (for a stack
    /// that follows redirects, or a token endpoint that needs another client): it must
    /// follow no redirects and return every status as a response.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::integrations::tower::{AuthorizeLayer, BoxError};
    /// # fn run(live: credgate::LiveConnection) {
    /// let token_service = tower_service_fn(|_request: http::Request<Vec<u8>>| async {
    ///     Ok::<_, BoxError>(http::Response::new(br#"{"access_token": "at-1"}"#.to_vec()))
    /// });
    /// let layer = AuthorizeLayer::new(live).token_service(token_service);
    /// # }
    /// # #[derive(Clone)] struct ServiceFn<F>(F);
    /// # impl<F, Fut> tower_service::Service<http::Request<Vec<u8>>> for ServiceFn<F>
    /// # where F: FnMut(http::Request<Vec<u8>>) -> Fut, Fut: std::future::Future<Output = Result<http::Response<Vec<u8>>, BoxError>> {
    /// #     type Response = http::Response<Vec<u8>>; type Error = BoxError; type Future = Fut;
    /// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), BoxError>> { std::task::Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, request: http::Request<Vec<u8>>) -> Fut { (self.0)(request) }
    /// # }
    /// # fn tower_service_fn<F>(f: F) -> ServiceFn<F> { ServiceFn(f) }
    /// ```
    pub fn token_service<U>(self, service: U) -> AuthorizeLayer<ThroughService<U>> {
        AuthorizeLayer {
            live: self.live,
            tokens: ThroughService(service),
        }
    }
}

impl<S, T: Clone> Layer<S> for AuthorizeLayer<T> {
    type Service = Authorize<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        Authorize {
            inner,
            live: Arc::clone(&self.live),
            tokens: self.tokens.clone(),
        }
    }
}

/// The service [`AuthorizeLayer`] makes.
#[derive(Clone)]
pub struct Authorize<S, T = ThroughInner> {
    inner: S,
    live: Arc<LiveConnection>,
    tokens: T,
}

impl<S, T> fmt::Debug for Authorize<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorize")
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

/// A copy of `request` for a retry: method, URI, version, headers and body.
fn replay<B: Clone>(request: &Request<B>) -> Request<B> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// What was sent: enough to recognise a 401 to the current token.
fn head<B>(request: &Request<B>) -> Request<()> {
    let mut head = Request::new(());
    *head.uri_mut() = request.uri().clone();
    *head.headers_mut() = request.headers().clone();
    head
}

async fn authorize<S, T, B>(
    live: &LiveConnection,
    tokens: &T,
    inner: S,
    request: &mut Request<B>,
) -> Result<(), BoxError>
where
    T: SendToken<S, B>,
    B: RequestBody,
{
    live.authorize_with_async(request, move |token_request| {
        tokens.send_token(inner, token_request)
    })
    .await
    .map_err(|error| Box::new(Error::Authorize(error)) as BoxError)
}

impl<S, T, B, RB> Service<Request<B>> for Authorize<S, T>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    T: SendToken<S, B> + Clone + Send + Sync + 'static,
    B: RequestBody + Clone + Send + 'static,
    RB: Send + 'static,
{
    type Response = Response<RB>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Response<RB>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The ready service goes with this call; `self` keeps a fresh clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let live = Arc::clone(&self.live);
        let tokens = self.tokens.clone();
        Box::pin(async move {
            let mut retry = replay(&request);
            authorize(&live, &tokens, inner.clone(), &mut request).await?;
            let sent = head(&request);
            let response = inner.call(request).await.map_err(Into::into)?;
            if response.status() != StatusCode::UNAUTHORIZED || !live.report_unauthorized(&sent) {
                return Ok(response);
            }
            authorize(&live, &tokens, inner.clone(), &mut retry).await?;
            drop(response);
            ready_call(inner, retry).await
        })
    }
}
