//! [`Restore`]: the calls that refill a registry from the host's storage, where connections
//! keep the auth schemes they were created with.

use super::{Origin, Registry, RegistryError};
use crate::model::{Activation, Connection, ConnectionTemplate};

impl Registry {
    /// The calls for a host that refills the registry row by row from its own storage,
    /// with templates and connections it stored earlier: as with
    /// [`from_document`](Self::from_document), a connection keeps the auth schemes it was
    /// created with, which its template may no longer offer, and a template may be a
    /// second one without an id, as credgate once allowed. Everything else is checked as
    /// for a new template or connection.
    ///
    /// A connection from anyone else (an end user completing a connect flow) goes through
    /// [`add_connection`](Self::add_connection) or [`activate`](Self::activate), which
    /// refuse schemes the template does not offer exactly as it offers them.
    ///
    /// # Example
    ///
    /// ```
    /// use credgate::{ApiKeyScheme, AuthSchemeConfig, ConnectionTemplate, Credential, KeyLocation, Registry};
    ///
    /// let header = AuthSchemeConfig::ApiKey(ApiKeyScheme::new("key", "X-Key", KeyLocation::Header));
    /// let mut template = ConnectionTemplate::new("crm", "https://crm.example.com", vec![header]);
    /// let registry = Registry::new();
    /// registry.add_environment("production")?;
    /// registry.add_template("production", template.clone())?;
    /// let mut stored = registry.connect("production", "crm", vec![Credential::api_key("k-1")])?;
    /// stored.id = "c1".into();
    ///
    /// // Later, after the template moved to a new scheme, the host starts again.
    /// template.auth_scheme_configs =
    ///     vec![AuthSchemeConfig::ApiKey(ApiKeyScheme::new("key-v2", "key", KeyLocation::Query))];
    /// let registry = Registry::new();
    /// registry.add_environment("production")?;
    /// registry.add_template("production", template)?;
    /// assert!(registry.add_connection("production", "crm", stored.clone()).is_err());
    /// registry.restore().add_connection("production", "crm", stored)?;
    /// let mut request = http::Request::get("https://crm.example.com/v1").body(())?;
    /// registry.resolve("production", "crm", None)?.authorize(&mut request)?;
    /// assert_eq!(request.headers()["x-key"], "k-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore(&self) -> Restore<'_> {
        Restore { registry: self }
    }
}

/// Adds templates and connections a host stored earlier; see [`Registry::restore`].
#[derive(Debug, Clone, Copy)]
pub struct Restore<'a> {
    registry: &'a Registry,
}

impl Restore<'_> {
    /// [`Registry::add_template`] for a stored template.
    ///
    /// # Errors
    ///
    /// As [`Registry::add_template`], except [`RegistryError::SecondTemplateWithoutId`]:
    /// such templates were accepted before credgate refused them.
    ///
    /// # Example
    ///
    /// See [`Registry::restore`].
    pub fn add_template(
        &self,
        environment: &str,
        template: ConnectionTemplate,
    ) -> Result<(), RegistryError> {
        self.registry
            .add_template_from(environment, template, Origin::Restored)
    }

    /// [`Registry::add_connection`] for a stored connection.
    ///
    /// # Errors
    ///
    /// As [`Registry::add_connection`], except [`RegistryError::ForeignScheme`].
    ///
    /// # Example
    ///
    /// See [`Registry::restore`].
    pub fn add_connection(
        &self,
        environment: &str,
        template: &str,
        connection: Connection,
    ) -> Result<(), RegistryError> {
        self.registry
            .add_connection_from(environment, template, connection, Origin::Restored)
    }

    /// [`Registry::link_connection`] for a stored link.
    ///
    /// # Errors
    ///
    /// As [`Registry::link_connection`], except [`RegistryError::ForeignScheme`].
    ///
    /// # Example
    ///
    /// See [`Registry::restore`] and [`Registry::link_connection`].
    pub fn link_connection(
        &self,
        environment: &str,
        template: &str,
        connection_id: &str,
    ) -> Result<(), RegistryError> {
        self.registry
            .link_connection_from(environment, template, connection_id, Origin::Restored)
    }

    /// [`Registry::activate`] for a stored activation.
    ///
    /// # Errors
    ///
    /// As [`Registry::activate`], except [`RegistryError::ForeignScheme`].
    ///
    /// # Example
    ///
    /// See [`Registry::restore`] and [`Registry`].
    pub fn activate(&self, activation: Activation) -> Result<(), RegistryError> {
        self.registry.activate_from(activation, Origin::Restored)
    }
}
