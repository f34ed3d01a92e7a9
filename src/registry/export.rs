//! The registry as one [`RegistryDocument`] and back.

use std::sync::Arc;

use super::store::{StoredConnection, UserActivation};
use super::{
    ConnectionLink, EnvironmentDocument, Registry, RegistryDocument, RegistryError,
    StaticConnection,
};
use crate::model::{Activation, Connection};

impl Registry {
    /// Everything in the registry as one document, secrets in memory in full. Serialising
    /// it with plain `serde_json` redacts them: to persist, call
    /// [`export_with_secrets`](Self::export_with_secrets) (or
    /// [`crate::to_json_with_secrets`] on this document). OAuth 2.0 connections appear with
    /// the latest token they received (see [`with_token_hook`](Self::with_token_hook)).
    ///
    /// Activations made or removed while it runs may or may not be in it; templates and
    /// systems cannot change meanwhile (their changes wait for it), so it always imports.
    ///
    /// # Example
    ///
    /// ```
    /// let registry = credgate::Registry::new();
    /// registry.add_environment("production")?;
    /// let copy = credgate::Registry::from_document(registry.export())?;
    /// assert_eq!(copy.export(), registry.export());
    /// # Ok::<(), credgate::RegistryError>(())
    /// ```
    pub fn export(&self) -> RegistryDocument {
        let config = self.read();
        let environments = config
            .environments
            .iter()
            .map(|(name, env)| EnvironmentDocument {
                name: name.to_string(),
                templates: env.templates.values().map(|e| e.template.clone()).collect(),
                links: env
                    .links
                    .iter()
                    .map(|(template, id)| ConnectionLink {
                        template: template.clone(),
                        connection_id: id.clone(),
                    })
                    .collect(),
            })
            .collect();
        let connections = config
            .connections
            .values()
            .map(StaticConnection::current)
            .collect();
        let systems = config.systems.clone();
        // Held until the activations are read, so that no template they were checked
        // against changes in between: the document always imports.
        let mut activations = Vec::new();
        self.activations.for_each(|environment, user, found| {
            activations.push(export_activation(environment, user, found));
        });
        drop(config);
        activations.sort_by(|a, b| {
            (&a.environment, &a.user.external_id).cmp(&(&b.environment, &b.user.external_id))
        });
        RegistryDocument {
            systems,
            environments,
            connections,
            activations,
        }
    }

    /// A registry holding everything in `document`, checked as the individual calls
    /// check it, except that a connection may keep an auth scheme its template no longer
    /// offers: it was created before the template's schemes changed.
    ///
    /// # Errors
    ///
    /// The first [`RegistryError`] any part of the document gives.
    ///
    /// # Example
    ///
    /// See [`export`](Self::export).
    pub fn from_document(document: RegistryDocument) -> Result<Self, RegistryError> {
        let dangling = document
            .environments
            .iter()
            .flat_map(|env| &env.links)
            .find(|link| {
                !document
                    .connections
                    .iter()
                    .any(|c| c.id == link.connection_id)
            });
        if let Some(link) = dangling {
            return Err(RegistryError::UnknownConnection {
                id: link.connection_id.clone(),
            });
        }
        let registry = Self::new();
        let restore = registry.restore();
        for system in document.systems {
            registry.add_system(system)?;
        }
        for env in &document.environments {
            registry.add_environment(&env.name)?;
            for template in &env.templates {
                restore.add_template(&env.name, template.clone())?;
            }
        }
        for connection in document.connections {
            let id = connection.id.clone();
            let mut links = document.environments.iter().flat_map(|env| {
                env.links
                    .iter()
                    .filter(|link| link.connection_id == id)
                    .map(move |link| (env.name.as_str(), link.template.as_str()))
            });
            let Some((environment, template)) = links.next() else {
                return Err(RegistryError::UnknownConnection { id });
            };
            restore.add_connection(environment, template, connection)?;
            for (environment, template) in links {
                restore.link_connection(environment, template, &id)?;
            }
        }
        for activation in document.activations {
            restore.activate(activation)?;
        }
        Ok(registry)
    }
}

/// The activation document of a stored activation, each shared connection once.
fn export_activation(environment: &str, user: &str, found: &UserActivation) -> Activation {
    let mut connections: Vec<Connection> = Vec::with_capacity(found.connections.len());
    let mut seen: Vec<&Arc<StoredConnection>> = Vec::with_capacity(found.connections.len());
    for c in &found.connections {
        if !seen.iter().any(|stored| Arc::ptr_eq(stored, &c.connection)) {
            seen.push(&c.connection);
            connections.push(c.current());
        }
    }
    Activation {
        id: found.id.clone(),
        user: crate::model::EndUser {
            external_id: user.to_owned(),
            display_name: found.display_name.clone(),
        },
        environment: environment.to_owned(),
        connections,
    }
}
