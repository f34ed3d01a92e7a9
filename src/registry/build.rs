//! Building a [`LiveConnection`] for a stored connection with the registry's clock,
//! randomness and token hook, and handing tokens on to the connection the registry serves.

use std::sync::{Arc, OnceLock, PoisonError, Weak};

use super::entry::TemplateEntry;
use super::owner::Owner;
use super::{Registry, RegistryError, Serving};
use crate::live::LiveConnection;
use crate::model::{AuthSchemeConfig, Connection};

impl Registry {
    /// Builds `connection` under `entry`, with the registry's clock, randomness and token
    /// hook. For an OAuth 2.0 connection it also returns the cell of the connection the
    /// registry serves for it, to which this one hands the credentials it receives once it
    /// is no longer that connection: a new cell that names this connection, or `serving`,
    /// of the connection this one replaces, for the caller to point here with
    /// [`serve`](Self::serve) once it has stored this one.
    pub(super) fn build(
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
    pub(super) fn serve(serving: Option<&Serving>, live: &Arc<LiveConnection>) {
        if let Some(serving) = serving {
            *serving.lock().unwrap_or_else(PoisonError::into_inner) = Arc::downgrade(live);
        }
    }
}
