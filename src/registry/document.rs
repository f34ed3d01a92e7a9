//! The registry as one serde document, for lossless export/import and redacted display.

use serde::{Deserialize, Serialize, Serializer};

use super::Registry;
use crate::model::{Activation, Connection, ConnectionTemplate, System};

/// Everything a [`Registry`] holds, in the platform's camelCase JSON.
///
/// Plain serialisation redacts every secret (`******`), for display;
/// [`crate::to_json_with_secrets`] writes them in full, and
/// [`Registry::from_document`] reads such an export back into an equal registry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RegistryDocument {
    /// The systems.
    #[serde(default)]
    pub systems: Vec<System>,
    /// The environments with their templates and static connection links.
    #[serde(default)]
    pub environments: Vec<EnvironmentDocument>,
    /// The static connections, each once however many templates it serves.
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// The end users' activations.
    #[serde(default)]
    pub activations: Vec<Activation>,
}

/// One environment of a [`RegistryDocument`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EnvironmentDocument {
    /// The environment's name.
    pub name: String,
    /// Its templates.
    #[serde(default)]
    pub templates: Vec<ConnectionTemplate>,
    /// Which static connection serves which of its templates.
    #[serde(default)]
    pub links: Vec<ConnectionLink>,
}

/// A static connection serving a template, by the template's name and the connection's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConnectionLink {
    /// The template's name.
    pub template: String,
    /// The connection's id.
    pub connection_id: String,
}

/// Serialises [`Registry::export`]: redacted by default, in full under
/// [`crate::to_json_with_secrets`].
impl Serialize for Registry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.export().serialize(serializer)
    }
}

crate::model::safe::safe_document!(RegistryDocument, EnvironmentDocument, ConnectionLink);
