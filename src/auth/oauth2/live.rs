//! The token lifecycle on [`LiveConnection`]: the sans-I/O steps and the one-line wrappers.

use std::future::Future;

use http::{Request, Response};

use super::coordinate::Progress;
use super::error::{AuthorizeError, OAuth2Error};
use super::state::{TokenStep, block_on};
use crate::auth::{RequestBody, SchemeAuthenticator};
use crate::error::AuthError;
use crate::live::LiveConnection;
use crate::model::{Connection, Credential};

/// How many times the wrappers go round (authorize, refresh or wait) before giving up; only
/// a clock that jumps back or a run of abandoned refreshes needs more than two.
const MAX_ROUNDS: usize = 8;

impl LiveConnection {
    fn oauth2(&self) -> impl Iterator<Item = &super::OAuth2> {
        self.authenticators().iter().filter_map(|a| match a {
            SchemeAuthenticator::OAuth2(oauth2) => Some(oauth2),
            _ => None,
        })
    }

    /// Puts the OAuth 2.0 tokens this connection received since it was built from
    /// `connection` in place of its `oauth2-code` and `oauth2-token` credentials (beside an
    /// `oauth2-client` or `oauth2-password` credential a token is only a cache), so that the
    /// document holds a refresh token that still works.
    pub(crate) fn put_latest_tokens(&self, connection: &mut Connection) {
        for (index, latest) in self.oauth2().filter_map(super::OAuth2::latest) {
            if let Some(pair) = connection.credentials.get_mut(index)
                && matches!(
                    pair.credential,
                    Credential::OAuth2Code(_) | Credential::OAuth2Token(_)
                )
            {
                pair.credential = Credential::OAuth2Token(latest);
            }
        }
    }

    /// Takes the credential of `update`, received by another connection built from the
    /// same document, in place of this one's token at the same position.
    pub(crate) fn adopt_tokens(&self, update: &super::TokenUpdate) {
        if let Some(SchemeAuthenticator::OAuth2(oauth2)) =
            self.authenticators().get(update.credential_index)
        {
            oauth2.adopt(&update.credential);
        }
    }

    /// What to do so that [`authorize`](Self::authorize) succeeds after it failed with
    /// [`AuthError::TokenRefreshNeeded`]: nothing ([`TokenStep::Ready`]), send a token
    /// request ([`TokenStep::Send`]: this caller is the single flight), or wait for
    /// another caller's ([`TokenStep::Wait`]). A connection without OAuth 2.0 is always
    /// ready.
    ///
    /// Send the token request **without following redirects**, and return 4xx and 5xx
    /// answers as responses, not as errors: a 3xx handed back fails with
    /// [`OAuth2Error::Redirected`] (see the
    /// [`oauth2`](crate::auth::oauth2) module for reqwest and ureq settings).
    ///
    /// # Errors
    ///
    /// [`OAuth2Error::NoRefreshToken`] when the token is due and nothing can renew it, or
    /// the [`OAuth2Error::InvalidGrant`] or [`OAuth2Error::CodeRefused`] that made the
    /// connection need the user to reconnect; [`OAuth2Error::RetryAfter`] or
    /// [`OAuth2Error::BackingOff`] while no token request may be sent yet and there is no
    /// valid token; [`OAuth2Error::NotPublished`] while a credential received through a
    /// token store waits to be published (this step does not consult the store: with a
    /// store, use [`authorize_with`](Self::authorize_with) or
    /// [`authorize_with_async`](Self::authorize_with_async)).
    ///
    /// # Panics
    ///
    /// When the persistence hook panicked on a received credential (see
    /// [`TokenRefresh::complete`](crate::auth::oauth2::TokenRefresh::complete)), this step
    /// offers it to the hook again instead of sending a token request, and returns
    /// [`TokenStep::Ready`] once the hook returns normally; if the hook panics again, so
    /// does this step, and the credential stays kept for the next.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth2::TokenStep;
    /// use credgate::{AuthError, ConnectionTemplate, Credential};
    ///
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "crm",
    ///     "templateBaseUrl": "https://api.crm.example",
    ///     "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
    ///         "tokenUrl": "https://auth.crm.example/token",
    ///         "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]}"#)?;
    /// let client: Credential = serde_json::from_str(r#"{"type": "oauth2-client",
    ///     "data": {"oauth2Client": {"clientId": "id-1", "clientSecret": "s3cret"}}}"#)?;
    /// let live = template.connect(vec![client])?.build(&template)?;
    ///
    /// let mut request = http::Request::get("/contacts").body(())?;
    /// assert_eq!(live.authorize(&mut request), Err(AuthError::TokenRefreshNeeded));
    /// match live.token_step()? {
    ///     TokenStep::Send(refresh) => {
    ///         assert_eq!(refresh.request().uri(), "https://auth.crm.example/token");
    ///         // ... send refresh.request() with your client, then:
    ///         let response = http::Response::new(br#"{"access_token": "at-1"}"#.to_vec());
    ///         let update = refresh.complete(response)?;
    ///         assert_eq!(update.credential.access_token.expose_secret(), "at-1");
    ///     }
    ///     TokenStep::Wait(wait) => wait.wait()?,
    ///     TokenStep::Ready => {}
    /// }
    /// live.authorize(&mut request)?;
    /// assert_eq!(request.headers()["authorization"], "Bearer at-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_step(&self) -> Result<TokenStep, OAuth2Error> {
        for oauth2 in self.oauth2() {
            match oauth2.step()? {
                TokenStep::Ready => {}
                other => return Ok(other),
            }
        }
        Ok(TokenStep::Ready)
    }

    /// Installs `stored`, a credential the host learned of from the connection's token
    /// store (a notification, such as a Postgres `NOTIFY`, that another replica
    /// published a new one), for the OAuth 2.0 credential whose row is `owner`, if it is
    /// newer than the one this connection has from the store. `true` if it was installed;
    /// `false` when the connection has no store, no credential has that owner, the version
    /// is not newer, or the credential cannot be used (a redacted secret, an unreadable
    /// expiry). A refresh under way in this process is not interrupted: if it publishes
    /// after, its own compare-and-swap fails and it takes the store's credential.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use credgate::auth::oauth2::{StoredToken, TokenOwner, TokenStoreOptions};
    /// # use credgate::auth::oauth2::{Lease, LeaseHolder, Publication, StoreError, TokenStore};
    /// # use credgate::{ConnectionTemplate, Credential, OAuth2TokenCredential};
    /// # struct Empty;
    /// # impl TokenStore for Empty {
    /// #     fn read(&self, _: &TokenOwner) -> Result<Option<StoredToken>, StoreError> { Ok(None) }
    /// #     fn try_lease(&self, _: &TokenOwner, _: &LeaseHolder, _: std::time::Duration,
    /// #         now: std::time::SystemTime) -> Result<Lease, StoreError> {
    /// #         Ok(Lease::Acquired { until: now, current: None }) }
    /// #     fn publish(&self, _: &TokenOwner, v: u64, _: &OAuth2TokenCredential, _: &LeaseHolder)
    /// #         -> Result<Publication, StoreError> { Ok(Publication::Published { version: v + 1 }) }
    /// #     fn release(&self, _: &TokenOwner, _: &LeaseHolder) -> Result<(), StoreError> { Ok(()) }
    /// # }
    /// # let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "crm",
    /// #     "templateBaseUrl": "https://api.crm.example",
    /// #     "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "code",
    /// #         "authorizeUrl": "https://auth.crm.example/authorize",
    /// #         "tokenUrl": "https://auth.crm.example/token",
    /// #         "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "id-1"}}}}]}"#)?;
    /// # let token: Credential = serde_json::from_str(r#"{"type": "oauth2-token",
    /// #     "data": {"oauth2Token": {"accessToken": "at-1", "refreshToken": "rt-1"}}}"#)?;
    /// # let connection = template.connect(vec![token])?;
    /// let owner = TokenOwner::connection("c-7");
    /// let live = credgate::LiveConnection::builder(&connection)
    ///     .template(&template)
    ///     .token_store(Arc::new(Empty), TokenStoreOptions::new(owner.clone()))
    ///     .build()?;
    ///
    /// // A notification says version 2 was published by another replica:
    /// let credential: OAuth2TokenCredential =
    ///     serde_json::from_str(r#"{"accessToken": "at-2", "refreshToken": "rt-2"}"#)?;
    /// assert!(live.offer_stored(&owner, &StoredToken::new(2, credential.clone())));
    /// assert!(!live.offer_stored(&owner, &StoredToken::new(2, credential)), "not newer");
    ///
    /// let mut request = http::Request::get("/contacts").body(())?;
    /// live.authorize(&mut request)?;
    /// assert_eq!(request.headers()["authorization"], "Bearer at-2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn offer_stored(&self, owner: &super::TokenOwner, stored: &super::StoredToken) -> bool {
        self.oauth2()
            .map(|oauth2| oauth2.offer_stored(owner, stored))
            .fold(false, |any, taken| any | taken)
    }

    /// Reports that the API answered 401 to `request`, authorized by this connection: if
    /// it carries the current token, the next [`authorize`](Self::authorize) asks for a
    /// refresh. Reporting the same token many times refreshes once; reporting a token that
    /// was already replaced does nothing. `true` if a token was marked.
    pub fn report_unauthorized<B>(&self, request: &Request<B>) -> bool {
        // Every OAuth 2.0 credential is asked, not only up to the first that matches.
        self.oauth2()
            .map(|oauth2| oauth2.report_unauthorized(request))
            .fold(false, |any, marked| any | marked)
    }

    /// [`authorize`](Self::authorize), getting a token first when one is needed: `send`
    /// is called (at most once) with the token request and returns the response, as your
    /// blocking HTTP client does. Other threads that need the token meanwhile wait for
    /// this one's.
    ///
    /// Send the token request **without following redirects**, and return 4xx and 5xx
    /// answers as responses, not as errors: a 3xx handed back fails with
    /// [`OAuth2Error::Redirected`] (see the
    /// [`oauth2`](crate::auth::oauth2) module for reqwest and ureq settings).
    ///
    /// # Errors
    ///
    /// [`AuthorizeError::Auth`] as for `authorize`, [`AuthorizeError::Token`] when the
    /// token endpoint refuses, [`AuthorizeError::Transport`] with `send`'s error. The
    /// request is then unchanged. A refresh that fails while the current token is still
    /// valid (inside the expiry buffer) is no error, unless the failure needs the user
    /// ([`OAuth2Error::InvalidGrant`] for a code or for the only grant left): the request
    /// gets that token, and the next token request waits 5 s or until the token expires
    /// (see [`TokenRefresh::complete`](crate::auth::oauth2::TokenRefresh::complete)).
    ///
    /// With a token store ([`LiveConnectionBuilder::token_store`](crate::LiveConnectionBuilder::token_store)),
    /// also [`OAuth2Error::Store`] when the store fails and no valid token is left, and
    /// [`OAuth2Error::NotPublished`] when the store did not take a new credential (kept,
    /// and published again on the next call before any token request); see "Many
    /// replicas: the token store contract" in the [`oauth2`](crate::auth::oauth2) module.
    ///
    /// # Panics
    ///
    /// With the persistence hook's panic, if it panics; the credential it was given is
    /// kept, unused, and offered to it again on the next call, before any token request.
    ///
    /// # Example
    ///
    /// See the [`oauth2`](crate::auth::oauth2) module.
    pub fn authorize_with<B, F, E>(
        &self,
        request: &mut Request<B>,
        send: F,
    ) -> Result<(), AuthorizeError<E>>
    where
        B: RequestBody,
        F: FnOnce(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, E>,
    {
        match self.authorize(request) {
            Err(AuthError::TokenRefreshNeeded) => {
                block_on(self.authorize_with_async(request, |token_request| {
                    std::future::ready(send(token_request))
                }))
            }
            done => done.map_err(AuthorizeError::Auth),
        }
    }

    /// [`authorize_with`](Self::authorize_with) for async clients: `send` returns a
    /// future. Waiting for another task's refresh does not block the thread, and needs no
    /// particular async runtime.
    ///
    /// Send the token request **without following redirects**, and return 4xx and 5xx
    /// answers as responses, not as errors: a 3xx handed back fails with
    /// [`OAuth2Error::Redirected`] (see the
    /// [`oauth2`](crate::auth::oauth2) module for reqwest and ureq settings).
    ///
    /// # Errors
    ///
    /// As for [`authorize_with`](Self::authorize_with).
    ///
    /// # Example
    ///
    /// ```
    /// # use credgate::{ConnectionTemplate, Credential};
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// # let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "crm",
    /// #     "templateBaseUrl": "https://api.crm.example",
    /// #     "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
    /// #         "tokenUrl": "https://auth.crm.example/token",
    /// #         "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]}"#)?;
    /// # let client: Credential = serde_json::from_str(r#"{"type": "oauth2-client",
    /// #     "data": {"oauth2Client": {"clientId": "id-1", "clientSecret": "s3cret"}}}"#)?;
    /// let live = template.connect(vec![client])?.build(&template)?;
    /// let mut request = http::Request::get("/contacts").body(())?;
    /// live.authorize_with_async(&mut request, |_token_request| async {
    ///     // my_async_client.send(_token_request).await
    ///     Ok::<_, std::io::Error>(http::Response::new(br#"{"access_token": "at-1"}"#.to_vec()))
    /// })
    /// .await?;
    /// assert_eq!(request.headers()["authorization"], "Bearer at-1");
    /// # Ok(())
    /// # }
    /// # // Any executor runs it; nothing in it waits, so one poll without a runtime ends it.
    /// # let mut future = std::pin::pin!(example());
    /// # let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    /// # assert!(matches!(future.as_mut().poll(&mut context), std::task::Poll::Ready(Ok(()))));
    /// ```
    pub async fn authorize_with_async<B, F, Fut, E>(
        &self,
        request: &mut Request<B>,
        send: F,
    ) -> Result<(), AuthorizeError<E>>
    where
        B: RequestBody,
        F: FnOnce(Request<Vec<u8>>) -> Fut,
        Fut: Future<Output = Result<Response<Vec<u8>>, E>>,
    {
        let mut send = Some(send);
        for _ in 0..MAX_ROUNDS {
            match self.authorize(request) {
                Err(AuthError::TokenRefreshNeeded) => {}
                done => return done.map_err(AuthorizeError::Auth),
            }
            let mut outcome = Ok(());
            for oauth2 in self.oauth2() {
                let progress = match oauth2.store() {
                    Some(link) => super::coordinate::step(oauth2, link, &mut send).await,
                    None => step_alone(oauth2, &mut send).await,
                };
                match progress {
                    Ok(Progress::Ready) => {}
                    Ok(Progress::Acted) => break,
                    Err(AuthorizeError::Auth(AuthError::TokenRefreshNeeded)) => {
                        return Err(AuthorizeError::Auth(AuthError::TokenRefreshNeeded));
                    }
                    Err(failure) => {
                        outcome = Err(failure);
                        break;
                    }
                }
            }
            if let Err(failure) = outcome {
                // The current token may still be valid (a refresh inside the expiry
                // buffer): then the request goes out with it.
                return self.authorize(request).map_err(|_| failure);
            }
        }
        Err(AuthorizeError::Auth(AuthError::TokenRefreshNeeded))
    }
}

/// One step of getting `oauth2` a token without a token store: this process's single
/// flight. `send` is taken if a token request goes out.
async fn step_alone<F, Fut, E>(
    oauth2: &super::OAuth2,
    send: &mut Option<F>,
) -> Result<Progress, AuthorizeError<E>>
where
    F: FnOnce(Request<Vec<u8>>) -> Fut,
    Fut: Future<Output = Result<Response<Vec<u8>>, E>>,
{
    match oauth2.step()? {
        TokenStep::Ready => Ok(Progress::Ready),
        TokenStep::Wait(wait) => {
            wait.await?;
            Ok(Progress::Acted)
        }
        TokenStep::Send(refresh) => {
            let Some(send) = send.take() else {
                // Dropping it ends the flight; the wrapper gives up.
                drop(refresh);
                return Err(AuthorizeError::Auth(AuthError::TokenRefreshNeeded));
            };
            match send(refresh.request().clone()).await {
                Ok(response) => {
                    refresh.complete(response)?;
                    Ok(Progress::Acted)
                }
                Err(error) => {
                    // Ends the flight before the token is tried again.
                    drop(refresh);
                    Err(AuthorizeError::Transport(error))
                }
            }
        }
    }
}
