//! The change log: what one replica's registry changed, for the others to apply.
//!
//! * **Promise.** With [`Registry::with_change_log`], every successful mutation (system,
//!   environment, template added or replaced, static connection added, linked, moved or
//!   removed, activation created, replaced, moved or removed) is recorded as one
//!   [`RegistryChange`], in the order the registry applied them: a change is recorded under
//!   the lock that orders it against the others it could race with.
//!   [`Registry::take_changes`] drains them; [`Registry::apply`] applies one from another
//!   replica, idempotently, and does not record it again.
//! * **Cost.** Without the log, one branch on an `Option` per mutation and nothing else.
//!   With it, the change's document is cloned, and activations and deactivations take the
//!   log's mutex around their insertion, so that they are recorded in the order applied.
//! * **Not here.** New OAuth 2.0 tokens are not registry changes: they reach the host
//!   through [`Registry::with_token_hook`]. The log is in memory; storing it (and knowing
//!   which changes a replica has applied) is the host's or a store crate's job.

use std::sync::{Arc, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use super::entry::keep_origin_only;
use super::store::UserActivation;
use super::{Origin, Registry, RegistryError};
use crate::model::{Activation, AuthSchemeConfig, Connection, ConnectionTemplate, EndUser, System};

/// One change a registry made, as [`Registry::take_changes`] gives it, for
/// [`Registry::apply`] on another replica.
///
/// It carries the documents with their secrets as the registry holds them. `Debug` writes
/// every secret as `******`, and so does plain `Serialize`, as for every credgate document:
/// persist a change with [`crate::to_json_with_secrets`], which writes them in full and
/// reads back into an equal change.
///
/// # Example
///
/// ```
/// use credgate::{Registry, RegistryChange};
///
/// let registry = Registry::new().with_change_log();
/// registry.add_environment("production")?;
/// let changes = registry.take_changes();
/// assert_eq!(
///     credgate::to_json_with_secrets(&changes[0])?,
///     r#"{"type":"environmentAdded","environment":"production"}"#,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum RegistryChange {
    /// [`Registry::add_system`].
    SystemAdded {
        /// The system.
        system: System,
    },
    /// [`Registry::update_system_scheme`]: the system's scheme with this id, and the copies
    /// of its templates.
    SystemSchemeUpdated {
        /// The system's name.
        system: String,
        /// The edited scheme.
        scheme: AuthSchemeConfig,
    },
    /// [`Registry::add_environment`].
    EnvironmentAdded {
        /// The environment's name.
        environment: String,
    },
    /// [`Registry::add_template`] (or [`Restore::add_template`](super::Restore::add_template)).
    TemplateAdded {
        /// The environment.
        environment: String,
        /// The template.
        template: ConnectionTemplate,
    },
    /// [`Registry::replace_template`] (or [`Registry::set_template_schemes`]).
    TemplateReplaced {
        /// The environment.
        environment: String,
        /// The new template, replacing the one with its name.
        template: ConnectionTemplate,
    },
    /// [`Registry::add_connection`]: a static connection, linked to its first template.
    ConnectionAdded {
        /// The environment.
        environment: String,
        /// The template's name.
        template: String,
        /// The connection, as stored (its own base URL reduced to its origin).
        connection: Connection,
    },
    /// [`Registry::link_connection`].
    ConnectionLinked {
        /// The environment.
        environment: String,
        /// The template's name.
        template: String,
        /// The static connection's id.
        connection_id: String,
    },
    /// [`Registry::move_connection_to_scheme`].
    ConnectionMoved {
        /// The static connection's id.
        connection_id: String,
        /// The scheme it was moved to.
        scheme: AuthSchemeConfig,
    },
    /// [`Registry::remove_connection`].
    ConnectionRemoved {
        /// The static connection's id.
        connection_id: String,
    },
    /// [`Registry::activate`]: a new activation, or one replacing the user's previous one.
    Activated {
        /// The activation, as stored (connections' own base URLs reduced to their origin).
        activation: Activation,
    },
    /// [`Registry::move_user_connection_to_scheme`].
    UserConnectionMoved {
        /// The environment.
        environment: String,
        /// The embedded template's name.
        template: String,
        /// The end user's external id.
        external_id: String,
        /// The scheme it was moved to.
        scheme: AuthSchemeConfig,
    },
    /// [`Registry::deactivate`] of an activated user.
    Deactivated {
        /// The environment.
        environment: String,
        /// The end user's external id.
        external_id: String,
    },
}

crate::model::safe::safe_document!(RegistryChange);

/// What [`Registry::apply`] did with a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApplyOutcome {
    /// The registry now holds the change.
    Applied,
    /// The registry already held exactly what the change makes: nothing changed. Applying
    /// a change twice gives this the second time.
    AlreadyPresent,
    /// The registry holds something else under the name the change adds (another
    /// template of that name, another connection with that id, the template linked to
    /// another connection): nothing changed. Two replicas made different changes under one
    /// name; the host decides which wins (remove one, then apply again).
    Conflict,
}

impl Registry {
    /// Records every change made from now on, for [`take_changes`](Self::take_changes).
    /// Off by default, and then free.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ApplyOutcome, Registry};
    ///
    /// let first = Registry::new().with_change_log();
    /// let second = Registry::new();
    /// first.add_environment("production")?;
    /// for change in first.take_changes() {
    ///     assert_eq!(second.apply(change)?, ApplyOutcome::Applied);
    /// }
    /// assert_eq!(second.export(), first.export());
    /// # Ok::<(), credgate::RegistryError>(())
    /// ```
    #[must_use]
    pub fn with_change_log(mut self) -> Self {
        self.changes.get_or_insert_with(Default::default);
        self
    }

    /// The changes recorded since the last call, oldest first (none without
    /// [`with_change_log`](Self::with_change_log)). Store them, and apply them on the other
    /// replicas in this order.
    ///
    /// # Example
    ///
    /// See [`with_change_log`](Self::with_change_log).
    pub fn take_changes(&self) -> Vec<RegistryChange> {
        self.change_log()
            .map(|mut log| std::mem::take(&mut *log))
            .unwrap_or_default()
    }

    /// Applies a change recorded by another replica's registry, checked as
    /// [`restore`](Self::restore) checks what a host stored (a connection keeps the
    /// schemes it was created with), and not recorded in this registry's log.
    ///
    /// Idempotent: a change this registry already holds gives
    /// [`ApplyOutcome::AlreadyPresent`] and changes nothing. Apply a replica's changes in
    /// the order it recorded them: a replacement (a template, an activation, a move) is
    /// applied whenever the registry holds something else, so an older one applied after
    /// a newer one would win.
    ///
    /// # Errors
    ///
    /// The [`RegistryError`] of the call the change records, such as
    /// [`RegistryError::UnknownEnvironment`] or [`RegistryError::UnknownConnection`] when a
    /// change it depends on was not applied first. On error nothing changes.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ApplyOutcome, Registry};
    ///
    /// let first = Registry::new().with_change_log();
    /// first.add_environment("production")?;
    /// let change = first.take_changes().remove(0);
    /// let second = Registry::new();
    /// assert_eq!(second.apply(change.clone())?, ApplyOutcome::Applied);
    /// assert_eq!(second.apply(change)?, ApplyOutcome::AlreadyPresent);
    /// # Ok::<(), credgate::RegistryError>(())
    /// ```
    pub fn apply(&self, change: RegistryChange) -> Result<ApplyOutcome, RegistryError> {
        const REPLICATED: Origin = Origin::Replicated;
        let held = self.holds(&change);
        if held != Held::No {
            return Ok(held.outcome());
        }
        match change {
            RegistryChange::SystemAdded { system } => self.add_system_from(system, REPLICATED),
            RegistryChange::SystemSchemeUpdated { system, scheme } => {
                self.update_system_scheme_from(&system, scheme, REPLICATED)
            }
            RegistryChange::EnvironmentAdded { environment } => {
                self.add_environment_from(&environment, REPLICATED)
            }
            RegistryChange::TemplateAdded {
                environment,
                template,
            } => self.add_template_from(&environment, template, REPLICATED),
            RegistryChange::TemplateReplaced {
                environment,
                template,
            } => self.replace_template_from(&environment, template, REPLICATED),
            RegistryChange::ConnectionAdded {
                environment,
                template,
                connection,
            } => self.add_connection_from(&environment, &template, connection, REPLICATED),
            RegistryChange::ConnectionLinked {
                environment,
                template,
                connection_id,
            } => self.link_connection_from(&environment, &template, &connection_id, REPLICATED),
            RegistryChange::ConnectionMoved {
                connection_id,
                scheme,
            } => self.move_connection_to_scheme_from(&connection_id, &scheme, REPLICATED),
            RegistryChange::ConnectionRemoved { connection_id } => {
                self.remove_connection_from(&connection_id, REPLICATED)
            }
            RegistryChange::Activated { activation } => self.activate_from(activation, REPLICATED),
            RegistryChange::UserConnectionMoved {
                environment,
                template,
                external_id,
                scheme,
            } => self.move_user_connection_to_scheme_from(
                &environment,
                &template,
                &external_id,
                &scheme,
                REPLICATED,
            ),
            RegistryChange::Deactivated {
                environment,
                external_id,
            } => {
                self.deactivate_from(&environment, &external_id, REPLICATED);
                Ok(())
            }
        }
        .map(|()| ApplyOutcome::Applied)
    }

    /// Whether the registry already holds what `change` makes, or something else under
    /// the name it adds.
    fn holds(&self, change: &RegistryChange) -> Held {
        let config = self.read();
        match change {
            RegistryChange::SystemAdded { system } => {
                match config.systems.iter().find(|s| s.name == system.name) {
                    Some(held) => Held::when(held == system),
                    None => Held::No,
                }
            }
            RegistryChange::SystemSchemeUpdated { system, scheme } => config
                .systems
                .iter()
                .find(|s| s.name == *system)
                .filter(|s| s.auth_scheme_configs.iter().any(|held| held == scheme))
                .map_or(Held::No, |_| Held::Same),
            RegistryChange::EnvironmentAdded { environment } => {
                if config.environments.contains_key(environment.as_str()) {
                    Held::Same
                } else {
                    Held::No
                }
            }
            RegistryChange::TemplateAdded {
                environment,
                template,
            } => match config.template(environment, &template.name) {
                Ok(held) => Held::when(held.template == *template),
                Err(_) => Held::No,
            },
            RegistryChange::TemplateReplaced {
                environment,
                template,
            } => config
                .template(environment, &template.name)
                .ok()
                .filter(|held| held.template == *template)
                .map_or(Held::No, |_| Held::Same),
            RegistryChange::ConnectionAdded {
                environment,
                template,
                connection,
            } => {
                let mut connection = connection.clone();
                keep_origin_only(&mut connection);
                let held = config.connections.get(&connection.id);
                let link = config
                    .environments
                    .get(environment.as_str())
                    .and_then(|env| env.links.get(template));
                match (held, link) {
                    (None, None) => Held::No,
                    (Some(held), Some(id)) if *id == connection.id => {
                        Held::when(held.connection == connection)
                    }
                    _ => Held::Other,
                }
            }
            RegistryChange::ConnectionLinked {
                environment,
                template,
                connection_id,
            } => match config
                .environments
                .get(environment.as_str())
                .and_then(|env| env.links.get(template))
            {
                Some(id) => Held::when(id == connection_id),
                None => Held::No,
            },
            RegistryChange::ConnectionMoved {
                connection_id,
                scheme,
            } => config
                .connections
                .get(connection_id)
                .filter(|held| uses(&held.connection, scheme))
                .map_or(Held::No, |_| Held::Same),
            RegistryChange::ConnectionRemoved { connection_id } => {
                if config.connections.contains_key(connection_id) {
                    Held::No
                } else {
                    Held::Same
                }
            }
            RegistryChange::Activated { activation } => {
                let mut activation = activation.clone();
                activation.connections.iter_mut().for_each(keep_origin_only);
                let external_id = &activation.user.external_id;
                self.activations
                    .get_activation(&activation.environment, external_id)
                    .filter(|held| {
                        stored_activation(&activation.environment, external_id, held) == activation
                    })
                    .map_or(Held::No, |_| Held::Same)
            }
            RegistryChange::UserConnectionMoved {
                environment,
                template,
                external_id,
                scheme,
            } => self
                .activations
                .get_activation(environment, external_id)
                .filter(|held| {
                    held.connections
                        .iter()
                        .filter(|c| &*c.template.name == template)
                        .any(|c| uses(&c.connection.to_connection(), scheme))
                })
                .map_or(Held::No, |_| Held::Same),
            RegistryChange::Deactivated {
                environment,
                external_id,
            } => match self.activations.get_activation(environment, external_id) {
                Some(_) => Held::No,
                None => Held::Same,
            },
        }
    }

    /// Whether changes made with `origin` are recorded.
    pub(super) fn records(&self, origin: Origin) -> bool {
        origin != Origin::Replicated && self.changes.is_some()
    }

    /// Records the change `change` makes, for a change made with `origin`. Called under the
    /// lock that orders the change, so that the log has the order the registry applied.
    pub(super) fn record(&self, origin: Origin, change: impl FnOnce() -> RegistryChange) {
        if self.records(origin)
            && let Some(mut log) = self.change_log()
        {
            log.push(change());
        }
    }

    /// The log, locked, for a change made with `origin` that must hold it while it is
    /// applied (activations, whose table has no lock of the registry's own).
    pub(super) fn lock_log(&self, origin: Origin) -> Option<MutexGuard<'_, Vec<RegistryChange>>> {
        if self.records(origin) {
            self.change_log()
        } else {
            None
        }
    }

    fn change_log(&self) -> Option<MutexGuard<'_, Vec<RegistryChange>>> {
        // A poisoned lock only means a panic elsewhere; a push leaves the log whole.
        let log = self.changes.as_ref()?;
        Some(log.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What [`Registry::holds`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    No,
    Same,
    Other,
}

impl Held {
    fn when(same: bool) -> Self {
        if same { Self::Same } else { Self::Other }
    }

    fn outcome(self) -> ApplyOutcome {
        match self {
            Self::Other => ApplyOutcome::Conflict,
            Self::No | Self::Same => ApplyOutcome::AlreadyPresent,
        }
    }
}

/// Whether `connection` has `scheme`, exactly, as the scheme with its id.
fn uses(connection: &Connection, scheme: &AuthSchemeConfig) -> bool {
    connection
        .credentials
        .iter()
        .any(|pair| pair.auth_scheme_config == *scheme)
}

/// The activation document of a stored activation as it was activated (without the tokens
/// received since), each shared connection once.
fn stored_activation(environment: &str, user: &str, found: &UserActivation) -> Activation {
    let mut connections: Vec<Connection> = Vec::with_capacity(found.connections.len());
    let mut seen = Vec::with_capacity(found.connections.len());
    for c in &found.connections {
        if !seen.iter().any(|stored| Arc::ptr_eq(stored, &c.connection)) {
            seen.push(Arc::clone(&c.connection));
            connections.push(c.connection.to_connection());
        }
    }
    let mut user = EndUser::new(user);
    user.display_name.clone_from(&found.display_name);
    let mut activation = Activation::new(environment, user, connections);
    activation.id.clone_from(&found.id);
    activation
}
