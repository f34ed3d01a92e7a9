//! Static connections: created for a template, added, linked to more templates (one shared
//! [`LiveConnection`](crate::LiveConnection)) and removed.

use super::entry::keep_origin_only;
use super::owner::Owner;
use super::{
    Environment, Origin, Registry, RegistryChange, RegistryError, StaticConnection, non_empty,
};
use crate::model::{Connection, Credential};

impl Registry {
    /// A new connection for the template's current auth schemes, with the platform's
    /// checks (see [`ConnectionTemplate::connect`](crate::ConnectionTemplate::connect)). Add it with
    /// [`add_connection`](Self::add_connection), or put it in an [`Activation`](crate::Activation).
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownEnvironment`], [`RegistryError::UnknownTemplate`], and
    /// [`RegistryError::Build`] with the platform's message for a missing or mismatched
    /// credential.
    ///
    /// # Example
    ///
    /// See [`Registry`].
    pub fn connect(
        &self,
        environment: &str,
        template: &str,
        credentials: Vec<Credential>,
    ) -> Result<Connection, RegistryError> {
        let config = self.read();
        let entry = config.template(environment, template)?;
        entry
            .template
            .connect(credentials)
            .map_err(|source| entry.build_error(environment, source))
    }

    /// Adds a static connection and links it to `template` in `environment`. Its `id` must
    /// be unique, and its `connectionTemplateId` the template's.
    ///
    /// # Errors
    ///
    /// [`RegistryError::EmptyName`] or [`RegistryError::Duplicate`] for its id,
    /// [`RegistryError::UnknownEnvironment`], [`RegistryError::UnknownTemplate`],
    /// [`RegistryError::WrongKind`] for an embedded template, [`RegistryError::WrongTemplate`]
    /// for a connection of another template, [`RegistryError::AlreadyConnected`], and
    /// [`RegistryError::Build`] when it cannot be built (a bypass the template does not
    /// allow, say).
    ///
    /// # Example
    ///
    /// See [`link_connection`](Self::link_connection).
    pub fn add_connection(
        &self,
        environment: &str,
        template: &str,
        connection: Connection,
    ) -> Result<(), RegistryError> {
        self.add_connection_from(environment, template, connection, Origin::New)
    }

    pub(super) fn add_connection_from(
        &self,
        environment: &str,
        template: &str,
        mut connection: Connection,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        non_empty(&connection.id, "connection id")?;
        keep_origin_only(&mut connection);
        let mut config = self.write();
        if config.connections.contains_key(&connection.id) {
            return Err(RegistryError::Duplicate {
                what: "connection",
                name: connection.id,
            });
        }
        let env = config.environment(environment)?;
        let entry = env.template(environment, template)?;
        check_unlinked(env, environment, template)?;
        entry.accepts(environment, &connection, false, origin, &config.systems)?;
        let owner = || Owner::Connection(connection.id.clone());
        let (live, serving) = self.build(environment, entry, &connection, owner, None)?;
        config
            .environment_mut(environment)?
            .links
            .insert(template.to_owned(), connection.id.clone());
        self.record(origin, || RegistryChange::ConnectionAdded {
            environment: environment.to_owned(),
            template: template.to_owned(),
            connection: connection.clone(),
        });
        config.connections.insert(
            connection.id.clone(),
            StaticConnection {
                connection,
                live,
                serving,
            },
        );
        Ok(())
    }

    /// Links an existing static connection to another template, in this or another
    /// environment: connect once, use everywhere. Both templates then resolve to the same
    /// [`LiveConnection`](crate::LiveConnection).
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownConnection`], the errors of
    /// [`add_connection`](Self::add_connection), and [`RegistryError::BaseUrlMismatch`] when
    /// the connection would have another base URL under this template.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use credgate::{ConnectionTemplate, Credential, Registry};
    ///
    /// let registry = Registry::new();
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "slack",
    ///     "connectionTemplateId": "slack-app", "templateBaseUrl": "https://slack.com/api",
    ///     "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "bot", "name": "Authorization",
    ///         "in": "header", "valueTemplate": "Bearer {key}"}}]}"#)?;
    /// for environment in ["staging", "production"] {
    ///     registry.add_environment(environment)?;
    ///     registry.add_template(environment, template.clone())?;
    /// }
    /// let mut connection = registry.connect("staging", "slack", vec![Credential::api_key("xoxb-1")])?;
    /// connection.id = "c1".into();
    /// registry.add_connection("staging", "slack", connection)?;
    /// registry.link_connection("production", "slack", "c1")?;
    ///
    /// let staging = registry.resolve("staging", "slack", None)?;
    /// let production = registry.resolve("production", "slack", None)?;
    /// assert!(Arc::ptr_eq(&staging, &production));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn link_connection(
        &self,
        environment: &str,
        template: &str,
        connection_id: &str,
    ) -> Result<(), RegistryError> {
        self.link_connection_from(environment, template, connection_id, Origin::New)
    }

    pub(super) fn link_connection_from(
        &self,
        environment: &str,
        template: &str,
        connection_id: &str,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        let mut config = self.write();
        let stored = config.connection(connection_id)?;
        let env = config.environment(environment)?;
        let entry = env.template(environment, template)?;
        check_unlinked(env, environment, template)?;
        entry.accepts(
            environment,
            &stored.connection,
            false,
            origin,
            &config.systems,
        )?;
        entry.check_shared(environment, &stored.connection, &stored.live)?;
        config
            .environment_mut(environment)?
            .links
            .insert(template.to_owned(), connection_id.to_owned());
        self.record(origin, || RegistryChange::ConnectionLinked {
            environment: environment.to_owned(),
            template: template.to_owned(),
            connection_id: connection_id.to_owned(),
        });
        Ok(())
    }

    /// Removes a static connection and all its links.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownConnection`].
    ///
    /// # Example
    ///
    /// ```
    /// let registry = credgate::Registry::new();
    /// assert!(registry.remove_connection("c1").is_err());
    /// ```
    pub fn remove_connection(&self, connection_id: &str) -> Result<(), RegistryError> {
        self.remove_connection_from(connection_id, Origin::New)
    }

    pub(super) fn remove_connection_from(
        &self,
        connection_id: &str,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        let mut config = self.write();
        if config.connections.remove(connection_id).is_none() {
            return Err(RegistryError::UnknownConnection {
                id: connection_id.to_owned(),
            });
        }
        for env in config.environments.values_mut() {
            env.links.retain(|_, id| id != connection_id);
        }
        self.record(origin, || RegistryChange::ConnectionRemoved {
            connection_id: connection_id.to_owned(),
        });
        Ok(())
    }
}

fn check_unlinked(
    env: &Environment,
    environment: &str,
    template: &str,
) -> Result<(), RegistryError> {
    if env.links.contains_key(template) {
        return Err(RegistryError::AlreadyConnected {
            environment: environment.to_owned(),
            template: template.to_owned(),
        });
    }
    Ok(())
}
