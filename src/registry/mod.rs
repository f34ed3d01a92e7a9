//! [`Registry`]: the connections of a multi-tenant integration runtime, resolved by what
//! integration code knows (environment, template name, end user).

mod activations;
mod build;
mod changes;
mod connections;
mod document;
mod entry;
mod error;
mod export;
mod moves;
mod owner;
mod resolve;
mod restore;
mod store;
mod table;
mod templates;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

pub use changes::{ApplyOutcome, RegistryChange};
pub use document::{ConnectionLink, EnvironmentDocument, RegistryDocument};
pub use error::RegistryError;
pub use owner::TokenOwner;
pub use restore::Restore;

use crate::auth::oauth2::TokenUpdate;
use crate::clock::{Clock, OsRandom, RandomSource, SystemClock};
use crate::live::LiveConnection;
use crate::model::{Connection, System};
use entry::{TemplateEntry, answers_to};
use store::Activations;

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
    /// The change log, when [`with_change_log`](Self::with_change_log) turned it on.
    changes: Option<Mutex<Vec<RegistryChange>>>,
}

type RegistryTokenHook = Arc<dyn Fn(TokenOwner<'_>, &TokenUpdate) + Send + Sync>;

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

/// Where a connection offered to the registry comes from: a new one must use schemes its
/// template or the template's system offers, as offered; a restored one (from an export,
/// or from the host's storage through [`Registry::restore`]) keeps the schemes it was
/// created with, which the template may no longer offer. A replicated one (from another
/// replica's change log, through [`Registry::apply`]) is checked as a restored one, and is
/// the one change not recorded in this registry's own log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    New,
    Restored,
    Replicated,
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
            changes: None,
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
}
