//! `components.securitySchemes` → auth scheme configurations.
//!
//! Each scheme becomes one [`AuthSchemeConfig`], or one per importable flow for `oauth2`
//! (the flows are alternatives), or a warning saying why it cannot.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::{Version, Warning};
use crate::{ApiKeyScheme, AuthSchemeConfig, BasicAuthScheme, KeyLocation};

/// How many `$ref` hops are followed before a chain counts as a cycle.
const MAX_REF_HOPS: usize = 8;

const REF_PREFIX: &str = "#/components/securitySchemes/";

/// The schemes of a document by name: each one's alternatives, or `None` when it could not
/// be imported (a warning says why).
pub(crate) type Schemes = BTreeMap<String, Option<Vec<AuthSchemeConfig>>>;

/// Reads `components.securitySchemes`; `base_url` resolves relative OAuth 2.0 URLs.
pub(crate) fn import(
    document: &Value,
    version: Version,
    base_url: &str,
    warnings: &mut Vec<Warning>,
) -> Schemes {
    let mut schemes = Schemes::new();
    let Some(declared) = document.pointer("/components/securitySchemes") else {
        return schemes;
    };
    let Some(declared) = declared.as_object() else {
        warnings.push(Warning::InvalidScheme {
            scheme: "components.securitySchemes".to_owned(),
            problem: "components.securitySchemes is not an object".to_owned(),
        });
        return schemes;
    };
    for (name, raw) in declared {
        let imported = resolve(document, name, raw, warnings)
            .and_then(|scheme| convert(name, scheme, version, base_url, warnings));
        schemes.insert(name.clone(), imported);
    }
    schemes
}

/// Follows local `$ref`s to the scheme object.
fn resolve<'a>(
    document: &'a Value,
    name: &str,
    mut scheme: &'a Value,
    warnings: &mut Vec<Warning>,
) -> Option<&'a Value> {
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = scheme.get("$ref") else {
            return Some(scheme);
        };
        let target = reference
            .as_str()
            .filter(|reference| reference.starts_with(REF_PREFIX))
            .and_then(|reference| percent_decode_str(&reference[1..]).decode_utf8().ok())
            .and_then(|pointer| document.pointer(&pointer));
        match target {
            Some(target) => scheme = target,
            None => break,
        }
    }
    warnings.push(Warning::UnresolvedRef {
        scheme: name.to_owned(),
        reference: scheme
            .get("$ref")
            .and_then(Value::as_str)
            .unwrap_or("(not a string)")
            .to_owned(),
    });
    None
}

fn invalid(name: &str, problem: impl Into<String>) -> Warning {
    Warning::InvalidScheme {
        scheme: name.to_owned(),
        problem: problem.into(),
    }
}

fn not_importable(name: &str, kind: impl Into<String>, reason: &'static str) -> Warning {
    Warning::SchemeNotImportable {
        scheme: name.to_owned(),
        kind: kind.into(),
        reason,
    }
}

fn description(scheme: &Map<String, Value>) -> String {
    scheme
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn convert(
    name: &str,
    scheme: &Value,
    version: Version,
    base_url: &str,
    warnings: &mut Vec<Warning>,
) -> Option<Vec<AuthSchemeConfig>> {
    let Some(scheme) = scheme.as_object() else {
        warnings.push(invalid(name, "the scheme is not an object"));
        return None;
    };
    let Some(kind) = scheme.get("type").and_then(Value::as_str) else {
        warnings.push(invalid(name, "the scheme has no string `type`"));
        return None;
    };
    match kind {
        "apiKey" => api_key(name, scheme, warnings).map(|scheme| vec![scheme]),
        "http" => http(name, scheme, warnings).map(|scheme| vec![scheme]),
        "oauth2" => oauth2(name, scheme, base_url, warnings),
        "openIdConnect" => {
            warnings.push(not_importable(
                name,
                kind,
                "its endpoints are in the openIdConnectUrl discovery document, which credgate does not fetch (no i/o); fetch it and write an oauth2 scheme with its authorization and token endpoints",
            ));
            None
        }
        "mutualTLS" if version == Version::V3_1 => {
            warnings.push(not_importable(
                name,
                kind,
                "the client certificate is presented by the tls layer, which credgate does not control; configure it in your http client",
            ));
            None
        }
        "mutualTLS" => {
            warnings.push(not_importable(
                name,
                kind,
                "mutualTLS is a scheme type of openapi 3.1, not of 3.0, and credgate cannot present a client certificate anyway; configure it in your http client",
            ));
            None
        }
        _ => {
            warnings.push(not_importable(
                name,
                kind,
                "it is not an openapi security scheme type (apiKey, http, oauth2, openIdConnect, mutualTLS)",
            ));
            None
        }
    }
}

fn api_key(
    name: &str,
    scheme: &Map<String, Value>,
    warnings: &mut Vec<Warning>,
) -> Option<AuthSchemeConfig> {
    let location = match scheme.get("in").and_then(Value::as_str) {
        Some("header") => KeyLocation::Header,
        Some("query") => KeyLocation::Query,
        Some("cookie") => KeyLocation::Cookie,
        _ => {
            warnings.push(invalid(
                name,
                "an apiKey scheme needs `in`: header, query or cookie",
            ));
            return None;
        }
    };
    let Some(parameter) = scheme
        .get("name")
        .and_then(Value::as_str)
        .filter(|parameter| !parameter.is_empty())
    else {
        warnings.push(invalid(
            name,
            "an apiKey scheme needs a non-empty `name`: the header, query parameter or cookie",
        ));
        return None;
    };
    let mut api_key = ApiKeyScheme::new(name, parameter, location);
    api_key.description = description(scheme);
    Some(AuthSchemeConfig::ApiKey(api_key))
}

fn http(
    name: &str,
    scheme: &Map<String, Value>,
    warnings: &mut Vec<Warning>,
) -> Option<AuthSchemeConfig> {
    let Some(auth_scheme) = scheme.get("scheme").and_then(Value::as_str) else {
        warnings.push(invalid(
            name,
            "an http scheme needs `scheme` (basic or bearer)",
        ));
        return None;
    };
    // HTTP authentication scheme names are case-insensitive (RFC 9110 §11.1).
    if auth_scheme.eq_ignore_ascii_case("basic") {
        let mut basic = BasicAuthScheme::new(name);
        basic.description = description(scheme);
        Some(AuthSchemeConfig::BasicAuth(basic))
    } else if auth_scheme.eq_ignore_ascii_case("bearer") {
        let mut bearer = ApiKeyScheme::new(name, "Authorization", KeyLocation::Header)
            .with_value_template("Bearer {key}");
        bearer.description = description(scheme);
        Some(AuthSchemeConfig::ApiKey(bearer))
    } else {
        warnings.push(not_importable(
            name,
            format!("http {auth_scheme}"),
            "credgate implements the basic and bearer http schemes only; for a static value write an api-key scheme with a valueTemplate",
        ));
        None
    }
}

/// Resolves a relative OAuth 2.0 URL against the server URL (`OpenAPI`: "relative references
/// are resolved using the URLs defined in the Server Object"). Placeholders in the server
/// URL are kept; `..` is not resolved.
fn resolve_url(url: &str, base_url: &str) -> Option<String> {
    if url.contains("://") {
        return Some(url.to_owned());
    }
    let scheme_end = base_url.find("://")?;
    if url.contains("..") {
        return None;
    }
    if let Some(rest) = url.strip_prefix("//") {
        return Some(format!("{}://{rest}", &base_url[..scheme_end]));
    }
    let authority_end = base_url[scheme_end + 3..]
        .find(['/', '?', '#'])
        .map_or(base_url.len(), |i| scheme_end + 3 + i);
    if url.starts_with('/') {
        return Some(format!("{}{url}", &base_url[..authority_end]));
    }
    let path = &base_url[authority_end..];
    let path = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let separator = if directory.is_empty() { "/" } else { "" };
    Some(format!(
        "{}{directory}{separator}{url}",
        &base_url[..authority_end]
    ))
}

const FLOWS: [&str; 3] = ["authorizationCode", "clientCredentials", "password"];

fn oauth2(
    name: &str,
    scheme: &Map<String, Value>,
    base_url: &str,
    warnings: &mut Vec<Warning>,
) -> Option<Vec<AuthSchemeConfig>> {
    let Some(flows) = scheme.get("flows").and_then(Value::as_object) else {
        warnings.push(invalid(name, "an oauth2 scheme needs a `flows` object"));
        return None;
    };
    let importable = flows
        .keys()
        .filter(|flow| FLOWS.contains(&flow.as_str()))
        .count();
    let mut schemes = Vec::new();
    for (flow_name, flow) in flows {
        if !FLOWS.contains(&flow_name.as_str()) {
            warnings.push(Warning::FlowNotImportable {
                scheme: name.to_owned(),
                flow: flow_name.clone(),
                reason: if flow_name == "implicit" {
                    "the implicit grant hands the token to a browser in a url fragment, which credgate has no part in, and rfc 9700 deprecates it; use the authorization code flow"
                } else {
                    "credgate implements the authorizationCode, clientCredentials and password flows"
                },
            });
            continue;
        }
        let id = if importable == 1 {
            name.to_owned()
        } else {
            format!("{name}-{flow_name}")
        };
        if let Some(converted) = oauth2_flow(
            name,
            &id,
            flow_name,
            flow,
            description(scheme),
            base_url,
            warnings,
        ) {
            schemes.push(converted);
        }
    }
    if schemes.is_empty() {
        if flows.is_empty() {
            warnings.push(invalid(name, "the oauth2 scheme has no flows"));
        }
        return None;
    }
    Some(schemes)
}

fn oauth2_flow(
    name: &str,
    id: &str,
    flow_name: &str,
    flow: &Value,
    description: String,
    base_url: &str,
    warnings: &mut Vec<Warning>,
) -> Option<AuthSchemeConfig> {
    let mut url = |field: &str, required: bool| -> Result<Option<String>, ()> {
        match flow.get(field) {
            None if !required => Ok(None),
            Some(Value::String(url)) if !url.is_empty() => match resolve_url(url, base_url) {
                Some(resolved) => Ok(Some(resolved)),
                None => {
                    warnings.push(invalid(
                        name,
                        format!("the {flow_name} flow's {field} \"{url}\" is relative and the server url cannot resolve it; write it as an absolute url"),
                    ));
                    Err(())
                }
            },
            _ => {
                warnings.push(invalid(
                    name,
                    format!("the {flow_name} flow needs {field} as a non-empty string"),
                ));
                Err(())
            }
        }
    };
    let token_url = url("tokenUrl", true).ok()?;
    let authorize_url = url("authorizationUrl", flow_name == "authorizationCode").ok()?;
    let refresh_url = url("refreshUrl", false).ok()?;
    let scopes: Vec<Value> = match flow.get("scopes") {
        None => Vec::new(),
        Some(Value::Object(scopes)) => scopes
            .iter()
            .map(|(scope, description)| {
                json!({"name": scope, "description": description.as_str().unwrap_or_default()})
            })
            .collect(),
        Some(_) => {
            warnings.push(invalid(
                name,
                format!("the {flow_name} flow's scopes are not an object of descriptions"),
            ));
            return None;
        }
    };
    let mut oauth2 = json!({
        "id": id,
        "description": description,
        "tokenUrl": token_url,
        "scopes": scopes,
        "grant": {"type": flow_name, flow_name: {}},
    });
    if let Some(object) = oauth2.as_object_mut() {
        if let Some(authorize_url) = authorize_url {
            object.insert("authorizeUrl".to_owned(), Value::String(authorize_url));
        }
        if let Some(refresh_url) = refresh_url {
            object.insert("refreshUrl".to_owned(), Value::String(refresh_url));
        }
    }
    // Built as the platform's document, so the scheme has every default a loaded one has.
    match serde_json::from_value(json!({"type": "oauth2", "oauth2": oauth2})) {
        Ok(scheme) => Some(scheme),
        Err(_) => {
            warnings.push(invalid(
                name,
                format!("the {flow_name} flow could not be represented as an oauth2 scheme"),
            ));
            None
        }
    }
}
