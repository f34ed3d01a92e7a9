//! A small webhook receiver on loopback: it verifies a GitHub-signed and a Stripe-signed
//! delivery, rejects a tampered one, an oversized one and a malformed request, and exits.
//!
//! credgate does no I/O: the receiver (a `tiny_http` server) reads the request and hands an
//! `http::Request` to the verifier; the sender (a `ureq` client) signs its deliveries with
//! a credgate `Signer` built from the same preset.
//!
//! Run with `cargo run --example webhook_receiver`.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::thread;

use credgate::Secret;
use credgate::webhook::{Preset, Signer, Verifier, WebhookConfig};

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const STRIPE_SECRET: &str = "whsec_example_signing_secret";

/// The largest body the receiver reads; the verifiers get the same cap.
const MAX_BODY_BYTES: u64 = 64 * 1024;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Why a request is answered before it is verified: the status and the reason.
type Rejection = (u16, &'static str);

/// Turns a `tiny_http` request into the `http::Request` credgate verifies, reading at most
/// `limit` bytes of body.
fn to_http(
    request: &mut tiny_http::Request,
    limit: u64,
) -> Result<http::Request<Vec<u8>>, Rejection> {
    const MALFORMED: Rejection = (400, "malformed request");
    let mut builder = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.url());
    for header in request.headers() {
        builder = builder.header(header.field.as_str().as_str(), header.value.as_str());
    }
    // One byte past the limit tells an oversized body from one exactly at it, without
    // buffering whatever a sender chooses to send.
    let mut body = Vec::new();
    request
        .as_reader()
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|_| MALFORMED)?;
    if u64::try_from(body.len()).unwrap_or(u64::MAX) > limit {
        return Err((413, "body too large"));
    }
    builder.body(body).map_err(|_| MALFORMED)
}

/// Serves `count` requests: 204 when the signature verifies, 401 with the reason when it
/// does not, 413 or 400 when the request is too large or not valid HTTP. One bad request
/// must not stop the receiver, so only a failing listener ends it early.
fn serve(server: tiny_http::Server, count: usize) -> Result<(), Error> {
    // A handler's settings, as they would be read from a file.
    let github: WebhookConfig = serde_json::from_str(&format!(
        r#"{{"preset": "github", "secrets": ["{GITHUB_SECRET}"], "maxBodyBytes": {MAX_BODY_BYTES}}}"#
    ))?;
    let stripe: WebhookConfig = serde_json::from_str(&format!(
        r#"{{"preset": "stripe", "secrets": ["{STRIPE_SECRET}"], "maxBodyBytes": {MAX_BODY_BYTES}}}"#
    ))?;
    let github = Verifier::from_config(&github)?;
    let stripe = Verifier::from_config(&stripe)?;
    for _ in 0..count {
        let mut incoming = server.recv()?;
        let response = match to_http(&mut incoming, MAX_BODY_BYTES) {
            Err((status, reason)) => {
                tiny_http::Response::from_string(reason).with_status_code(status)
            }
            Ok(request) => {
                let verifier = if request.uri().path() == "/hooks/stripe" {
                    &stripe
                } else {
                    &github
                };
                match verifier.verify(&request) {
                    Ok(_) => tiny_http::Response::from_string("").with_status_code(204),
                    Err(err) => {
                        tiny_http::Response::from_string(err.to_string()).with_status_code(401)
                    }
                }
            }
        };
        if let Err(err) = incoming.respond(response) {
            eprintln!("could not answer a request: {err}");
        }
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

/// Sends a request that is valid HTTP/1.1 but not a valid `http::Request` (a `<` in the
/// path); the status.
fn send_malformed(address: std::net::SocketAddr) -> Result<u16, Error> {
    let mut stream = TcpStream::connect(address)?;
    stream.write_all(
        b"POST /hooks/<github> HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split(' ').nth(1).ok_or("no status line")?;
    Ok(status.parse()?)
}

fn main() -> Result<(), Error> {
    let server = tiny_http::Server::http("127.0.0.1:0")?;
    let address = server.server_addr().to_ip().ok_or("not an IP listener")?;
    let receiver = thread::spawn(move || serve(server, 5));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = format!("http://{address}");
    let body = br#"{"action": "opened", "number": 1}"#;
    let mut outcome = Ok(());
    // First, so the receiver must survive it to serve the rest.
    let status = send_malformed(address)?;
    println!("malformed request: {status}");
    if status != 400 {
        outcome = Err(format!("malformed request: expected 400, got {status}").into());
    }
    let oversized = vec![b' '; usize::try_from(MAX_BODY_BYTES)? + 1];
    let deliveries = [
        (
            "GitHub",
            Preset::Github,
            GITHUB_SECRET,
            "/hooks/github",
            &body[..],
            false,
            204,
        ),
        (
            "Stripe",
            Preset::Stripe,
            STRIPE_SECRET,
            "/hooks/stripe",
            &body[..],
            false,
            204,
        ),
        (
            "tampered GitHub",
            Preset::Github,
            GITHUB_SECRET,
            "/hooks/github",
            &body[..],
            true,
            401,
        ),
        (
            "oversized GitHub",
            Preset::Github,
            GITHUB_SECRET,
            "/hooks/github",
            &oversized,
            false,
            413,
        ),
    ];
    for (label, preset, secret, path, body, tamper, expected) in deliveries {
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
