//! Adapters to the Rust HTTP ecosystem, each behind an off-by-default cargo feature.
//!
//! This is the only place credgate does I/O: an adapter sends token requests (and, for
//! `reqwest` and `tower`, the requests it authorizes) with the HTTP stack you chose, or
//! reads a webhook body from your server. The core stays sans-I/O: with default features
//! credgate depends on no HTTP client, server or async runtime.
//!
//! | feature | for | what you get |
//! |---|---|---|
//! | `reqwest` | reqwest 0.13 with reqwest-middleware 0.5 | `reqwest::ClientExt` (`client.authorized(live)?`), `reqwest::AuthorizeMiddleware`, `reqwest::RegistryMiddleware` |
//! | `tower` | any `tower::Service<http::Request<B>>`: hyper-util's client, tower-http stacks | `tower::AuthorizeLayer` |
//! | `axum` | axum 0.8 servers receiving webhooks | `axum::VerifyWebhookLayer`, `axum::Webhook` |
//!
//! Token requests carry the client secret or the refresh token: every adapter sends them
//! with **no redirect following** (a 307 or 308 would resend the secrets to the new
//! location) and hands every status back to credgate, which reads `invalid_grant` and the
//! other error codes from 4xx answers and treats 3xx as a failed request.

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "tower")]
pub mod tower;
