//! The `oauth2` scheme and the `oauth2-*` credentials.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::tagged;
use crate::{ExtraParams, Secret};

/// A scope a scheme offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct ScopeDefinition {
    /// The scope string.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// `oauth2`: RFC 6749.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth2Scheme {
    /// The scheme's user-given id.
    #[serde(default)]
    pub id: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The authorization endpoint (authorization code grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
    /// The token endpoint: an absolute `https` URL (`http` only to a loopback host).
    pub token_url: String,
    /// The scopes on offer.
    #[serde(default)]
    pub scopes: Vec<ScopeDefinition>,
    /// The scopes requested when a credential names none.
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// Whether to use PKCE (RFC 7636).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pkce: bool,
    /// Extra authorize parameters, form-encoded (`a=1&b=2`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub additional_authorize_params: String,
    /// Extra token request parameters, form-encoded; their values are redacted as
    /// secrets are.
    #[serde(default, skip_serializing_if = "ExtraParams::is_empty")]
    pub additional_token_params: ExtraParams,
    /// Whether the token endpoint needs mutual TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtls_enabled: Option<bool>,
    /// The grant.
    pub grant: OAuth2Grant,
    /// credgate: how the client authenticates to the token endpoint (HTTP Basic by
    /// default, as RFC 6749 §2.3.1 recommends).
    #[serde(default, skip_serializing_if = "is_default")]
    pub client_auth_method: ClientAuthMethod,
    /// credgate: how the token request body is encoded (form by default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub token_request_format: TokenRequestFormat,
    /// credgate: what joins scopes in `scope` parameters (a space by default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub scope_separator: ScopeSeparator,
    /// credgate: a separate endpoint for the refresh token grant (the token URL by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_url: Option<String>,
    /// credgate: where the access token goes on requests (`Authorization: Bearer` by
    /// default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub token_placement: TokenPlacement,
    /// credgate: how many seconds before `expires_at` a token counts as due for refresh
    /// (60 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_buffer_seconds: Option<u32>,
    /// credgate: the `grant_type` sent instead of the grant's own in the code exchange,
    /// client credentials and password token requests (Zoom's server-to-server
    /// `account_credentials`); refresh requests keep `refresh_token`. Validated at build:
    /// not empty, no whitespace or control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    /// credgate: where token request parameters go: the body (`"body"`, RFC 6749, the
    /// default) or the token URL's query (`"query"`, for servers that read only that; the
    /// body is then empty). Client authentication by Basic stays in the header.
    #[serde(default, skip_serializing_if = "is_default")]
    pub token_params_location: TokenParamsLocation,
    /// credgate: parameters sent only with refresh requests (form-encoded, `type=refresh`
    /// for Basecamp), after the grant's own and before `additionalTokenParams`; a name the
    /// grant already sends is left out. Values are treated as secrets.
    #[serde(default, skip_serializing_if = "ExtraParams::is_empty")]
    pub refresh_params: ExtraParams,
    /// credgate: a dotted path to the token response object holding `access_token` (and
    /// its `refresh_token`, `expires_in`, `scope`, `token_type`): `authed_user` for Slack
    /// user tokens. Top-level fields are used for any the object lacks. Validated at
    /// build: dot-separated non-empty names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_path: Option<String>,
    /// credgate: the unit of the token response's lifetime field: `"seconds"` (RFC 6749,
    /// the default) or `"milliseconds"` (Fiserv).
    #[serde(default, skip_serializing_if = "is_default")]
    pub expires_in_unit: ExpiresInUnit,
    /// credgate: the token response field holding the lifetime, instead of `expires_in`
    /// (Facebook's legacy `expires`); `expires_in` is still read when it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_field: Option<String>,
    /// credgate: token response fields (dotted paths into JSON objects, such as
    /// `team.id` or `id_token`) kept with the token: each one present (a string, number
    /// or boolean) lands in the new credential's
    /// [`responseValues`](OAuth2TokenCredential::response_values), so the persistence hook
    /// stores it, keyed by the path as written here. A connection built with that
    /// credential fills the template's `{placeholder}` of the same name (`{api_domain}`)
    /// with it, unless the connection's own `values` set one; host rules apply as to any
    /// value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_response_values: Vec<String>,
    /// credgate: the redirect parameter the authorization code arrives in, instead of
    /// `code` (Amazon SP-API's `spapi_oauth_code`); read by
    /// [`AuthorizationRequest::callback`](crate::auth::oauth2::AuthorizationRequest::callback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_code_param: Option<String>,
    /// credgate: the names the provider uses for the standard authorize parameters, keyed
    /// by the standard name: `{"client_id": "client_key"}` (`TikTok`),
    /// `{"redirect_uri": "redirect_url"}` (Printful). Keys are `response_type`,
    /// `client_id`, `redirect_uri`, `scope`, `state`, `code_challenge` and
    /// `code_challenge_method`; an empty name leaves `response_type` or `scope` out
    /// (Monday sends no `response_type`). Validated at build: known keys, names without
    /// whitespace or control characters, no two parameters under one name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub authorize_param_names: BTreeMap<String, String>,
    /// credgate: the `response_type` sent in the authorize URL instead of `code`
    /// (`code id_token`, a provider's own value). The redirect must still carry an
    /// authorization code. Validated at build: not blank, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<String>,
    /// credgate: a token response field (a dotted path, as in `tokenResponseValues`, which
    /// need not list it) whose value becomes the connection's base URL once a token
    /// holding it is stored: Salesforce's `instance_url`. The URL must name a host the
    /// template allows: one matching the `hostPatterns` of the template's placeholder of
    /// the same name when one is declared, else one on the template base URL's domain (the
    /// rule for a connection's `baseUrl` override); anything else is refused when the
    /// connection is built, so credentials never go to another host. Until a token holds
    /// the value, the template's base URL is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url_from_response: Option<String>,
}

/// Where token request parameters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenParamsLocation {
    /// The request body, as [`TokenRequestFormat`] encodes it (RFC 6749).
    #[default]
    Body,
    /// The token URL's query string, form-encoded; the body is empty.
    Query,
}

/// The unit of a token response's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ExpiresInUnit {
    /// Seconds (RFC 6749 §5.1).
    #[default]
    Seconds,
    /// Milliseconds.
    Milliseconds,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// `Authorization: Basic`, the client id and secret each form-urlencoded first
    /// (RFC 6749 §2.3.1).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the request body.
    Body,
    /// `basicRaw`: `Authorization: Basic base64(id ":" secret)` with the id and secret as
    /// they are, not form-encoded first: what Nango and many servers send and expect. A
    /// secret holding `+`, `/`, `=` or `%` differs between this and [`Self::Basic`].
    #[serde(rename = "basicRaw")]
    BasicRaw,
    /// `basicAndBody`: the RFC 6749 §2.3.1 `Authorization: Basic` header (form-encoded
    /// first, as [`Self::Basic`]) *and* `client_id` and `client_secret` in the request
    /// body, for servers that read one or the other.
    #[serde(rename = "basicAndBody")]
    BasicAndBody,
}

/// What joins scopes in a `scope` parameter: JSON `" "`, `","` or `"+"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub enum ScopeSeparator {
    /// A space, as RFC 6749 §3.3 says.
    #[default]
    #[serde(rename = " ")]
    Space,
    /// A comma.
    #[serde(rename = ",")]
    Comma,
    /// A literal `+`: the server reads `read+write` (sent `read%2Bwrite` in form encoding,
    /// where a bare `+` would read as a space).
    #[serde(rename = "+")]
    Plus,
}

/// How a token request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenRequestFormat {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    #[default]
    Form,
    /// `application/json`, every parameter a string.
    Json,
}

/// Where the access token goes on each request.
///
/// JSON: `{"type": "bearer"}`, `{"type": "header", "name": "X-Shopify-Access-Token"}` or
/// `{"type": "query", "name": "access_token"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenPlacement {
    /// `Authorization: Bearer <token>` (RFC 6750 §2.1), `Bearer` always capitalised.
    #[default]
    Bearer,
    /// The token alone in a vendor header.
    Header {
        /// The header name.
        name: String,
    },
    /// The token in a query parameter (RFC 6750 §2.3; avoid where a header works).
    Query {
        /// The parameter name.
        name: String,
    },
}

impl OAuth2Scheme {
    fn with_grant(token_url: String, grant: OAuth2Grant) -> Self {
        Self {
            id: String::new(),
            description: String::new(),
            authorize_url: None,
            token_url,
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            pkce: false,
            additional_authorize_params: String::new(),
            additional_token_params: ExtraParams::default(),
            mtls_enabled: None,
            grant,
            client_auth_method: ClientAuthMethod::default(),
            token_request_format: TokenRequestFormat::default(),
            scope_separator: ScopeSeparator::default(),
            refresh_url: None,
            token_placement: TokenPlacement::default(),
            expiry_buffer_seconds: None,
            grant_type: None,
            token_params_location: TokenParamsLocation::default(),
            refresh_params: ExtraParams::default(),
            access_token_path: None,
            expires_in_unit: ExpiresInUnit::default(),
            expires_in_field: None,
            token_response_values: Vec::new(),
            callback_code_param: None,
            authorize_param_names: BTreeMap::new(),
            response_type: None,
            base_url_from_response: None,
        }
    }

    /// A client credentials scheme (RFC 6749 §4.4) at `token_url`; the client id and secret
    /// come with the connection's [`Credential::oauth2_client`](crate::Credential::oauth2_client).
    /// The other settings take their RFC defaults; the `with_*` calls change them.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{AuthSchemeConfig, ClientAuthMethod, ConnectionTemplate, Credential, OAuth2Scheme};
    ///
    /// let scheme = OAuth2Scheme::client_credentials("https://auth.example.com/token")
    ///     .with_id("client")
    ///     .with_default_scopes(["read"])
    ///     .with_client_auth_method(ClientAuthMethod::Body);
    /// let template = ConnectionTemplate::new("api", "https://api.example.com",
    ///     vec![AuthSchemeConfig::OAuth2(scheme)]);
    /// let live = template.connect_live(vec![Credential::oauth2_client("id", "secret")])?;
    /// # let _ = live;
    /// # Ok::<(), credgate::BuildError>(())
    /// ```
    pub fn client_credentials(token_url: impl Into<String>) -> Self {
        Self::with_grant(
            token_url.into(),
            OAuth2Grant::ClientCredentials(ClientCredentialsGrant {}),
        )
    }

    /// An authorization code scheme (RFC 6749 §4.1) for the client `client_id`, with PKCE
    /// (RFC 7636) off until [`with_pkce`](Self::with_pkce).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::OAuth2Scheme;
    ///
    /// let scheme = OAuth2Scheme::authorization_code(
    ///     "https://auth.example.com/authorize", "https://auth.example.com/token",
    ///     "my-client", Some("s3cret".into()),
    /// ).with_pkce(true);
    /// assert!(scheme.pkce);
    /// ```
    pub fn authorization_code(
        authorize_url: impl Into<String>,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<Secret>,
    ) -> Self {
        let mut scheme = Self::with_grant(
            token_url.into(),
            OAuth2Grant::AuthorizationCode(AuthorizationCodeGrant {
                client_id: client_id.into(),
                client_secret,
                credential_id: None,
                organisation_id: None,
            }),
        );
        scheme.authorize_url = Some(authorize_url.into());
        scheme
    }

    /// A resource owner password scheme (RFC 6749 §4.3) at `token_url`, for the client
    /// `client_id` (empty for none).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::OAuth2Scheme;
    ///
    /// let scheme = OAuth2Scheme::password("https://auth.example.com/token", "my-client", None);
    /// assert_eq!(scheme.grant.type_name(), "password");
    /// ```
    pub fn password(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<Secret>,
    ) -> Self {
        Self::with_grant(
            token_url.into(),
            OAuth2Grant::Password(PasswordGrant {
                client_id: client_id.into(),
                client_secret,
            }),
        )
    }

    /// This scheme with the id `id`.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// This scheme requesting `scopes` when a credential names none.
    #[must_use]
    pub fn with_default_scopes<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        scopes: I,
    ) -> Self {
        self.default_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// This scheme with PKCE (RFC 7636) on or off.
    #[must_use]
    pub fn with_pkce(mut self, pkce: bool) -> Self {
        self.pkce = pkce;
        self
    }

    /// This scheme authenticating the client as `method` says (HTTP Basic by default).
    #[must_use]
    pub fn with_client_auth_method(mut self, method: ClientAuthMethod) -> Self {
        self.client_auth_method = method;
        self
    }

    /// This scheme encoding token requests as `format` says (a form by default).
    #[must_use]
    pub fn with_token_request_format(mut self, format: TokenRequestFormat) -> Self {
        self.token_request_format = format;
        self
    }

    /// This scheme joining scopes with `separator` (a space by default).
    #[must_use]
    pub fn with_scope_separator(mut self, separator: ScopeSeparator) -> Self {
        self.scope_separator = separator;
        self
    }

    /// This scheme placing the access token as `placement` says (`Authorization: Bearer` by
    /// default).
    #[must_use]
    pub fn with_token_placement(mut self, placement: TokenPlacement) -> Self {
        self.token_placement = placement;
        self
    }

    /// This scheme sending `grant_type` instead of the grant's own (not in refresh
    /// requests): `account_credentials` for Zoom's server-to-server apps.
    #[must_use]
    pub fn with_grant_type(mut self, grant_type: impl Into<String>) -> Self {
        self.grant_type = Some(grant_type.into());
        self
    }

    /// This scheme sending token request parameters where `location` says (the body by
    /// default).
    #[must_use]
    pub fn with_token_params_location(mut self, location: TokenParamsLocation) -> Self {
        self.token_params_location = location;
        self
    }

    /// This scheme sending `params` (form-encoded; values treated as secrets) with refresh
    /// requests only.
    #[must_use]
    pub fn with_refresh_params(mut self, params: impl Into<ExtraParams>) -> Self {
        self.refresh_params = params.into();
        self
    }

    /// This scheme reading the token at the dotted `path` of the token response.
    #[must_use]
    pub fn with_access_token_path(mut self, path: impl Into<String>) -> Self {
        self.access_token_path = Some(path.into());
        self
    }

    /// This scheme reading token lifetimes in `unit` (seconds by default).
    #[must_use]
    pub fn with_expires_in_unit(mut self, unit: ExpiresInUnit) -> Self {
        self.expires_in_unit = unit;
        self
    }

    /// This scheme reading the token lifetime from `field` (then `expires_in`).
    #[must_use]
    pub fn with_expires_in_field(mut self, field: impl Into<String>) -> Self {
        self.expires_in_field = Some(field.into());
        self
    }

    /// This scheme keeping the token response fields at `paths` with each new token.
    #[must_use]
    pub fn with_token_response_values<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        paths: I,
    ) -> Self {
        self.token_response_values = paths.into_iter().map(Into::into).collect();
        self
    }

    /// This scheme sending the standard authorize parameter `standard` (`client_id`) under
    /// the provider's `name` (`client_key`); an empty name leaves `response_type` or
    /// `scope` out.
    #[must_use]
    pub fn with_authorize_param_name(
        mut self,
        standard: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        self.authorize_param_names
            .insert(standard.into(), name.into());
        self
    }

    /// This scheme sending `response_type` in the authorize URL instead of `code`.
    #[must_use]
    pub fn with_response_type(mut self, response_type: impl Into<String>) -> Self {
        self.response_type = Some(response_type.into());
        self
    }

    /// This scheme taking the connection's base URL from the token response field at
    /// `path` (Salesforce `instance_url`), within the hosts the template allows.
    #[must_use]
    pub fn with_base_url_from_response(mut self, path: impl Into<String>) -> Self {
        self.base_url_from_response = Some(path.into());
        self
    }

    /// This scheme refreshing tokens at `refresh_url` instead of the token URL.
    #[must_use]
    pub fn with_refresh_url(mut self, refresh_url: impl Into<String>) -> Self {
        self.refresh_url = Some(refresh_url.into());
        self
    }

    /// This scheme sending `params` (form-encoded, `a=1&b=2`; values treated as secrets) with
    /// every token request.
    #[must_use]
    pub fn with_additional_token_params(mut self, params: impl Into<ExtraParams>) -> Self {
        self.additional_token_params = params.into();
        self
    }

    /// This scheme with per-connection `{placeholder}` values filled into its token, refresh
    /// and authorize URLs and its `additionalAuthorizeParams` and `additionalTokenParams`,
    /// with no placeholder declared: as [`Self::with_placeholder_values`] with no
    /// placeholders, so a placeholder may not set a host.
    ///
    /// # Errors
    ///
    /// See [`crate::url_template::expand_with`] and [`crate::url_template::expand_params`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use credgate::OAuth2Scheme;
    ///
    /// let scheme: OAuth2Scheme = serde_json::from_str(r#"{"tokenUrl": "https://auth.example.com/{tenant}/token",
    ///     "additionalTokenParams": "audience={audience|https://api.example.com}",
    ///     "grant": {"type": "clientCredentials", "clientCredentials": {}}}"#)?;
    /// let values = BTreeMap::from([("tenant".to_owned(), "acme".to_owned())]);
    /// let scheme = scheme.with_url_values(&values)?;
    /// assert_eq!(scheme.token_url, "https://auth.example.com/acme/token");
    /// assert_eq!(&*scheme.additional_token_params, "audience=https%3A%2F%2Fapi.example.com");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_url_values(
        &self,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, crate::BuildError> {
        self.with_placeholder_values(values, &std::collections::BTreeMap::new())
    }

    /// This scheme with per-connection `{placeholder}` values filled into its token, refresh
    /// and authorize URLs (`https://{subdomain}.zendesk.com/oauth/tokens`) and into its
    /// `additionalAuthorizeParams` and `additionalTokenParams` (`audience={audience}`),
    /// under the template's `placeholders`: a placeholder that sets a host must declare the
    /// `hostPatterns` the host may match, and a value producing another host is refused.
    /// A connection's credentials use this automatically; call it yourself before
    /// [`crate::auth::oauth2::AuthorizationRequest::new`].
    ///
    /// # Errors
    ///
    /// See [`crate::url_template::expand_with`] and [`crate::url_template::expand_params`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use credgate::{OAuth2Scheme, Placeholder};
    ///
    /// let scheme: OAuth2Scheme = serde_json::from_str(r#"{"tokenUrl": "https://{subdomain}.zendesk.com/oauth/tokens",
    ///     "grant": {"type": "clientCredentials", "clientCredentials": {}}}"#)?;
    /// let placeholders = BTreeMap::from([(
    ///     "subdomain".to_owned(),
    ///     Placeholder::new().with_host_patterns(["*.zendesk.com"]),
    /// )]);
    /// let values = BTreeMap::from([("subdomain".to_owned(), "acme".to_owned())]);
    /// let expanded = scheme.with_placeholder_values(&values, &placeholders)?;
    /// assert_eq!(expanded.token_url, "https://acme.zendesk.com/oauth/tokens");
    /// // Undeclared, the placeholder may not set the host.
    /// assert!(scheme.with_url_values(&values).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_placeholder_values(
        &self,
        values: &std::collections::BTreeMap<String, String>,
        placeholders: &std::collections::BTreeMap<String, crate::Placeholder>,
    ) -> Result<Self, crate::BuildError> {
        self.expanded(crate::url_template::Expansion::new(values, placeholders))
    }

    /// This scheme with its URLs and parameters expanded by `expansion`.
    pub(crate) fn expanded(
        &self,
        expansion: crate::url_template::Expansion<'_>,
    ) -> Result<Self, crate::BuildError> {
        let expand = |url: &str| expansion.url(url);
        let mut expanded = self.clone();
        expanded.token_url = expand(&self.token_url)?;
        expanded.refresh_url = self.refresh_url.as_deref().map(expand).transpose()?;
        expanded.authorize_url = self.authorize_url.as_deref().map(expand).transpose()?;
        expanded.additional_authorize_params = expansion.params(
            &self.additional_authorize_params,
            "additional authorize parameters",
        )?;
        expanded.additional_token_params = expansion
            .params(&self.additional_token_params, "additional token parameters")?
            .into();
        Ok(expanded)
    }
}

/// The grant an `oauth2` scheme uses, in the platform's tagged shape
/// `{"type": "authorizationCode", "authorizationCode": {...}}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OAuth2Grant {
    /// `authorizationCode`.
    AuthorizationCode(AuthorizationCodeGrant),
    /// `clientCredentials`: the client id and secret come with the connection's
    /// `oauth2-client` credential.
    ClientCredentials(ClientCredentialsGrant),
    /// `password`.
    Password(PasswordGrant),
}

impl OAuth2Grant {
    /// The platform's grant type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::AuthorizationCode(_) => "authorizationCode",
            Self::ClientCredentials(_) => "clientCredentials",
            Self::Password(_) => "password",
        }
    }
}

impl Serialize for OAuth2Grant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::AuthorizationCode(g) => tagged::serialize_tagged(serializer, self.type_name(), g),
            Self::ClientCredentials(g) => tagged::serialize_tagged(serializer, self.type_name(), g),
            Self::Password(g) => tagged::serialize_tagged(serializer, self.type_name(), g),
        }
    }
}

impl<'de> Deserialize<'de> for OAuth2Grant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const WHAT: &str = "oauth2 grant";
        let (type_name, mut object) =
            tagged::split_tagged::<D::Error>(WHAT, Value::deserialize(deserializer)?)?;
        let object = &mut object;
        match type_name.as_str() {
            "authorizationCode" => Ok(Self::AuthorizationCode(tagged::take_inner(
                WHAT, &type_name, object,
            )?)),
            "clientCredentials" => Ok(Self::ClientCredentials(tagged::take_inner(
                WHAT, &type_name, object,
            )?)),
            "password" => Ok(Self::Password(tagged::take_inner(
                WHAT, &type_name, object,
            )?)),
            // The type as read is not echoed: a misplaced secret may sit there.
            other => Err(serde::de::Error::custom(format_args!(
                "oauth2 grant type is not supported: use \"authorizationCode\", \"clientCredentials\" or \"password\"{}",
                crate::error::did_you_mean(
                    other,
                    &["authorizationCode", "clientCredentials", "password"]
                )
            ))),
        }
    }
}

/// The client of an authorization code grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthorizationCodeGrant {
    /// The client identifier.
    #[serde(default)]
    pub client_id: String,
    /// The client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// The platform's id of the stored client credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    /// The platform's organisation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
}

/// The client credentials grant: the client comes with the connection's credential.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct ClientCredentialsGrant {}

/// The client of a resource owner password grant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PasswordGrant {
    /// The client identifier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_id: String,
    /// The client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
}

/// `oauth2-client`: a client id and secret (client credentials grant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth2ClientCredential {
    /// The client identifier.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// Overrides the scheme's token URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// The scopes to request (the scheme's default scopes when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Extra token request parameters, form-encoded; their values are redacted as
    /// secrets are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_params: Option<ExtraParams>,
}

/// `oauth2-code`: an authorization code, exchanged once for a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth2CodeCredential {
    /// The authorization code.
    pub code: Secret,
    /// The `state` sent with the authorize request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The redirect URL sent with the authorize request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// Extra token request parameters, form-encoded; their values are redacted as
    /// secrets are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_params: Option<ExtraParams>,
    /// credgate: the PKCE code verifier of the authorize request (RFC 7636).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<Secret>,
}

/// `oauth2-password`: a resource owner's username and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth2PasswordCredential {
    /// The resource owner's username.
    pub username: String,
    /// The resource owner's password.
    pub password: Secret,
}

/// `oauth2-token`: an access token, and perhaps a refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OAuth2TokenCredential {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// When the access token expires (RFC 3339). Without it the token is used until a 401
    /// says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The granted scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The token type (`Bearer` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// credgate: the token response fields the scheme's `tokenResponseValues` names, as
    /// received with this token (Slack's `team.id`, an `id_token`). Treated as secrets:
    /// redacted in `Debug` and in plain serialization, as the tokens are.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_values: BTreeMap<String, Secret>,
}

crate::model::safe::safe_document!(
    ScopeDefinition,
    OAuth2Scheme,
    ClientAuthMethod,
    ScopeSeparator,
    TokenRequestFormat,
    TokenPlacement,
    TokenParamsLocation,
    ExpiresInUnit,
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    PasswordGrant,
    OAuth2ClientCredential,
    OAuth2CodeCredential,
    OAuth2PasswordCredential,
    OAuth2TokenCredential
);
