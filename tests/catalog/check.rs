//! Builds a connection from a translated template with the sample values and compares
//! what credgate sends with what the provider expects. `Err` is the reason for a miss.

use std::collections::BTreeMap;

use credgate::auth::oauth2::{AuthorizationRequest, TokenStep};
use credgate::{Connection, ConnectionTemplate, Credential, OAuth2Scheme, OsRandom};
use serde_json::{Value, json};

use super::expect::{self, AuthorizeUrl, TokenRequest};
use super::nango::{
    ACCESS_TOKEN, API_KEY, CLIENT_ID, CLIENT_SECRET, CODE, Provider, REDIRECT, REFRESH_TOKEN,
    VERIFIER,
};
use super::translate::{SchemeAndCredential, Translation};

const STAND_IN_BASE: &str = "https://api.sample.example";

type Outcome = Result<(), String>;

/// Builds the live connection of a template with these schemes and credentials.
fn build(
    p: &Provider<'_>,
    t: &Translation,
    base_url: &str,
    schemes: Vec<SchemeAndCredential>,
) -> Result<credgate::LiveConnection, String> {
    let (configs, credentials): (Vec<Value>, Vec<Value>) = schemes.into_iter().unzip();
    let template: ConnectionTemplate = serde_json::from_value(json!({"name": p.name(),
        "templateBaseUrl": base_url, "authSchemeConfigs": configs,
        "placeholders": t.placeholders}))
    .map_err(|e| format!("credgate refuses the template: {e}"))?;
    let credentials: Vec<Credential> = credentials
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("credgate refuses the credential: {e}"))?;
    let mut connection: Connection = template
        .connect(credentials)
        .map_err(|e| format!("credgate refuses the connection: {e}"))?;
    connection.values = p.sample_values();
    connection
        .build(&template)
        .map_err(|e| format!("credgate refuses to build: {}", generic(&e.to_string())))
}

/// An error message without the provider's own names, to group reasons.
fn generic(message: &str) -> String {
    message
        .split(['`', '"', '\''])
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "…" } else { part })
        .collect()
}

/// A stand-in OAuth 2.0 scheme holding a valid token: only where the token goes is
/// measured here (the grant and endpoints are the other figures').
fn token_scheme(placement: Value) -> SchemeAndCredential {
    let scheme = json!({"id": "o", "tokenUrl": "https://auth.sample.example/token",
        "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET}},
        "tokenPlacement": placement});
    (
        json!({"type": "oauth2", "oauth2": scheme}),
        json!({"type": "oauth2-token", "data": {"oauth2Token": {"accessToken": ACCESS_TOKEN,
            "expiresAt": "2100-01-01T00:00:00Z"}}}),
    )
}

pub(crate) fn placement(p: &Provider<'_>, t: &Translation) -> Outcome {
    let mut schemes = t.schemes.clone()?;
    if p.is_oauth2() {
        schemes.insert(0, token_scheme(t.token_placement.clone()?));
    }
    let live = build(p, t, STAND_IN_BASE, schemes)?;
    let mut request = http::Request::get("/probe")
        .body(())
        .map_err(|e| e.to_string())?;
    live.authorize(&mut request)
        .map_err(|e| format!("credgate refuses to authorize: {}", generic(&e.to_string())))?;
    let mut sent: BTreeMap<(String, String), String> = request
        .headers()
        .iter()
        .map(|(n, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (("header".to_owned(), n.as_str().to_owned()), value)
        })
        .collect();
    if let Some(query) = request.uri().query() {
        for (n, v) in url::form_urlencoded::parse(query.as_bytes()) {
            sent.insert(("query".to_owned(), n.into_owned()), v.into_owned());
        }
    }
    if p.mode() == "OAUTH1" {
        let header = sent
            .get(&("header".to_owned(), "authorization".to_owned()))
            .ok_or("no OAuth 1.0a Authorization header")?;
        let method = p.str("signature_method").unwrap_or("");
        let wanted = [
            format!("oauth_consumer_key=\"{CLIENT_ID}\""),
            format!("oauth_token=\"{ACCESS_TOKEN}\""),
            format!("oauth_signature_method=\"{method}\""),
        ];
        return if header.starts_with("OAuth ") && wanted.iter().all(|w| header.contains(w.as_str()))
        {
            Ok(())
        } else {
            Err("an OAuth 1.0a header other than the expected".into())
        };
    }
    let expected: BTreeMap<(String, String), String> = expect::placements(p)?
        .into_iter()
        .map(|(location, name, value)| ((location, name), value))
        .collect();
    compare_maps("placement", &expected, &sent)
}

fn compare_maps<K: Ord + std::fmt::Debug>(
    what: &str,
    expected: &BTreeMap<K, String>,
    sent: &BTreeMap<K, String>,
) -> Outcome {
    for (key, value) in expected {
        match sent.get(key) {
            None => return Err(format!("{what}: {key:?} not sent")),
            Some(v) if v != value => return Err(format!("{what}: {key:?} differs")),
            Some(_) => {}
        }
    }
    if let Some(key) = sent.keys().find(|k| !expected.contains_key(k)) {
        return Err(format!("{what}: {key:?} sent but not expected"));
    }
    Ok(())
}

pub(crate) fn base_url(p: &Provider<'_>, t: &Translation) -> Outcome {
    let expected = expect::base_url(p)?;
    let template_url = t.base_url.clone()?;
    let probe = (
        json!({"type": "api-key", "apiKey": {"id": "probe", "name": "X-Probe", "in": "header"}}),
        json!({"type": "string", "data": {"string": {"value": API_KEY}}}),
    );
    let live = build(p, t, &template_url, vec![probe])?;
    let sent = live.base_url().trim_end_matches('/');
    if sent == expected {
        Ok(())
    } else {
        Err("base URL: a different URL".into())
    }
}

fn endpoint(url: &url::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    )
}

/// The endpoint of an expected URL and the parameters of its own query.
fn parse_endpoint(url: &str) -> Result<(String, BTreeMap<String, String>), String> {
    let url = url::Url::parse(url).map_err(|_| "the expected URL does not parse".to_owned())?;
    let query = url
        .query_pairs()
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    Ok((endpoint(&url), query))
}

pub(crate) fn authorize(p: &Provider<'_>, t: &Translation) -> Outcome {
    let oauth2 = t.oauth2.as_ref().ok_or("no OAuth 2.0 scheme")?;
    if let Some(problem) = &oauth2.authorize_problem {
        return Err(problem.clone());
    }
    let AuthorizeUrl { url, mut params } = expect::authorize_url(p)?;
    let (expected_endpoint, own_query) = parse_endpoint(&url)?;
    params.extend(own_query);
    let scheme: OAuth2Scheme = serde_json::from_value(oauth2.scheme.clone())
        .map_err(|e| format!("credgate refuses the template: {e}"))?;
    let placeholders: BTreeMap<String, credgate::Placeholder> =
        serde_json::from_value(Value::Object(t.placeholders.clone()))
            .map_err(|e| format!("credgate refuses the placeholders: {e}"))?;
    let scheme = scheme
        .with_placeholder_values(&p.sample_values(), &placeholders)
        .map_err(|e| format!("credgate refuses the values: {}", generic(&e.to_string())))?;
    let request = AuthorizationRequest::new(&scheme, REDIRECT, &[], &OsRandom).map_err(|e| {
        format!(
            "credgate refuses the authorize request: {}",
            generic(&e.to_string())
        )
    })?;
    let sent = url::Url::parse(&request.url).map_err(|e| e.to_string())?;
    if endpoint(&sent) != expected_endpoint {
        return Err("authorize: a different endpoint".into());
    }
    let sent_params: BTreeMap<String, String> = sent
        .query_pairs()
        .map(|(n, v)| {
            // `state` is masked under whatever name it is sent (`customField`).
            let v = if v == request.state || n == "code_challenge" {
                "*".into()
            } else {
                v.into_owned()
            };
            (n.into_owned(), v)
        })
        .collect();
    compare_maps("authorize", &params, &sent_params)
}

fn sent_token_request(
    p: &Provider<'_>,
    t: &Translation,
    credential: Value,
) -> Result<TokenRequest, String> {
    let oauth2 = t.oauth2.as_ref().ok_or("no OAuth 2.0 scheme")?;
    let scheme = json!({"type": "oauth2", "oauth2": oauth2.scheme});
    let live = build(p, t, STAND_IN_BASE, vec![(scheme, credential)])?;
    let step = live.token_step().map_err(|e| {
        format!(
            "credgate refuses the token step: {}",
            generic(&e.to_string())
        )
    })?;
    let TokenStep::Send(refresh) = step else {
        return Err("credgate sends no token request".into());
    };
    let request = refresh.request();
    let uri = url::Url::parse(&request.uri().to_string()).map_err(|e| e.to_string())?;
    let query = uri
        .query_pairs()
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let json = request
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body = if json {
        let object: serde_json::Map<String, Value> =
            serde_json::from_slice(request.body()).map_err(|e| e.to_string())?;
        object
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect()
    } else {
        url::form_urlencoded::parse(request.body())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    };
    Ok(TokenRequest {
        method: request.method().as_str().to_owned(),
        url: endpoint(&uri),
        query,
        body,
        json,
        authorization: request
            .headers()
            .get("authorization")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
    })
}

fn compare_token(what: &str, expected: &TokenRequest, sent: &TokenRequest) -> Outcome {
    if sent.method != expected.method {
        return Err(format!("{what}: method {}", sent.method));
    }
    let (expected_endpoint, mut expected_query) = parse_endpoint(&expected.url)?;
    if sent.url != expected_endpoint {
        return Err(format!("{what}: a different URL"));
    }
    expected_query.extend(expected.query.clone());
    if sent.authorization != expected.authorization {
        return Err(format!("{what}: different client authentication"));
    }
    if sent.json != expected.json {
        return Err(format!("{what}: a different body format"));
    }
    compare_maps(&format!("{what} query"), &expected_query, &sent.query)?;
    compare_maps(&format!("{what} body"), &expected.body, &sent.body)
}

pub(crate) fn token(p: &Provider<'_>, t: &Translation) -> Outcome {
    let oauth2 = t.oauth2.as_ref().ok_or("no OAuth 2.0 scheme")?;
    if let Some(problem) = &oauth2.token_problem {
        return Err(problem.clone());
    }
    let expected = expect::token(p)?;
    let credential = if p.mode() == "OAUTH2" {
        let mut code = json!({"code": CODE, "redirectUrl": REDIRECT});
        if p.pkce() {
            code["codeVerifier"] = json!(VERIFIER);
        }
        json!({"type": "oauth2-code", "data": {"oauth2Code": code}})
    } else {
        json!({"type": "oauth2-client", "data": {"oauth2Client": {"clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET}}})
    };
    compare_token("token", &expected, &sent_token_request(p, t, credential)?)
}

pub(crate) fn refresh(p: &Provider<'_>, t: &Translation) -> Outcome {
    let oauth2 = t.oauth2.as_ref().ok_or("no OAuth 2.0 scheme")?;
    if let Some(problem) = &oauth2.refresh_problem {
        return Err(problem.clone());
    }
    let expected = expect::refresh(p)?;
    let credential = json!({"type": "oauth2-token", "data": {"oauth2Token": {
        "accessToken": ACCESS_TOKEN, "refreshToken": REFRESH_TOKEN,
        "expiresAt": "2020-01-01T00:00:00Z"}}});
    compare_token("refresh", &expected, &sent_token_request(p, t, credential)?)
}
