//! A template as the registry holds it ([`TemplateEntry`]), and the checks a connection
//! passes against it before it is built: kind, template id, offered schemes, shared base
//! URL, and whether a replacement template builds existing connections alike.

use std::sync::Arc;

use super::store::TemplateKey;
use super::{Origin, RegistryError};
use crate::base_url::BaseUrl;
use crate::live::{LiveConnection, takes_no_credentials, templated_base_url};
use crate::model::{AuthSchemeConfig, Connection, ConnectionTemplate, System};

#[derive(Debug, Clone)]
pub(super) struct TemplateEntry {
    pub(super) template: ConnectionTemplate,
    pub(super) key: Arc<TemplateKey>,
    /// The template's schemes, shared by the stored connections that use them unchanged.
    pub(super) schemes: Vec<Arc<AuthSchemeConfig>>,
    /// The template's base URL when it has no placeholders, shared by its connections.
    pub(super) base_url: Option<Arc<BaseUrl>>,
}

/// Whether `system` is the one a template's `domain` (or a lookup) names: by the system's
/// name, or by its domain.
pub(super) fn answers_to(system: &System, name_or_domain: &str) -> bool {
    system.name == name_or_domain || (!system.domain.is_empty() && system.domain == name_or_domain)
}

/// Puts `scheme` in place of the one of `schemes` with its id.
pub(super) fn replace_by_id(schemes: &mut [AuthSchemeConfig], scheme: &AuthSchemeConfig) {
    for slot in schemes.iter_mut().filter(|slot| slot.id() == scheme.id()) {
        slot.clone_from(scheme);
    }
}

/// Checks that no two of `schemes` share an id, by which they are replaced and moved to.
pub(super) fn unique_scheme_ids(schemes: &[AuthSchemeConfig]) -> Result<(), RegistryError> {
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

impl TemplateEntry {
    pub(super) fn new(
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

    pub(super) fn name(&self) -> &str {
        &self.template.name
    }

    pub(super) fn kind(&self) -> &'static str {
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
    pub(super) fn accepts(
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
        if origin != Origin::New {
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
    pub(super) fn check_offers(
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
    pub(super) fn check_shared(
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
    pub(super) fn gives_base_url_of(
        &self,
        connection: &Connection,
        live: &LiveConnection,
    ) -> Result<bool, crate::BuildError> {
        let base_url = templated_base_url(connection, Some(&self.template), None)?;
        Ok(base_url.as_str() == live.base_url())
    }

    /// Whether a connection is built alike under this template and under `other`: same
    /// base URL rules and same bypass rule (the schemes of a built connection are its own).
    pub(super) fn builds_like(&self, other: &Self) -> bool {
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
    pub(super) fn keeps(
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

    pub(super) fn build_error(
        &self,
        environment: &str,
        source: crate::BuildError,
    ) -> RegistryError {
        build_error(environment, self.name(), source)
    }
}

/// [`RegistryError::Build`] for `template` in `environment`.
pub(super) fn build_error(
    environment: &str,
    template: &str,
    source: crate::BuildError,
) -> RegistryError {
    RegistryError::Build {
        environment: environment.to_owned(),
        template: template.to_owned(),
        source,
    }
}

/// Keeps only the scheme, host and port of a connection's own base URL, as the platform
/// does: what follows them (a query with a key in it, say) is neither used nor stored. A
/// URL that does not parse is left for the build to refuse.
pub(super) fn keep_origin_only(connection: &mut Connection) {
    if let Some(url) = &connection.base_url
        && let Ok(origin) = BaseUrl::origin_of(url)
    {
        connection.base_url = Some(origin);
    }
}
