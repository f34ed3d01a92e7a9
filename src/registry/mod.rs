//! [`Registry`]: the connections of a multi-tenant integration runtime, resolved by what
//! integration code knows (environment, template name, end user).

mod document;
mod error;
mod store;
mod table;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{
    Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak,
};

pub use document::{ConnectionLink, EnvironmentDocument, RegistryDocument};
pub use error::RegistryError;

use crate::auth::oauth2::TokenUpdate;
use crate::base_url::BaseUrl;
use crate::clock::{Clock, OsRandom, RandomSource, SystemClock};
use crate::live::{LiveConnection, takes_no_credentials, templated_base_url};
use crate::model::{
    Activation, AuthSchemeConfig, Connection, ConnectionTemplate, Credential, System,
};
use store::{Activations, StoredConnection, TemplateKey, UserActivation, UserConnection};

/// The systems, templates, connections and end-user activations of every environment, as a
/// host service loads them from its own storage, and the one place requests ask for the
/// connection to use.
///
/// * **Environments** hold **templates** by name. A static template has one
///   **connection**, linked with [`add_connection`](Self::add_connection); one connection may
///   be linked to many templates and environments ([`link_connection`](Self::link_connection))
///   and is then one shared [`LiveConnection`], so a token is refreshed once for all.
/// * An embedded template (`"dynamic": true`) has one connection per **end user**, given by
///   [`activate`](Self::activate) and taken away by [`deactivate`](Self::deactivate).
/// * [`resolve`](Self::resolve) returns the shared `Arc<LiveConnection>`. For end users it
///   never waits for an activation or deactivation: each of 16,384 shards keeps its table
///   twice, a write changes one copy at a time, and a reader reads the copy not being
///   written.
/// * Connections keep the auth schemes they were created with: a template or system scheme
///   edited later applies to connections created afterwards, and
///   [`move_connection_to_scheme`](Self::move_connection_to_scheme) moves an existing one.
/// * [`export_with_secrets`](Self::export_with_secrets) writes everything losslessly, for
///   [`from_document`](Self::from_document); [`export_redacted`](Self::export_redacted)
///   gives the redacted view for display. The registry itself does not implement
///   `Serialize`, so that no save silently drops the secrets.
///
/// Every change is checked first and applied whole, or not at all.
///
/// # Example
///
/// ```
/// use credgate::{Activation, ConnectionTemplate, Credential, EndUser, Registry};
///
/// let registry = Registry::new();
/// registry.add_environment("production")?;
/// let template: ConnectionTemplate = serde_json::from_str(r#"{
///     "name": "zendesk", "connectionTemplateId": "zd", "dynamic": true,
///     "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2",
///     "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}},
///     "authSchemeConfigs": [{"type": "api-key",
///         "apiKey": {"id": "token", "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]
/// }"#)?;
/// registry.add_template("production", template)?;
///
/// let mut connection = registry.connect("production", "zendesk", vec![Credential::api_key("zd-1")])?;
/// connection.values.insert("subdomain".into(), "acme".into());
/// registry.activate(Activation::new("production", EndUser::new("user-1"), vec![connection]))?;
///
/// let live = registry.resolve("production", "zendesk", Some("user-1"))?;
/// let mut request = http::Request::get("/tickets").body(())?;
/// live.authorize(&mut request)?;
/// assert_eq!(request.uri(), "https://acme.zendesk.com/api/v2/tickets");
///
/// let err = registry.resolve("production", "zendesk", Some("user-2")).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"end user "user-2" is not activated for template "zendesk" in environment "production""#,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Registry {
    config: RwLock<Config>,
    activations: Activations,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    token_hook: Option<RegistryTokenHook>,
}

type RegistryTokenHook = Arc<dyn Fn(TokenOwner<'_>, &TokenUpdate) + Send + Sync>;

/// Whose connection received a new OAuth 2.0 token: given to the hook set with
/// [`Registry::with_token_hook`], so the host can store the new credential where it keeps
/// that connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenOwner<'a> {
    /// The static connection with this id.
    Connection {
        /// The connection's id.
        id: &'a str,
    },
    /// An end user's connection, serving the templates with this `connectionTemplateId`.
    EndUser {
        /// The environment of the activation.
        environment: &'a str,
        /// The end user's external id.
        external_id: &'a str,
        /// The connection's `connectionTemplateId`.
        connection_template_id: &'a str,
    },
}

/// [`TokenOwner`], owned by the hook of one connection.
enum Owner {
    Connection(String),
    EndUser {
        environment: String,
        external_id: String,
        connection_template_id: String,
    },
}

impl Owner {
    fn end_user(environment: &str, external_id: &str, connection: &Connection) -> Self {
        Self::EndUser {
            environment: environment.to_owned(),
            external_id: external_id.to_owned(),
            connection_template_id: connection.connection_template_id.clone(),
        }
    }

    fn borrow(&self) -> TokenOwner<'_> {
        match self {
            Self::Connection(id) => TokenOwner::Connection { id },
            Self::EndUser {
                environment,
                external_id,
                connection_template_id,
            } => TokenOwner::EndUser {
                environment,
                external_id,
                connection_template_id,
            },
        }
    }
}

/// Everything but the activations: small, changed rarely, behind one lock.
#[derive(Debug, Default)]
struct Config {
    /// Counts changes to templates and systems, so that an activation checked against them
    /// under one read lock and stored under another can tell whether they changed.
    generation: u64,
    systems: Vec<System>,
    environments: BTreeMap<Arc<str>, Environment>,
    connections: BTreeMap<String, StaticConnection>,
}

#[derive(Debug, Default)]
struct Environment {
    /// Shared so that an activation can build its connections after releasing the lock.
    templates: BTreeMap<String, Arc<TemplateEntry>>,
    /// Template name to static connection id.
    links: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct TemplateEntry {
    template: ConnectionTemplate,
    key: Arc<TemplateKey>,
    /// The template's schemes, shared by the stored connections that use them unchanged.
    schemes: Vec<Arc<AuthSchemeConfig>>,
    /// The template's base URL when it has no placeholders, shared by its connections.
    base_url: Option<Arc<BaseUrl>>,
}

/// An end user's connections in one environment, built for the templates as they were at
/// the configuration's `generation`.
struct BuiltConnections {
    environment: Arc<str>,
    generation: u64,
    connections: Box<[UserConnection]>,
}

/// Where a connection offered to the registry comes from: a new one must use schemes its
/// template or the template's system offers, as offered; a restored one (from an export,
/// or from the host's storage through [`Registry::restore`]) keeps the schemes it was
/// created with, which the template may no longer offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    New,
    Restored,
}

#[derive(Debug)]
struct StaticConnection {
    connection: Connection,
    live: Arc<LiveConnection>,
    serving: Option<Serving>,
}

/// The live connection a registry serves for one stored OAuth 2.0 connection. One it has
/// replaced (moved to another scheme) may still be held, and refresh, where it was
/// resolved: it hands each credential it receives on to this one, so that a rotated refresh
/// token is not lost to the connection the registry serves and exports.
pub(super) type Serving = Arc<Mutex<Weak<LiveConnection>>>;

impl StaticConnection {
    /// The document with the OAuth 2.0 tokens received since it was stored.
    fn current(&self) -> Connection {
        let mut connection = self.connection.clone();
        self.live.put_latest_tokens(&mut connection);
        connection
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            config: RwLock::default(),
            activations: Activations::default(),
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            token_hook: None,
        }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("config", &*self.read())
            .finish_non_exhaustive()
    }
}

fn unknown_environment(environment: &str) -> RegistryError {
    RegistryError::UnknownEnvironment {
        environment: environment.to_owned(),
    }
}

/// Whether `system` is the one a template's `domain` (or a lookup) names: by the system's
/// name, or by its domain.
fn answers_to(system: &System, name_or_domain: &str) -> bool {
    system.name == name_or_domain || (!system.domain.is_empty() && system.domain == name_or_domain)
}

/// Puts `scheme` in place of the one of `schemes` with its id.
fn replace_by_id(schemes: &mut [AuthSchemeConfig], scheme: &AuthSchemeConfig) {
    for slot in schemes.iter_mut().filter(|slot| slot.id() == scheme.id()) {
        slot.clone_from(scheme);
    }
}

/// Checks that no two of `schemes` share an id, by which they are replaced and moved to.
fn unique_scheme_ids(schemes: &[AuthSchemeConfig]) -> Result<(), RegistryError> {
    let mut ids: Vec<&str> = schemes.iter().map(AuthSchemeConfig::id).collect();
    ids.sort_unstable();
    match ids.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(RegistryError::Duplicate {
            what: "auth scheme",
            name: pair[0].to_owned(),
        }),
        None => Ok(()),
    }
}

fn non_empty(value: &str, what: &'static str) -> Result<(), RegistryError> {
    if value.is_empty() {
        Err(RegistryError::EmptyName { what })
    } else {
        Ok(())
    }
}

impl Config {
    fn environment(&self, environment: &str) -> Result<&Environment, RegistryError> {
        self.environments
            .get(environment)
            .ok_or_else(|| unknown_environment(environment))
    }

    fn environment_mut(&mut self, environment: &str) -> Result<&mut Environment, RegistryError> {
        self.environments
            .get_mut(environment)
            .ok_or_else(|| unknown_environment(environment))
    }

    fn template(&self, environment: &str, template: &str) -> Result<&TemplateEntry, RegistryError> {
        self.environment(environment)?
            .template(environment, template)
    }

    fn connection(&self, id: &str) -> Result<&StaticConnection, RegistryError> {
        self.connections
            .get(id)
            .ok_or_else(|| RegistryError::UnknownConnection { id: id.to_owned() })
    }

    fn system(&self, name_or_domain: &str) -> Result<&System, RegistryError> {
        self.systems
            .iter()
            .find(|s| answers_to(s, name_or_domain))
            .ok_or_else(|| RegistryError::UnknownSystem {
                system: name_or_domain.to_owned(),
            })
    }
}

impl Environment {
    fn template(&self, environment: &str, template: &str) -> Result<&TemplateEntry, RegistryError> {
        self.templates
            .get(template)
            .map(|entry| &**entry)
            .ok_or_else(|| RegistryError::UnknownTemplate {
                environment: environment.to_owned(),
                template: template.to_owned(),
            })
    }
}

impl TemplateEntry {
    fn new(
        environment: &str,
        template: ConnectionTemplate,
        key: Arc<TemplateKey>,
    ) -> Result<Self, RegistryError> {
        let build_error = |source| build_error(environment, &template.name, source);
        // Templated URLs are checked now with stand-in values, so that one a value could
        // send anywhere (`https://{host}`, `https:///{host}`) is refused before any
        // connection uses it.
        let with_stand_ins = |url: &str| {
            crate::url_template::Expansion::stand_ins(&template.placeholders)
                .url(url)
                .map_err(build_error)
        };
        let url = template.template_base_url.trim();
        let base_url = if url.is_empty() {
            None
        } else if url.contains('{') {
            BaseUrl::parse(&with_stand_ins(url)?).map_err(build_error)?;
            None
        } else {
            Some(Arc::new(BaseUrl::parse(url).map_err(build_error)?))
        };
        for endpoint in template.endpoint_urls(&[]) {
            with_stand_ins(endpoint)?;
        }
        unique_scheme_ids(&template.auth_scheme_configs)?;
        Ok(Self {
            schemes: template
                .auth_scheme_configs
                .iter()
                .cloned()
                .map(Arc::new)
                .collect(),
            template,
            key,
            base_url,
        })
    }

    fn name(&self) -> &str {
        &self.template.name
    }

    fn kind(&self) -> &'static str {
        if self.template.dynamic {
            "embedded"
        } else {
            "static"
        }
    }

    /// Checks that `connection` belongs to this template and is of the kind it takes and,
    /// for a new connection, that each of its schemes is one the template or its system
    /// offers, exactly as offered: a connection may come from an end user, and a copy with
    /// the same id but its own token URL, header or placement would send the credential
    /// (and the template's client secret) where the template does not. A restored one may
    /// keep a scheme the template no longer offers. Bypass is checked when it is built.
    fn accepts(
        &self,
        environment: &str,
        connection: &Connection,
        dynamic: bool,
        origin: Origin,
        systems: &[System],
    ) -> Result<(), RegistryError> {
        if self.template.dynamic != dynamic {
            return Err(RegistryError::WrongKind {
                environment: environment.to_owned(),
                template: self.name().to_owned(),
                actual: self.kind(),
                expected: if dynamic { "end-user" } else { "static" },
            });
        }
        if connection.connection_template_id != self.template.template_id() {
            return Err(RegistryError::WrongTemplate {
                environment: environment.to_owned(),
                template: self.name().to_owned(),
                connection_template_id: connection.connection_template_id.clone(),
            });
        }
        if origin == Origin::Restored {
            return Ok(());
        }
        for pair in &connection.credentials {
            if !matches!(pair.auth_scheme_config, AuthSchemeConfig::None(_)) {
                self.check_offers(environment, &pair.auth_scheme_config, systems)?;
            }
        }
        Ok(())
    }

    /// Checks that `scheme` is one this template or its system offers, exactly as offered.
    fn check_offers(
        &self,
        environment: &str,
        scheme: &AuthSchemeConfig,
        systems: &[System],
    ) -> Result<(), RegistryError> {
        let system_schemes = systems
            .iter()
            .filter(|s| answers_to(s, &self.template.domain))
            .flat_map(|s| &s.auth_scheme_configs);
        let mut offered = self
            .template
            .auth_scheme_configs
            .iter()
            .chain(system_schemes);
        if offered.any(|offered| offered == scheme) {
            return Ok(());
        }
        Err(RegistryError::ForeignScheme {
            environment: environment.to_owned(),
            template: self.name().to_owned(),
            scheme: scheme.id().to_owned(),
        })
    }

    /// Checks that `live`, built for `connection` under another template, may serve this
    /// one too: the bypass rule holds and the base URL is the same.
    fn check_shared(
        &self,
        environment: &str,
        connection: &Connection,
        live: &LiveConnection,
    ) -> Result<(), RegistryError> {
        let same = self
            .gives_base_url_of(connection, live)
            .map_err(|source| self.build_error(environment, source))?;
        if !same {
            return Err(RegistryError::BaseUrlMismatch {
                environment: environment.to_owned(),
                template: self.name().to_owned(),
            });
        }
        Ok(())
    }

    /// Whether this template gives `connection` the base URL of `live`, built for it; the
    /// error this template would refuse it with (a bypass it does not allow, say).
    fn gives_base_url_of(
        &self,
        connection: &Connection,
        live: &LiveConnection,
    ) -> Result<bool, crate::BuildError> {
        let base_url = templated_base_url(connection, Some(&self.template), None)?;
        Ok(base_url.as_str() == live.base_url())
    }

    /// Whether a connection is built alike under this template and under `other`: same
    /// base URL rules and same bypass rule (the schemes of a built connection are its own).
    fn builds_like(&self, other: &Self) -> bool {
        let (this, other) = (&self.template, &other.template);
        this.template_base_url == other.template_base_url
            && this.allow_any_base_url == other.allow_any_base_url
            && this.allow_insecure_http == other.allow_insecure_http
            && this.allow_bypass == other.allow_bypass
            && this.placeholders == other.placeholders
            && takes_no_credentials(this) == takes_no_credentials(other)
    }

    /// Checks that `connection`, built as `live` under the template this one replaces,
    /// would be built the same under this one; `holder` names it in the error.
    fn keeps(
        &self,
        environment: &str,
        holder: impl FnOnce() -> String,
        connection: &Connection,
        live: &LiveConnection,
    ) -> Result<(), RegistryError> {
        let reason = match self.gives_base_url_of(connection, live) {
            Ok(true) => return Ok(()),
            Ok(false) => "its base URL would change".to_owned(),
            Err(source) => source.to_string(),
        };
        Err(RegistryError::TemplateInUse {
            environment: environment.to_owned(),
            template: self.name().to_owned(),
            holder: holder(),
            reason,
        })
    }

    fn build_error(&self, environment: &str, source: crate::BuildError) -> RegistryError {
        build_error(environment, self.name(), source)
    }
}

/// [`RegistryError::Build`] for `template` in `environment`.
fn build_error(environment: &str, template: &str, source: crate::BuildError) -> RegistryError {
    RegistryError::Build {
        environment: environment.to_owned(),
        template: template.to_owned(),
        source,
    }
}

impl Registry {
    /// An empty registry using the system clock and the operating system's randomness for
    /// the connections it builds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `clock` and `random` for the connections built from now on (for tests and
    /// replays).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>, random: Arc<dyn RandomSource>) -> Self {
        self.clock = clock;
        self.random = random;
        self
    }

    /// The persistence hook of every connection built from now on: called with the
    /// connection's owner and each new OAuth 2.0 credential (new access token, the refresh
    /// token to keep) before the new token is used, as
    /// [`on_token_update`](crate::LiveConnectionBuilder::on_token_update) is. The
    /// registry's own [`export`](Self::export) holds the new credentials either way.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use credgate::{Registry, TokenOwner};
    ///
    /// let stored: Arc<Mutex<Vec<String>>> = Arc::default();
    /// let store = Arc::clone(&stored);
    /// let registry = Registry::new().with_token_hook(move |owner, update| {
    ///     if let TokenOwner::Connection { id } = owner {
    ///         // Store update.credential with connection `id`, durably, then return.
    ///         if let Ok(mut ids) = store.lock() {
    ///             ids.push(id.to_owned());
    ///         }
    ///     }
    /// });
    /// # drop(registry);
    /// ```
    #[must_use]
    pub fn with_token_hook(
        mut self,
        hook: impl Fn(TokenOwner<'_>, &TokenUpdate) + Send + Sync + 'static,
    ) -> Self {
        self.token_hook = Some(Arc::new(hook));
        self
    }

    fn read(&self) -> RwLockReadGuard<'_, Config> {
        // A poisoned lock only means a panic elsewhere; every write leaves the config whole.
        self.config.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Config> {
        self.config.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`write`](Self::write), to change what connections are checked against: templates
    /// and systems.
    fn write_templates(&self) -> RwLockWriteGuard<'_, Config> {
        let mut config = self.write();
        config.generation += 1;
        config
    }

    /// Builds `connection` under `entry`, with the registry's clock, randomness and token
    /// hook. For an OAuth 2.0 connection it also returns the cell of the connection the
    /// registry serves for it, to which this one hands the credentials it receives once it
    /// is no longer that connection: a new cell that names this connection, or `serving`,
    /// of the connection this one replaces, for the caller to point here with
    /// [`serve`](Self::serve) once it has stored this one.
    fn build(
        &self,
        environment: &str,
        entry: &TemplateEntry,
        connection: &Connection,
        owner: impl FnOnce() -> Owner,
        serving: Option<Serving>,
    ) -> Result<(Arc<LiveConnection>, Option<Serving>), RegistryError> {
        let mut builder = LiveConnection::builder(connection)
            .template(&entry.template)
            .clock(Arc::clone(&self.clock))
            .random(Arc::clone(&self.random));
        let takes_tokens = connection
            .credentials
            .iter()
            .any(|pair| matches!(pair.auth_scheme_config, AuthSchemeConfig::OAuth2(_)));
        let fresh = serving.is_none();
        let serving = takes_tokens.then(|| serving.unwrap_or_default());
        let this: Arc<OnceLock<Weak<LiveConnection>>> = Arc::default();
        if self.token_hook.is_some() || serving.is_some() {
            let (hook, owner) = (self.token_hook.clone(), owner());
            let (serving, this) = (serving.clone(), Arc::clone(&this));
            builder = builder.on_token_update(move |update| {
                if let Some(hook) = &hook {
                    hook(owner.borrow(), update);
                }
                let served = serving.as_ref().and_then(|serving| {
                    serving
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .upgrade()
                });
                if let Some(served) = served
                    && this
                        .get()
                        .is_some_and(|this| this.as_ptr() != Arc::as_ptr(&served))
                {
                    served.adopt_tokens(update);
                }
            });
        }
        let mut live = builder
            .build()
            .map_err(|source| entry.build_error(environment, source))?;
        if let Some(shared) = &entry.base_url {
            live.share_base_url(shared);
        }
        let live = Arc::new(live);
        let _ = this.set(Arc::downgrade(&live));
        if fresh {
            Self::serve(serving.as_ref(), &live);
        }
        Ok((live, serving))
    }

    /// Makes `live` the connection that the others sharing `serving` hand their tokens
    /// on to.
    fn serve(serving: Option<&Serving>, live: &Arc<LiveConnection>) {
        if let Some(serving) = serving {
            *serving.lock().unwrap_or_else(PoisonError::into_inner) = Arc::downgrade(live);
        }
    }

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

    fn add_template_from(
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
        env.templates
            .insert(entry.name().to_owned(), Arc::new(entry));
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
        config
            .environment_mut(environment)?
            .templates
            .insert(entry.name().to_owned(), Arc::new(entry));
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
        Ok(())
    }

    /// A new connection for the template's current auth schemes, with the platform's
    /// checks (see [`ConnectionTemplate::connect`]). Add it with
    /// [`add_connection`](Self::add_connection), or put it in an [`Activation`].
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

    fn add_connection_from(
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
    /// [`LiveConnection`].
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

    fn link_connection_from(
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
        let mut config = self.write();
        if config.connections.remove(connection_id).is_none() {
            return Err(RegistryError::UnknownConnection {
                id: connection_id.to_owned(),
            });
        }
        for env in config.environments.values_mut() {
            env.links.retain(|_, id| id != connection_id);
        }
        Ok(())
    }

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

    fn activate_from(&self, activation: Activation, origin: Origin) -> Result<(), RegistryError> {
        let Activation {
            id,
            user,
            environment,
            mut connections,
        } = activation;
        connections.iter_mut().for_each(keep_origin_only);
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
                let replaced =
                    self.activations
                        .insert(built.environment, &user.external_id, record);
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
        self.activations.remove(environment, external_id).is_some()
    }

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
        let replaced = self
            .activations
            .replace_if(environment, external_id, record, |current| {
                current
                    .connections
                    .iter()
                    .any(|c| Arc::ptr_eq(&c.live, &old_live))
            });
        drop(config);
        replaced.map_err(|_| not_activated())?;
        Self::serve(serving.as_ref(), &live);
        Ok(())
    }

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

/// Keeps only the scheme, host and port of a connection's own base URL, as the platform
/// does: what follows them (a query with a key in it, say) is neither used nor stored. A
/// URL that does not parse is left for the build to refuse.
fn keep_origin_only(connection: &mut Connection) {
    if let Some(url) = &connection.base_url
        && let Ok(origin) = BaseUrl::origin_of(url)
    {
        connection.base_url = Some(origin);
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
