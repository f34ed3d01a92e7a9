//! credgate puts credentials on outgoing HTTP requests and verifies the signatures on
//! incoming webhooks, for services that call many third-party APIs on behalf of their own
//! organisation or of each of their customers.
//!
//! It models an integration platform's connections: **systems** (the APIs you call), **auth
//! schemes** (how a system expects to be authenticated), **connection templates** (a system
//! in one environment, under the name your code uses), **connections** (the credentials) and
//! **activations** (an end user's own connections). The serde types in this crate read and
//! write the platform's JSON documents exactly.
//!
//! # What credgate does not do
//!
//! credgate does **no I/O**: no sockets, no files, no environment variables, no async
//! runtime. It decorates [`http::Request`] values you build and send with the client you
//! already have. Time and randomness come from a [`Clock`] and a [`RandomSource`] you may
//! replace. Secrets live in [`Secret`], which is redacted in `Debug` and serialisation and
//! zeroized on drop; so are the header values and URIs credgate writes them into, once the
//! last request holding them is dropped.
//!
//! # Example
//!
//! ```
//! use credgate::{ConnectionTemplate, Credential};
//!
//! let template: ConnectionTemplate = serde_json::from_str(r#"{
//!     "name": "weather", "templateBaseUrl": "https://api.weather.example/v2",
//!     "authSchemeConfigs": [{"type": "api-key",
//!         "apiKey": {"id": "key", "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]
//! }"#)?;
//! // One step; `template.connect(..)` then `connection.build(&template)` when you store
//! // the `Connection`.
//! let live = template.connect_live(vec![Credential::api_key("wk_123")])?;
//!
//! let mut request = http::Request::get("/forecast?city=Oslo").body(())?;
//! live.authorize(&mut request)?;
//! assert_eq!(request.uri(), "https://api.weather.example/v2/forecast?city=Oslo");
//! assert_eq!(request.headers()["authorization"], "Bearer wk_123");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Many replicas: the token store contract
//!
//! Several processes that each refresh the same OAuth 2.0 connection spend each other's
//! refresh tokens: against a server that rotates them, the second refresh is
//! `invalid_grant` and the user must reconnect. Implement [`auth::oauth2::TokenStore`] (or
//! [`auth::oauth2::AsyncTokenStore`]) on your database (one row per
//! [`auth::oauth2::TokenOwner`]: a versioned credential and a lease) and give it to each
//! replica's connection with [`LiveConnectionBuilder::token_store`]. Then one replica
//! sends the token request and publishes the new credential before using it, the others
//! take it from the store, and `invalid_grant` after a sibling's rotation takes the
//! sibling's token. A valid cached token never calls the store. On PostgreSQL, the
//! workspace crate `credgate-postgres` is that store (`PgTokenStore`: rows sealed with
//! AES-256-GCM, leases as row updates, `LISTEN`/`NOTIFY` pushing new tokens to every
//! replica, and a durable registry). What each method must
//! guarantee, and a complete in-memory store with two replicas, are in
//! [`auth::oauth2`](auth::oauth2#many-replicas-the-token-store-contract).
//!
//! # Recipes
//!
//! | to | use |
//! |---|---|
//! | load the platform's documents | [`ConnectionTemplate`], [`Connection`], [`AuthSchemeConfig`], [`Credential`] with serde |
//! | create a connection with the platform's checks | [`ConnectionTemplate::connect`], [`ConnectionTemplate::bypass_connection`] |
//! | go from a template straight to a live connection | [`ConnectionTemplate::connect_live`] |
//! | build credentials and OAuth 2.0 schemes in code | [`Credential::oauth2_client`], [`Credential::oauth2_token`], [`OAuth2Scheme::client_credentials`], ... |
//! | put credentials on a request | [`Connection::build`] then [`LiveConnection::authorize`] |
//! | get and refresh OAuth 2.0 tokens with your HTTP client | [`LiveConnection::authorize_with`], [`LiveConnection::authorize_with_async`], [`auth::oauth2`] |
//! | log a request safely | [`LiveConnection::redacted`] |
//! | show documents without secrets | `serde_json::to_string` or [`to_redacted_json`] |
//! | persist documents with secrets | [`to_json_with_secrets`], [`export_with_secrets`] |
//! | sign with OAuth 1.0a, run its three-legged flow | [`auth::OAuth1`], [`auth::oauth1::OAuth1Flow`] |
//! | use one scheme on its own | [`auth::ApiKey`], [`auth::Basic`], [`auth::Bypass`] via [`auth::Authenticator`] |
//! | verify a webhook delivery | [`webhook::Verifier`] from a [`webhook::Preset`] or [`webhook::WebhookConfig`] |
//! | sign an outgoing webhook | [`webhook::Signer`], or an `hmac` scheme on a connection |
//! | serve many environments and end users | [`Registry`]: fill it from storage, [`Registry::resolve`] per request |
//! | share OAuth 2.0 tokens between replicas (processes) | [`auth::oauth2::TokenStore`], [`LiveConnectionBuilder::token_store`]: see below |
//! | fill per-connection values into URLs | [`url_template::expand`], `Connection::values` |
//! | make templates from an OpenAPI 3.0 / 3.1 specification | [`openapi::import`] |

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

pub mod auth;
mod base_url;
mod clock;
mod encoding;
mod error;
#[cfg(any(feature = "reqwest", feature = "tower", feature = "axum"))]
pub mod integrations;
mod live;
mod model;
pub mod openapi;
mod redact;
mod registry;
mod secret;
pub mod url_template;
pub mod webhook;

pub use auth::oauth2::{AuthorizeError, OAuth2Error};
pub use clock::{Clock, ManualClock, OsRandom, RandomSource, SystemClock};
pub use error::{AuthError, BuildError};
pub use live::{LiveConnection, LiveConnectionBuilder};
pub use model::*;
pub use redact::RedactedRequest;
pub use registry::{
    ApplyOutcome, ConnectionLink, EnvironmentDocument, Registry, RegistryChange, RegistryDocument,
    RegistryError, Restore, TokenOwner,
};
pub use secret::{
    ExtraParams, REDACTED, Secret, export_with_secrets, to_json_with_secrets, to_redacted_json,
};
