//! Connection templates from an `OpenAPI` specification: import the security schemes,
//! requirements and servers of a document, show the warnings, and use one template.
//!
//! Run with `cargo run --example openapi`. Nothing is fetched or sent: the document is
//! inline and credgate only decorates `http::Request` values.

use credgate::{Credential, openapi};

/// Stripe's `servers`, `securitySchemes` and `security` (github.com/stripe/openapi), with
/// an `OpenID` Connect scheme and a second server added to show the warnings.
const SPEC: &str = r#"{
  "openapi": "3.0.0",
  "info": {"title": "Stripe API", "version": "2020-08-27"},
  "servers": [{"url": "https://api.stripe.com/"}, {"url": "https://files.stripe.com/"}],
  "components": {"securitySchemes": {
    "basicAuth": {"type": "http", "scheme": "basic",
                  "description": "Basic HTTP authentication. Allowed headers-- Authorization: Basic <api_key>"},
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "auth-scheme",
                   "description": "Bearer HTTP authentication. Allowed headers-- Authorization: Bearer <api_key>"},
    "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://connect.stripe.example/.well-known/openid-configuration"}
  }},
  "security": [{"basicAuth": []}, {"bearerAuth": []}, {"oidc": []}]
}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let import = openapi::import(SPEC)?;
    for template in &import.templates {
        println!("template {}:", template.name);
        println!("{}", serde_json::to_string_pretty(template)?);
    }
    for warning in &import.warnings {
        println!("warning: {warning}");
    }

    // The caller picks an alternative: here the bearer one.
    let template = import
        .templates
        .iter()
        .find(|template| template.name == "stripe-api-bearerAuth")
        .ok_or("no bearer template")?;
    let connection = template.connect(vec![Credential::api_key(
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    )])?;
    let live = connection.build(template)?;
    let mut request = http::Request::get("/v1/charges?limit=3").body(())?;
    live.authorize(&mut request)?;
    println!("{}", live.redacted(&request));
    Ok(())
}
