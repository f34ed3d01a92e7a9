//! Moving an existing connection, static or an end user's, to an edited auth scheme.

use std::sync::Arc;

use super::owner::Owner;
use super::store::{StoredConnection, UserActivation};
use super::{Origin, Registry, RegistryChange, RegistryError, StaticConnection};
use crate::model::{AuthSchemeConfig, Connection};

impl Registry {
    /// Moves a static connection to `scheme`: the credential whose scheme has `scheme`'s
    /// id is validated against `scheme` and, if it fits, the connection is rebuilt with it
    /// everywhere it is linked. On error nothing changes.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownConnection`], [`RegistryError::ForeignScheme`] when a
    /// template it is linked to (or that template's system) does not offer `scheme` as
    /// given, [`RegistryError::UnknownScheme`] when the connection has no scheme with that
    /// id, and [`RegistryError::Build`] when its credential does not fit the new scheme.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ApiKeyScheme, AuthSchemeConfig, ConnectionTemplate, Credential, KeyLocation, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.add_system(serde_json::from_str(r#"{"name": "crm", "domain": "crm", "authSchemeConfigs": [
    ///     {"type": "api-key", "apiKey": {"id": "key", "name": "X-Key", "in": "header"}}]}"#)?)?;
    /// registry.add_environment("production")?;
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "crm", "domain": "crm",
    ///     "templateBaseUrl": "https://crm.example.com"}"#)?;
    /// registry.add_template("production", template)?;
    /// registry.set_template_schemes("production", "crm", &["key"])?;
    /// let mut connection = registry.connect("production", "crm", vec![Credential::api_key("k-1")])?;
    /// connection.id = "c1".into();
    /// registry.add_connection("production", "crm", connection)?;
    ///
    /// // The system's scheme is edited: the existing connection still sends X-Key...
    /// let edited = AuthSchemeConfig::ApiKey(ApiKeyScheme::new("key", "X-Api-Token", KeyLocation::Header));
    /// registry.update_system_scheme("crm", edited.clone())?;
    /// let mut request = http::Request::get("/").body(())?;
    /// registry.resolve("production", "crm", None)?.authorize(&mut request)?;
    /// assert_eq!(request.headers()["x-key"], "k-1");
    ///
    /// // ...until it is moved explicitly.
    /// registry.move_connection_to_scheme("c1", &edited)?;
    /// let mut request = http::Request::get("/").body(())?;
    /// registry.resolve("production", "crm", None)?.authorize(&mut request)?;
    /// assert_eq!(request.headers()["x-api-token"], "k-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn move_connection_to_scheme(
        &self,
        connection_id: &str,
        scheme: &AuthSchemeConfig,
    ) -> Result<(), RegistryError> {
        self.move_connection_to_scheme_from(connection_id, scheme, Origin::New)
    }

    pub(super) fn move_connection_to_scheme_from(
        &self,
        connection_id: &str,
        scheme: &AuthSchemeConfig,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        let mut config = self.write();
        let stored = config.connection(connection_id)?;
        let moved = with_scheme(stored.current(), scheme)?;
        // Build under the first template it is linked to, then check the others.
        let mut linked = config.environments.iter().flat_map(|(name, env)| {
            env.links
                .iter()
                .filter(|(_, id)| *id == connection_id)
                .filter_map(move |(template, _)| Some((name, env.templates.get(template)?)))
        });
        let Some((first_env, first)) = linked.next() else {
            return Err(RegistryError::UnknownConnection {
                id: connection_id.to_owned(),
            });
        };
        first.check_offers(first_env, scheme, &config.systems)?;
        let (live, serving) = self.build(
            first_env,
            first,
            &moved,
            || Owner::Connection(connection_id.to_owned()),
            stored.serving.clone(),
        )?;
        for (env_name, entry) in linked {
            entry.check_offers(env_name, scheme, &config.systems)?;
            entry.check_shared(env_name, &moved, &live)?;
        }
        Self::serve(serving.as_ref(), &live);
        config.connections.insert(
            connection_id.to_owned(),
            StaticConnection {
                connection: moved,
                live,
                serving,
            },
        );
        self.record(origin, || RegistryChange::ConnectionMoved {
            connection_id: connection_id.to_owned(),
            scheme: scheme.clone(),
        });
        Ok(())
    }

    /// Moves an end user's connection for an embedded template to `scheme`, like
    /// [`move_connection_to_scheme`](Self::move_connection_to_scheme).
    ///
    /// # Errors
    ///
    /// [`RegistryError::UserNotActivated`] (also when the activation changed while this
    /// ran: retry), [`RegistryError::ForeignScheme`], [`RegistryError::UnknownScheme`], and
    /// [`RegistryError::Build`] when the
    /// credential does not fit the new scheme.
    ///
    /// # Example
    ///
    /// ```
    /// let registry = credgate::Registry::new();
    /// let scheme = credgate::AuthSchemeConfig::BasicAuth(credgate::BasicAuthScheme::new("basic"));
    /// assert!(registry.move_user_connection_to_scheme("production", "crm", "user-1", &scheme).is_err());
    /// ```
    pub fn move_user_connection_to_scheme(
        &self,
        environment: &str,
        template: &str,
        external_id: &str,
        scheme: &AuthSchemeConfig,
    ) -> Result<(), RegistryError> {
        self.move_user_connection_to_scheme_from(
            environment,
            template,
            external_id,
            scheme,
            Origin::New,
        )
    }

    pub(super) fn move_user_connection_to_scheme_from(
        &self,
        environment: &str,
        template: &str,
        external_id: &str,
        scheme: &AuthSchemeConfig,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        let not_activated = || RegistryError::UserNotActivated {
            environment: environment.to_owned(),
            template: template.to_owned(),
            user: external_id.to_owned(),
        };
        // Copy the activation under the shard's read lock, build it under the configuration's
        // (so that its template cannot change before it is stored), then put the copy back
        // only if nobody replaced the activation in between.
        let mut record = self
            .activations
            .get_activation(environment, external_id)
            .map(|found| UserActivation::clone(&found))
            .ok_or_else(not_activated)?;
        let target = record
            .connections
            .iter()
            .find(|c| &*c.template.name == template)
            .ok_or_else(not_activated)?;
        let old_live = Arc::clone(&target.live);
        let serving = target.serving.clone();
        let config = self.read();
        let entry = config.template(environment, template)?;
        entry.check_offers(environment, scheme, &config.systems)?;
        let moved = with_scheme(target.current(), scheme)?;
        let owner = || Owner::end_user(environment, external_id, &moved);
        let (live, serving) = self.build(environment, entry, &moved, owner, serving)?;
        let moved = Arc::new(StoredConnection::new(moved, &entry.schemes));
        for c in record.connections.iter_mut() {
            if Arc::ptr_eq(&c.live, &old_live) {
                c.connection = Arc::clone(&moved);
                c.live = Arc::clone(&live);
                c.serving.clone_from(&serving);
            }
        }
        let mut log = self.lock_log(origin);
        let replaced = self
            .activations
            .replace_if(environment, external_id, record, |current| {
                current
                    .connections
                    .iter()
                    .any(|c| Arc::ptr_eq(&c.live, &old_live))
            });
        if replaced.is_ok()
            && let Some(log) = log.as_mut()
        {
            log.push(RegistryChange::UserConnectionMoved {
                environment: environment.to_owned(),
                template: template.to_owned(),
                external_id: external_id.to_owned(),
                scheme: scheme.clone(),
            });
        }
        drop(log);
        drop(config);
        replaced.map_err(|_| not_activated())?;
        Self::serve(serving.as_ref(), &live);
        Ok(())
    }
}

/// A copy of `connection` with the scheme of `scheme`'s id replaced by `scheme`.
fn with_scheme(
    mut moved: Connection,
    scheme: &AuthSchemeConfig,
) -> Result<Connection, RegistryError> {
    let slot = moved
        .credentials
        .iter_mut()
        .find(|pair| pair.auth_scheme_config.id() == scheme.id())
        .ok_or_else(|| RegistryError::UnknownScheme {
            id: scheme.id().to_owned(),
            owner: "the connection".to_owned(),
        })?;
    slot.auth_scheme_config.clone_from(scheme);
    Ok(moved)
}
