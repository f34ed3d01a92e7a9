//! The three-legged flow of RFC 5849 §2, without I/O: credgate builds each request and
//! reads each response; the caller sends them.

use std::fmt;
use std::sync::Arc;

use http::{Method, Request, Response, Uri};

use super::OAuth1;
use super::signer::{Credentials, Signer, parse_form};
use crate::auth::Authenticator as _;
use crate::clock::{Clock, OsRandom, RandomSource, SystemClock};
use crate::encoding::encode;
use crate::error::{AuthError, BuildError};
use crate::model::{OAuth1Placement, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential};
use crate::secret::Secret;

/// Why a step of the three-legged flow failed. It never holds a token or secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuth1FlowError {
    /// The server answered with an error status, or with an `oauth_problem` (the OAuth
    /// problem reporting extension).
    #[error("the server refused the request with status {status}{}", problem_suffix(.problem.as_deref()))]
    ErrorResponse {
        /// The HTTP status code.
        status: u16,
        /// The code of the `oauth_problem` the server reported, if any (its leading ASCII
        /// letters, digits and `_`, at most 64: what follows may echo a token).
        problem: Option<String>,
    },
    /// A temporary-credentials response has no `oauth_callback_confirmed` (RFC 5849 §2.1:
    /// the server does not speak OAuth 1.0a).
    #[error(
        "the response has no oauth_callback_confirmed: the server does not implement OAuth 1.0a"
    )]
    CallbackConfirmationMissing,
    /// A temporary-credentials response has `oauth_callback_confirmed` other than `true`.
    #[error("the server did not confirm the callback (oauth_callback_confirmed is not \"true\")")]
    CallbackNotConfirmed,
    /// A response lacks a required parameter, or has it empty.
    #[error("the response has no {field}")]
    MissingField {
        /// The parameter (`oauth_token`, `oauth_token_secret`).
        field: &'static str,
    },
    /// A response body is not form-encoded text.
    #[error("the response body {reason}")]
    InvalidResponse {
        /// The rule broken.
        reason: &'static str,
    },
    /// An argument of a flow step is unusable.
    #[error("{field} {reason}")]
    InvalidInput {
        /// The argument (`callback`, `verifier`).
        field: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
    /// The request could not be built or signed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The request could not be signed.
    #[error(transparent)]
    Sign(#[from] AuthError),
}

fn problem_suffix(problem: Option<&str>) -> String {
    problem.map_or_else(String::new, |p| format!(": {p}"))
}

/// Temporary credentials (RFC 5849 §2.1), read from the server's response by
/// [`OAuth1Flow::read_temporary_credentials`] or [`TemporaryCredentials::from_form`].
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    token: Secret,
    token_secret: Secret,
}

impl TemporaryCredentials {
    /// Temporary credentials kept by the caller between the flow's steps (for example in
    /// a session while the resource owner authorizes).
    pub fn new(token: impl Into<Secret>, token_secret: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            token_secret: token_secret.into(),
        }
    }

    /// Reads a form-encoded temporary-credentials response body.
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::InvalidResponse`] for a body that is not form-encoded text,
    /// [`OAuth1FlowError::ErrorResponse`] for one with an `oauth_problem`,
    /// [`OAuth1FlowError::CallbackConfirmationMissing`] or
    /// [`OAuth1FlowError::CallbackNotConfirmed`] unless `oauth_callback_confirmed=true`,
    /// [`OAuth1FlowError::MissingField`] without `oauth_token` or `oauth_token_secret`.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::{OAuth1FlowError, TemporaryCredentials};
    ///
    /// // RFC 5849 §2.1.
    /// let body = b"oauth_token=hdk48Djdsa&oauth_token_secret=xyz4992k83j47x0b&oauth_callback_confirmed=true";
    /// let temporary = TemporaryCredentials::from_form(body)?;
    /// assert_eq!(temporary.token().expose_secret(), "hdk48Djdsa");
    ///
    /// let old_server = b"oauth_token=hdk48Djdsa&oauth_token_secret=xyz4992k83j47x0b";
    /// let err = TemporaryCredentials::from_form(old_server).unwrap_err();
    /// assert_eq!(err, OAuth1FlowError::CallbackConfirmationMissing);
    /// # Ok::<(), OAuth1FlowError>(())
    /// ```
    pub fn from_form(body: &[u8]) -> Result<Self, OAuth1FlowError> {
        Self::read(200, body)
    }

    fn read(status: u16, body: &[u8]) -> Result<Self, OAuth1FlowError> {
        let form = read_form(status, body)?;
        match find(&form, "oauth_callback_confirmed") {
            None => return Err(OAuth1FlowError::CallbackConfirmationMissing),
            Some("true") => {}
            Some(_) => return Err(OAuth1FlowError::CallbackNotConfirmed),
        }
        let (token, token_secret) = token_pair(&form)?;
        Ok(Self::new(token, token_secret))
    }

    /// The temporary credentials identifier (`oauth_token`).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The temporary credentials shared secret (`oauth_token_secret`).
    pub fn token_secret(&self) -> &Secret {
        &self.token_secret
    }
}

impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("token", &self.token)
            .field("token_secret", &self.token_secret)
            .finish()
    }
}

/// Reads a form-encoded token response body (RFC 5849 §2.3) into an `oauth1-token`
/// credential. Other parameters of the response (`user_id`, ...) are not kept.
///
/// # Errors
///
/// [`OAuth1FlowError::InvalidResponse`] for a body that is not form-encoded text,
/// [`OAuth1FlowError::ErrorResponse`] for one with an `oauth_problem`,
/// [`OAuth1FlowError::MissingField`] without `oauth_token` or `oauth_token_secret`.
///
/// # Example
///
/// ```
/// use credgate::auth::oauth1::token_credentials_from_form;
///
/// // RFC 5849 §1.2.
/// let token = token_credentials_from_form(b"oauth_token=nnch734d00sl2jdk&oauth_token_secret=pfkkdhi9sl3r4s00")?;
/// assert_eq!(token.token_secret.expose_secret(), "pfkkdhi9sl3r4s00");
/// # Ok::<(), credgate::auth::oauth1::OAuth1FlowError>(())
/// ```
pub fn token_credentials_from_form(body: &[u8]) -> Result<OAuth1TokenCredential, OAuth1FlowError> {
    read_token(200, body)
}

fn read_token(status: u16, body: &[u8]) -> Result<OAuth1TokenCredential, OAuth1FlowError> {
    let form = read_form(status, body)?;
    let (token, token_secret) = token_pair(&form)?;
    Ok(OAuth1TokenCredential::new(token, token_secret))
}

/// Decodes a response body, turning an `oauth_problem` or a non-2xx `status` into
/// [`OAuth1FlowError::ErrorResponse`].
fn read_form(status: u16, body: &[u8]) -> Result<Vec<(String, String)>, OAuth1FlowError> {
    let form = parse_form(body);
    let problem = form
        .as_ref()
        .ok()
        .and_then(|form| find(form, "oauth_problem"))
        // Only the problem's code (`token_rejected`): servers append the token or verifier
        // they refused, which must not reach an error.
        .map(|problem| {
            problem
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect::<String>()
        });
    if !(200..300).contains(&status) || problem.is_some() {
        return Err(OAuth1FlowError::ErrorResponse { status, problem });
    }
    form.map_err(|reason| OAuth1FlowError::InvalidResponse { reason })
}

fn find<'f>(form: &'f [(String, String)], name: &str) -> Option<&'f str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

fn token_pair(form: &[(String, String)]) -> Result<(&str, &str), OAuth1FlowError> {
    let field = |field: &'static str| {
        find(form, field)
            .filter(|value| !value.is_empty())
            .ok_or(OAuth1FlowError::MissingField { field })
    };
    Ok((field("oauth_token")?, field("oauth_token_secret")?))
}

/// The three-legged flow of RFC 5849 §2 for one `oauth1` scheme, without I/O.
///
/// 1. [`temporary_credentials_request`](Self::temporary_credentials_request): a signed
///    `POST` with `oauth_callback`; send it and read the answer with
///    [`read_temporary_credentials`](Self::read_temporary_credentials).
/// 2. [`authorization_url`](Self::authorization_url): send the resource owner there. The
///    server redirects back to the callback with `oauth_verifier`.
/// 3. [`token_request`](Self::token_request): a signed `POST` with `oauth_verifier`;
///    send it and read the `oauth1-token` credential with
///    [`read_token_credentials`](Self::read_token_credentials).
///
/// The requests use the scheme's signature method, realm and placement.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use credgate::auth::oauth1::OAuth1Flow;
/// use credgate::{ManualClock, OAuth1Scheme, OAuth1SignatureMethod};
///
/// let scheme = OAuth1Scheme::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44", OAuth1SignatureMethod::Sha1)
///     .with_endpoints(
///         "https://photos.example.net/initiate",
///         "https://photos.example.net/authorize",
///         "https://photos.example.net/token",
///     );
/// let flow = OAuth1Flow::new(&scheme)?.with_clock(Arc::new(ManualClock::at_unix_seconds(137131200)));
///
/// let request = flow.temporary_credentials_request("http://printer.example.com/ready")?;
/// assert_eq!(request.method(), "POST");
/// assert!(request.headers()["authorization"].to_str()?.contains(
///     r#"oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready""#));
///
/// // ... send it; the server answers:
/// let response = http::Response::builder().status(200).body(
///     b"oauth_token=hh5s93j4hdidpola&oauth_token_secret=hdhd0244k9j7ao03&oauth_callback_confirmed=true".to_vec())?;
/// let temporary = flow.read_temporary_credentials(&response)?;
/// assert_eq!(
///     flow.authorization_url(&temporary)?,
///     "https://photos.example.net/authorize?oauth_token=hh5s93j4hdidpola",
/// );
///
/// let request = flow.token_request(&temporary, "hfdp7dh39dks9884")?;
/// let response = http::Response::builder().status(200).body(
///     b"oauth_token=nnch734d00sl2jdk&oauth_token_secret=pfkkdhi9sl3r4s00".to_vec())?;
/// let token = flow.read_token_credentials(&response)?;
/// assert_eq!(token.token.expose_secret(), "nnch734d00sl2jdk");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct OAuth1Flow {
    consumer_key: String,
    consumer_secret: Secret,
    method: OAuth1SignatureMethod,
    realm: Option<String>,
    placement: OAuth1Placement,
    omit_plaintext_nonce: bool,
    temporary_credentials: Uri,
    authorization: Uri,
    token: Uri,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
}

impl OAuth1Flow {
    /// The flow for `scheme`, with the system clock and the operating system's randomness.
    ///
    /// # Errors
    ///
    /// [`BuildError::Empty`] or [`BuildError::Redacted`] for the client credentials, and
    /// [`BuildError::InvalidValue`] for an endpoint that is missing or not an absolute
    /// `http`/`https` URL, or a realm that cannot be sent.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::OAuth1Flow;
    /// use credgate::{BuildError, OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1);
    /// let err = OAuth1Flow::new(&scheme).unwrap_err();
    /// assert_eq!(err.to_string(), "temporary credential endpoint is required for the three-legged flow");
    /// ```
    pub fn new(scheme: &OAuth1Scheme) -> Result<Self, BuildError> {
        super::check_client(scheme)?;
        let flow = Self {
            consumer_key: scheme.consumer_key.clone(),
            consumer_secret: scheme.consumer_secret.clone(),
            method: scheme.signature_method,
            realm: scheme.realm.clone(),
            placement: scheme.placement,
            omit_plaintext_nonce: scheme.omit_plaintext_nonce,
            temporary_credentials: endpoint(
                scheme.temp_credential_endpoint.as_deref(),
                "temporary credential endpoint",
            )?,
            authorization: endpoint(
                scheme.resource_owner_authorization_endpoint.as_deref(),
                "resource owner authorization endpoint",
            )?,
            token: endpoint(scheme.token_endpoint.as_deref(), "token endpoint")?,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
        };
        // Checks the realm and placement once, rather than at the first request.
        flow.signer(None, &[])?;
        Ok(flow)
    }

    /// Takes timestamps from `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Takes nonces from `random` instead of the operating system.
    #[must_use]
    pub fn with_random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// The signed temporary-credentials request (RFC 5849 §2.1): a `POST` to the
    /// temporary credential endpoint with `oauth_callback` (an absolute URI, or `oob`
    /// when the client cannot receive callbacks).
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::InvalidInput`] for a callback that is neither an absolute URI nor
    /// `oob`, [`OAuth1FlowError::Sign`] if the endpoint cannot be signed.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::OAuth1Flow;
    /// use credgate::{OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_endpoints("https://a.example/initiate", "https://a.example/authorize", "https://a.example/token");
    /// let request = OAuth1Flow::new(&scheme)?.temporary_credentials_request("oob")?;
    /// assert_eq!(request.uri(), "https://a.example/initiate");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn temporary_credentials_request(
        &self,
        callback: &str,
    ) -> Result<Request<Vec<u8>>, OAuth1FlowError> {
        let signer = self.temporary_credentials_signer(callback)?;
        signed_post(&signer, &self.temporary_credentials)
    }

    /// The authenticator [`temporary_credentials_request`](Self::temporary_credentials_request)
    /// signs with: the client credentials, no token, and `oauth_callback`. Use it to sign
    /// a request of your own (a server that wants `GET`) or with a given timestamp and
    /// nonce ([`OAuth1::sign`]).
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::InvalidInput`] for a callback that is neither an absolute URI nor
    /// `oob`.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::OAuth1Flow;
    /// use credgate::{OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_endpoints("https://a.example/initiate", "https://a.example/authorize", "https://a.example/token");
    /// let signer = OAuth1Flow::new(&scheme)?.temporary_credentials_signer("oob")?;
    /// let request = http::Request::get("https://a.example/initiate").body(())?;
    /// assert!(signer.sign(&request, 1, "n")?.base_string().contains("oauth_callback%3Doob"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn temporary_credentials_signer(&self, callback: &str) -> Result<OAuth1, OAuth1FlowError> {
        if callback.is_empty() {
            return Err(OAuth1FlowError::InvalidInput {
                field: "callback",
                reason: "is empty (use \"oob\" for out-of-band)",
            });
        }
        // RFC 5849 §2.1: an absolute URI, or `oob` spelled exactly so.
        if callback != "oob" && url::Url::parse(callback).is_err() {
            return Err(OAuth1FlowError::InvalidInput {
                field: "callback",
                reason: "must be an absolute URI or \"oob\" (RFC 5849 §2.1)",
            });
        }
        Ok(self.signer(None, &[("oauth_callback", callback)])?)
    }

    /// Reads the temporary-credentials response.
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::ErrorResponse`] for a status other than 2xx, and the errors of
    /// [`TemporaryCredentials::from_form`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::{OAuth1Flow, OAuth1FlowError};
    /// use credgate::{OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_endpoints("https://a.example/initiate", "https://a.example/authorize", "https://a.example/token");
    /// let flow = OAuth1Flow::new(&scheme)?;
    /// let response = http::Response::builder().status(401).body(b"oauth_problem=signature_invalid".to_vec())?;
    /// assert_eq!(
    ///     flow.read_temporary_credentials(&response).unwrap_err().to_string(),
    ///     "the server refused the request with status 401: signature_invalid",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_temporary_credentials<B: AsRef<[u8]>>(
        &self,
        response: &Response<B>,
    ) -> Result<TemporaryCredentials, OAuth1FlowError> {
        TemporaryCredentials::read(response.status().as_u16(), response.body().as_ref())
    }

    /// The resource owner authorization URL (RFC 5849 §2.2): the endpoint with
    /// `oauth_token` added to its query.
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::Sign`] if the URL cannot carry the token.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::{OAuth1Flow, TemporaryCredentials};
    /// use credgate::{OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_endpoints("https://a.example/initiate", "https://a.example/authorize?lang=en", "https://a.example/token");
    /// let temporary = TemporaryCredentials::new("a b", "s");
    /// let url = OAuth1Flow::new(&scheme)?.authorization_url(&temporary)?;
    /// assert_eq!(url, "https://a.example/authorize?lang=en&oauth_token=a%20b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorization_url(
        &self,
        temporary: &TemporaryCredentials,
    ) -> Result<Uri, OAuth1FlowError> {
        let mut url = self.authorization.to_string();
        url.push(if self.authorization.query().is_some() {
            '&'
        } else {
            '?'
        });
        url.push_str("oauth_token=");
        url.push_str(&encode(temporary.token.expose_secret()));
        url.parse().map_err(|_| {
            OAuth1FlowError::Sign(AuthError::UnsupportedUri {
                reason: "cannot carry the temporary token",
            })
        })
    }

    /// The signed token request (RFC 5849 §2.3): a `POST` to the token endpoint with the
    /// temporary credentials and `oauth_verifier`.
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::InvalidInput`] for an empty verifier,
    /// [`OAuth1FlowError::Build`] for empty or redacted temporary credentials,
    /// [`OAuth1FlowError::Sign`] if the endpoint cannot be signed.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::{OAuth1Flow, TemporaryCredentials};
    /// use credgate::{OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_endpoints("https://a.example/initiate", "https://a.example/authorize", "https://a.example/token");
    /// let temporary = TemporaryCredentials::new("tmp", "tmp-secret");
    /// let request = OAuth1Flow::new(&scheme)?.token_request(&temporary, "v3r1f13r")?;
    /// assert!(request.headers()["authorization"].to_str()?.contains(r#"oauth_verifier="v3r1f13r""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_request(
        &self,
        temporary: &TemporaryCredentials,
        verifier: &str,
    ) -> Result<Request<Vec<u8>>, OAuth1FlowError> {
        let signer = self.token_signer(temporary, verifier)?;
        signed_post(&signer, &self.token)
    }

    /// The authenticator [`token_request`](Self::token_request) signs with: the client
    /// credentials, the temporary credentials and `oauth_verifier`.
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::InvalidInput`] for an empty verifier,
    /// [`OAuth1FlowError::Build`] for empty or redacted temporary credentials.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::{OAuth1Flow, TemporaryCredentials};
    /// use credgate::{OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_endpoints("https://a.example/initiate", "https://a.example/authorize", "https://a.example/token");
    /// let flow = OAuth1Flow::new(&scheme)?;
    /// let err = flow.token_signer(&TemporaryCredentials::new("tmp", "******"), "v").unwrap_err();
    /// assert_eq!(err.to_string(), "temporary token secret is redacted");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_signer(
        &self,
        temporary: &TemporaryCredentials,
        verifier: &str,
    ) -> Result<OAuth1, OAuth1FlowError> {
        if verifier.is_empty() {
            return Err(OAuth1FlowError::InvalidInput {
                field: "verifier",
                reason: "is empty",
            });
        }
        for (secret, field) in [
            (&temporary.token, "temporary token"),
            (&temporary.token_secret, "temporary token secret"),
        ] {
            if secret.is_redacted() {
                return Err(BuildError::Redacted { field }.into());
            }
            if secret.is_empty() {
                return Err(BuildError::Empty { field }.into());
            }
        }
        Ok(self.signer(
            Some((&temporary.token, &temporary.token_secret)),
            &[("oauth_verifier", verifier)],
        )?)
    }

    /// Reads the token response into an `oauth1-token` credential.
    ///
    /// # Errors
    ///
    /// [`OAuth1FlowError::ErrorResponse`] for a status other than 2xx, and the errors of
    /// [`token_credentials_from_form`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth1::{OAuth1Flow, OAuth1FlowError};
    /// use credgate::{OAuth1Scheme, OAuth1SignatureMethod};
    ///
    /// let scheme = OAuth1Scheme::new("key", "secret", OAuth1SignatureMethod::Sha1)
    ///     .with_endpoints("https://a.example/initiate", "https://a.example/authorize", "https://a.example/token");
    /// let flow = OAuth1Flow::new(&scheme)?;
    /// let response = http::Response::builder().status(200).body(b"oauth_token=abc".to_vec())?;
    /// assert_eq!(
    ///     flow.read_token_credentials(&response).unwrap_err(),
    ///     OAuth1FlowError::MissingField { field: "oauth_token_secret" },
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_token_credentials<B: AsRef<[u8]>>(
        &self,
        response: &Response<B>,
    ) -> Result<OAuth1TokenCredential, OAuth1FlowError> {
        read_token(response.status().as_u16(), response.body().as_ref())
    }

    fn signer(
        &self,
        token: Option<(&Secret, &Secret)>,
        extra: &[(&str, &str)],
    ) -> Result<OAuth1, BuildError> {
        let credentials = Credentials {
            consumer_key: &self.consumer_key,
            consumer_secret: &self.consumer_secret,
            token,
            omit_plaintext_nonce: self.omit_plaintext_nonce,
        };
        let signer = Signer::new(
            &credentials,
            self.method,
            extra,
            self.realm.as_deref(),
            self.placement,
        )?;
        Ok(OAuth1::from_signer(signer)
            .with_clock(Arc::clone(&self.clock))
            .with_random(Arc::clone(&self.random)))
    }
}

/// A `POST` to `endpoint`, signed by `signer` with a fresh timestamp and nonce.
fn signed_post(signer: &OAuth1, endpoint: &Uri) -> Result<Request<Vec<u8>>, OAuth1FlowError> {
    let mut request = Request::new(Vec::new());
    *request.method_mut() = Method::POST;
    *request.uri_mut() = endpoint.clone();
    signer.authorize(&mut request)?;
    Ok(request)
}

impl fmt::Debug for OAuth1Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Flow")
            .field("consumer_key", &self.consumer_key)
            .field("signature_method", &self.method.as_str())
            .field("temporary_credentials", &self.temporary_credentials)
            .field("authorization", &self.authorization)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// An endpoint of the flow, which must be an absolute `http` or `https` URL.
fn endpoint(url: Option<&str>, field: &'static str) -> Result<Uri, BuildError> {
    let url = url
        .filter(|url| !url.is_empty())
        .ok_or(BuildError::InvalidValue {
            field,
            reason: "is required for the three-legged flow",
        })?;
    let uri: Uri = url.parse().map_err(|_| BuildError::InvalidValue {
        field,
        reason: "is not a valid URL",
    })?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(BuildError::InvalidValue {
            field,
            reason: "must be an absolute http or https URL",
        });
    }
    Ok(uri)
}
