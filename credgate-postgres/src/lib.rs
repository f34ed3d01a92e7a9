//! `credgate-postgres`: credgate's token store on PostgreSQL.
//!
//! Many replicas of a service share one OAuth 2.0 token per token owner: the token lives in
//! one PostgreSQL row, sealed with AES-256-GCM, with a version for compare-and-swap, a
//! lease so only one replica refreshes, and `LISTEN`/`NOTIFY` so the others learn the new
//! token without polling.
//!
//! This crate does I/O (tokio and tokio-postgres); the `credgate` core does none.
#![forbid(unsafe_code)]

mod contract;
mod error;
mod keyring;
mod listener;
mod registry;
pub mod schema;
mod sql;
mod store;

pub use contract::Follow;
pub use error::{KeyringError, StoreError};
pub use keyring::Keyring;
pub use registry::{ApplyReport, PgRegistry, PgRegistryError};
pub use store::{PgStoreOptions, PgTokenStore};
