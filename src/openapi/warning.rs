//! What an import could not carry over, for the caller to show.

use std::fmt;

/// Something of the document an [`import`](super::import) could not turn into templates,
/// or carried over with a caveat. Nothing is dropped without one.
///
/// `Display` is a lowercase sentence naming the problem and what to do about it, for the
/// caller to show to whoever imports the specification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The document has no `servers`: its base URL is `/`, relative to wherever it was
    /// served from, so the templates have no base URL.
    MissingServers,
    /// `servers[0].url` is relative, so the templates have no base URL.
    RelativeServerUrl {
        /// The URL as read.
        url: String,
    },
    /// A server other than the first: only `servers[0]` becomes the base URL.
    ServerIgnored {
        /// The ignored server's URL.
        url: String,
    },
    /// A `{name}` in the server URL without a declared variable: it stays a placeholder
    /// without default that each connection must fill in.
    UndeclaredServerVariable {
        /// The variable's name.
        name: String,
    },
    /// A server variable the URL does not use.
    UnusedServerVariable {
        /// The variable's name.
        name: String,
    },
    /// A server variable whose `default` is missing, not a string, or not one of its `enum`.
    InvalidServerVariable {
        /// The variable's name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A server variable that can choose the whole host (or everything but a public
    /// suffix): no host pattern can keep credentials on the API's site, so it gets none
    /// and a connection cannot change the host through it until the template lists them.
    HostUnrestricted {
        /// The variable's name.
        name: String,
    },
    /// A security scheme of a kind credgate cannot import (`openIdConnect`, `mutualTLS`,
    /// `http` other than `basic`/`bearer`, an unknown type).
    SchemeNotImportable {
        /// The scheme's name in `components.securitySchemes`.
        scheme: String,
        /// Its `type` (and `scheme` for `http`), as read.
        kind: String,
        /// Why.
        reason: &'static str,
    },
    /// An OAuth 2.0 flow credgate cannot import (`implicit`, an unknown flow).
    FlowNotImportable {
        /// The scheme's name.
        scheme: String,
        /// The flow's name.
        flow: String,
        /// Why.
        reason: &'static str,
    },
    /// A security scheme (or one of its flows) missing a field it needs, or with a field of
    /// the wrong type.
    InvalidScheme {
        /// The scheme's name.
        scheme: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A `$ref` that is not a local `#/components/securitySchemes/...` reference, or that
    /// does not resolve (credgate fetches nothing).
    UnresolvedRef {
        /// The scheme's name.
        scheme: String,
        /// The reference as read.
        reference: String,
    },
    /// A security requirement names a scheme `components.securitySchemes` does not define.
    UnknownScheme {
        /// The name used in the requirement.
        scheme: String,
    },
    /// A security requirement (one alternative) made no template, because a scheme it
    /// requires could not be imported: a template with the others alone would send too
    /// little.
    RequirementSkipped {
        /// The schemes the requirement names, together.
        schemes: Vec<String>,
        /// The one that could not be imported.
        because: String,
    },
    /// A `security` field (top level or an operation's) or one of its requirements that is
    /// not of the shape `OpenAPI` defines.
    InvalidSecurity {
        /// Where (`security`, or the operation such as `GET /pets`).
        location: String,
    },
    /// Operations that need no credentials (`security: []`): the templates still send them.
    OperationsWithoutAuth {
        /// The operations, such as `GET /authorize`.
        operations: Vec<String>,
    },
    /// The document declares security schemes but no `security` requirement uses them:
    /// each importable scheme was made an alternative of its own.
    NoSecurityRequirement,
    /// The document declares no security at all: no template was made.
    NoSecurity,
    /// More alternatives than [`MAX_TEMPLATES`](super::MAX_TEMPLATES): the rest were not made.
    TooManyAlternatives {
        /// How many alternatives the document describes.
        count: usize,
    },
}

fn list(names: &[String]) -> String {
    names.join(", ")
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingServers => f.write_str(
                "the document has no servers, so the templates have no base url; set templateBaseUrl by hand",
            ),
            Self::RelativeServerUrl { url } => write!(
                f,
                "server url \"{url}\" is relative, so the templates have no base url; set templateBaseUrl to the absolute url"
            ),
            Self::ServerIgnored { url } => write!(
                f,
                "server \"{url}\" was ignored (only the first server becomes the base url); use it as a connection's baseUrl if needed"
            ),
            Self::UndeclaredServerVariable { name } => write!(
                f,
                "server url placeholder \"{name}\" has no variable declared, so every connection must supply it; declare it with a default"
            ),
            Self::UnusedServerVariable { name } => write!(
                f,
                "server variable \"{name}\" is not used in the server url and was ignored"
            ),
            Self::InvalidServerVariable { name, problem } => {
                write!(f, "server variable \"{name}\" {problem}")
            }
            Self::HostUnrestricted { name } => write!(
                f,
                "server variable \"{name}\" can choose the whole host, so it got no host patterns and may not change the host; list the allowed hosts in the template's placeholders"
            ),
            Self::SchemeNotImportable {
                scheme,
                kind,
                reason,
            } => write!(
                f,
                "security scheme \"{scheme}\" ({kind}) was not imported: {reason}"
            ),
            Self::FlowNotImportable {
                scheme,
                flow,
                reason,
            } => write!(
                f,
                "oauth2 flow \"{flow}\" of security scheme \"{scheme}\" was not imported: {reason}"
            ),
            Self::InvalidScheme { scheme, problem } => write!(
                f,
                "security scheme \"{scheme}\" was not imported: {problem}"
            ),
            Self::UnresolvedRef { scheme, reference } => write!(
                f,
                "security scheme \"{scheme}\" refers to \"{reference}\", which is not a scheme of this document (only local #/components/securitySchemes/ references are resolved); inline the scheme"
            ),
            Self::UnknownScheme { scheme } => write!(
                f,
                "a security requirement names \"{scheme}\", which components.securitySchemes does not define"
            ),
            Self::RequirementSkipped { schemes, because } => write!(
                f,
                "the security requirement of {} made no template because \"{because}\" could not be imported; add that scheme by hand",
                list(schemes)
            ),
            Self::InvalidSecurity { location } => write!(
                f,
                "the security requirements of {location} are not a list of objects of scope lists and were ignored"
            ),
            Self::OperationsWithoutAuth { operations } => write!(
                f,
                "operations {} need no credentials (security: []) but the templates send them anyway",
                list(operations)
            ),
            Self::NoSecurityRequirement => f.write_str(
                "no security requirement uses the declared security schemes, so each importable scheme became an alternative template; keep the one the api needs",
            ),
            Self::NoSecurity => f.write_str(
                "the document declares no security, so no template was made; write the api's auth scheme by hand",
            ),
            Self::TooManyAlternatives { count } => write!(
                f,
                "the document describes {count} alternatives; only the first {} became templates",
                super::MAX_TEMPLATES
            ),
        }
    }
}
