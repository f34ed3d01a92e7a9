//! A catalog entry → a credgate template, without approximating: whatever credgate's
//! template cannot say is a reason, never a near miss.

use serde_json::{Map, Value, json};

use super::features::FEATURES;
use super::nango::{
    ACCESS_TOKEN, API_KEY, CLIENT_ID, CLIENT_SECRET, PASSWORD, Provider, TOKEN_SECRET, USERNAME,
};

/// A scheme with the credential a sample connection gives it.
pub(crate) type SchemeAndCredential = (Value, Value);

pub(crate) struct OAuth2Translation {
    pub(crate) scheme: Value,
    /// Why the authorize URL, the token request or the refresh request cannot be said.
    pub(crate) authorize_problem: Option<String>,
    pub(crate) token_problem: Option<String>,
    pub(crate) refresh_problem: Option<String>,
}

pub(crate) struct Translation {
    pub(crate) base_url: Result<String, String>,
    /// `placeholders` of the template (host patterns).
    pub(crate) placeholders: Map<String, Value>,
    /// The schemes that place credentials on requests (for OAuth 2.0: the extra ones).
    pub(crate) schemes: Result<Vec<SchemeAndCredential>, String>,
    /// OAuth 2.0: where the access token goes.
    pub(crate) token_placement: Result<Value, String>,
    pub(crate) oauth2: Option<OAuth2Translation>,
}

fn api_key(
    id: usize,
    name: &str,
    location: &str,
    template: &str,
    secret: &str,
) -> SchemeAndCredential {
    let mut inner = json!({"id": format!("k{id}"), "name": name, "in": location});
    if template != "{key}" {
        inner["valueTemplate"] = json!(template);
    }
    (
        json!({"type": "api-key", "apiKey": inner}),
        json!({"type": "string", "data": {"string": {"value": secret}}}),
    )
}

/// The one `${...}` of a template, the text around it with `{key}` in its place.
fn single_reference(template: &str) -> Result<(String, String), String> {
    let start = template.find("${").ok_or("a placement without a value")?;
    let end = template[start..].find('}').ok_or("an unclosed ${")? + start;
    let rest = &template[end + 1..];
    if rest.contains("${") || template.contains("||") {
        return Err("a secret combined with other values in one placement".into());
    }
    let expr = template[start + 2..end].to_owned();
    Ok((expr, format!("{}{{key}}{rest}", &template[..start])))
}

impl Translation {
    pub(crate) fn of(p: &Provider<'_>) -> Self {
        let mut placeholders = Map::new();
        let base_url = p
            .str("base_url")
            .ok_or_else(|| "no base URL".to_owned())
            .and_then(|u| url(p, u, &mut placeholders));
        let (schemes, token_placement) = placements(p);
        let oauth2 = p.is_oauth2().then(|| oauth2(p, &mut placeholders));
        Self {
            base_url,
            placeholders,
            schemes,
            token_placement,
            oauth2,
        }
    }
}

/// A Nango URL in credgate's syntax: `${connectionConfig.x}` → `{x}`; `a || b` as one
/// placeholder's default where it is one, else as credgate's alternatives.
pub(crate) fn url(
    p: &Provider<'_>,
    nango: &str,
    placeholders: &mut Map<String, Value>,
) -> Result<String, String> {
    if let Some((first, fallback)) = nango.split_once("||") {
        if FEATURES.placeholder_defaults
            && let Some(single) = with_default(first.trim(), fallback.trim())
        {
            return url(p, &single, placeholders);
        }
        if !FEATURES.url_alternatives {
            return Err("a URL with alternatives (`a || b`)".into());
        }
        let alternatives = nango
            .split("||")
            .map(|alternative| url(p, alternative.trim(), placeholders))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(alternatives.join(" || "));
    }
    let mut out = String::new();
    let mut rest = nango;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or("an unclosed ${")?;
        let Some(name) = after[..end].strip_prefix("connectionConfig.") else {
            return Err(format!("a URL with `${{{}}}`", &after[..end]));
        };
        out.push('{');
        out.push_str(name);
        out.push('}');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if FEATURES.host_patterns {
        host_patterns(p, &out, placeholders);
    }
    Ok(out)
}

/// Adds `patterns` to the placeholder's `hostPatterns` (a placeholder in several URLs may
/// produce the hosts of each), and `choices` as its `enum`.
fn declare(
    placeholders: &mut Map<String, Value>,
    name: &str,
    patterns: &[String],
    choices: Option<&[&str]>,
) {
    let entry = placeholders
        .entry(name.to_owned())
        .or_insert_with(|| json!({"hostPatterns": []}));
    if let Some(Value::Array(list)) = entry.get_mut("hostPatterns") {
        for pattern in patterns {
            if !list.iter().any(|p| p == pattern) {
                list.push(json!(pattern));
            }
        }
    }
    if let Some(choices) = choices {
        entry["enum"] = json!(choices);
    }
}

/// `https://${connectionConfig.host} || https://amplitude.com` is one placeholder with a
/// default, `https://${connectionConfig.host|amplitude.com}`, when the fallback is the
/// first URL with a literal in that placeholder's place; any other `a || b` is not.
fn with_default(first: &str, fallback: &str) -> Option<String> {
    let start = first.find("${connectionConfig.")?;
    let end = start + first[start..].find('}')?;
    let (prefix, suffix) = (&first[..start], &first[end + 1..]);
    if suffix.contains("${") || fallback.contains("${") {
        return None;
    }
    let literal = fallback
        .strip_prefix(prefix)?
        .strip_suffix(suffix)
        .filter(|l| !l.is_empty() && !l.contains(['{', '}', '|', '$']))?;
    Some(format!(
        "{prefix}{}|{literal}}}{suffix}",
        &first[start..end]
    ))
}

/// The host patterns a URL itself states for the placeholders in its host, nothing wider:
/// the labels after the last one holding a placeholder are the domain, and a placeholder
/// may produce one label under it (`https://{x}.zendesk.com`, `https://{x}-api.ninjarmm.com`:
/// `*.zendesk.com`) or, where placeholders reach deeper (`{x}.auth.{region}.amazoncognito.com`),
/// labels under it (`**.amazoncognito.com`). A placeholder that is the whole host
/// (`https://{hostname}/api`, self-hosted software) or the whole URL (`{instanceUrl}`) may name
/// any host (`**`), as Nango lets it. A placeholder in the last label (`amazon.{tld}`) gets
/// none: only a list of the provider's TLDs could say it, and the catalog has none.
fn host_patterns(p: &Provider<'_>, url: &str, placeholders: &mut Map<String, Value>) {
    // `{instanceUrl|https://api.gong.io}`: the `://` of a default is no scheme.
    let host = match url.split_once("://") {
        Some((_, after)) if !url.starts_with('{') => after.split(['/', '?']).next().unwrap_or(""),
        _ if url.starts_with('{') => url.find('}').map_or("", |end| &url[..=end]),
        _ => return,
    };
    let labels: Vec<&str> = host.split('.').collect();
    let Some(last) = labels.iter().rposition(|label| label.contains('{')) else {
        return;
    };
    let domain = labels[last + 1..].join(".");
    let whole = host.starts_with('{') && host.find('}').is_some_and(|end| end + 1 >= host.len());
    // A placeholder ending the host (`accounts.zoho.{extension}`) names the provider's
    // documented suffixes, each host spelled out, or nothing.
    if domain.is_empty() && !whole {
        let token = labels[last];
        let name = token
            .trim_start_matches('{')
            .trim_end_matches('}')
            .split('|')
            .next()
            .unwrap_or("");
        if !FEATURES.host_suffix_lists
            || token != format!("{{{name}}}")
            || host.matches('{').count() != 1
        {
            return;
        }
        let Some(choices) = p.host_suffixes(name) else {
            return;
        };
        let hosts: Vec<String> = choices
            .iter()
            .map(|choice| host.replace(token, choice))
            .collect();
        declare(placeholders, name, &hosts, Some(choices));
        return;
    }
    let pattern = if whole {
        "**".to_owned()
    } else if last == 0 {
        format!("*.{domain}")
    } else {
        format!("**.{domain}")
    };
    let mut rest = host;
    while let Some((_, after)) = rest.split_once('{') {
        let Some((token, tail)) = after.split_once('}') else {
            return;
        };
        let name = token.split('|').next().unwrap_or(token);
        declare(placeholders, name, std::slice::from_ref(&pattern), None);
        rest = tail;
    }
}

fn placements(
    p: &Provider<'_>,
) -> (
    Result<Vec<SchemeAndCredential>, String>,
    Result<Value, String>,
) {
    let values = p.sample_values();
    let mut schemes = Vec::new();
    let mut token_placement = Ok(json!({"type": "bearer"}));
    let mut basic_placed = false;
    for (i, pl) in p
        .placements()
        .into_iter()
        .filter(|pl| pl.is_credential())
        .enumerate()
    {
        if pl.location == "body" {
            return (
                Err("a credential in the request body".into()),
                token_placement,
            );
        }
        if pl.kind == "signed/dynamic" {
            return (Err("a value signed per request".into()), token_placement);
        }
        if pl.kind == "base64-composed" {
            if pl.name == "authorization"
                && pl.template == "Basic ${base64(${credentials.username}:${credentials.password})}"
            {
                basic_placed = true;
                continue;
            }
            return (
                Err("a Basic value composed of more than username:password".into()),
                token_placement,
            );
        }
        let (expr, template) = match single_reference(&pl.template) {
            Ok(found) => found,
            Err(reason) => return (Err(reason), token_placement),
        };
        match expr.as_str() {
            "accessToken" => {
                token_placement = match (pl.location.as_str(), template.as_str()) {
                    ("header", "Bearer {key}") if pl.name == "authorization" => {
                        Ok(json!({"type": "bearer"}))
                    }
                    ("header", "{key}") => Ok(json!({"type": "header", "name": pl.name})),
                    ("query", "{key}") => Ok(json!({"type": "query", "name": pl.name})),
                    _ => Err("an access token with a prefix other than Bearer".into()),
                };
            }
            "apiKey" | "credentials.apiKey" => {
                schemes.push(api_key(i, &pl.name, &pl.location, &template, API_KEY));
            }
            // The OAuth 2.0 client id sent as a key (Getty Images, MYOB): an API key
            // scheme holding the same value.
            "clientId" if p.is_oauth2() => {
                schemes.push(api_key(i, &pl.name, &pl.location, &template, CLIENT_ID));
            }
            // A Basic credential's halves as named parameters (Konnektive): an API key
            // scheme for each, holding that half.
            "credentials.username" if p.mode() == "BASIC" => {
                schemes.push(api_key(i, &pl.name, &pl.location, &template, USERNAME));
            }
            "credentials.password" if p.mode() == "BASIC" => {
                schemes.push(api_key(i, &pl.name, &pl.location, &template, PASSWORD));
            }
            other => match other.strip_prefix("connectionConfig.") {
                Some(name) => {
                    let secret = values.get(name).cloned().unwrap_or_default();
                    schemes.push(api_key(i, &pl.name, &pl.location, &template, &secret));
                }
                None => {
                    return (
                        Err(format!("a placement of `${{{other}}}`")),
                        token_placement,
                    );
                }
            },
        }
    }
    match p.mode() {
        "BASIC" => schemes.push((
            json!({"type": "basic-auth", "basicAuth": {"id": "b"}}),
            json!({"type": "basic-auth", "data": {"basicAuth": {"username": USERNAME, "password": PASSWORD}}}),
        )),
        "API_KEY" if basic_placed => schemes.push((
            json!({"type": "basic-auth", "basicAuth": {"id": "b"}}),
            json!({"type": "basic-auth", "data": {"basicAuth": {"username": USERNAME, "password": PASSWORD}}}),
        )),
        "API_KEY" if schemes.is_empty() => return (Err("an API key with no placement".into()), token_placement),
        "OAUTH1" => {
            let method = match p.str("signature_method") {
                Some("HMAC-SHA1") => "sha1",
                Some("HMAC-SHA256") => "sha256",
                Some("PLAINTEXT") => "plaintext",
                _ => return (Err("an unknown OAuth 1.0a signature method".into()), token_placement),
            };
            schemes.push((
                json!({"type": "oauth1", "oauth1": {"id": "o1", "consumerKey": CLIENT_ID,
                    "consumerSecret": CLIENT_SECRET, "signatureMethod": method, "tokenAuth": true}}),
                json!({"type": "oauth1-token", "data": {"oauth1Token": {"token": ACCESS_TOKEN, "tokenSecret": TOKEN_SECRET}}}),
            ));
        }
        _ => {}
    }
    (Ok(schemes), token_placement)
}

/// Parameters as a form string; `${connectionConfig.x}` becomes `{x}` when placeholders in
/// parameters exist, else `Err`.
fn params_form(p: &Provider<'_>, params: &[(String, String)]) -> Result<String, String> {
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let mut pairs = Vec::new();
    for (name, value) in params {
        let value = if value.contains("${") {
            if !FEATURES.placeholders_in_params {
                return Err("a per-connection value in a parameter".into());
            }
            // The literal text form-encoded, each `{placeholder}` left as written for
            // credgate to fill (`resource=urn%3Adtaccount%3A{accountUuid}`).
            let template = url(p, value, &mut Map::new())?;
            let mut out = String::new();
            let mut rest = template.as_str();
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').ok_or("an unclosed {")? + open;
                out.push_str(&encode(&rest[..open]));
                out.push_str(&rest[open..=close]);
                rest = &rest[close + 1..];
            }
            out.push_str(&encode(rest));
            out
        } else {
            encode(value)
        };
        pairs.push(format!("{}={value}", encode(name)));
    }
    Ok(pairs.join("&"))
}

fn oauth2(p: &Provider<'_>, placeholders: &mut Map<String, Value>) -> OAuth2Translation {
    let code = p.mode() == "OAUTH2";
    let mut authorize_problem = None;
    let mut token_problem = None;
    let mut refresh_problem = None;
    let grant = if code {
        json!({"type": "authorizationCode", "authorizationCode": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}})
    } else {
        json!({"type": "clientCredentials", "clientCredentials": {}})
    };
    let token_url = match p.str("token_url").map(|u| url(p, u, placeholders)) {
        Some(Ok(u)) => u,
        Some(Err(reason)) => {
            token_problem = Some(format!("token URL: {reason}"));
            "https://unwritable.invalid/token".into()
        }
        None => {
            token_problem = Some("token URL: not one URL".into());
            "https://unwritable.invalid/token".into()
        }
    };
    let mut scheme = json!({"id": "o", "tokenUrl": token_url, "grant": grant,
        "defaultScopes": p.default_scopes(), "pkce": code && p.pkce()});
    if let Some(refresh) = p.str("refresh_url") {
        match url(p, refresh, placeholders) {
            Ok(u) => scheme["refreshUrl"] = json!(u),
            Err(reason) => refresh_problem = Some(format!("refresh URL: {reason}")),
        }
    } else if token_problem.is_some() {
        refresh_problem.clone_from(&token_problem);
    }
    if code {
        match p.str("authorization_url").map(|u| url(p, u, placeholders)) {
            Some(Ok(u)) => scheme["authorizeUrl"] = json!(u),
            Some(Err(reason)) => authorize_problem = Some(format!("authorize URL: {reason}")),
            None => authorize_problem = Some("authorize URL: none".into()),
        }
    }
    match p.scope_separator() {
        " " => {}
        "," => scheme["scopeSeparator"] = json!(","),
        "+" if FEATURES.plus_scope_separator => scheme["scopeSeparator"] = json!("+"),
        "+" if p.default_scopes().len() <= 1 => {}
        other => authorize_problem = Some(format!("scope separator `{other}`")),
    }
    // Authorize parameters: `response_type=code` is credgate's own.
    let mut authorize: Vec<(String, String)> = Vec::new();
    for (name, value) in p.params("authorization_params") {
        if name == "response_type" && value != "code" {
            if FEATURES.response_type {
                scheme["responseType"] = json!(value);
            } else {
                authorize_problem = Some("an overridden response_type".into());
            }
        } else if name != "response_type" {
            authorize.push((name, value));
        }
    }
    // Nango rewrites the authorize URL's standard parameter names (`client_id` →
    // `client_key`; `response_type` → nothing for Monday).
    if let Some(Value::Object(replacements)) = p.0.get("authorization_url_replacements") {
        const STANDARD: [&str; 7] = [
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        ];
        let mut names = Map::new();
        for (from, to) in replacements {
            let (from, to) = (from.trim_end_matches('='), to.as_str().unwrap_or("?"));
            let to = to.strip_suffix('=').unwrap_or(to);
            if !STANDARD.contains(&from) || to.contains(['=', '&', '?']) {
                authorize_problem =
                    Some("an authorize URL rewritten beyond parameter names".into());
            }
            names.insert(from.to_owned(), json!(to));
        }
        if FEATURES.authorize_param_names {
            scheme["authorizeParamNames"] = Value::Object(names);
        } else {
            authorize_problem = Some("renamed authorize parameters".into());
        }
    }
    match params_form(p, &authorize) {
        Ok(form) if !form.is_empty() => scheme["additionalAuthorizeParams"] = json!(form),
        Ok(_) => {}
        Err(reason) => authorize_problem = Some(format!("authorize params: {reason}")),
    }
    // Token parameters: the standard grant_type is credgate's own.
    let standard_grant = if code {
        "authorization_code"
    } else {
        "client_credentials"
    };
    let mut token: Vec<(String, String)> = Vec::new();
    for (name, value) in p.params("token_params") {
        if name == "grant_type" {
            if value != standard_grant {
                if FEATURES.grant_type {
                    scheme["grantType"] = json!(value);
                } else {
                    token_problem = Some(format!("grant_type `{value}`"));
                }
            }
        } else {
            token.push((name, value));
        }
    }
    match params_form(p, &token) {
        Ok(form) if !form.is_empty() => scheme["additionalTokenParams"] = json!(form),
        Ok(_) => {}
        Err(reason) => {
            // Without `refresh_params`, a refresh sends the token parameters too.
            if p.0.get("refresh_params").is_none_or(Value::is_null) {
                refresh_problem = Some(format!("token params: {reason}"));
            }
            token_problem = Some(format!("token params: {reason}"));
        }
    }
    let refresh: Vec<(String, String)> = p
        .params("refresh_params")
        .into_iter()
        .filter(|(n, v)| !(n == "grant_type" && v == "refresh_token"))
        .collect();
    if !refresh.is_empty() {
        if FEATURES.refresh_params {
            match params_form(p, &refresh) {
                Ok(form) => scheme["refreshParams"] = json!(form),
                Err(reason) => refresh_problem = Some(format!("refresh params: {reason}")),
            }
        } else {
            refresh_problem = Some("refresh-only parameters".into());
        }
    }
    match p.str("client_auth") {
        Some("client_secret_basic") => {
            scheme["clientAuthMethod"] = json!(if FEATURES.client_auth_raw {
                "basicRaw"
            } else {
                "basic"
            });
        }
        Some("client_secret_post") | None => scheme["clientAuthMethod"] = json!("body"),
        Some(other) => {
            token_problem = Some(format!("client authentication `{other}`"));
            refresh_problem = Some(format!("client authentication `{other}`"));
        }
    }
    match p.str("body_format") {
        Some("json") => scheme["tokenRequestFormat"] = json!("json"),
        Some("query") if FEATURES.token_params_in_query => {
            scheme["tokenParamsLocation"] = json!("query")
        }
        Some("query") => {
            token_problem = Some("token parameters in the URL query".into());
            refresh_problem = Some("token parameters in the URL query".into());
        }
        _ => {}
    }
    if FEATURES.callback_code_param
        && let Some(name) = p.str("authorization_code_param_in_callback")
    {
        scheme["callbackCodeParam"] = json!(name);
    }
    if FEATURES.access_token_path
        && let Some(path) = p.str("alternate_access_token_response_path")
    {
        scheme["accessTokenPath"] = json!(format!("{path}.access_token"));
    }
    if FEATURES.expires_in_unit && p.str("expires_in_unit") == Some("milliseconds") {
        scheme["expiresInUnit"] = json!("milliseconds");
    }
    if FEATURES.token_response_values
        && let Some(Value::Array(fields)) = p.0.get("token_response_metadata")
    {
        scheme["tokenResponseValues"] = json!(fields);
    }
    OAuth2Translation {
        scheme,
        authorize_problem,
        token_problem,
        refresh_problem,
    }
}
