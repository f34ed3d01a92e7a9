//! Connections (the credentials for one template) and activations (one end user's).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::credential::Credential;
use super::scheme::AuthSchemeConfig;

/// A scheme paired with the credential that satisfies it.
///
/// A connection keeps the scheme it was created with, so editing the template's or system's
/// scheme later does not break it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConnectionCredential {
    /// The scheme.
    pub auth_scheme_config: AuthSchemeConfig,
    /// The credential for it.
    pub credential: Credential,
}

impl ConnectionCredential {
    /// Pairs a scheme with its credential.
    pub fn new(auth_scheme_config: AuthSchemeConfig, credential: Credential) -> Self {
        Self {
            auth_scheme_config,
            credential,
        }
    }
}

/// A connection document: the credentials for one template, applied to requests in order.
///
/// This is data, as stored and listed. To put its credentials on requests, build a
/// [`crate::LiveConnection`] from it with [`Connection::build`]; that validates everything
/// and pre-encodes the credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Connection {
    /// The platform's id.
    #[serde(default)]
    pub id: String,
    /// A name for humans.
    #[serde(default)]
    pub name: String,
    /// The template this connection belongs to.
    #[serde(default)]
    pub connection_template_id: String,
    /// Overrides the template's base URL (a user's own shop, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The credentials, applied in order.
    #[serde(default)]
    pub credentials: Vec<ConnectionCredential>,
    /// Per-connection values for the template's URLs (`{"subdomain": "acme"}` for
    /// `https://{subdomain}.zendesk.com`) and OAuth 2.0 parameters; see
    /// [`crate::url_template::expand_with`]. Placeholders these leave unset take the
    /// token response values the connection's stored OAuth 2.0 tokens hold (an OAuth 2.0
    /// scheme's `tokenResponseValues`, keyed by path).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
}

impl Connection {
    /// A connection with the given credentials and nothing else set.
    pub fn new(credentials: Vec<ConnectionCredential>) -> Self {
        Self {
            id: String::new(),
            name: String::new(),
            connection_template_id: String::new(),
            base_url: None,
            credentials,
            values: BTreeMap::new(),
        }
    }
}

/// The end user of an activation, known by the host's own id for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EndUser {
    /// The host's id for the user.
    pub external_id: String,
    /// A name for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl EndUser {
    /// The end user the host knows as `external_id`.
    pub fn new(external_id: impl Into<String>) -> Self {
        Self {
            external_id: external_id.into(),
            display_name: None,
        }
    }
}

/// One end user of one environment, with their own connection per embedded template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Activation {
    /// The platform's id.
    #[serde(default)]
    pub id: String,
    /// The end user.
    pub user: EndUser,
    /// The environment.
    pub environment: String,
    /// The user's connections.
    #[serde(default)]
    pub connections: Vec<Connection>,
}

impl Activation {
    /// Activates `user` in `environment` with their `connections`, one per embedded template.
    pub fn new(
        environment: impl Into<String>,
        user: EndUser,
        connections: Vec<Connection>,
    ) -> Self {
        Self {
            id: String::new(),
            user,
            environment: environment.into(),
            connections,
        }
    }
}

crate::model::safe::safe_document!(ConnectionCredential, Connection, EndUser, Activation);
