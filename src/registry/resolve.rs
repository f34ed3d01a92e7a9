//! [`Registry::resolve`]: the connection a request uses.

use std::sync::Arc;

use super::{Registry, RegistryError};
use crate::live::LiveConnection;

impl Registry {
    /// The connection to use for `template` (its `name`) in `environment`: the template's
    /// static connection, or for an embedded template the connection of the end user with
    /// `external_id` (ignored for static templates).
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownEnvironment`], [`RegistryError::UnknownTemplate`],
    /// [`RegistryError::NoConnection`] for a static template without a connection,
    /// [`RegistryError::EndUserRequired`] for an embedded template asked for without a
    /// user, [`RegistryError::NoActivatedUser`] when no user is activated for it yet, and
    /// [`RegistryError::UserNotActivated`].
    ///
    /// # Example
    ///
    /// See [`Registry`].
    pub fn resolve(
        &self,
        environment: &str,
        template: &str,
        external_id: Option<&str>,
    ) -> Result<Arc<LiveConnection>, RegistryError> {
        if let Some(user) = external_id
            && let Some(live) = self.activations.get(environment, template, user)
        {
            return Ok(live);
        }
        let config = self.read();
        let env = config.environment(environment)?;
        let entry = env.template(environment, template)?;
        let names = || (environment.to_owned(), template.to_owned());
        if !entry.template.dynamic {
            return env
                .links
                .get(template)
                .and_then(|id| config.connections.get(id))
                .map(|stored| Arc::clone(&stored.live))
                .ok_or_else(|| {
                    let (environment, template) = names();
                    RegistryError::NoConnection {
                        environment,
                        template,
                    }
                });
        }
        let (environment, template) = names();
        Err(match external_id {
            None => RegistryError::EndUserRequired {
                environment,
                template,
            },
            Some(_) if entry.key.users.load(std::sync::atomic::Ordering::Relaxed) == 0 => {
                RegistryError::NoActivatedUser {
                    environment,
                    template,
                }
            }
            Some(user) => RegistryError::UserNotActivated {
                environment,
                template,
                user: user.to_owned(),
            },
        })
    }
}
