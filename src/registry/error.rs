//! [`RegistryError`].

use crate::error::BuildError;

/// Why a registry could not resolve a connection or accept a change. A change that fails
/// leaves the registry as it was.
///
/// Names (environments, templates, end users, ids) are not secret and appear in the
/// messages; credentials never do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No environment has this name.
    #[error("unknown environment \"{environment}\"")]
    UnknownEnvironment {
        /// The environment asked for.
        environment: String,
    },
    /// The environment has no template with this name.
    #[error("unknown template \"{template}\" in environment \"{environment}\"")]
    UnknownTemplate {
        /// The environment.
        environment: String,
        /// The template name asked for.
        template: String,
    },
    /// A static template has no connection linked to it.
    #[error("no connection for template \"{template}\" in environment \"{environment}\"")]
    NoConnection {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
    },
    /// An embedded template was asked for without naming an end user.
    #[error(
        "template \"{template}\" in environment \"{environment}\" is embedded: each end user has their own connection, name the user"
    )]
    EndUserRequired {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
    },
    /// An embedded template has no activated user yet, so it cannot be used.
    #[error(
        "embedded template \"{template}\" in environment \"{environment}\" has no activated user"
    )]
    NoActivatedUser {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
    },
    /// The end user is not activated for this embedded template.
    #[error(
        "end user \"{user}\" is not activated for template \"{template}\" in environment \"{environment}\""
    )]
    UserNotActivated {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
        /// The end user's external id.
        user: String,
    },
    /// A name or id that must be unique is already taken.
    #[error("{what} \"{name}\" already exists")]
    Duplicate {
        /// What kind of thing: `environment`, `template`, `system`, `connection`, ...
        what: &'static str,
        /// The name or id.
        name: String,
    },
    /// A second template without an id (neither `connectionTemplateId` nor `id`) in one
    /// environment: the two would share their connections.
    #[error("environment \"{environment}\" already has a template without an id")]
    SecondTemplateWithoutId {
        /// The environment.
        environment: String,
    },
    /// A name or id that is required is empty.
    #[error("{what} is empty")]
    EmptyName {
        /// What is empty.
        what: &'static str,
    },
    /// No static connection has this id.
    #[error("unknown connection \"{id}\"")]
    UnknownConnection {
        /// The connection id asked for.
        id: String,
    },
    /// No system has this name or domain.
    #[error("unknown system \"{system}\"")]
    UnknownSystem {
        /// The system name or domain asked for.
        system: String,
    },
    /// The system (or connection) has no auth scheme with this id.
    #[error("no auth scheme with id \"{id}\" in {owner}")]
    UnknownScheme {
        /// The scheme id.
        id: String,
        /// What was searched, in words (`system "zendesk"`).
        owner: String,
    },
    /// The connection belongs to another template (of another environment, say).
    #[error(
        "the connection belongs to template id \"{connection_template_id}\", not to template \"{template}\" in environment \"{environment}\""
    )]
    WrongTemplate {
        /// The environment.
        environment: String,
        /// The template the connection was offered to.
        template: String,
        /// The template id the connection names.
        connection_template_id: String,
    },
    /// A connection carries an auth scheme that neither its template nor the template's
    /// system offers, or a copy of an offered one that differs from it (another token URL,
    /// header or placement).
    #[error(
        "auth scheme \"{scheme}\" is not offered by template \"{template}\" in environment \"{environment}\""
    )]
    ForeignScheme {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
        /// The scheme's id.
        scheme: String,
    },
    /// No template of the environment has the template id a connection names.
    #[error("no template with id \"{id}\" in environment \"{environment}\"")]
    UnknownTemplateId {
        /// The environment.
        environment: String,
        /// The template id.
        id: String,
    },
    /// A static connection was offered to an embedded template, or an end user's
    /// connection to a static one.
    #[error(
        "template \"{template}\" in environment \"{environment}\" is {actual}: {expected} connections cannot be used with it"
    )]
    WrongKind {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
        /// `embedded` or `static`: what the template is.
        actual: &'static str,
        /// `static` or `end-user`: what was offered.
        expected: &'static str,
    },
    /// The template already has a static connection; remove it first.
    #[error("template \"{template}\" in environment \"{environment}\" already has a connection")]
    AlreadyConnected {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
    },
    /// A connection shared between templates would send to another base URL under this one.
    #[error(
        "the connection's base URL differs under template \"{template}\" in environment \"{environment}\": one connection has one base URL"
    )]
    BaseUrlMismatch {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
    },
    /// A template change the registry does not make in place.
    #[error("template \"{template}\" cannot be changed: {reason}")]
    UnsupportedChange {
        /// The template.
        template: String,
        /// Why.
        reason: &'static str,
    },
    /// A template change under which an existing connection would be built differently:
    /// another base URL, or a bypass no longer allowed. Connections keep what they were
    /// built with, and an export must load as the same registry, so the change is refused;
    /// remove or replace the connection first.
    #[error(
        "template \"{template}\" in environment \"{environment}\" cannot be changed while the connection of {holder} depends on it: {reason}"
    )]
    TemplateInUse {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
        /// Whose connection: `connection "c1"` or `end user "u1"`.
        holder: String,
        /// What would change for it.
        reason: String,
    },
    /// A connection could not be built for a template: the platform's message, and where.
    #[error("template \"{template}\" in environment \"{environment}\": {source}")]
    Build {
        /// The environment.
        environment: String,
        /// The template.
        template: String,
        /// What is wrong with the connection.
        #[source]
        source: BuildError,
    },
}
