//! Endpoints and token requests (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6), built by hand.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Uri};
use url::form_urlencoded;

use crate::error::BuildError;
use crate::model::{
    ClientAuthMethod, ExpiresInUnit, OAuth2Scheme, ScopeSeparator, TokenParamsLocation,
    TokenRequestFormat,
};
use crate::secret::{ExtraParams, Secret};

/// Parses an OAuth 2.0 endpoint: an absolute `https` URL, or `http` to a loopback host
/// (`localhost`, `127.0.0.0/8`, `[::1]`) for local development and tests. No userinfo, no
/// fragment; a query is kept.
///
/// Every endpoint (token, refresh, authorize) goes through here, so per-connection
/// placeholders can later be substituted in one place.
pub(crate) fn parse_endpoint(input: &str, field: &'static str) -> Result<url::Url, BuildError> {
    let invalid = |reason| BuildError::InvalidValue { field, reason };
    if input.trim().is_empty() {
        return Err(invalid("is empty; set an absolute https URL"));
    }
    let url = url::Url::parse(input.trim()).map_err(|_| invalid("is not an absolute URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(invalid("has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(invalid("must use https (http only to a loopback host)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain a username or password"));
    }
    if url.fragment().is_some() {
        return Err(invalid("must not have a fragment"));
    }
    Ok(url)
}

/// Form-decodes `a=1&b=2` into pairs; empty input gives none.
pub(crate) fn form_pairs(input: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(input.unwrap_or_default().trim().as_bytes())
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// `scopes` (the scheme's default scopes when empty) joined with the scheme's separator, as
/// a token request's form body carries them: a comma, or a space (also for the `+`
/// separator, which form encoding then writes as the raw `+` those servers expect).
pub(crate) fn join_scopes(scheme: &OAuth2Scheme, scopes: &[String]) -> Option<String> {
    let scopes = if scopes.is_empty() {
        &scheme.default_scopes
    } else {
        scopes
    };
    let separator = match scheme.scope_separator {
        ScopeSeparator::Comma => ",",
        _ => " ",
    };
    (!scopes.is_empty()).then(|| scopes.join(separator))
}

/// The shortest additional token parameter value kept out of errors.
const MIN_EXTRA_SECRET_CHARS: usize = 8;

/// The client as the token endpoint sees it, encoded once.
pub(crate) struct Client {
    token_url: Uri,
    refresh_url: Uri,
    client_id: String,
    /// `Some` for a confidential client; `None` for a public one (PKCE).
    client_secret: Option<Secret>,
    /// The pre-encoded `Authorization: Basic` of the Basic client auth methods.
    basic: Option<HeaderValue>,
    /// Whether `client_id` (and `client_secret`, if any) go in the request parameters.
    in_body: bool,
    format: TokenRequestFormat,
    /// What joins scopes in the scheme's `scope` parameters, and so in its answers.
    pub(crate) scope_separator: ScopeSeparator,
    /// The scheme's `additionalTokenParams` then the credential's `additionalParams`.
    extra: Vec<(String, String)>,
    /// The scheme's `refreshParams`, sent with refresh requests only.
    refresh_extra: Vec<(String, String)>,
    /// The scheme's `grantType`, replacing the grant's own outside refresh requests.
    grant_type: Option<String>,
    /// The scheme's `tokenParamsLocation` is `query`.
    params_in_query: bool,
    /// How token responses are read.
    pub(crate) response: ResponseOptions,
}

/// How token responses are read: the scheme's `accessTokenPath`, `expiresInUnit`,
/// `expiresInField` and `tokenResponseValues`, validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseOptions {
    /// The dotted path of the access token, split.
    pub(crate) access_token_path: Option<Vec<String>>,
    pub(crate) expires_in_unit: ExpiresInUnit,
    pub(crate) expires_in_field: Option<String>,
    /// The fields kept with the token: the path as written, and split.
    pub(crate) values: Vec<(String, Vec<String>)>,
}

impl ResponseOptions {
    fn new(scheme: &OAuth2Scheme) -> Result<Self, BuildError> {
        let access_token_path = scheme
            .access_token_path
            .as_deref()
            .map(|path| split_path(path, "accessTokenPath"))
            .transpose()?;
        let expires_in_field = match scheme.expires_in_field.as_deref() {
            Some(field) => {
                split_path(field, "expiresInField")?;
                Some(field.to_owned())
            }
            None => None,
        };
        let values = scheme
            .token_response_values
            .iter()
            .map(|path| Ok((path.clone(), split_path(path, "tokenResponseValues")?)))
            .collect::<Result<Vec<_>, BuildError>>()?;
        let mut values = values;
        if let Some(path) = scheme.base_url_from_response.as_deref() {
            let split = split_path(path, "baseUrlFromResponse")?;
            if !values.iter().any(|(kept, _)| kept == path) {
                values.push((path.to_owned(), split));
            }
        }
        Ok(Self {
            access_token_path,
            expires_in_unit: scheme.expires_in_unit,
            expires_in_field,
            values,
        })
    }
}

/// Splits a dotted response path (`authed_user.access_token`), each name non-empty and
/// free of whitespace and control characters.
fn split_path(path: &str, field: &'static str) -> Result<Vec<String>, BuildError> {
    let names: Vec<String> = path.split('.').map(str::to_owned).collect();
    if names
        .iter()
        .any(|n| n.is_empty() || n.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(BuildError::InvalidValue {
            field,
            reason: "must be response field names joined by dots, none empty and without spaces (authed_user.access_token)",
        });
    }
    Ok(names)
}

impl Client {
    /// Validates and pre-encodes the client of `scheme`.
    pub(crate) fn new(
        scheme: &OAuth2Scheme,
        token_url: Option<&str>,
        client_id: &str,
        client_secret: Option<&Secret>,
        credential_params: Option<&ExtraParams>,
    ) -> Result<Self, BuildError> {
        if client_id.is_empty() {
            return Err(BuildError::ClientIdAndSecretRequired);
        }
        // Checked here too, so a template's mistake shows when the connection is built.
        super::authorize::AuthorizeNames::of(scheme)?;
        if client_secret.is_some_and(Secret::is_redacted) {
            return Err(BuildError::Redacted {
                field: "client secret",
            });
        }
        let client_secret = client_secret.filter(|s| !s.is_empty()).cloned();
        let token_url = parse_endpoint(
            token_url
                .filter(|u| !u.trim().is_empty())
                .unwrap_or(&scheme.token_url),
            "token URL",
        )?;
        let refresh_url = match &scheme.refresh_url {
            Some(url) => parse_endpoint(url, "refresh URL")?,
            None => token_url.clone(),
        };
        let to_uri = |url: url::Url, field| {
            Uri::try_from(url.as_str()).map_err(|_| BuildError::InvalidValue {
                field,
                reason: "is not a valid request URI",
            })
        };
        let basic = match (&client_secret, scheme.client_auth_method) {
            (Some(secret), ClientAuthMethod::Basic | ClientAuthMethod::BasicAndBody) => {
                Some(basic_header(client_id, secret, true)?)
            }
            (Some(secret), ClientAuthMethod::BasicRaw) => {
                Some(basic_header(client_id, secret, false)?)
            }
            _ => None,
        };
        let in_body = client_secret.is_none()
            || matches!(
                scheme.client_auth_method,
                ClientAuthMethod::Body | ClientAuthMethod::BasicAndBody
            );
        if scheme.additional_token_params.has_redacted_value()
            || credential_params.is_some_and(ExtraParams::has_redacted_value)
        {
            return Err(BuildError::Redacted {
                field: "additional token parameters",
            });
        }
        if scheme.refresh_params.has_redacted_value() {
            return Err(BuildError::Redacted {
                field: "refreshParams",
            });
        }
        if let Some(grant_type) = &scheme.grant_type
            && (grant_type.trim().is_empty()
                || grant_type
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(BuildError::InvalidValue {
                field: "grantType",
                reason: "must be a grant type name without spaces (account_credentials); remove it for the grant's own",
            });
        }
        if scheme.client_auth_method == ClientAuthMethod::BasicRaw && client_id.contains(':') {
            return Err(BuildError::InvalidValue {
                field: "client id",
                reason: "contains ':', which clientAuthMethod basicRaw cannot send (RFC 7617); use basic, which encodes it",
            });
        }
        let mut extra = form_pairs(Some(&scheme.additional_token_params));
        extra.extend(form_pairs(credential_params.map(|params| &**params)));
        let refresh_extra = form_pairs(Some(&scheme.refresh_params));
        Ok(Self {
            token_url: to_uri(token_url, "token URL")?,
            refresh_url: to_uri(refresh_url, "refresh URL")?,
            client_id: client_id.to_owned(),
            client_secret,
            basic,
            in_body,
            refresh_extra,
            grant_type: scheme.grant_type.clone(),
            params_in_query: scheme.token_params_location == TokenParamsLocation::Query,
            response: ResponseOptions::new(scheme)?,
            format: scheme.token_request_format,
            scope_separator: scheme.scope_separator,
            extra,
        })
    }

    /// The client secret, which token requests may carry.
    pub(crate) fn secret(&self) -> Option<&str> {
        self.client_secret.as_ref().map(Secret::expose_secret)
    }

    /// The values of the additional token parameters that may be secrets. Any one can be
    /// (`client_assertion`, a vendor's API key), and no list of names can know them all;
    /// values under [`MIN_EXTRA_SECRET_CHARS`] characters are taken for plain settings
    /// (`audience=api`, `offline=1`), as scrubbing them would garble every message.
    pub(crate) fn extra_secrets(&self) -> impl Iterator<Item = &str> {
        self.extra
            .iter()
            .chain(&self.refresh_extra)
            .map(|(_, value)| value.as_str())
            .filter(|value| value.chars().count() >= MIN_EXTRA_SECRET_CHARS)
    }

    /// The token request with the grant's `params` (`grant_type` first): `POST` to the
    /// token URL (the refresh URL for a `refresh` grant), `Accept: application/json`, the
    /// client authenticated as configured, the body form-encoded or JSON.
    pub(crate) fn token_request(&self, params: &[(&str, &str)], refresh: bool) -> Request<Vec<u8>> {
        let mut params = params.to_vec();
        if let Some(grant_type) = self.grant_type.as_deref().filter(|_| !refresh) {
            for param in params.iter_mut().filter(|(n, _)| *n == "grant_type") {
                param.1 = grant_type;
            }
        }
        if refresh {
            for (name, value) in &self.refresh_extra {
                if !params.iter().any(|(n, _)| n == name) {
                    params.push((name, value));
                }
            }
        }
        if self.in_body {
            params.push(("client_id", &self.client_id));
            if let Some(secret) = &self.client_secret {
                params.push(("client_secret", secret.expose_secret()));
            }
        }
        for (name, value) in &self.extra {
            if !params.iter().any(|(n, _)| n == name) {
                params.push((name, value));
            }
        }
        let mut uri = if refresh {
            self.refresh_url.clone()
        } else {
            self.token_url.clone()
        };
        let (content_type, body) = match self.format {
            _ if self.params_in_query => {
                uri = with_query(&uri, &params);
                ("", Vec::new())
            }
            TokenRequestFormat::Form => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.extend_pairs(&params);
                (
                    "application/x-www-form-urlencoded",
                    form.finish().into_bytes(),
                )
            }
            TokenRequestFormat::Json => {
                let object: serde_json::Map<String, serde_json::Value> = params
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
                    .collect();
                (
                    "application/json",
                    serde_json::Value::Object(object).to_string().into_bytes(),
                )
            }
        };
        let mut request = Request::new(body);
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if !content_type.is_empty() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if let Some(basic) = &self.basic {
            headers.insert(AUTHORIZATION, basic.clone());
        }
        request
    }
}

/// `uri` with `params` form-encoded after its own query. Form encoding writes only
/// characters a URI query allows, so the result parses; should it not, `uri` is kept (and
/// the server refuses the request) rather than panicking.
fn with_query(uri: &Uri, params: &[(&str, &str)]) -> Uri {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(params);
    let query = form.finish();
    let text = uri.to_string();
    let joined = match (uri.query(), query.is_empty()) {
        (_, true) => return uri.clone(),
        (Some(q), false) if !q.is_empty() => format!("{text}&{query}"),
        (Some(_), false) => format!("{text}{query}"),
        (None, false) => format!("{text}?{query}"),
    };
    Uri::try_from(joined).unwrap_or_else(|_| uri.clone())
}

/// `Basic base64(form(id) ":" form(secret))`, RFC 6749 §2.3.1, or with `form_encode` off
/// `Basic base64(id ":" secret)` (the id and secret as they are).
fn basic_header(
    client_id: &str,
    secret: &Secret,
    form_encode: bool,
) -> Result<HeaderValue, BuildError> {
    let encode = |s: &str| {
        if form_encode {
            form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
        } else {
            s.to_owned()
        }
    };
    let plain = zeroize::Zeroizing::new(format!(
        "{}:{}",
        encode(client_id),
        *zeroize::Zeroizing::new(encode(secret.expose_secret()))
    ));
    let mut header = zeroize::Zeroizing::new(String::from("Basic "));
    STANDARD.encode_string(plain.as_bytes(), &mut header);
    crate::auth::api_key::sensitive_header(header.as_bytes())
}
