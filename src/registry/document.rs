//! The registry as one serde document, for lossless export/import and redacted display.

use serde::{Deserialize, Serialize};

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

// `Registry` has no `Serialize` on purpose: `serde_json::to_string(&registry)` wrote
// `******` for every secret, the result loaded back, and only the next restart failed
// (issue #15). Saving says which of the two it means.
impl Registry {
    /// Everything in the registry as JSON with every secret in full: what to persist.
    /// [`from_document`](Self::from_document)`(serde_json::from_str(&json)?)` loads it
    /// back into a new registry (for connections you store yourself, one by one, see
    /// [`restore`](Self::restore)). Treat the string as the secret it holds.
    ///
    /// # Errors
    ///
    /// A `serde_json` error, which does not happen for the documents credgate writes.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{Registry, RegistryDocument};
    ///
    /// let registry = Registry::new();
    /// registry.add_environment("production")?;
    /// let saved = registry.export_with_secrets()?;
    /// let document: RegistryDocument = serde_json::from_str(&saved)?;
    /// let restarted = Registry::from_document(document)?;
    /// assert_eq!(restarted.export(), registry.export());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn export_with_secrets(&self) -> serde_json::Result<String> {
        crate::to_json_with_secrets(&self.export())
    }

    /// Everything in the registry as JSON with every secret written as
    /// [`REDACTED`](crate::REDACTED): for display and logs. It loads, but a connection
    /// built from it fails with [`BuildError::Redacted`](crate::BuildError::Redacted): it
    /// cannot be restored from.
    ///
    /// # Errors
    ///
    /// A `serde_json` error, which does not happen for the documents credgate writes.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::Registry;
    ///
    /// let registry = Registry::new();
    /// registry.add_environment("production")?;
    /// assert!(!registry.export_redacted()?.contains("sk_live"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn export_redacted(&self) -> serde_json::Result<String> {
        crate::to_redacted_json(&self.export())
    }
}

crate::model::safe::safe_document!(RegistryDocument, EnvironmentDocument, ConnectionLink);
