//! Systems, environments and templates: what connections are checked against. Changing a
//! template or a system scheme checks every existing connection first.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::entry::{TemplateEntry, answers_to, replace_by_id, unique_scheme_ids};
use super::store::TemplateKey;
use super::{Config, Environment, Origin, Registry, RegistryChange, RegistryError, non_empty};
use crate::model::{AuthSchemeConfig, ConnectionTemplate, System};

impl Registry {
    /// Adds a system: the auth schemes templates pick from by id.
    ///
    /// # Errors
    ///
    /// [`RegistryError::EmptyName`] or [`RegistryError::Duplicate`] for its name.
    ///
    /// # Example
    ///
    /// ```
    /// let registry = credgate::Registry::new();
    /// let system: credgate::System = serde_json::from_str(r#"{"name": "zendesk", "domain": "zendesk"}"#)?;
    /// registry.add_system(system.clone())?;
    /// assert!(registry.add_system(system).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_system(&self, system: System) -> Result<(), RegistryError> {
        self.add_system_from(system, Origin::New)
    }

    pub(super) fn add_system_from(
        &self,
        system: System,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        non_empty(&system.name, "system name")?;
        unique_scheme_ids(&system.auth_scheme_configs)?;
        let mut config = self.write_templates();
        // Templates find their system by its name or domain: no two systems may answer to
        // the same one.
        if config.system(&system.name).is_ok() {
            return Err(RegistryError::Duplicate {
                what: "system",
                name: system.name,
            });
        }
        if !system.domain.is_empty() && config.system(&system.domain).is_ok() {
            return Err(RegistryError::Duplicate {
                what: "system domain",
                name: system.domain,
            });
        }
        self.record(origin, || RegistryChange::SystemAdded {
            system: system.clone(),
        });
        config.systems.push(system);
        Ok(())
    }

    /// Adds an environment (`production`, `staging`, ...).
    ///
    /// # Errors
    ///
    /// [`RegistryError::EmptyName`] or [`RegistryError::Duplicate`].
    ///
    /// # Example
    ///
    /// ```
    /// let registry = credgate::Registry::new();
    /// registry.add_environment("production")?;
    /// assert_eq!(
    ///     registry.add_environment("production").unwrap_err().to_string(),
    ///     r#"environment "production" already exists"#,
    /// );
    /// # Ok::<(), credgate::RegistryError>(())
    /// ```
    pub fn add_environment(&self, environment: &str) -> Result<(), RegistryError> {
        self.add_environment_from(environment, Origin::New)
    }

    pub(super) fn add_environment_from(
        &self,
        environment: &str,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        non_empty(environment, "environment name")?;
        let mut config = self.write();
        if config.environments.contains_key(environment) {
            return Err(RegistryError::Duplicate {
                what: "environment",
                name: environment.to_owned(),
            });
        }
        config
            .environments
            .insert(environment.into(), Environment::default());
        self.record(origin, || RegistryChange::EnvironmentAdded {
            environment: environment.to_owned(),
        });
        Ok(())
    }

    /// Adds a template to `environment` under its `name`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownEnvironment`], [`RegistryError::EmptyName`],
    /// [`RegistryError::Duplicate`] for a name already used in the environment, or for a
    /// template id of an embedded template of the other kind or with activated users,
    /// [`RegistryError::SecondTemplateWithoutId`] (connections name their template by
    /// `connectionTemplateId` or `id`, and templates with one id share connections), and
    /// [`RegistryError::Build`] for a base URL that cannot be parsed.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ConnectionTemplate, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.add_environment("production")?;
    /// registry.add_template("production", ConnectionTemplate::new("crm", "https://crm.example.com", vec![]))?;
    /// let err = registry.resolve("production", "crm", None).unwrap_err();
    /// assert_eq!(err.to_string(), r#"no connection for template "crm" in environment "production""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_template(
        &self,
        environment: &str,
        template: ConnectionTemplate,
    ) -> Result<(), RegistryError> {
        self.add_template_from(environment, template, Origin::New)
    }

    pub(super) fn add_template_from(
        &self,
        environment: &str,
        template: ConnectionTemplate,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        non_empty(&template.name, "template name")?;
        let key = TemplateKey::new(&template.name);
        let entry = TemplateEntry::new(environment, template, key)?;
        let mut config = self.write_templates();
        let env = config.environment_mut(environment)?;
        if env.templates.contains_key(entry.name()) {
            return Err(RegistryError::Duplicate {
                what: "template",
                name: entry.template.name,
            });
        }
        // Templates that share an id share their connections, which a host may intend; two
        // without any id would share them by accident. Stored ones come from before this
        // was refused (`ConnectionTemplate::new` made them) and must still load.
        if origin == Origin::New
            && entry.template.template_id().is_empty()
            && env
                .templates
                .values()
                .any(|t| t.template.template_id().is_empty())
        {
            return Err(RegistryError::SecondTemplateWithoutId {
                environment: environment.to_owned(),
            });
        }
        // End users' connections serve every embedded template with their id, on import
        // too: a new template of that id must be embedded, and may join only while no user
        // is activated for it (their activations would not hold it).
        let id = entry.template.template_id();
        let joins = env
            .templates
            .values()
            .filter(|t| t.template.template_id() == id)
            .filter(|t| t.template.dynamic || entry.template.dynamic);
        for other in joins {
            if other.template.dynamic != entry.template.dynamic
                || other.key.users.load(Ordering::Relaxed) > 0
            {
                return Err(RegistryError::Duplicate {
                    what: "template id",
                    name: id.to_owned(),
                });
            }
        }
        let entry = Arc::new(entry);
        env.templates
            .insert(entry.name().to_owned(), Arc::clone(&entry));
        self.record(origin, || RegistryChange::TemplateAdded {
            environment: environment.to_owned(),
            template: entry.template.clone(),
        });
        Ok(())
    }

    /// Replaces the template of the same name in `environment`: its auth schemes apply to
    /// connections created afterwards, and existing connections keep theirs.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownEnvironment`], [`RegistryError::UnknownTemplate`],
    /// [`RegistryError::UnsupportedChange`] when it would switch between static and
    /// embedded or change the `connectionTemplateId` its connections name,
    /// [`RegistryError::Build`] for a base URL that cannot be parsed, and
    /// [`RegistryError::TemplateInUse`] when an existing connection would be built
    /// differently under the new template: another base URL (a changed URL, a new
    /// placeholder it has no value for) or a bypass no longer allowed. Checking that reads
    /// every end user's connection of an embedded template whose base URL or bypass rule
    /// changes.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ApiKeyScheme, AuthSchemeConfig, ConnectionTemplate, KeyLocation, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.add_environment("production")?;
    /// let header = ApiKeyScheme::new("key", "X-Key", KeyLocation::Header);
    /// let mut template = ConnectionTemplate::new("crm", "https://crm.example.com", vec![AuthSchemeConfig::ApiKey(header)]);
    /// registry.add_template("production", template.clone())?;
    ///
    /// template.auth_scheme_configs = vec![AuthSchemeConfig::ApiKey(ApiKeyScheme::new("key", "key", KeyLocation::Query))];
    /// registry.replace_template("production", template)?;
    /// let created = registry.connect("production", "crm", vec![credgate::Credential::api_key("k")])?;
    /// assert!(matches!(&created.credentials[0].auth_scheme_config,
    ///     AuthSchemeConfig::ApiKey(s) if s.location == KeyLocation::Query));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_template(
        &self,
        environment: &str,
        template: ConnectionTemplate,
    ) -> Result<(), RegistryError> {
        self.replace_template_from(environment, template, Origin::New)
    }

    pub(super) fn replace_template_from(
        &self,
        environment: &str,
        template: ConnectionTemplate,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        let mut config = self.write_templates();
        let env = config.environment(environment)?;
        let old = env.template(environment, &template.name)?;
        if old.template.dynamic != template.dynamic {
            return Err(RegistryError::UnsupportedChange {
                template: template.name,
                reason: "a template cannot switch between static and embedded",
            });
        }
        // Connections name their template by this id; changing it would orphan them on the
        // next import.
        if old.template.template_id() != template.template_id() {
            return Err(RegistryError::UnsupportedChange {
                template: template.name,
                reason: "a template's connectionTemplateId cannot change",
            });
        }
        let entry = TemplateEntry::new(environment, template, Arc::clone(&old.key))?;
        self.check_replacement(&config, environment, env, old, &entry)?;
        let entry = Arc::new(entry);
        config
            .environment_mut(environment)?
            .templates
            .insert(entry.name().to_owned(), Arc::clone(&entry));
        self.record(origin, || RegistryChange::TemplateReplaced {
            environment: environment.to_owned(),
            template: entry.template.clone(),
        });
        Ok(())
    }

    /// Checks that `entry` may replace `old` in `environment`: every connection keeps what
    /// it was built with, so one that the next import would build differently (another
    /// host, a bypass now refused) must go first, or the export would no longer load as
    /// this registry.
    fn check_replacement(
        &self,
        config: &Config,
        environment: &str,
        env: &Environment,
        old: &TemplateEntry,
        entry: &TemplateEntry,
    ) -> Result<(), RegistryError> {
        if entry.builds_like(old) {
            return Ok(());
        }
        let linked = env.links.get(entry.name());
        if let Some(stored) = linked.and_then(|id| config.connections.get(id)) {
            let holder = || format!("connection \"{}\"", stored.connection.id);
            entry.keeps(environment, holder, &stored.connection, &stored.live)?;
        }
        if old.key.users.load(Ordering::Relaxed) > 0 {
            self.check_users_keep(environment, &old.key, entry)?;
        }
        Ok(())
    }

    /// Checks every end user's connection for the template of `key` against `entry`, its
    /// replacement. Runs under the configuration's write lock, so no activation checked
    /// against the old template can be stored meanwhile.
    fn check_users_keep(
        &self,
        environment: &str,
        key: &Arc<TemplateKey>,
        entry: &TemplateEntry,
    ) -> Result<(), RegistryError> {
        let mut outcome = Ok(());
        self.activations.for_each(|env, user, activation| {
            if outcome.is_err() || env != environment {
                return;
            }
            outcome = activation
                .connections
                .iter()
                .filter(|c| Arc::ptr_eq(&c.template, key))
                .try_for_each(|c| {
                    let holder = || format!("end user \"{user}\"");
                    entry.keeps(environment, holder, &c.connection.to_connection(), &c.live)
                });
        });
        outcome
    }

    /// Sets the auth schemes of a template to those of its system (the system whose
    /// `domain` is the template's) with the given user-given `ids`, in order. Connections
    /// created afterwards use them; existing connections keep theirs.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownSystem`], [`RegistryError::UnknownScheme`], and the errors of
    /// [`replace_template`](Self::replace_template).
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ConnectionTemplate, Credential, Registry, System};
    ///
    /// let registry = Registry::new();
    /// registry.add_system(serde_json::from_str(r#"{"name": "crm", "domain": "crm", "authSchemeConfigs": [
    ///     {"type": "api-key", "apiKey": {"id": "header-key", "name": "X-Key", "in": "header"}},
    ///     {"type": "basic-auth", "basicAuth": {"id": "basic"}}]}"#)?)?;
    /// registry.add_environment("production")?;
    /// let template: ConnectionTemplate = serde_json::from_str(r#"{"name": "crm", "domain": "crm",
    ///     "templateBaseUrl": "https://crm.example.com"}"#)?;
    /// registry.add_template("production", template)?;
    ///
    /// registry.set_template_schemes("production", "crm", &["header-key"])?;
    /// let err = registry.connect("production", "crm", vec![Credential::basic_auth("ada", "pw")]).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     r#"template "crm" in environment "production": api-key is required for this connection template"#,
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_template_schemes(
        &self,
        environment: &str,
        template: &str,
        ids: &[&str],
    ) -> Result<(), RegistryError> {
        let updated = {
            let config = self.read();
            let entry = config.template(environment, template)?;
            let system = config.system(&entry.template.domain)?;
            let schemes = ids
                .iter()
                .map(|id| {
                    system
                        .auth_scheme_configs
                        .iter()
                        .find(|scheme| scheme.id() == *id)
                        .cloned()
                        .ok_or_else(|| RegistryError::UnknownScheme {
                            id: (*id).to_owned(),
                            owner: format!("system \"{}\"", system.name),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            ConnectionTemplate {
                auth_scheme_configs: schemes,
                ..entry.template.clone()
            }
        };
        self.replace_template(environment, updated)
    }

    /// Edits the scheme with `scheme`'s id in the system named `system`, and in every
    /// template of that system that uses it, so connections created afterwards use the
    /// edited scheme. Existing connections keep the scheme they were created with and keep
    /// working; [`move_connection_to_scheme`](Self::move_connection_to_scheme) moves one.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownSystem`], [`RegistryError::UnknownScheme`] when the system
    /// has no scheme with that id, and the errors of
    /// [`replace_template`](Self::replace_template) for a template with a copy of it
    /// ([`RegistryError::TemplateInUse`] when an existing connection would be built
    /// differently, such as a bypass connection once the template's schemes are not all
    /// `none`). On error nothing changes.
    ///
    /// # Example
    ///
    /// See [`move_connection_to_scheme`](Self::move_connection_to_scheme).
    pub fn update_system_scheme(
        &self,
        system: &str,
        scheme: AuthSchemeConfig,
    ) -> Result<(), RegistryError> {
        self.update_system_scheme_from(system, scheme, Origin::New)
    }

    pub(super) fn update_system_scheme_from(
        &self,
        system: &str,
        scheme: AuthSchemeConfig,
        origin: Origin,
    ) -> Result<(), RegistryError> {
        let mut config = self.write_templates();
        let position = config
            .systems
            .iter()
            .position(|s| s.name == system)
            .ok_or_else(|| RegistryError::UnknownSystem {
                system: system.to_owned(),
            })?;
        let found = &config.systems[position];
        if !found
            .auth_scheme_configs
            .iter()
            .any(|s| s.id() == scheme.id())
        {
            return Err(RegistryError::UnknownScheme {
                id: scheme.id().to_owned(),
                owner: format!("system \"{system}\""),
            });
        }
        // Each template with a copy of the scheme is rebuilt and checked as a replaced
        // template is, before anything changes.
        let mut replaced = Vec::new();
        for (environment, env) in &config.environments {
            let tied = env.templates.values();
            for old in tied.filter(|e| answers_to(found, &e.template.domain)) {
                let mut template = old.template.clone();
                replace_by_id(&mut template.auth_scheme_configs, &scheme);
                let entry = TemplateEntry::new(environment, template, Arc::clone(&old.key))?;
                self.check_replacement(&config, environment, env, old, &entry)?;
                replaced.push((Arc::clone(environment), entry));
            }
        }
        replace_by_id(&mut config.systems[position].auth_scheme_configs, &scheme);
        for (environment, entry) in replaced {
            config
                .environment_mut(&environment)?
                .templates
                .insert(entry.name().to_owned(), Arc::new(entry));
        }
        self.record(origin, || RegistryChange::SystemSchemeUpdated {
            system: system.to_owned(),
            scheme,
        });
        Ok(())
    }
}
