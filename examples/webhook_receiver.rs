//! A small webhook receiver on loopback: it verifies a GitHub-signed and a Stripe-signed
//! delivery, rejects a tampered one, and exits.
//!
//! credgate does no I/O: the receiver (a `tiny_http` server) reads the request and hands an
//! `http::Request` to the verifier; the sender (a `ureq` client) signs its deliveries with
//! a credgate `Signer` built from the same preset.
//!
//! Run with `cargo run --example webhook_receiver`.

use std::thread;

use credgate::Secret;
use credgate::webhook::{Preset, Signer, Verifier, WebhookConfig};

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const STRIPE_SECRET: &str = "whsec_example_signing_secret";

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Turns a `tiny_http` request into the `http::Request` credgate verifies.
fn to_http(request: &mut tiny_http::Request) -> Result<http::Request<Vec<u8>>, Error> {
    let mut builder = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.url());
    for header in request.headers() {
        builder = builder.header(header.field.as_str().as_str(), header.value.as_str());
    }
    let mut body = Vec::new();
    request.as_reader().read_to_end(&mut body)?;
    Ok(builder.body(body)?)
}

/// Serves `count` deliveries: 204 when the signature verifies, 401 with the reason when
/// it does not.
fn serve(server: tiny_http::Server, count: usize) -> Result<(), Error> {
    // A handler's settings, as they would be read from a file.
    let github: WebhookConfig = serde_json::from_str(&format!(
        r#"{{"preset": "github", "secrets": ["{GITHUB_SECRET}"]}}"#
    ))?;
    let stripe: WebhookConfig = serde_json::from_str(&format!(
        r#"{{"preset": "stripe", "secrets": ["{STRIPE_SECRET}"]}}"#
    ))?;
    let github = Verifier::from_config(&github)?;
    let stripe = Verifier::from_config(&stripe)?;
    for _ in 0..count {
        let mut incoming = server.recv()?;
        let request = to_http(&mut incoming)?;
        let verifier = if request.uri().path() == "/hooks/stripe" {
            &stripe
        } else {
            &github
        };
        let response = match verifier.verify(&request) {
            Ok(_) => tiny_http::Response::from_string("").with_status_code(204),
            Err(err) => tiny_http::Response::from_string(err.to_string()).with_status_code(401),
        };
        incoming.respond(response)?;
    }
    Ok(())
}

/// Signs `body` for `preset` and posts it to `url`; the status and response text.
fn deliver(
    agent: &ureq::Agent,
    preset: Preset,
    secret: &str,
    url: &str,
    body: &[u8],
    tamper: bool,
) -> Result<(u16, String), Error> {
    let mut request = http::Request::post(url)
        .header("content-type", "application/json")
        .body(body.to_vec())?;
    Signer::new(&preset.scheme(), &Secret::new(secret))?.sign(&mut request)?;
    if tamper {
        request.body_mut().extend_from_slice(b" ");
    }
    let mut response = agent.run(request)?;
    let status = response.status().as_u16();
    Ok((status, response.body_mut().read_to_string()?))
}

fn main() -> Result<(), Error> {
    let server = tiny_http::Server::http("127.0.0.1:0")?;
    let address = server.server_addr().to_ip().ok_or("not an IP listener")?;
    let receiver = thread::spawn(move || serve(server, 3));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = format!("http://{address}");
    let body = br#"{"action": "opened", "number": 1}"#;
    let deliveries = [
        (
            "GitHub",
            Preset::Github,
            GITHUB_SECRET,
            "/hooks/github",
            false,
            204,
        ),
        (
            "Stripe",
            Preset::Stripe,
            STRIPE_SECRET,
            "/hooks/stripe",
            false,
            204,
        ),
        (
            "tampered GitHub",
            Preset::Github,
            GITHUB_SECRET,
            "/hooks/github",
            true,
            401,
        ),
    ];
    let mut outcome = Ok(());
    for (label, preset, secret, path, tamper, expected) in deliveries {
        let (status, text) = deliver(
            &agent,
            preset,
            secret,
            &format!("{base}{path}"),
            body,
            tamper,
        )?;
        println!("{label} delivery: {status} {text}");
        if status != expected {
            outcome = Err(format!("{label} delivery: expected {expected}, got {status}").into());
        }
    }
    receiver.join().map_err(|_| "the receiver panicked")??;
    outcome
}
