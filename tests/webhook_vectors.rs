//! The published webhook examples of `tests/data/webhooks-public.json` (GitHub, Slack,
//! Shopify, Standard Webhooks, Svix, Paddle; sources in each entry), each with its expected
//! verdict.

use std::sync::Arc;

use credgate::ManualClock;
use credgate::webhook::{Preset, Verifier, WebhookConfig};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    id: String,
    provider: String,
    scheme: String,
    secret: String,
    #[serde(default)]
    secrets_fallback: Vec<String>,
    headers: serde_json::Map<String, serde_json::Value>,
    body: String,
    now: Option<u64>,
    tolerance_s: Option<u64>,
    expected: String,
}

fn preset(vector: &Vector) -> Preset {
    match (vector.scheme.as_str(), vector.provider.as_str()) {
        ("github-sha256", _) => Preset::Github,
        ("github-sha1", _) => Preset::GithubSha1,
        ("shopify", _) => Preset::Shopify,
        ("slack", _) => Preset::Slack,
        ("standard-webhooks", "svix") => Preset::Svix,
        ("standard-webhooks", _) => Preset::StandardWebhooks,
        ("paddle", _) => Preset::Paddle,
        (other, _) => panic!("{}: unknown scheme {other}", vector.id),
    }
}

#[test]
fn published_vectors_give_their_expected_verdicts() -> Result<(), Box<dyn std::error::Error>> {
    let vectors: Vec<Vector> = serde_json::from_str(include_str!("data/webhooks-public.json"))?;
    assert!(vectors.len() >= 28, "the vector file lost entries");
    for vector in &vectors {
        let mut secrets = vec![vector.secret.as_str().into()];
        secrets.extend(vector.secrets_fallback.iter().map(|s| s.as_str().into()));
        let mut config = WebhookConfig::preset(preset(vector), secrets);
        config.past_tolerance = vector.tolerance_s;
        config.future_tolerance = vector.tolerance_s;
        let clock = Arc::new(ManualClock::at_unix_seconds(
            vector.now.unwrap_or(1_700_000_000),
        ));
        let verifier = Verifier::from_config(&config)?.with_clock(clock);

        let mut request = http::Request::post("/webhook");
        for (name, value) in &vector.headers {
            request = request.header(name, value.as_str().ok_or("header value")?);
        }
        let request = request.body(vector.body.clone().into_bytes())?;
        let outcome = verifier.verify(&request);
        match vector.expected.as_str() {
            "valid" => assert!(outcome.is_ok(), "{}: {outcome:?}", vector.id),
            "invalid" => assert!(outcome.is_err(), "{}: accepted", vector.id),
            other => panic!("{}: unknown verdict {other}", vector.id),
        }
    }
    Ok(())
}
