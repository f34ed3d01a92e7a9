//! The `axum` adapter end to end: an axum server on loopback receiving GitHub, Stripe and
//! Linear deliveries from a real client (reqwest).
#![cfg(feature = "axum")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use credgate::integrations::axum::{VerifyWebhookLayer, Webhook};
use credgate::webhook::{Preset, Verifier, WebhookConfig};

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const STRIPE_SECRET: &str = "whsec_test_secret";

async fn handler(State(calls): State<Arc<AtomicUsize>>, hook: Webhook) -> String {
    calls.fetch_add(1, Ordering::SeqCst);
    format!("{} {}", hook.body.len(), hook.verified.secret_index())
}

struct Receiver {
    base: String,
    calls: Arc<AtomicUsize>,
}

async fn start() -> Receiver {
    let calls = Arc::new(AtomicUsize::new(0));
    let github = Verifier::from_preset(Preset::Github, &[GITHUB_SECRET.into()]).unwrap();
    let stripe =
        Verifier::from_preset(Preset::Stripe, &["old".into(), STRIPE_SECRET.into()]).unwrap();
    let mut small = WebhookConfig::preset(Preset::Github, vec![GITHUB_SECRET.into()]);
    small.max_body_bytes = Some(1000);
    let small = Verifier::from_config(&small).unwrap();
    let linear = Verifier::from_preset(Preset::Linear, &["lin_secret".into()]).unwrap();
    let app = Router::new()
        .route(
            "/github",
            post(handler).layer(VerifyWebhookLayer::new(github)),
        )
        .route(
            "/stripe",
            post(handler).layer(VerifyWebhookLayer::new(stripe)),
        )
        .route(
            "/small",
            post(handler).layer(VerifyWebhookLayer::new(small)),
        )
        .route(
            "/linear",
            post(handler).layer(VerifyWebhookLayer::new(linear).max_body_bytes(2000)),
        )
        .route("/unguarded", post(handler))
        .with_state(Arc::clone(&calls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { base, calls }
}

/// A change made to a delivery after it is signed.
type Tamper = Box<dyn FnOnce(&mut http::Request<Vec<u8>>)>;

/// Signs `body` as `preset` would with `secret` and posts it to `url`.
async fn deliver(
    url: &str,
    preset: Preset,
    secret: &str,
    body: Vec<u8>,
    tamper: impl FnOnce(&mut http::Request<Vec<u8>>),
) -> (u16, String) {
    let signer = Verifier::from_preset(preset, &[secret.into()])
        .unwrap()
        .signer()
        .unwrap();
    let mut request = http::Request::post(url).body(body).unwrap();
    signer.sign(&mut request).unwrap();
    tamper(&mut request);
    let request = reqwest::Request::try_from(request).unwrap();
    let response = reqwest::Client::new().execute(request).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn githubs_published_vector_is_accepted() {
    let receiver = start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/github", receiver.base))
        .header(
            "X-Hub-Signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        )
        .body("Hello, World!")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "13 0");
}

#[tokio::test]
async fn signed_deliveries_reach_the_handler_with_the_matching_secret() {
    let receiver = start().await;
    let url = format!("{}/stripe", receiver.base);
    let (status, body) = deliver(
        &url,
        Preset::Stripe,
        STRIPE_SECRET,
        br#"{"id":"evt_1"}"#.to_vec(),
        |_| {},
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "14 1"));
    assert_eq!(receiver.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn every_failure_is_a_bare_401_and_the_handler_never_runs() {
    let receiver = start().await;
    let github = format!("{}/github", receiver.base);
    let stripe = format!("{}/stripe", receiver.base);
    let body = br#"{"action":"opened"}"#.to_vec();
    let cases: Vec<(&str, Preset, &str, Tamper)> = vec![
        (&github, Preset::Github, "wrong secret", Box::new(|_| {})),
        (
            &github,
            Preset::Github,
            GITHUB_SECRET,
            Box::new(|r| r.body_mut().push(b' ')),
        ),
        (
            &github,
            Preset::Github,
            GITHUB_SECRET,
            Box::new(|r| {
                r.headers_mut().remove("x-hub-signature-256");
            }),
        ),
        (
            &github,
            Preset::Github,
            GITHUB_SECRET,
            Box::new(|r| {
                let value = r.headers()["x-hub-signature-256"].clone();
                r.headers_mut().append("x-hub-signature-256", value);
                r.headers_mut()
                    .insert("x-hub-signature-256", "sha256=00".parse().unwrap());
            }),
        ),
        // A Stripe delivery at the GitHub route, and a GitHub one at Stripe's.
        (&github, Preset::Stripe, GITHUB_SECRET, Box::new(|_| {})),
        (&stripe, Preset::Github, STRIPE_SECRET, Box::new(|_| {})),
        (
            &stripe,
            Preset::Stripe,
            STRIPE_SECRET,
            Box::new(|r| {
                let header = r.headers()["stripe-signature"].to_str().unwrap().to_owned();
                let stale = header.replacen("t=", "t=1", 1);
                r.headers_mut()
                    .insert("stripe-signature", stale.parse().unwrap());
            }),
        ),
    ];
    for (url, preset, secret, tamper) in cases {
        let (status, text) = deliver(url, preset, secret, body.clone(), tamper).await;
        assert_eq!((status, text.as_str()), (401, ""), "{url} {preset:?}");
    }
    assert_eq!(receiver.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_verifiers_cap_answers_413_and_a_body_past_axums_default_limit_streams() {
    let receiver = start().await;
    let small = format!("{}/small", receiver.base);
    let (status, _) = deliver(
        &small,
        Preset::Github,
        GITHUB_SECRET,
        vec![b'a'; 1001],
        |_| {},
    )
    .await;
    assert_eq!(status, 413);
    let (status, text) = deliver(
        &small,
        Preset::Github,
        GITHUB_SECRET,
        vec![b'a'; 1000],
        |_| {},
    )
    .await;
    assert_eq!((status, text.as_str()), (200, "1000 0"));

    // 5 MiB: over axum's 2 MB DefaultBodyLimit, under the verifier's 25 MiB.
    let github = format!("{}/github", receiver.base);
    let big = vec![b'x'; 5 << 20];
    let (status, text) = deliver(&github, Preset::Github, GITHUB_SECRET, big, |_| {}).await;
    assert_eq!((status, text), (200, format!("{} 0", 5 << 20)));
}

#[tokio::test]
async fn a_scheme_that_reads_the_body_is_verified_after_reading_it_under_the_layers_cap() {
    let receiver = start().await;
    let linear = format!("{}/linear", receiver.base);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let body = format!(r#"{{"action":"create","webhookTimestamp":{now}}}"#).into_bytes();
    let (status, _) = deliver(&linear, Preset::Linear, "lin_secret", body.clone(), |_| {}).await;
    assert_eq!(status, 200);
    let (status, _) = deliver(&linear, Preset::Linear, "other", body, |_| {}).await;
    assert_eq!(status, 401);
    let padded = format!(
        r#"{{"action":"create","pad":"{}","webhookTimestamp":{now}}}"#,
        "p".repeat(2000)
    );
    let (status, _) = deliver(
        &linear,
        Preset::Linear,
        "lin_secret",
        padded.into_bytes(),
        |_| {},
    )
    .await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn the_extractor_without_the_layer_refuses_with_500() {
    let receiver = start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/unguarded", receiver.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(receiver.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn headers_are_checked_before_the_body_is_read() {
    let receiver = start().await;
    // Over the verifier's 1,000-byte cap and unsigned: refused for the missing signature
    // (401), not for its size (413), which only reading the body would show.
    let response = reqwest::Client::new()
        .post(format!("{}/small", receiver.base))
        .body(vec![b'a'; 1 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.text().await.unwrap(), "");
}

/// Signs `body` as `preset` for `signed_url` and posts it to `send_to`.
async fn deliver_signed_for(
    signed_url: &str,
    send_to: &str,
    preset: Preset,
    secret: &str,
    body: &[u8],
) -> (u16, String) {
    let signer = Verifier::from_preset(preset, &[secret.into()])
        .unwrap()
        .signer()
        .unwrap();
    let mut request = http::Request::post(signed_url).body(body.to_vec()).unwrap();
    signer.sign(&mut request).unwrap();
    *request.uri_mut() = send_to.parse().unwrap();
    let request = reqwest::Request::try_from(request).unwrap();
    let response = reqwest::Client::new().execute(request).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The receiver a newcomer writes: the router, one `from_preset` layer per provider.
#[tokio::test]
async fn from_preset_layers_verify_github_and_stripe() {
    async fn hook(hook: Webhook) -> String {
        format!("{} {}", hook.body.len(), hook.verified.secret_index())
    }
    let app = Router::new()
        .route(
            "/github",
            post(hook).layer(
                VerifyWebhookLayer::from_preset(Preset::Github, &[GITHUB_SECRET.into()]).unwrap(),
            ),
        )
        .route(
            "/stripe",
            post(hook).layer(
                VerifyWebhookLayer::from_preset(Preset::Stripe, &[STRIPE_SECRET.into()]).unwrap(),
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let body = br#"{"id":"evt_1"}"#.to_vec();
    for (path, preset, secret) in [
        ("/github", Preset::Github, GITHUB_SECRET),
        ("/stripe", Preset::Stripe, STRIPE_SECRET),
    ] {
        let url = format!("{base}{path}");
        let (status, text) = deliver(&url, preset, secret, body.clone(), |_| {}).await;
        assert_eq!((status, text.as_str()), (200, "14 0"), "{path}");
        let (status, text) = deliver(&url, preset, secret, body.clone(), |r| {
            r.body_mut().push(b' ')
        })
        .await;
        assert_eq!((status, text.as_str()), (401, ""), "{path}");
    }
    // An empty secret list is refused when the layer is built, not at the first delivery.
    assert!(VerifyWebhookLayer::from_preset(Preset::Github, &[]).is_err());
    let config = WebhookConfig::preset(Preset::Stripe, vec![STRIPE_SECRET.into()]);
    assert!(VerifyWebhookLayer::from_config(&config).is_ok());
}

/// Square, HubSpot and Twilio sign the URL: the layer verifies against the URL configured
/// with `signed_url`, never the request's, and without one refuses every delivery (500).
#[tokio::test]
async fn url_signed_schemes_verify_against_the_configured_url_only() {
    const PUBLIC: &str = "https://hooks.example.com/square";
    let calls = Arc::new(AtomicUsize::new(0));
    let square = || VerifyWebhookLayer::from_preset(Preset::Square, &["sq-key".into()]).unwrap();
    let app = Router::new()
        .route("/square", post(handler).layer(square().signed_url(PUBLIC)))
        .route("/unset", post(handler).layer(square()))
        .with_state(Arc::clone(&calls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (local, unset) = (format!("{base}/square"), format!("{base}/unset"));
    let body = br#"{"type":"payment.created"}"#;

    // Signed for the public URL, received behind a "proxy" on loopback.
    let (status, _) = deliver_signed_for(PUBLIC, &local, Preset::Square, "sq-key", body).await;
    assert_eq!(status, 200);
    // Signed for the URL the request was sent to, or for another endpoint: refused.
    for signed in [local.as_str(), "https://hooks.example.com/other"] {
        let (status, text) =
            deliver_signed_for(signed, &local, Preset::Square, "sq-key", body).await;
        assert_eq!((status, text.as_str()), (401, ""), "{signed}");
    }
    // No signed_url configured: a configuration error, answered 500 with no detail.
    for signed in [PUBLIC, unset.as_str()] {
        let (status, text) =
            deliver_signed_for(signed, &unset, Preset::Square, "sq-key", body).await;
        assert_eq!((status, text.as_str()), (500, ""), "{signed}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// The layer's cap, when below the verifier's, applies to streamed schemes too; a
/// `Content-Length` over the cap is refused; a method other than POST gets 405.
#[tokio::test]
async fn the_lower_cap_wins_and_other_methods_are_refused() {
    let calls = Arc::new(AtomicUsize::new(0));
    let github =
        || VerifyWebhookLayer::from_preset(Preset::Github, &[GITHUB_SECRET.into()]).unwrap();
    let app = Router::new()
        .route("/capped", post(handler).layer(github().max_body_bytes(10)))
        .route("/any", axum::routing::any(handler).layer(github()))
        .with_state(Arc::clone(&calls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let capped = format!("{base}/capped");

    let (status, _) = deliver(
        &capped,
        Preset::Github,
        GITHUB_SECRET,
        vec![b'a'; 11],
        |_| {},
    )
    .await;
    assert_eq!(status, 413);
    let (status, text) = deliver(
        &capped,
        Preset::Github,
        GITHUB_SECRET,
        vec![b'a'; 10],
        |_| {},
    )
    .await;
    assert_eq!((status, text.as_str()), (200, "10 0"));
    let (status, _) = deliver(
        &format!("{base}/any"),
        Preset::Github,
        GITHUB_SECRET,
        b"{}".to_vec(),
        |r| *r.method_mut() = http::Method::PUT,
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
