//! End users' activations: their connections checked under the configuration's read lock,
//! built after it is released, and stored in the sharded table that resolutions read
//! without waiting.

use std::sync::Arc;

use super::entry::{TemplateEntry, keep_origin_only};
use super::owner::Owner;
use super::store::{StoredConnection, UserActivation, UserConnection};
use super::{Origin, Registry, RegistryChange, RegistryError, non_empty, unknown_environment};
use crate::model::{Activation, Connection};

/// An end user's connections in one environment, built for the templates as they were at
/// the configuration's `generation`.
struct BuiltConnections {
    environment: Arc<str>,
    generation: u64,
    connections: Box<[UserConnection]>,
}

impl Registry {
    /// Activates an end user in an environment with their own connections, one per
    /// embedded template (found by each connection's `connectionTemplateId`; a connection
    /// serves every embedded template of the environment with that id). It replaces the
    /// user's previous activation in that environment, if any.
    ///
    /// The connections are built before anything changes; requests being resolved for
    /// other users never wait for it, and requests for this user see either the old or the
    /// new activation.
    ///
    /// # Errors
    ///
    /// [`RegistryError::EmptyName`] for an empty external id,
    /// [`RegistryError::UnknownEnvironment`], [`RegistryError::UnknownTemplateId`],
    /// [`RegistryError::WrongKind`] for a static template, [`RegistryError::Duplicate`] for
    /// two connections for one template, [`RegistryError::BaseUrlMismatch`], and
    /// [`RegistryError::Build`] when a connection cannot be built.
    ///
    /// # Example
    ///
    /// See [`Registry`].
    pub fn activate(&self, activation: Activation) -> Result<(), RegistryError> {
        self.activate_from(activation, Origin::New)
    }

    pub(super) fn activate_from(
        &self,
        activation: Activation,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        let mut activation = activation;
        activation.connections.iter_mut().for_each(keep_origin_only);
        let recorded = self.records(origin).then(|| activation.clone());
        let Activation {
            id,
            user,
            environment,
            connections,
        } = activation;
        non_empty(&user.external_id, "end user external id")?;
        let mut record = UserActivation {
            id,
            display_name: user.display_name,
            connections: Box::default(),
        };
        loop {
            let built =
                self.build_user_connections(&environment, &user.external_id, &connections, origin)?;
            record.connections = built.connections;
            let config = self.read();
            // Stored only if no template changed since the connections were checked against
            // them (a template change checks the stored ones); otherwise check again.
            if config.generation == built.generation {
                // The log is held while the activation is stored, so that two activations
                // of one user are recorded in the order they were stored.
                let mut log = self.lock_log(origin);
                let replaced =
                    self.activations
                        .insert(built.environment, &user.external_id, record);
                if let (Some(log), Some(activation)) = (log.as_mut(), recorded) {
                    log.push(RegistryChange::Activated { activation });
                }
                drop(log);
                drop(config);
                drop(replaced);
                return Ok(());
            }
        }
    }

    /// An end user's connections in `environment`, checked and paired with their templates
    /// under the read lock and built after it is released (building can be slow, and a
    /// writer queued behind a slow reader would hold up every other reader, static
    /// resolutions included), with the configuration's generation they were checked at.
    fn build_user_connections(
        &self,
        environment: &str,
        external_id: &str,
        connections: &[Connection],
        origin: Origin,
    ) -> Result<BuiltConnections, RegistryError> {
        let (environment_name, generation, checked) = {
            let config = self.read();
            let (name, env) = config
                .environments
                .get_key_value(environment)
                .ok_or_else(|| unknown_environment(environment))?;
            let mut checked = Vec::with_capacity(connections.len());
            for connection in connections {
                let id = connection.connection_template_id.as_str();
                let entries: Vec<Arc<TemplateEntry>> = env
                    .templates
                    .values()
                    .filter(|e| e.template.template_id() == id)
                    .cloned()
                    .collect();
                if entries.is_empty() {
                    return Err(RegistryError::UnknownTemplateId {
                        environment: environment.to_owned(),
                        id: id.to_owned(),
                    });
                }
                for entry in &entries {
                    entry.accepts(environment, connection, true, origin, &config.systems)?;
                }
                checked.push((connection, entries));
            }
            (Arc::clone(name), config.generation, checked)
        };
        let mut built: Vec<UserConnection> = Vec::with_capacity(checked.len());
        for (connection, entries) in checked {
            let Some((first, others)) = entries.split_first() else {
                continue;
            };
            let owner = || Owner::end_user(environment, external_id, connection);
            let (live, serving) = self.build(environment, first, connection, owner, None)?;
            for entry in others {
                entry.check_shared(environment, connection, &live)?;
            }
            if let Some(taken) = entries
                .iter()
                .find(|e| built.iter().any(|b| Arc::ptr_eq(&b.template, &e.key)))
            {
                return Err(RegistryError::Duplicate {
                    what: "end-user connection for template",
                    name: taken.name().to_owned(),
                });
            }
            let stored = Arc::new(StoredConnection::new(connection.clone(), &first.schemes));
            for entry in &entries {
                built.push(UserConnection {
                    template: Arc::clone(&entry.key),
                    connection: Arc::clone(&stored),
                    live: Arc::clone(&live),
                    serving: serving.clone(),
                });
            }
        }
        Ok(BuiltConnections {
            environment: environment_name,
            generation,
            connections: built.into_boxed_slice(),
        })
    }

    /// Removes the end user's activation in `environment`: new resolutions for them fail,
    /// while requests that already hold their connection finish with it. Returns whether
    /// the user was activated.
    ///
    /// # Example
    ///
    /// ```
    /// let registry = credgate::Registry::new();
    /// assert!(!registry.deactivate("production", "user-1"));
    /// ```
    pub fn deactivate(&self, environment: &str, external_id: &str) -> bool {
        self.deactivate_from(environment, external_id, Origin::New)
    }

    pub(super) fn deactivate_from(
        &self,
        environment: &str,
        external_id: &str,
        origin: Origin,
    ) -> bool {
        let mut log = self.lock_log(origin);
        let removed = self.activations.remove(environment, external_id);
        if removed.is_some()
            && let Some(log) = log.as_mut()
        {
            log.push(RegistryChange::Deactivated {
                environment: environment.to_owned(),
                external_id: external_id.to_owned(),
            });
        }
        drop(log);
        removed.is_some()
    }
}
