//! [`LiveConnection`]: a connection document, validated and pre-encoded, ready to put its
//! credentials on requests.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Request, Uri};

use crate::auth::{Authenticator, BuildContext, OutgoingRequest, RequestBody, SchemeAuthenticator};
use crate::base_url::BaseUrl;
use crate::clock::{Clock, RandomSource};
use crate::error::{AuthError, BuildError};
use crate::model::{
    AuthSchemeConfig, Connection, ConnectionCredential, ConnectionTemplate, Credential, NoneScheme,
};
use crate::redact::RedactedRequest;

/// A connection ready for use: its credentials validated and pre-encoded when it was built,
/// so [`authorize`](Self::authorize) does no formatting or base64 for header placements.
///
/// It is `Send + Sync`; share one behind an `Arc` across threads and tasks.
///
/// # Example
///
/// ```
/// use credgate::{Connection, ConnectionTemplate};
///
/// let template: ConnectionTemplate = serde_json::from_str(r#"{
///     "name": "stripe", "templateBaseUrl": "https://api.stripe.com/v1",
///     "authSchemeConfigs": [{"type": "basic-auth", "basicAuth": {"id": "key-as-user"}}]
/// }"#)?;
/// let connection = template.connect(vec![credgate::Credential::api_key("sk_test_123")])?;
/// let live = connection.build(&template)?;
///
/// let mut request = http::Request::get("/charges?limit=3").body(())?;
/// live.authorize(&mut request)?;
/// assert_eq!(request.uri(), "https://api.stripe.com/v1/charges?limit=3");
/// assert_eq!(request.headers()["authorization"], "Basic c2tfdGVzdF8xMjM6");
/// assert_eq!(
///     live.redacted(&request).to_string(),
///     "GET https://api.stripe.com/v1/charges?limit=3\nauthorization: ******\n",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LiveConnection {
    base_url: Arc<BaseUrl>,
    /// Shared by [`LiveConnection::with_base_url`] copies, so they share OAuth 2.0 tokens.
    authenticators: Arc<[SchemeAuthenticator]>,
    secret_query_names: Vec<String>,
}

impl LiveConnection {
    /// A builder for `connection`, to set the template, base URL, clock or randomness.
    pub fn builder(connection: &Connection) -> LiveConnectionBuilder<'_> {
        LiveConnectionBuilder {
            connection,
            template: None,
            base_url: None,
            context: BuildContext::default(),
        }
    }

    /// Puts the connection's credentials on `request`, in order.
    ///
    /// A relative request URI (`/path?query`) is first resolved against the base URL,
    /// keeping its path prefix (`/v2`). An absolute URI must have the base URL's scheme,
    /// host and port, and so must a `Host` header if the request has one: credentials never
    /// go to another origin.
    ///
    /// # Errors
    ///
    /// [`AuthError::ForeignOrigin`] for a request to another origin (by its URI or its
    /// `Host` header), [`AuthError::UnsupportedUri`] for a URI that is neither absolute nor
    /// `/`-relative or a relative one with a `.` or `..` segment, or whatever an
    /// authenticator reports. On error the request is unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{AuthError, Connection, ConnectionTemplate, Credential};
    ///
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "api",
    ///     "templateBaseUrl": "https://api.example.com",
    ///     "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}]}"#)?;
    /// let live = template.connect(vec![Credential::api_key("k-1")])?.build(&template)?;
    ///
    /// let mut request = http::Request::get("https://evil.example.net/steal").body(())?;
    /// let err = live.authorize(&mut request).unwrap_err();
    /// assert!(matches!(err, AuthError::ForeignOrigin { .. }));
    /// assert!(request.headers().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn authorize<B: RequestBody>(&self, request: &mut Request<B>) -> Result<(), AuthError> {
        // The common case, one credential to an exactly spelled origin, needs no URI
        // resolution and no rollback: a pre-built header (for OAuth 2.0, this thread's copy
        // of the current token) is inserted without dispatching.
        if let [only] = &*self.authenticators
            && self.base_url.is_exact_origin(request.uri())
            && self.base_url.admits_host_header(request.headers())
        {
            if only.insert_header(request.headers_mut()) {
                return Ok(());
            }
            return only.authorize(request);
        }
        self.authorize_dyn(request)
    }

    fn authorize_dyn(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        self.base_url.check_host_header(request.headers())?;
        let original_uri = match self.base_url.resolve(request.uri())? {
            Some(resolved) => {
                let original = request.uri().clone();
                request.set_uri(resolved);
                Some(original)
            }
            None => None,
        };
        let outcome = match &*self.authenticators {
            [only] => only.authorize(request),
            several => {
                let snapshot = Snapshot::take(request);
                let outcome = several.iter().try_for_each(|a| a.authorize(request));
                if outcome.is_err() {
                    snapshot.restore(request);
                }
                outcome
            }
        };
        if outcome.is_err()
            && let Some(original) = original_uri
        {
            request.set_uri(original);
        }
        outcome
    }

    /// The base URL requests go to, normalised (`https://host[:port][/prefix]`).
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// Uses `shared` instead of this connection's own copy when they are equal, so that the
    /// many connections of one template hold a single base URL.
    pub(crate) fn share_base_url(&mut self, shared: &Arc<BaseUrl>) {
        if *self.base_url == **shared {
            self.base_url = Arc::clone(shared);
        }
    }

    /// The same credentials sending to another base URL: for one connection used by many
    /// templates or environments. The copies share their OAuth 2.0 tokens, so a token is
    /// fetched and refreshed once for all of them.
    ///
    /// # Errors
    ///
    /// [`BuildError::MissingBaseUrl`] or [`BuildError::InvalidBaseUrl`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ConnectionTemplate, Credential};
    ///
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "api",
    ///     "templateBaseUrl": "https://api.example.com",
    ///     "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}]}"#)?;
    /// let live = template.connect(vec![Credential::api_key("k-1")])?.build(&template)?;
    /// let sandbox = live.with_base_url("https://sandbox.example.com/v1")?;
    /// assert_eq!(sandbox.base_url(), "https://sandbox.example.com/v1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_base_url(&self, base_url: &str) -> Result<Self, BuildError> {
        Ok(Self {
            base_url: Arc::new(BaseUrl::parse(base_url)?),
            authenticators: Arc::clone(&self.authenticators),
            secret_query_names: self.secret_query_names.clone(),
        })
    }

    pub(crate) fn authenticators(&self) -> &[SchemeAuthenticator] {
        &self.authenticators
    }

    /// A view of `request` for logs and display: sensitive headers, credential headers
    /// (`Authorization`, `Cookie`, ...), the query parameters this connection puts keys in,
    /// and any userinfo are written as `******`. The body is not shown.
    pub fn redacted<'a, B>(&'a self, request: &'a Request<B>) -> RedactedRequest<'a, B> {
        RedactedRequest::new(request, &self.secret_query_names)
    }
}

/// What a multi-credential connection restores if a later credential fails after an earlier
/// one changed the request.
struct Snapshot {
    uri: Uri,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
}

impl Snapshot {
    fn take(request: &dyn OutgoingRequest) -> Self {
        Self {
            uri: request.uri().clone(),
            headers: request.headers().clone(),
            body: request.body_bytes().map(<[u8]>::to_vec),
        }
    }

    fn restore(self, request: &mut dyn OutgoingRequest) {
        request.set_uri(self.uri);
        *request.headers_mut() = self.headers;
        if let Some(body) = self.body {
            request.replace_body(body);
        }
    }
}

impl Authenticator for LiveConnection {
    fn authorize(&self, request: &mut dyn OutgoingRequest) -> Result<(), AuthError> {
        self.authorize_dyn(request)
    }
}

impl fmt::Debug for LiveConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveConnection")
            .field("base_url", &self.base_url)
            .field("authenticators", &self.authenticators)
            .finish()
    }
}

/// Builds a [`LiveConnection`]; see [`LiveConnection::builder`].
#[derive(Debug)]
#[must_use]
pub struct LiveConnectionBuilder<'a> {
    connection: &'a Connection,
    template: Option<&'a ConnectionTemplate>,
    base_url: Option<String>,
    context: BuildContext,
}

impl<'a> LiveConnectionBuilder<'a> {
    /// The template the connection belongs to: its base URL is the default, and it decides
    /// whether a bypass connection is allowed.
    pub fn template(mut self, template: &'a ConnectionTemplate) -> Self {
        self.template = Some(template);
        self
    }

    /// The base URL to use when the connection has no `baseUrl` of its own (instead of the
    /// template's).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The clock for timestamps and expiry (the system clock by default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.context.clock = clock;
        self
    }

    /// The randomness for nonces (the operating system's by default).
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.context.random = random;
        self
    }

    /// The persistence hook: called with every new OAuth 2.0 credential (new access
    /// token, the refresh token to keep) before the new token is used, so the host can
    /// store it. It runs on the thread that completes the refresh, while other callers
    /// wait; store durably before returning, and do not get a token on this connection
    /// from inside it (that would wait for itself).
    ///
    /// If it panics, the credential is not lost: it is kept, unused, and offered to the
    /// hook again by the next `token_step` (or wrapper call) before any token request,
    /// since the server may already have revoked the refresh token it replaces. The panic
    /// goes on to the caller that completed the refresh; callers waiting for that refresh
    /// are released with `OAuth2Error::HookPanicked`, and a previous token that is still
    /// valid stays in use meanwhile. The new token is used only once the hook returns
    /// normally.
    pub fn on_token_update(
        mut self,
        hook: impl Fn(&crate::auth::oauth2::TokenUpdate) + Send + Sync + 'static,
    ) -> Self {
        self.context.token_hook = Some(crate::auth::oauth2::TokenHook(Arc::new(hook)));
        self
    }

    /// Coordinates this connection's OAuth 2.0 refreshes with its other replicas through
    /// `store`, a blocking [`TokenStore`](crate::auth::oauth2::TokenStore), under
    /// `options.owner`'s row: see "Many replicas: the token store contract" in the
    /// [`oauth2`](crate::auth::oauth2) module. [`authorize`](LiveConnection::authorize)
    /// with a cached, valid token never calls the store; when the token is due,
    /// [`authorize_with`](LiveConnection::authorize_with) and
    /// [`authorize_with_async`](LiveConnection::authorize_with_async) (and the reqwest and
    /// tower adapters, which use them) read, lease and publish. Use those rather than
    /// [`token_step`](LiveConnection::token_step), which does not consult the store.
    ///
    /// A connection with several OAuth 2.0 credentials uses `owner` for the first and
    /// `owner#1`, `owner#2`, ... for the next ones.
    pub fn token_store<S: crate::auth::oauth2::TokenStore + 'static>(
        mut self,
        store: Arc<S>,
        options: crate::auth::oauth2::TokenStoreOptions,
    ) -> Self {
        let store = Arc::new(crate::auth::oauth2::coordinate_blocking(store));
        self.context.token_store = Some(crate::auth::oauth2::StoreLink::new(
            store,
            options,
            &*self.context.random,
        ));
        self
    }

    /// [`token_store`](Self::token_store) for an
    /// [`AsyncTokenStore`](crate::auth::oauth2::AsyncTokenStore). The blocking
    /// [`authorize_with`](LiveConnection::authorize_with) drives its futures on the calling
    /// thread, so prefer [`authorize_with_async`](LiveConnection::authorize_with_async)
    /// with a store that needs its runtime.
    pub fn async_token_store<S: crate::auth::oauth2::AsyncTokenStore + 'static>(
        mut self,
        store: Arc<S>,
        options: crate::auth::oauth2::TokenStoreOptions,
    ) -> Self {
        let store = Arc::new(crate::auth::oauth2::coordinate_async(store));
        self.context.token_store = Some(crate::auth::oauth2::StoreLink::new(
            store,
            options,
            &*self.context.random,
        ));
        self
    }

    /// Validates every credential against its scheme and pre-encodes it.
    ///
    /// # Errors
    ///
    /// [`BuildError`] naming what is wrong: a missing or mismatched credential (with the
    /// platform's messages), a redacted secret, an invalid value, a bypass the template
    /// does not allow, an unsupported scheme type, a missing or invalid base URL.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use credgate::{Connection, ConnectionCredential, Credential, LiveConnection, ManualClock};
    ///
    /// let scheme = serde_json::from_str(
    ///     r#"{"type": "api-key", "apiKey": {"id": "k", "name": "key", "in": "query"}}"#,
    /// )?;
    /// let connection = Connection::new(vec![ConnectionCredential::new(scheme, Credential::api_key("k-1"))]);
    /// let live = LiveConnection::builder(&connection)
    ///     .base_url("maps.example/api")
    ///     .clock(Arc::new(ManualClock::at_unix_seconds(1_700_000_000)))
    ///     .build()?;
    /// assert_eq!(live.base_url(), "https://maps.example/api");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<LiveConnection, BuildError> {
        let connection = self.connection;
        if connection.credentials.is_empty() {
            return Err(BuildError::NoCredentials);
        }
        let base_url = templated_base_url(connection, self.template, self.base_url.as_deref())?;
        let mut oauth2_ordinal = 0;
        let authenticators = connection
            .credentials
            .iter()
            .enumerate()
            .map(|(credential_index, pair)| {
                // Each OAuth 2.0 credential has its own row in the token store.
                let token_store = self.context.token_store.as_ref().map(|link| {
                    let mut link = link.clone();
                    link.owner = link.owner.nth(oauth2_ordinal);
                    link
                });
                if matches!(pair.auth_scheme_config, AuthSchemeConfig::OAuth2(_)) {
                    oauth2_ordinal += 1;
                }
                let context = BuildContext {
                    token_store,
                    credential_index,
                    url_values: connection.values.clone(),
                    placeholders: self
                        .template
                        .map(|t| t.placeholders.clone())
                        .unwrap_or_default(),
                    any_endpoint_host: self.template.is_none_or(|t| t.allow_any_base_url),
                    ..self.context.clone()
                };
                SchemeAuthenticator::build(&pair.auth_scheme_config, &pair.credential, &context)
            })
            .collect::<Result<Arc<[_]>, _>>()?;
        let secret_query_names = authenticators
            .iter()
            .flat_map(|a| a.secret_query_names().iter().cloned())
            .collect();
        Ok(LiveConnection {
            base_url: Arc::new(base_url),
            authenticators,
            secret_query_names,
        })
    }
}

/// What `template` (or, instead of its base URL, `base_url`) decides about `connection`:
/// whether its bypass is allowed and, if so, its base URL. The rest of a build depends on
/// the connection alone.
pub(crate) fn templated_base_url(
    connection: &Connection,
    template: Option<&ConnectionTemplate>,
    base_url: Option<&str>,
) -> Result<BaseUrl, BuildError> {
    if let Some(template) = template {
        check_bypass_allowed(template, &connection.credentials)?;
    }
    let template_url = base_url.or(template.map(|t| t.template_base_url.as_str()));
    let any_host = template.is_some_and(|t| t.allow_any_base_url);
    let insecure_http = template.is_some_and(|t| t.allow_insecure_http);
    // A base URL given to the builder comes from the caller, not from the template, but
    // its placeholders still take their rules from the template's declarations.
    let no_placeholders = std::collections::BTreeMap::new();
    let placeholders = template.map_or(&no_placeholders, |t| &t.placeholders);
    BaseUrl::for_connection(
        template_url,
        connection,
        placeholders,
        any_host,
        insecure_http,
    )
}

fn is_bypass(pair: &ConnectionCredential) -> bool {
    matches!(pair.auth_scheme_config, AuthSchemeConfig::None(_))
}

/// Whether `template` has schemes and every one is `none`: its connections are all bypass
/// connections, whatever `allowBypass` says. A template without schemes of its own may
/// take its system's, so a bypass of it needs `allowBypass`.
pub(crate) fn takes_no_credentials(template: &ConnectionTemplate) -> bool {
    !template.auth_scheme_configs.is_empty()
        && template
            .auth_scheme_configs
            .iter()
            .all(|scheme| matches!(scheme, AuthSchemeConfig::None(_)))
}

/// A `none` credential on a template whose own schemes are not `none` is a bypass, allowed
/// only where the template says so.
fn check_bypass_allowed(
    template: &ConnectionTemplate,
    credentials: &[ConnectionCredential],
) -> Result<(), BuildError> {
    if credentials.iter().any(is_bypass)
        && !takes_no_credentials(template)
        && !template.allow_bypass
    {
        return Err(BuildError::BypassNotAllowed);
    }
    Ok(())
}

impl Connection {
    /// Builds the [`LiveConnection`] for this connection under `template` (whose base URL
    /// applies unless the connection has its own), with the system clock and OS randomness.
    ///
    /// # Errors
    ///
    /// See [`LiveConnectionBuilder::build`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{BuildError, Connection, ConnectionTemplate};
    ///
    /// // A listing redacts secrets: it loads, but cannot be used.
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "api",
    ///     "templateBaseUrl": "https://api.example.com",
    ///     "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}]}"#)?;
    /// let listed: Connection = serde_json::from_str(r#"{"id": "c1", "credentials": [{
    ///     "authSchemeConfig": {"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}},
    ///     "credential": {"type": "string", "data": {"string": {"value": "******"}}}}]}"#)?;
    /// assert_eq!(listed.build(&template).unwrap_err(), BuildError::Redacted { field: "api key" });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self, template: &ConnectionTemplate) -> Result<LiveConnection, BuildError> {
        LiveConnection::builder(self).template(template).build()
    }
}

impl ConnectionTemplate {
    /// Connects `credentials` and builds the live connection in one step: the common path,
    /// for callers who do not store the [`Connection`] (those call
    /// [`connect`](Self::connect), keep the connection, and later
    /// [`Connection::build`]).
    ///
    /// # Errors
    ///
    /// What [`connect`](Self::connect) and [`Connection::build`] report.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ConnectionTemplate, Credential};
    ///
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "api",
    ///     "templateBaseUrl": "https://api.example.com",
    ///     "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}]}"#)?;
    /// let live = template.connect_live(vec![Credential::api_key("sk_live_123")])?;
    /// let mut request = http::Request::get("/v1/items").body(())?;
    /// live.authorize(&mut request)?;
    /// assert_eq!(request.headers()["x-key"], "sk_live_123");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_live(&self, credentials: Vec<Credential>) -> Result<LiveConnection, BuildError> {
        self.connect(credentials)?.build(self)
    }

    /// Creates a connection for this template from `credentials`, one per auth scheme in
    /// order, checking each against its scheme as the platform does.
    ///
    /// The connection has no [`values`](Connection::values) yet: a templated token or
    /// authorize URL (`https://{subdomain}.zendesk.com/oauth/tokens`) is checked with
    /// them when the connection is built.
    ///
    /// # Errors
    ///
    /// The platform's messages for a missing credential (`api-key is required for this
    /// connection template`, ...), [`BuildError::CredentialCount`] for too many, and any
    /// [`BuildError`] a credential's validation reports.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{BuildError, ConnectionTemplate};
    ///
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "api",
    ///     "templateBaseUrl": "https://api.example.com",
    ///     "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}]}"#)?;
    /// let err = template.connect(vec![]).unwrap_err();
    /// assert_eq!(err.to_string(), "api-key is required for this connection template");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect(&self, credentials: Vec<Credential>) -> Result<Connection, BuildError> {
        if credentials.len() > self.auth_scheme_configs.len() {
            return Err(BuildError::CredentialCount {
                given: credentials.len(),
                expected: self.auth_scheme_configs.len(),
            });
        }
        // Stand-in values, so that what is checked here is the credentials; the real
        // values are checked when the connection is built.
        let context = BuildContext {
            placeholders: self.placeholders.clone(),
            url_stand_ins: true,
            any_endpoint_host: self.allow_any_base_url,
            ..BuildContext::default()
        };
        let mut credentials = credentials.into_iter();
        let mut pairs = Vec::with_capacity(self.auth_scheme_configs.len());
        for scheme in &self.auth_scheme_configs {
            let credential = credentials.next().unwrap_or(Credential::None);
            SchemeAuthenticator::build(scheme, &credential, &context)?;
            pairs.push(ConnectionCredential::new(scheme.clone(), credential));
        }
        if pairs.is_empty() {
            return Err(BuildError::NoCredentials);
        }
        Ok(self.connection_with(pairs))
    }

    /// A bypass connection for this template: requests go out unchanged.
    ///
    /// # Errors
    ///
    /// [`BuildError::BypassNotAllowed`] unless the template's `allowBypass` is set (or its
    /// only scheme is `none`).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{BuildError, ConnectionTemplate};
    ///
    /// let mut template: ConnectionTemplate = serde_json::from_str(r#"{"name": "api",
    ///     "templateBaseUrl": "https://api.example.com",
    ///     "authSchemeConfigs": [{"type": "basic-auth", "basicAuth": {"id": "b"}}]}"#)?;
    /// assert_eq!(template.bypass_connection().unwrap_err(), BuildError::BypassNotAllowed);
    ///
    /// template.allow_bypass = true;
    /// let live = template.bypass_connection()?.build(&template)?;
    /// let mut request = http::Request::get("/health").body(())?;
    /// live.authorize(&mut request)?;
    /// assert!(request.headers().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bypass_connection(&self) -> Result<Connection, BuildError> {
        let pairs = vec![ConnectionCredential::new(
            AuthSchemeConfig::None(NoneScheme::new("bypass")),
            Credential::None,
        )];
        check_bypass_allowed(self, &pairs)?;
        Ok(self.connection_with(pairs))
    }

    /// The endpoint URLs of this template's schemes and of `credentials`.
    pub(crate) fn endpoint_urls<'a>(
        &'a self,
        credentials: &'a [Credential],
    ) -> impl Iterator<Item = &'a str> {
        let schemes = self
            .auth_scheme_configs
            .iter()
            .filter_map(|scheme| match scheme {
                AuthSchemeConfig::OAuth2(oauth2) => Some(oauth2),
                _ => None,
            });
        let scheme_urls = schemes.flat_map(|oauth2| {
            [
                Some(&oauth2.token_url),
                oauth2.refresh_url.as_ref(),
                oauth2.authorize_url.as_ref(),
            ]
        });
        let own_urls = credentials.iter().map(|credential| match credential {
            Credential::OAuth2Client(client) => client.token_url.as_ref(),
            _ => None,
        });
        scheme_urls.chain(own_urls).flatten().map(String::as_str)
    }

    fn connection_with(&self, credentials: Vec<ConnectionCredential>) -> Connection {
        let mut connection = Connection::new(credentials);
        connection.connection_template_id = self.template_id().to_owned();
        connection.name.clone_from(&self.name);
        connection
    }
}
