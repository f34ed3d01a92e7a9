//! A webhook receiver in axum verifying GitHub and Stripe deliveries with credgate's
//! `VerifyWebhookLayer`, on 127.0.0.1. A reqwest client plays the providers: it sends a
//! signed delivery to each route, then a tampered one and one over the cap, and the
//! example stops by itself.
//!
//! Run with `cargo run --example webhook_receiver --features axum`.

use axum::Router;
use axum::routing::post;
use credgate::integrations::axum::{VerifyWebhookLayer, Webhook};
use credgate::webhook::{Preset, Verifier, WebhookConfig};

type Error = Box<dyn std::error::Error + Send + Sync>;

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const STRIPE_SECRET: &str = "whsec_example_signing_secret";

async fn github(hook: Webhook) -> &'static str {
    println!("github: {} verified bytes", hook.body.len());
    "ok"
}

async fn stripe(hook: Webhook) -> &'static str {
    println!("stripe: event {}", String::from_utf8_lossy(&hook.body));
    "ok"
}

/// Sends `body` signed as `preset` with `secret`, `tamper`ed after signing.
async fn deliver(
    url: &str,
    preset: Preset,
    secret: &str,
    body: &[u8],
    tamper: bool,
) -> Result<u16, Error> {
    let signer = Verifier::from_preset(preset, &[secret.into()])?.signer()?;
    let mut request = http::Request::post(url).body(body.to_vec())?;
    signer.sign(&mut request)?;
    if tamper {
        request.body_mut().extend_from_slice(b" ");
    }
    let response = reqwest::Client::new().execute(request.try_into()?).await?;
    Ok(response.status().as_u16())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GitHub's settings as a platform would store them (a 64 KiB cap), Stripe's in code.
    let github_config: WebhookConfig = serde_json::from_value(serde_json::json!({
        "preset": "github", "secrets": [GITHUB_SECRET], "maxBodyBytes": 65536}))?;

    // What credgate adds to the router: one layer per provider.
    let app = Router::new()
        .route(
            "/github",
            post(github).layer(VerifyWebhookLayer::from_config(&github_config)?),
        )
        .route(
            "/stripe",
            post(stripe).layer(VerifyWebhookLayer::from_preset(
                Preset::Stripe,
                &[STRIPE_SECRET.into()],
            )?),
        );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (github_url, stripe_url) = (format!("{base}/github"), format!("{base}/stripe"));
    let push = br#"{"ref":"refs/heads/main"}"#;
    let event = br#"{"id":"evt_1","type":"invoice.paid"}"#;
    println!(
        "github delivery: {}",
        deliver(&github_url, Preset::Github, GITHUB_SECRET, push, false).await?
    );
    println!(
        "stripe delivery: {}",
        deliver(&stripe_url, Preset::Stripe, STRIPE_SECRET, event, false).await?
    );
    println!(
        "tampered delivery: {}",
        deliver(&stripe_url, Preset::Stripe, STRIPE_SECRET, event, true).await?
    );
    println!(
        "wrong secret: {}",
        deliver(&github_url, Preset::Github, "guess", push, false).await?
    );
    let oversized = vec![b'x'; 65537];
    println!(
        "oversized delivery: {}",
        deliver(
            &github_url,
            Preset::Github,
            GITHUB_SECRET,
            &oversized,
            false
        )
        .await?
    );
    Ok(())
}
