//! `reqwest` feature: reqwest-middleware middlewares that authorize every request a
//! [`reqwest_middleware::ClientWithMiddleware`] sends.
//!
//! * **What it does**: converts the request to an [`http::Request`] view (no body copy),
//!   runs [`LiveConnection::authorize_with_async`], and sends the token request itself with
//!   its own `reqwest::Client` that follows **no redirects** and hands every status to
//!   credgate. Refresh is single-flight: concurrent requests wait for one token request.
//! * **401**: when the API answers 401 to a request carrying the current OAuth 2.0 token,
//!   the middleware reports it ([`LiveConnection::report_unauthorized`]), gets a new token
//!   and sends the request **once** more, if its body can be replayed (a buffered body; a
//!   streaming body cannot, and the 401 is returned). A 401 to an API key, Basic or
//!   OAuth 1.0a request is returned as is: sending the same credential again cannot help.
//! * **URLs**: reqwest only builds absolute URLs. Write the connection's own absolute URL,
//!   or a path on the placeholder origin [`BASE`] (`http://connection.invalid`), for
//!   which [`url()`] is the shorthand: the middleware puts the connection's base URL in its
//!   place, as [`LiveConnection::authorize`] does for a relative URI. Without the
//!   middleware such a request fails to resolve (`.invalid` is reserved by RFC 6761),
//!   so it never reaches a real host. Any other origin is refused with
//!   [`AuthError::ForeignOrigin`](crate::AuthError::ForeignOrigin): credentials never go
//!   to a host the template did not name.
//! * **Costs**: per request, one header-map clone (kept to report a 401) and, for a
//!   replayable body, one `try_clone` of the request; the token client's connection pool
//!   is reused.
//! * **Not done**: TLS. The middleware's token client is a plain `reqwest::Client`; enable
//!   the TLS feature you use (`rustls`, `native-tls`) on your own `reqwest` dependency and
//!   cargo turns it on for credgate's too.
//!
//! # Example
//!
//! The short way, [`ClientExt::authorized`]: your `reqwest::Client` (with its timeouts,
//! TLS, proxy) becomes a client that authorizes every request with the connection.
//!
//! ```no_run
//! use credgate::integrations::reqwest::{ClientExt, url};
//! # async fn run(live: credgate::LiveConnection) -> Result<(), Box<dyn std::error::Error>> {
//! let client = reqwest::Client::new().authorized(live)?;
//! let contacts = client.get(url("/contacts")).send().await?.text().await?;
//! # Ok(())
//! # }
//! ```
//!
//! The same with reqwest-middleware's builder, to stack other middlewares (retries,
//! tracing) around it:
//!
//! ```no_run
//! use credgate::integrations::reqwest::{AuthorizeMiddleware, url};
//! # async fn run(live: credgate::LiveConnection) -> Result<(), Box<dyn std::error::Error>> {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(AuthorizeMiddleware::new(live)?)
//!     .build();
//! let contacts = client.get(url("/contacts")).send().await?.text().await?;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use ::reqwest::{Client, ClientBuilder, Request, Response, StatusCode, Url, redirect};
use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use crate::auth::RequestBody;
use crate::{AuthorizeError, LiveConnection, Registry, RegistryError};

/// The client [`ClientExt::authorized`] returns, re-exported so that a program can name it
/// without depending on reqwest-middleware itself.
pub use reqwest_middleware::ClientWithMiddleware;

/// The placeholder origin that stands for the connection's base URL: a request to
/// `http://connection.invalid/contacts` goes to `{base URL}/contacts`.
pub const BASE: &str = "http://connection.invalid";
const BASE_HOST: &str = "connection.invalid";

/// The largest token response read, in bytes; a longer one fails the token request.
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1 << 20;

/// `path` on the placeholder origin [`BASE`]: `url("/contacts?page=2")` is
/// `http://connection.invalid/contacts?page=2`, which the middleware sends to the
/// connection's base URL.
///
/// # Example
///
/// ```
/// use credgate::integrations::reqwest::url;
///
/// assert_eq!(url("/contacts?page=2"), "http://connection.invalid/contacts?page=2");
/// assert_eq!(url("contacts"), "http://connection.invalid/contacts");
/// ```
pub fn url(path: &str) -> String {
    let mut url = String::with_capacity(BASE.len() + 1 + path.len());
    url.push_str(BASE);
    if !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    url
}

/// Why the middleware did not send a request. Wrapped in
/// [`reqwest_middleware::Error::Middleware`]; find it with `downcast_ref::<Error>()`.
/// Messages never hold a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials could not be put on the request, or the token endpoint refused.
    #[error("credgate could not authorize the request: {0}")]
    Authorize(#[from] AuthorizeError<TokenTransportError>),
    /// The registry has no connection for the request's [`Target`].
    #[error("credgate found no connection for the request: {0}")]
    Resolve(#[from] RegistryError),
    /// The registry middleware needs to know which connection to use.
    #[error(
        "the request names no connection: add a credgate::integrations::reqwest::Target with RequestBuilder::with_extension"
    )]
    NoTarget,
    /// The URL could not be read as an HTTP URI.
    #[error("the request url is not a valid http uri")]
    InvalidUrl,
}

/// Why a token request could not be sent or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenTransportError {
    /// reqwest failed to send the request or to read the response.
    #[error(transparent)]
    Send(#[from] ::reqwest::Error),
    /// The token response is longer than [`MAX_TOKEN_RESPONSE_BYTES`].
    #[error("the token response is larger than {MAX_TOKEN_RESPONSE_BYTES} bytes")]
    TooLarge,
}

/// The client that sends token requests: never follows a redirect, returns every status.
#[derive(Debug, Clone)]
struct TokenClient(Client);

impl TokenClient {
    fn new(builder: ClientBuilder) -> Result<Self, ::reqwest::Error> {
        builder.redirect(redirect::Policy::none()).build().map(Self)
    }

    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TokenTransportError> {
        let mut response = self.0.execute(Request::try_from(request)?).await?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_TOKEN_RESPONSE_BYTES {
                return Err(TokenTransportError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut out = http::Response::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// A reqwest body seen by credgate: the buffered bytes, if any (a streaming body is
/// `None` to credgate, so a scheme that signs the body refuses it).
struct Body(Option<::reqwest::Body>);

impl RequestBody for Body {
    fn bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            None => Some(&[]),
            Some(body) => body.as_bytes(),
        }
    }
    fn replace(&mut self, bytes: Vec<u8>) -> bool {
        self.0 = Some(bytes.into());
        true
    }
}

/// The request target credgate sees: relative for the placeholder origin.
fn request_uri(url: &Url) -> Result<http::Uri, Error> {
    let target = if url.scheme() == "http"
        && url.host_str() == Some(BASE_HOST)
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none()
    {
        &url[url::Position::BeforePath..url::Position::AfterQuery]
    } else {
        &url[..url::Position::AfterQuery]
    };
    target.parse().map_err(|_| Error::InvalidUrl)
}

/// Authorizes `request` in place (unchanged on error) and returns what was sent, to
/// recognise a 401 to the current token.
async fn authorize(
    live: &LiveConnection,
    tokens: &TokenClient,
    request: &mut Request,
) -> Result<http::Request<()>, Error> {
    let uri = request_uri(request.url())?;
    let mut view = http::Request::new(Body(request.body_mut().take()));
    *view.method_mut() = request.method().clone();
    *view.uri_mut() = uri;
    *view.headers_mut() = std::mem::take(request.headers_mut());
    let outcome = live
        .authorize_with_async(&mut view, |token_request| tokens.send(token_request))
        .await;
    let (parts, body) = view.into_parts();
    let url = match outcome {
        Ok(()) => Url::parse(&parts.uri.to_string()).map_err(|_| Error::InvalidUrl),
        Err(error) => Err(Error::from(error)),
    };
    match url {
        Ok(url) => {
            *request.url_mut() = url;
            *request.headers_mut() = parts.headers;
            *request.body_mut() = body.0;
            let mut sent = http::Request::new(());
            *sent.uri_mut() = parts.uri;
            *sent.headers_mut() = request.headers().clone();
            Ok(sent)
        }
        Err(error) => {
            // credgate left the view unchanged: the original headers and body go back.
            *request.headers_mut() = parts.headers;
            *request.body_mut() = body.0;
            Err(error)
        }
    }
}

/// Authorizes, sends, and on a 401 to the current token reports it and retries once.
async fn send(
    live: &LiveConnection,
    tokens: &TokenClient,
    mut request: Request,
    extensions: &mut Extensions,
    next: Next<'_>,
) -> reqwest_middleware::Result<Response> {
    let replay = request.try_clone();
    let sent = authorize(live, tokens, &mut request)
        .await
        .map_err(reqwest_middleware::Error::middleware)?;
    let response = next.clone().run(request, extensions).await?;
    if response.status() != StatusCode::UNAUTHORIZED {
        return Ok(response);
    }
    // Reported even when the request cannot be replayed, so that the next one refreshes.
    if !live.report_unauthorized(&sent) {
        return Ok(response);
    }
    let Some(mut retry) = replay else {
        return Ok(response);
    };
    authorize(live, tokens, &mut retry)
        .await
        .map_err(reqwest_middleware::Error::middleware)?;
    drop(response);
    next.run(retry, extensions).await
}

/// Authorizes every request with one [`LiveConnection`].
///
/// # Example
///
/// See the [module](self).
#[derive(Debug, Clone)]
pub struct AuthorizeMiddleware {
    live: Arc<LiveConnection>,
    tokens: TokenClient,
}

impl AuthorizeMiddleware {
    /// A middleware for `live`, whose token requests go through a new `reqwest::Client`
    /// that follows no redirects.
    ///
    /// # Errors
    ///
    /// When reqwest cannot build the token client (its TLS backend failed to load).
    ///
    /// # Example
    ///
    /// See the [module](self).
    pub fn new(live: impl Into<Arc<LiveConnection>>) -> Result<Self, ::reqwest::Error> {
        Self::with_token_client(live, Client::builder())
    }

    /// A middleware whose token client is built from `builder` (proxies, timeouts, a
    /// client certificate for mTLS): its redirect policy is replaced by
    /// `redirect::Policy::none()`.
    ///
    /// # Errors
    ///
    /// When reqwest cannot build the token client.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use credgate::integrations::reqwest::AuthorizeMiddleware;
    /// # fn run(live: credgate::LiveConnection) -> Result<(), reqwest::Error> {
    /// let builder = reqwest::Client::builder().timeout(Duration::from_secs(10));
    /// let middleware = AuthorizeMiddleware::with_token_client(live, builder)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_token_client(
        live: impl Into<Arc<LiveConnection>>,
        builder: ClientBuilder,
    ) -> Result<Self, ::reqwest::Error> {
        Ok(Self {
            live: live.into(),
            tokens: TokenClient::new(builder)?,
        })
    }
}

#[async_trait::async_trait]
impl Middleware for AuthorizeMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        send(&self.live, &self.tokens, request, extensions, next).await
    }
}

/// Which connection of a [`Registry`] a request uses: put it on the request with
/// `RequestBuilder::with_extension` for [`RegistryMiddleware`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Target {
    /// The environment, as in [`Registry::resolve`].
    pub environment: String,
    /// The template's name.
    pub template: String,
    /// The end user's external id, for an embedded template.
    pub end_user: Option<String>,
}

impl Target {
    /// The static connection of `template` in `environment`.
    pub fn new(environment: impl Into<String>, template: impl Into<String>) -> Self {
        Self {
            environment: environment.into(),
            template: template.into(),
            end_user: None,
        }
    }

    /// The connection of the end user `external_id` (embedded templates).
    #[must_use]
    pub fn end_user(mut self, external_id: impl Into<String>) -> Self {
        self.end_user = Some(external_id.into());
        self
    }
}

/// Authorizes each request with the connection its [`Target`] extension names, resolved
/// from a [`Registry`] per request (so activations and replaced connections take effect
/// at once).
///
/// # Example
///
/// ```no_run
/// use std::sync::Arc;
/// use credgate::integrations::reqwest::{RegistryMiddleware, Target, url};
/// # async fn run(registry: Arc<credgate::Registry>) -> Result<(), Box<dyn std::error::Error>> {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(RegistryMiddleware::new(registry)?)
///     .build();
/// let response = client
///     .get(url("/contacts"))
///     .with_extension(Target::new("production", "crm").end_user("customer-42"))
///     .send()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RegistryMiddleware {
    registry: Arc<Registry>,
    tokens: TokenClient,
}

impl RegistryMiddleware {
    /// A middleware resolving connections from `registry`, whose token requests go through
    /// a new `reqwest::Client` that follows no redirects.
    ///
    /// # Errors
    ///
    /// When reqwest cannot build the token client.
    ///
    /// # Example
    ///
    /// See [`RegistryMiddleware`].
    pub fn new(registry: Arc<Registry>) -> Result<Self, ::reqwest::Error> {
        Self::with_token_client(registry, Client::builder())
    }

    /// As [`AuthorizeMiddleware::with_token_client`].
    ///
    /// # Errors
    ///
    /// When reqwest cannot build the token client.
    ///
    /// # Example
    ///
    /// See [`AuthorizeMiddleware::with_token_client`].
    pub fn with_token_client(
        registry: Arc<Registry>,
        builder: ClientBuilder,
    ) -> Result<Self, ::reqwest::Error> {
        Ok(Self {
            registry,
            tokens: TokenClient::new(builder)?,
        })
    }
}

#[async_trait::async_trait]
impl Middleware for RegistryMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let live = {
            let target = extensions
                .get::<Target>()
                .ok_or(Error::NoTarget)
                .map_err(reqwest_middleware::Error::middleware)?;
            self.registry
                .resolve(
                    &target.environment,
                    &target.template,
                    target.end_user.as_deref(),
                )
                .map_err(|error| reqwest_middleware::Error::middleware(Error::from(error)))?
        };
        send(&live, &self.tokens, request, extensions, next).await
    }
}

/// One call from a `reqwest::Client` to a client that authorizes every request: the
/// shorthand for `reqwest_middleware::ClientBuilder::new(client).with(middleware).build()`.
///
/// The client you give sends the API requests (keep its timeouts, TLS and proxy
/// settings); token requests go through a separate client that follows no redirects (see
/// [`AuthorizeMiddleware::new`]). To stack other reqwest-middleware middlewares, use the
/// builder with [`AuthorizeMiddleware`] or [`RegistryMiddleware`] instead.
///
/// This trait is sealed: it is implemented for `reqwest::Client` only.
pub trait ClientExt: sealed::Sealed {
    /// A client that authorizes every request with `live`: paths on [`url()`] go to the
    /// connection's base URL, tokens are fetched and refreshed single-flight, and a 401 to
    /// the current token is retried once.
    ///
    /// # Errors
    ///
    /// When reqwest cannot build the token client (its TLS backend failed to load).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use credgate::integrations::reqwest::{ClientExt, url};
    /// use credgate::{ConnectionTemplate, Credential};
    /// # async fn run(template: ConnectionTemplate) -> Result<(), Box<dyn std::error::Error>> {
    /// let live = template.connect_live(vec![Credential::oauth2_client("client-id", "client-secret")])?;
    /// let client = reqwest::Client::new().authorized(live)?;
    /// let reports = client.get(url("/reports?month=11")).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    fn authorized(
        self,
        live: impl Into<Arc<LiveConnection>>,
    ) -> Result<ClientWithMiddleware, ::reqwest::Error>;

    /// A client that authorizes each request with the connection its [`Target`] extension
    /// names, resolved from `registry` per request (see [`RegistryMiddleware`]).
    ///
    /// # Errors
    ///
    /// When reqwest cannot build the token client (its TLS backend failed to load).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use credgate::integrations::reqwest::{ClientExt, Target, url};
    /// # async fn run(registry: Arc<credgate::Registry>) -> Result<(), Box<dyn std::error::Error>> {
    /// let client = reqwest::Client::new().authorized_by(registry)?;
    /// let contacts = client
    ///     .get(url("/contacts"))
    ///     .with_extension(Target::new("production", "crm").end_user("customer-42"))
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    fn authorized_by(
        self,
        registry: Arc<Registry>,
    ) -> Result<ClientWithMiddleware, ::reqwest::Error>;
}

impl ClientExt for Client {
    fn authorized(
        self,
        live: impl Into<Arc<LiveConnection>>,
    ) -> Result<ClientWithMiddleware, ::reqwest::Error> {
        Ok(reqwest_middleware::ClientBuilder::new(self)
            .with(AuthorizeMiddleware::new(live)?)
            .build())
    }

    fn authorized_by(
        self,
        registry: Arc<Registry>,
    ) -> Result<ClientWithMiddleware, ::reqwest::Error> {
        Ok(reqwest_middleware::ClientBuilder::new(self)
            .with(RegistryMiddleware::new(registry)?)
            .build())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for ::reqwest::Client {}
}
