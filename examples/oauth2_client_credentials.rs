//! A client-credentials flow against a local token server on 127.0.0.1: credgate builds
//! the token request, ureq sends it, credgate reads the response and authorizes the API
//! request, which is printed redacted.
//!
//! Run with `cargo run --example oauth2_client_credentials`.

use credgate::{ConnectionTemplate, Credential};
use http::{Request, Response};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // A token endpoint that answers one request, then stops.
    let server = tiny_http::Server::http("127.0.0.1:0")?;
    let port = server
        .server_addr()
        .to_ip()
        .ok_or("no loopback address")?
        .port();
    let token_server = std::thread::spawn(move || {
        for mut request in server.incoming_requests().take(1) {
            let mut body = String::new();
            let _ = request.as_reader().read_to_string(&mut body);
            println!(
                "token server received: {} {} {body}",
                request.method(),
                request.url()
            );
            let reply =
                r#"{"access_token":"at-demo-123","token_type":"bearer","expires_in":"3600"}"#;
            let _ = request.respond(tiny_http::Response::from_string(reply));
        }
    });

    // http:// is accepted for the token URL only because it is a loopback host.
    let template: ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "demo", "templateBaseUrl": "https://api.demo.example/v1",
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
            "tokenUrl": format!("http://127.0.0.1:{port}/token"), "defaultScopes": ["read"],
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
    }))?;
    let client: Credential = serde_json::from_value(serde_json::json!({"type": "oauth2-client",
        "data": {"oauth2Client": {"clientId": "demo-client", "clientSecret": "demo-secret"}}}))?;
    let live = template.connect(vec![client])?.build(&template)?;

    // A token request carries secrets in its body: never follow a redirect with it.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent();
    let mut request = Request::get("/reports?month=11").body(Vec::new())?;
    live.authorize_with(&mut request, |token_request| {
        let (parts, mut body) = agent.run(token_request)?.into_parts();
        Ok::<_, ureq::Error>(Response::from_parts(parts, body.read_to_vec()?))
    })?;
    let _ = token_server.join();

    print!("{}", live.redacted(&request));
    Ok(())
}
