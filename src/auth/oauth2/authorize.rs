//! The authorization code grant's front channel: the authorize URL (RFC 6749 §4.1.1, PKCE
//! per RFC 7636) and the redirect back (§4.1.2).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use super::error::{OAuth2Error, sanitise};
use super::request::{form_pairs, join_scopes, parse_endpoint};
use crate::clock::RandomSource;
use crate::error::BuildError;
use crate::model::{OAuth2CodeCredential, OAuth2Grant, OAuth2Scheme, ScopeSeparator};
use crate::secret::Secret;

/// One authorize request: the URL to send the user to, and what checking the redirect
/// back needs. Keep it (in the user's session, say) until the redirect arrives; it is
/// serde, with the PKCE verifier a [`Secret`] (use [`crate::to_json_with_secrets`] to store
/// it).
///
/// # Example
///
/// ```
/// use credgate::auth::oauth2::AuthorizationRequest;
/// use credgate::{AuthSchemeConfig, Credential, OsRandom};
///
/// let scheme: AuthSchemeConfig = serde_json::from_str(r#"{"type": "oauth2", "oauth2": {
///     "id": "google", "authorizeUrl": "https://accounts.example.com/o/oauth2/auth",
///     "tokenUrl": "https://oauth2.example.com/token", "pkce": true,
///     "defaultScopes": ["email", "profile"], "additionalAuthorizeParams": "access_type=offline",
///     "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "app-1"}}}}"#)?;
/// let AuthSchemeConfig::OAuth2(scheme) = &scheme else { unreachable!() };
///
/// let request = AuthorizationRequest::new(scheme, "https://app.example.com/callback", &[], &OsRandom)?;
/// assert!(request.url.starts_with("https://accounts.example.com/o/oauth2/auth?response_type=code&client_id=app-1"));
/// assert!(request.url.contains("&scope=email%20profile&") && request.url.contains("code_challenge_method=S256"));
///
/// // The user comes back with the code and our state.
/// let redirect = format!("https://app.example.com/callback?code=c-1&state={}", request.state);
/// let code = request.callback(&redirect)?;
/// let credential = Credential::OAuth2Code(code); // exchanged once, on the first authorize
/// assert_eq!(credential.type_name(), "oauth2-code");
///
/// assert!(request.callback("?code=c-1&state=forged").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The authorize URL to send the user to.
    pub url: String,
    /// The `state` sent: 32 random bytes, base64url.
    pub state: String,
    /// The redirect URL sent.
    pub redirect_url: String,
    /// The PKCE code verifier (when the scheme has `pkce` on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<Secret>,
    /// The scheme's `callbackCodeParam`: the redirect parameter the code arrives in
    /// (`code` when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_param: Option<String>,
    /// The name `state` was sent under, from the scheme's `authorizeParamNames`; the
    /// redirect back carries it under that name too (`state` when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_param: Option<String>,
}

impl AuthorizationRequest {
    /// The authorize request of an `authorizationCode` scheme: `response_type=code` (or
    /// the scheme's `responseType`), `client_id`, `redirect_uri`, `scope` (`scopes`, or
    /// the scheme's default scopes, joined with its separator), `state` and, with `pkce`
    /// on, an S256 `code_challenge`, each under the name the scheme's
    /// `authorizeParamNames` gives it; then the scheme's `additionalAuthorizeParams` (any
    /// that repeat one of these are left out). `state` and the verifier come from
    /// `random`.
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the scheme's grant is not `authorizationCode`, it has no
    /// client id or authorize URL, the authorize URL is not `https` (or `http` to a
    /// loopback host), `redirect_url` is not an absolute URL, or its
    /// `authorizeParamNames` or `responseType` is invalid (naming the field).
    /// [`BuildError::MissingUrlValue`], naming the placeholder, when the authorize URL
    /// still has a `{placeholder}`: fill in the connection's values first with
    /// [`OAuth2Scheme::with_url_values`].
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::auth::oauth2::AuthorizationRequest;
    /// use credgate::{OAuth2Scheme, OsRandom};
    ///
    /// let scheme: OAuth2Scheme = serde_json::from_str(r#"{"id": "code",
    ///     "authorizeUrl": "https://auth.example.com/authorize", "tokenUrl": "https://auth.example.com/token",
    ///     "pkce": true, "defaultScopes": ["read"],
    ///     "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "app-1"}}}"#)?;
    /// let request = AuthorizationRequest::new(&scheme, "https://app.example/callback", &[], &OsRandom)?;
    /// assert!(request.url.starts_with("https://auth.example.com/authorize?response_type=code"));
    ///
    /// // The user comes back to the redirect URL with the code and our `state`.
    /// let redirect = format!("https://app.example/callback?code=c-1&state={}", request.state);
    /// let code = request.callback(&redirect)?;
    /// assert_eq!(code.code.expose_secret(), "c-1");
    /// assert!(request.callback("?code=c-1&state=forged").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        scheme: &OAuth2Scheme,
        redirect_url: &str,
        scopes: &[String],
        random: &dyn RandomSource,
    ) -> Result<Self, BuildError> {
        let OAuth2Grant::AuthorizationCode(grant) = &scheme.grant else {
            return Err(BuildError::InvalidValue {
                field: "grant",
                reason: "must be authorizationCode for an authorize request",
            });
        };
        if grant.client_id.is_empty() {
            return Err(BuildError::ClientIdAndSecretRequired);
        }
        let authorize_url = scheme
            .authorize_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or(BuildError::Empty {
                field: "authorize URL",
            })?;
        // The scheme comes without the connection's values, so a `{placeholder}` left in is
        // refused here rather than sending the user to a host with braces in its name.
        if let Some(name) = crate::url_template::unfilled(authorize_url) {
            return Err(BuildError::MissingUrlValue {
                name: name.to_owned(),
            });
        }
        // Defaults (`{host|login.example.com}`) are filled in the same way.
        let (no_values, no_placeholders) = Default::default();
        let expansion = crate::url_template::Expansion::new(&no_values, &no_placeholders);
        let authorize_url = expansion.url(authorize_url)?;
        let extra_params = expansion.params(
            &scheme.additional_authorize_params,
            "additional authorize parameters",
        )?;
        let mut url = parse_endpoint(&authorize_url, "authorize URL")?;
        url::Url::parse(redirect_url).map_err(|_| BuildError::InvalidValue {
            field: "redirect URL",
            reason: "is not an absolute URL",
        })?;
        let state = random_base64url(random);
        let code_verifier = scheme.pkce.then(|| random_base64url(random));
        let names = AuthorizeNames::of(scheme)?;
        let response_type = scheme.response_type.as_deref().unwrap_or("code");
        let mut standard: Vec<(&str, String)> = vec![
            ("response_type", response_type.to_owned()),
            ("client_id", grant.client_id.clone()),
            ("redirect_uri", redirect_url.to_owned()),
        ];
        standard.extend(join_scopes(scheme, scopes).map(|s| ("scope", s)));
        standard.push(("state", state.clone()));
        if let Some(verifier) = &code_verifier {
            standard.push(("code_challenge", pkce_challenge(verifier)));
            standard.push(("code_challenge_method", "S256".into()));
        }
        let mut params: Vec<(String, String)> = standard
            .into_iter()
            .filter_map(|(name, value)| {
                let name = names.name(name);
                (!name.is_empty()).then(|| (name.to_owned(), value))
            })
            .collect();
        for (name, value) in form_pairs(Some(&extra_params)) {
            if !params.iter().any(|(n, _)| *n == name) {
                params.push((name, value));
            }
        }
        let plus_scopes = scheme.scope_separator == ScopeSeparator::Plus;
        let query = authorize_query(url.query(), &params, names.name("scope"), plus_scopes);
        url.set_query(Some(&query));
        Ok(Self {
            url: url.into(),
            state,
            redirect_url: redirect_url.to_owned(),
            code_verifier: code_verifier.map(Secret::new),
            code_param: scheme.callback_code_param.clone(),
            state_param: Some(names.name("state"))
                .filter(|name| *name != "state")
                .map(str::to_owned),
        })
    }

    /// Checks the redirect back (a full URL or its query, `?` optional): its `state` must
    /// be this request's, then an `error` is reported, else the `code` becomes an
    /// `oauth2-code` credential (with the redirect URL and PKCE verifier the exchange
    /// needs).
    ///
    /// # Errors
    ///
    /// [`OAuth2Error::StateMismatch`] for a missing or foreign `state` (checked first, in
    /// constant time), [`OAuth2Error::AuthorizationDenied`] for an `error`,
    /// [`OAuth2Error::MissingCode`] when there is no code.
    ///
    /// # Example
    ///
    /// See [`AuthorizationRequest::new`].
    pub fn callback(&self, redirect: &str) -> Result<OAuth2CodeCredential, OAuth2Error> {
        let query = redirect.split_once('?').map_or(redirect, |(_, q)| q);
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let pairs = form_pairs(Some(query));
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let state_ok = get(self.state_param.as_deref().unwrap_or("state"))
            .is_some_and(|state| bool::from(state.as_bytes().ct_eq(self.state.as_bytes())));
        if !state_ok {
            return Err(OAuth2Error::StateMismatch);
        }
        let code_param = self.code_param.as_deref().unwrap_or("code");
        let secrets: Vec<&str> = get(code_param).into_iter().collect();
        if let Some(code) = get("error") {
            return Err(OAuth2Error::AuthorizationDenied {
                code: sanitise(code, &secrets, 64).unwrap_or_else(|| "an unreadable error".into()),
                description: get("error_description").and_then(|d| sanitise(d, &secrets, 200)),
            });
        }
        let code = get(code_param).ok_or(OAuth2Error::MissingCode)?;
        Ok(OAuth2CodeCredential {
            code: Secret::new(code),
            state: Some(self.state.clone()),
            redirect_url: Some(self.redirect_url.clone()),
            additional_params: None,
            code_verifier: self.code_verifier.clone(),
        })
    }
}

/// The standard authorize parameters a scheme's `authorizeParamNames` may rename.
const STANDARD_NAMES: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// The standard authorize parameters that an empty name may leave out.
const MAY_LEAVE_OUT: [&str; 2] = ["response_type", "scope"];

/// A scheme's `authorizeParamNames` and `responseType`, validated.
pub(crate) struct AuthorizeNames<'a> {
    names: &'a std::collections::BTreeMap<String, String>,
}

impl<'a> AuthorizeNames<'a> {
    /// Checks `scheme`'s `authorizeParamNames` (known keys, names without whitespace or
    /// control characters, no two parameters under one name, only `response_type` and
    /// `scope` left out) and `responseType` (not blank, no control characters).
    pub(crate) fn of(scheme: &'a OAuth2Scheme) -> Result<Self, BuildError> {
        let invalid = |reason| BuildError::InvalidValue {
            field: "authorizeParamNames",
            reason,
        };
        let names = &scheme.authorize_param_names;
        for (standard, name) in names {
            if !STANDARD_NAMES.contains(&standard.as_str()) {
                return Err(invalid(
                    "has a key that is no standard authorize parameter; use response_type, client_id, redirect_uri, scope, state, code_challenge or code_challenge_method",
                ));
            }
            if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(
                    "has a parameter name with whitespace or control characters; write the name the provider expects (client_key)",
                ));
            }
            if name.is_empty() && !MAY_LEAVE_OUT.contains(&standard.as_str()) {
                return Err(invalid(
                    "leaves out a parameter the flow needs; only response_type and scope may have an empty name",
                ));
            }
        }
        let this = Self { names };
        let sent: Vec<&str> = STANDARD_NAMES
            .iter()
            .map(|standard| this.name(standard))
            .filter(|name| !name.is_empty())
            .collect();
        if sent
            .iter()
            .enumerate()
            .any(|(i, name)| sent[..i].contains(name))
        {
            return Err(invalid(
                "sends two standard parameters under one name; give each its own name",
            ));
        }
        if let Some(response_type) = &scheme.response_type
            && (response_type.trim().is_empty() || response_type.chars().any(char::is_control))
        {
            return Err(BuildError::InvalidValue {
                field: "responseType",
                reason: "must be a response type without control characters (code id_token); remove it for code",
            });
        }
        Ok(this)
    }

    /// The name `standard` is sent under (empty: left out).
    fn name<'s>(&'s self, standard: &'s str) -> &'s str {
        self.names.get(standard).map_or(standard, String::as_str)
    }
}

/// 32 random bytes, base64url without padding: 43 characters, a valid PKCE verifier.
/// The authorize URL's query: the template's own (`existing`), then `params`, form-encoded
/// (RFC 6749 Appendix B) except that a space is written `%20`, which a server reads as a
/// space whether it decodes the query as a form or as plain percent-encoding. With the `+`
/// scope separator the scopes (under `scope_name`) are joined by a raw `+`: Pennylane,
/// Attio and Workable refuse `%2B` (Nango sends their scopes unencoded for that reason),
/// and a space separator now reads differently on the wire.
fn authorize_query(
    existing: Option<&str>,
    params: &[(String, String)],
    scope_name: &str,
    plus_scopes: bool,
) -> String {
    fn encode(text: &str, out: &mut String) {
        for piece in url::form_urlencoded::byte_serialize(text.as_bytes()) {
            // Form encoding writes a space, and only a space, as a lone `+`.
            out.push_str(if piece == "+" { "%20" } else { piece });
        }
    }
    let mut query = existing.unwrap_or_default().to_owned();
    for (name, value) in params {
        if !query.is_empty() {
            query.push('&');
        }
        encode(name, &mut query);
        query.push('=');
        if plus_scopes && name == scope_name {
            for (i, scope) in value.split(' ').enumerate() {
                if i > 0 {
                    query.push('+');
                }
                encode(scope, &mut query);
            }
        } else {
            encode(value, &mut query);
        }
    }
    query
}

fn random_base64url(random: &dyn RandomSource) -> String {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    random.fill_bytes(bytes.as_mut());
    URL_SAFE_NO_PAD.encode(bytes.as_ref())
}

/// The S256 challenge of a 43-character verifier (RFC 7636 §4.2), by the `oauth2` crate.
fn pkce_challenge(verifier: &str) -> String {
    let verifier = oauth2::PkceCodeVerifier::new(verifier.to_owned());
    oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier)
        .as_str()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        assert_eq!(
            super::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}

// Errors never print a value (see `model::safe`).
crate::model::safe::safe_document!(AuthorizationRequest);
