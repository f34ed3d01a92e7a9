//! The platform's domain, as serde types that read and write its JSON documents exactly.

mod connection;
mod credential;
pub(crate) mod hmac;
pub(crate) mod oauth1;
pub(crate) mod oauth2;
mod placeholder;
pub(crate) mod safe;
mod scheme;
pub(crate) mod tagged;
mod template;

pub use connection::{Activation, Connection, ConnectionCredential, EndUser};
pub use credential::{BasicAuthCredential, Credential, StringCredential, UnsupportedCredential};
pub use hmac::{DigestInput, HmacAlgorithm, HmacScheme, SignatureEncoding};
pub use oauth1::{
    NameValue, OAuth1ConsumerCredential, OAuth1Placement, OAuth1Scheme, OAuth1SignatureMethod,
    OAuth1TokenCredential,
};
pub use oauth2::{
    AuthorizationCodeGrant, ClientAuthMethod, ClientCredentialsGrant, ExpiresInUnit,
    OAuth2ClientCredential, OAuth2CodeCredential, OAuth2Grant, OAuth2PasswordCredential,
    OAuth2Scheme, OAuth2TokenCredential, PasswordGrant, ScopeDefinition, ScopeSeparator,
    TokenParamsLocation, TokenPlacement, TokenRequestFormat,
};
pub use placeholder::Placeholder;
pub use scheme::{
    ApiKeyScheme, AuthSchemeConfig, BasicAuthScheme, BasicKeyPart, KeyLocation, NoneScheme,
    UnsupportedScheme,
};
pub use template::{ConnectionTemplate, System};
