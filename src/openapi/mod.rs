//! Connection templates from an `OpenAPI` 3.0 or 3.1 document.
//!
//! [`import`] reads a specification's `servers`, `components.securitySchemes` and
//! `security` requirements and returns the [`ConnectionTemplate`]s they describe, with a
//! [`Warning`] for everything it could not carry over. Nothing is dropped silently.
//!
//! - **Schemes**: `apiKey` (header, query, cookie) → `api-key`; `http` `basic` →
//!   `basic-auth`; `http` `bearer` → an `api-key` in `Authorization` with
//!   `valueTemplate: "Bearer {key}"`; `oauth2` → one `oauth2` scheme per flow
//!   (`authorizationCode`, `clientCredentials`, `password`), with its scopes and their
//!   descriptions (in name order: the document's order is not kept) and `refreshUrl`;
//!   relative URLs are resolved against the server URL (RFC 3986 §5.2). The
//!   scheme's `id` is its name in `components.securitySchemes` (`name-flow` for an `oauth2`
//!   scheme with several importable flows). `openIdConnect`, `mutualTLS`, the `implicit`
//!   flow and `http` schemes other than basic and bearer are reported as not importable,
//!   with the reason.
//! - **Requirements**: each alternative (OR) of `security`, at the top level and in the
//!   operations, becomes a template of its own, in document order (top level first), for the
//!   caller to choose from; the schemes of one requirement (AND) are applied together in
//!   one template; the empty requirement `{}` becomes a template with the `none` scheme. An
//!   `oauth2` scheme with several flows multiplies its alternatives. `defaultScopes` are the
//!   scopes of the top-level requirement; operations' scopes are what each operation needs
//!   and are not requested by default. With several templates each is named after the
//!   document's title and its scheme ids (`stripe-api-basicAuth`), with one after the title.
//! - **Servers**: `servers[0].url` becomes `templateBaseUrl`, each server variable a
//!   `{name|default}` placeholder whose `enum`, description and, for a variable in the host,
//!   allowed host patterns go to [`ConnectionTemplate::placeholders`].
//!
//! It does no I/O: it fetches no `$ref` to another file or URL and no `OpenID` Connect
//! discovery document. Local `#/components/securitySchemes/...` references are resolved.
//! It reads no operation parameters, so a credential a specification models as a plain
//! header parameter is not seen. It never panics, whatever the JSON.
//!
//! # Example
//!
//! ```
//! use credgate::openapi;
//!
//! let import = openapi::import(r#"{
//!     "openapi": "3.1.0", "info": {"title": "Pets", "version": "1"},
//!     "servers": [{"url": "https://{region}.pets.example/v1",
//!                  "variables": {"region": {"default": "eu", "enum": ["eu", "us"]}}}],
//!     "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}},
//!     "security": [{"key": []}]
//! }"#)?;
//! let template = &import.templates[0];
//! assert_eq!(template.name, "pets");
//! assert_eq!(template.template_base_url, "https://{region|eu}.pets.example/v1");
//! assert_eq!(template.placeholders["region"].host_patterns, ["eu.pets.example", "us.pets.example"]);
//! assert!(import.warnings.is_empty());
//! # Ok::<(), openapi::OpenApiError>(())
//! ```

mod error;
mod schemes;
mod security;
mod servers;
mod warning;

use std::collections::BTreeSet;

use serde_json::Value;

pub use error::OpenApiError;
pub use warning::Warning;

use crate::{AuthSchemeConfig, ConnectionTemplate, NoneScheme};

/// At most this many templates come from one document; past it a
/// [`Warning::TooManyAlternatives`] says how many there were.
pub const MAX_TEMPLATES: usize = 64;

/// The templates a document describes, and what could not be carried over.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Import {
    /// One template per alternative of the document's security requirements.
    pub templates: Vec<ConnectionTemplate>,
    /// What could not be imported, or was imported with a caveat, for the caller to show.
    pub warnings: Vec<Warning>,
}

/// The `OpenAPI` version of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V3_0,
    V3_1,
}

/// Imports the templates of an `OpenAPI` 3.0 or 3.1 document given as JSON text.
///
/// # Errors
///
/// [`OpenApiError::Syntax`] for text that is not JSON, and the errors of [`import_value`].
///
/// # Example
///
/// ```
/// use credgate::{AuthSchemeConfig, openapi};
///
/// let import = openapi::import(r#"{"openapi": "3.0.3", "info": {"title": "Billing"},
///     "servers": [{"url": "https://api.billing.example"}],
///     "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
///                                        "token": {"type": "http", "scheme": "bearer"}}},
///     "security": [{"basic": []}, {"token": []}]}"#)?;
/// assert_eq!(import.templates.len(), 2);
/// assert!(matches!(import.templates[0].auth_scheme_configs[0], AuthSchemeConfig::BasicAuth(_)));
/// assert_eq!(import.templates[1].name, "billing-token");
/// # Ok::<(), openapi::OpenApiError>(())
/// ```
pub fn import(json: &str) -> Result<Import, OpenApiError> {
    let document: Value = serde_json::from_str(json).map_err(|error| OpenApiError::Syntax {
        format: "json",
        line: error.line(),
        column: error.column(),
    })?;
    import_value(&document)
}

/// Imports the templates of an `OpenAPI` 3.0 or 3.1 document given as YAML text (cargo
/// feature `openapi-yaml`).
///
/// # Errors
///
/// [`OpenApiError::Syntax`] for text that is not YAML (or holds YAML JSON cannot say, such
/// as a non-string key), and the errors of [`import_value`].
///
/// # Example
///
/// ```
/// use credgate::openapi;
///
/// let import = openapi::import_yaml("
/// openapi: 3.0.3
/// info: {title: Pets}
/// servers: [{url: 'https://pets.example'}]
/// components:
///   securitySchemes:
///     key: {type: apiKey, in: query, name: api_key}
/// security: [{key: []}]
/// ")?;
/// assert_eq!(import.templates[0].template_base_url, "https://pets.example");
/// # Ok::<(), openapi::OpenApiError>(())
/// ```
#[cfg(feature = "openapi-yaml")]
pub fn import_yaml(yaml: &str) -> Result<Import, OpenApiError> {
    let document: Value = serde_norway::from_str(yaml).map_err(|error| {
        let location = error.location();
        OpenApiError::Syntax {
            format: "yaml",
            line: location.as_ref().map_or(0, serde_norway::Location::line),
            column: location.as_ref().map_or(0, serde_norway::Location::column),
        }
    })?;
    import_value(&document)
}

fn version(document: &serde_json::Map<String, Value>) -> Result<Version, OpenApiError> {
    let Some(version) = document.get("openapi") else {
        return Err(if document.contains_key("swagger") {
            OpenApiError::Swagger2
        } else {
            OpenApiError::MissingVersion
        });
    };
    let text = version.as_str().unwrap_or_default();
    let mut parts = text.split('.');
    match (parts.next(), parts.next()) {
        (Some("3"), Some("0")) => Ok(Version::V3_0),
        (Some("3"), Some("1")) => Ok(Version::V3_1),
        _ => Err(OpenApiError::UnsupportedVersion {
            version: match version {
                Value::String(text) => text.chars().take(32).collect(),
                other => other.to_string().chars().take(32).collect(),
            },
        }),
    }
}

/// Imports the templates of an `OpenAPI` 3.0 or 3.1 document already parsed.
///
/// # Errors
///
/// [`OpenApiError::NotAnObject`], [`OpenApiError::Swagger2`],
/// [`OpenApiError::MissingVersion`] and [`OpenApiError::UnsupportedVersion`]: the document
/// is not `OpenAPI` 3.0 or 3.1. Anything less is a warning.
///
/// # Example
///
/// ```
/// use credgate::openapi::{self, Warning};
///
/// let import = openapi::import_value(&serde_json::json!({"openapi": "3.1.0",
///     "components": {"securitySchemes": {"oidc": {"type": "openIdConnect",
///         "openIdConnectUrl": "https://id.example/.well-known/openid-configuration"}}},
///     "security": [{"oidc": []}]}))?;
/// assert!(import.templates.is_empty());
/// assert!(import.warnings.iter().any(|w| matches!(w, Warning::SchemeNotImportable { .. })));
/// # Ok::<(), openapi::OpenApiError>(())
/// ```
pub fn import_value(document: &Value) -> Result<Import, OpenApiError> {
    let object = document.as_object().ok_or(OpenApiError::NotAnObject)?;
    let version = version(object)?;
    let mut warnings = Vec::new();
    let server = servers::import(document, &mut warnings);
    let schemes = schemes::import(document, version, &server.base_url, &mut warnings);
    let requirements = security::collect(document, &mut warnings);

    let mut alternatives: Vec<Vec<AuthSchemeConfig>> = Vec::new();
    if requirements.alternatives.is_empty() {
        let importable: Vec<_> = schemes.values().flatten().flatten().cloned().collect();
        if !importable.is_empty() {
            warnings.push(Warning::NoSecurityRequirement);
            alternatives = importable.into_iter().map(|scheme| vec![scheme]).collect();
        } else if schemes.is_empty() {
            warnings.push(Warning::NoSecurity);
        }
    }
    let mut unknown = BTreeSet::new();
    for requirement in &requirements.alternatives {
        let mut combined: Vec<Vec<AuthSchemeConfig>> = vec![Vec::new()];
        let mut skipped = None;
        for (name, scopes) in &requirement.schemes {
            let Some(options) = schemes.get(name) else {
                if unknown.insert(name.as_str()) {
                    warnings.push(Warning::UnknownScheme {
                        scheme: name.clone(),
                    });
                }
                skipped = Some(name);
                break;
            };
            let Some(options) = options else {
                skipped = Some(name);
                break;
            };
            combined = combined
                .iter()
                .flat_map(|prefix| {
                    options.iter().map(move |option| {
                        let mut option = option.clone();
                        if let AuthSchemeConfig::OAuth2(oauth2) = &mut option {
                            oauth2.default_scopes.clone_from(scopes);
                        }
                        let mut together = prefix.clone();
                        together.push(option);
                        together
                    })
                })
                .take(MAX_TEMPLATES + 1)
                .collect();
        }
        if let Some(because) = skipped {
            warnings.push(Warning::RequirementSkipped {
                schemes: requirement.schemes.iter().map(|(n, _)| n.clone()).collect(),
                because: because.clone(),
            });
            continue;
        }
        if requirement.schemes.is_empty() {
            combined = vec![vec![AuthSchemeConfig::None(NoneScheme::new("none"))]];
        }
        alternatives.extend(combined);
    }
    if !requirements.unauthenticated.is_empty() {
        warnings.push(Warning::OperationsWithoutAuth {
            operations: requirements.unauthenticated,
        });
    }
    if alternatives.len() > MAX_TEMPLATES {
        warnings.push(Warning::TooManyAlternatives {
            count: alternatives.len(),
        });
        alternatives.truncate(MAX_TEMPLATES);
    }

    let title = slug(
        document
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    let several = alternatives.len() > 1;
    let templates = alternatives
        .into_iter()
        .map(|schemes| {
            let name = if several {
                let ids: Vec<&str> = schemes.iter().map(AuthSchemeConfig::id).collect();
                format!("{title}-{}", ids.join("-"))
            } else {
                title.clone()
            };
            let mut template = ConnectionTemplate::new(name, server.base_url.clone(), schemes);
            template.placeholders.clone_from(&server.placeholders);
            template
        })
        .collect();
    Ok(Import {
        templates,
        warnings,
    })
}

/// The document's title as a template name: lowercase ASCII letters and digits, other runs
/// as one `-`; `openapi` when nothing is left.
fn slug(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let trimmed = slug.trim_end_matches('-');
    if trimmed.is_empty() {
        "openapi".to_owned()
    } else {
        trimmed.to_owned()
    }
}
