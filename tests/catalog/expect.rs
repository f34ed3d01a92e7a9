//! What each provider expects, from its catalog entry alone (the oracle: it never looks at
//! the translated template).

use std::collections::BTreeMap;

use base64::Engine as _;

use super::nango::{
    ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, CODE, PASSWORD, Provider, REDIRECT, REFRESH_TOKEN,
    USERNAME, VERIFIER, fill,
};

/// A token endpoint request, reduced to what the provider looks at.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TokenRequest {
    pub(crate) method: String,
    /// Scheme, host and path.
    pub(crate) url: String,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) body: BTreeMap<String, String>,
    pub(crate) json: bool,
    /// The `Authorization` header, if any.
    pub(crate) authorization: Option<String>,
}

/// An authorize URL: its endpoint and its parameters (`state` and `code_challenge` as `*`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AuthorizeUrl {
    pub(crate) url: String,
    pub(crate) params: BTreeMap<String, String>,
}

pub(crate) fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// `(location, name, value)` of each credential placement the provider expects.
pub(crate) fn placements(p: &Provider<'_>) -> Result<Vec<(String, String, String)>, String> {
    let values = p.sample_values();
    let mut out = Vec::new();
    let mut token_placed = false;
    for placement in p.placements().into_iter().filter(|pl| pl.is_credential()) {
        token_placed |= placement.template.contains("${accessToken}");
        let value = fill(&placement.template, &values)?;
        out.push((placement.location, placement.name, value));
    }
    match p.mode() {
        "BASIC" if !out.iter().any(|(_, n, _)| n == "authorization") => {
            out.push((
                "header".into(),
                "authorization".into(),
                basic(USERNAME, PASSWORD),
            ));
        }
        "OAUTH2" | "OAUTH2_CC" if !token_placed => out.push((
            "header".into(),
            "authorization".into(),
            format!("Bearer {ACCESS_TOKEN}"),
        )),
        _ => {}
    }
    Ok(out)
}

/// The base URL with the connection's values filled in, without a trailing `/`.
pub(crate) fn base_url(p: &Provider<'_>) -> Result<String, String> {
    let url = p.str("base_url").ok_or("no base URL")?;
    Ok(fill(url, &p.sample_values())?
        .trim_end_matches('/')
        .to_owned())
}

fn endpoint(p: &Provider<'_>, key: &str) -> Result<String, String> {
    let url = p.str(key).ok_or_else(|| format!("no {key}"))?;
    fill(url, &p.sample_values())
}

pub(crate) fn authorize_url(p: &Provider<'_>) -> Result<AuthorizeUrl, String> {
    let values = p.sample_values();
    let mut params = BTreeMap::from([
        ("response_type".to_owned(), "code".to_owned()),
        ("client_id".to_owned(), CLIENT_ID.to_owned()),
        ("redirect_uri".to_owned(), REDIRECT.to_owned()),
        ("state".to_owned(), "*".to_owned()),
    ]);
    let scopes = p.default_scopes();
    if !scopes.is_empty() {
        params.insert("scope".into(), p.scopes_as_decoded());
    }
    if p.pkce() {
        params.insert("code_challenge".into(), "*".into());
        params.insert("code_challenge_method".into(), "S256".into());
    }
    for (name, value) in p.params("authorization_params") {
        params.insert(name, fill(&value, &values)?);
    }
    // Nango's `authorization_url_replacements` rename parameters in the finished URL
    // (`client_id=` → `client_key=`); a parameter renamed to nothing has no name, which
    // no server reads as a parameter.
    if let Some(serde_json::Value::Object(replacements)) = p.0.get("authorization_url_replacements")
    {
        for (from, to) in replacements {
            let from = from.trim_end_matches('=');
            let to = to.as_str().unwrap_or("").trim_end_matches('=');
            if let Some(value) = params.remove(from)
                && !to.is_empty()
            {
                params.insert(to.to_owned(), value);
            }
        }
    }
    Ok(AuthorizeUrl {
        url: endpoint(p, "authorization_url")?,
        params,
    })
}

fn token_request(
    p: &Provider<'_>,
    url: String,
    mut params: BTreeMap<String, String>,
) -> TokenRequest {
    let authorization = if p.client_basic() {
        Some(basic(CLIENT_ID, CLIENT_SECRET))
    } else {
        params.insert("client_id".into(), CLIENT_ID.into());
        params.insert("client_secret".into(), CLIENT_SECRET.into());
        None
    };
    let format = p.str("body_format").unwrap_or("form");
    let (query, body) = if format == "query" {
        (params, BTreeMap::new())
    } else {
        (BTreeMap::new(), params)
    };
    TokenRequest {
        method: "POST".into(),
        url,
        query,
        body,
        json: format == "json",
        authorization,
    }
}

/// The code exchange (OAuth 2.0) or client credentials request (OAuth 2.0 CC).
pub(crate) fn token(p: &Provider<'_>) -> Result<TokenRequest, String> {
    let values = p.sample_values();
    let mut params = BTreeMap::new();
    if p.mode() == "OAUTH2" {
        params.insert("grant_type".into(), "authorization_code".into());
        params.insert("code".into(), CODE.into());
        params.insert("redirect_uri".into(), REDIRECT.into());
        if p.pkce() {
            params.insert("code_verifier".into(), VERIFIER.into());
        }
    } else {
        params.insert("grant_type".into(), "client_credentials".into());
        let scopes = p.default_scopes();
        if !scopes.is_empty() {
            params.insert("scope".into(), p.scopes_as_decoded());
        }
    }
    for (name, value) in p.params("token_params") {
        params.insert(name, fill(&value, &values)?);
    }
    Ok(token_request(p, endpoint(p, "token_url")?, params))
}

/// The refresh request (OAuth 2.0 with a refresh token).
pub(crate) fn refresh(p: &Provider<'_>) -> Result<TokenRequest, String> {
    let values = p.sample_values();
    let mut params = BTreeMap::from([
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), REFRESH_TOKEN.to_owned()),
    ]);
    // As Nango refreshes: its `refresh_params` when the entry has them, else its
    // `token_params` (their `grant_type` aside).
    let extra = if p
        .0
        .get("refresh_params")
        .is_some_and(serde_json::Value::is_object)
    {
        p.params("refresh_params")
    } else {
        let mut token = p.params("token_params");
        token.retain(|(name, _)| name != "grant_type");
        token
    };
    for (name, value) in extra {
        params.insert(name, fill(&value, &values)?);
    }
    let url = match p.str("refresh_url") {
        Some(_) => endpoint(p, "refresh_url")?,
        None => endpoint(p, "token_url")?,
    };
    Ok(token_request(p, url, params))
}
