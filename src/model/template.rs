//! Systems and connection templates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::placeholder::Placeholder;
use super::scheme::AuthSchemeConfig;

/// A system (connector): an API credgate talks to, and the ways it can be authenticated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct System {
    /// The platform's id.
    #[serde(default)]
    pub id: String,
    /// The system's name.
    pub name: String,
    /// The system's domain.
    #[serde(default)]
    pub domain: String,
    /// The base URL requests go to.
    #[serde(default)]
    pub template_base_url: String,
    /// The auth schemes the system offers.
    #[serde(default)]
    pub auth_scheme_configs: Vec<AuthSchemeConfig>,
}

/// A system linked to a project in one environment, under the `name` integration code uses.
///
/// Its auth schemes are applied to a request in order. `allowBypass` is credgate's own
/// optional field: whether a bypass (`none`) connection may stand in for the configured
/// schemes.
///
/// # Example
///
/// ```
/// use credgate::ConnectionTemplate;
///
/// let template: ConnectionTemplate = serde_json::from_str(r#"{
///     "id": "01K94NJCJFCQ0TEGA44B03942N", "connectionTemplateId": "01KKBR67D0484X7WG7KB3DZFS2",
///     "name": "shopify", "domain": "shopify", "dynamic": false,
///     "templateBaseUrl": "https://test.myshopify.com/",
///     "authSchemeConfigs": [{"type": "api-key",
///         "apiKey": {"id": "key", "name": "X-Shopify-Access-Token", "in": "header"}}]
/// }"#)?;
/// assert_eq!(template.name, "shopify");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConnectionTemplate {
    /// The platform's id.
    #[serde(default)]
    pub id: String,
    /// The template's id as connections refer to it.
    #[serde(default)]
    pub connection_template_id: String,
    /// How integration code refers to the system.
    pub name: String,
    /// The system's domain.
    #[serde(default)]
    pub domain: String,
    /// The base URL requests go to (a connection may override it).
    #[serde(default)]
    pub template_base_url: String,
    /// Whether this is an embedded template: each end user brings their own credentials.
    #[serde(default)]
    pub dynamic: bool,
    /// The auth schemes, applied in order.
    #[serde(default)]
    pub auth_scheme_configs: Vec<AuthSchemeConfig>,
    /// Whether a bypass connection may stand in for the configured schemes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_bypass: bool,
    /// Whether a connection's `baseUrl` may name any host (a self-hosted instance, say).
    /// Without it an override must keep the template's `https` and stay on its domain.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_any_base_url: bool,
    /// Whether the base URL (the template's or a connection's override) may use clear-text
    /// `http://` to a host that is not loopback. Without it such a base URL is refused at
    /// build time, since credentials would cross the network unencrypted; loopback
    /// (`127.0.0.0/8`, `::1`, `localhost`) is always allowed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_insecure_http: bool,
    /// credgate: what each `{name}` placeholder of the template's URLs may be, by name
    /// (see [`Placeholder`]); in particular the hosts a placeholder that sets part of the
    /// host may produce. A placeholder in a host without `hostPatterns` is refused, and a
    /// value producing a host outside them is refused when the connection is built.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub placeholders: BTreeMap<String, Placeholder>,
}

impl ConnectionTemplate {
    /// A static template named `name` at `base_url` with the given schemes, whose
    /// [`id`](Self::id) is its name until set.
    pub fn new(
        name: impl Into<String>,
        base_url: impl Into<String>,
        auth_scheme_configs: Vec<AuthSchemeConfig>,
    ) -> Self {
        let name = name.into();
        Self {
            id: name.clone(),
            connection_template_id: String::new(),
            name,
            domain: String::new(),
            template_base_url: base_url.into(),
            dynamic: false,
            auth_scheme_configs,
            allow_bypass: false,
            allow_any_base_url: false,
            allow_insecure_http: false,
            placeholders: BTreeMap::new(),
        }
    }

    /// The id connections use to refer to this template: `connectionTemplateId`, or `id`
    /// when that is empty.
    pub fn template_id(&self) -> &str {
        if self.connection_template_id.is_empty() {
            &self.id
        } else {
            &self.connection_template_id
        }
    }
}

crate::model::safe::safe_document!(System, ConnectionTemplate);
