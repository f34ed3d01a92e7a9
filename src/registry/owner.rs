//! Whose connection received a token: [`TokenOwner`] for the host's token hook, and the
//! owned [`Owner`] each built connection keeps for it.

use crate::model::Connection;

/// Whose connection received a new OAuth 2.0 token: given to the hook set with
/// [`Registry::with_token_hook`](crate::Registry::with_token_hook), so the host can store the new credential where it keeps
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
pub(super) enum Owner {
    Connection(String),
    EndUser {
        environment: String,
        external_id: String,
        connection_template_id: String,
    },
}

impl Owner {
    pub(super) fn end_user(environment: &str, external_id: &str, connection: &Connection) -> Self {
        Self::EndUser {
            environment: environment.to_owned(),
            external_id: external_id.to_owned(),
            connection_template_id: connection.connection_template_id.clone(),
        }
    }

    pub(super) fn borrow(&self) -> TokenOwner<'_> {
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
