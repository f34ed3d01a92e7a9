//! Quickstart: build connections from the platform's JSON documents for an API key, Basic
//! and bypass, put their credentials on requests, and print everything redacted.
//!
//! Run with `cargo run --example quickstart`. Nothing is sent anywhere: credgate only
//! decorates `http::Request` values.

use credgate::{ConnectionTemplate, Credential};

const TEMPLATES: &str = r#"[
  {"name": "weather", "templateBaseUrl": "https://api.weather.example/v2", "dynamic": false,
   "authSchemeConfigs": [{"type": "api-key",
     "apiKey": {"id": "key", "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]},
  {"name": "maps", "templateBaseUrl": "https://maps.example", "dynamic": false,
   "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "key", "name": "key", "in": "query"}}]},
  {"name": "jira", "templateBaseUrl": "https://acme.atlassian.net/rest/api/3", "dynamic": false,
   "authSchemeConfigs": [{"type": "basic-auth", "basicAuth": {"id": "basic"}}]},
  {"name": "stripe", "templateBaseUrl": "https://api.stripe.com/v1", "dynamic": false,
   "authSchemeConfigs": [{"type": "basic-auth", "basicAuth": {"id": "key-as-username"}}]},
  {"name": "public-data", "templateBaseUrl": "https://data.example", "dynamic": false,
   "authSchemeConfigs": [{"type": "none", "none": {"id": "none"}}]}
]"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let templates: Vec<ConnectionTemplate> = serde_json::from_str(TEMPLATES)?;
    let credentials = [
        ("weather", Credential::api_key("wk_live_8f2a")),
        ("maps", Credential::api_key("AIzaSy-maps-key")),
        (
            "jira",
            Credential::basic_auth("ada@acme.example", "atlassian-api-token"),
        ),
        (
            "stripe",
            Credential::api_key("sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
        ),
        ("public-data", Credential::None),
    ];
    let requests = [
        ("weather", "/forecast?city=Oslo"),
        ("maps", "/geocode/json?address=Oslo&key=stale"),
        ("jira", "/myself"),
        ("stripe", "/charges?limit=3"),
        ("public-data", "/datasets"),
    ];

    for ((name, credential), (_, uri)) in credentials.into_iter().zip(requests) {
        let template = templates
            .iter()
            .find(|t| t.name == name)
            .ok_or("template missing")?;
        // The platform's checks (missing credentials, redacted secrets, bad bytes) run here...
        let connection = template.connect(vec![credential])?;
        // ...and the credentials are pre-encoded here, once.
        let live = connection.build(template)?;

        let mut request = http::Request::get(uri).body(Vec::<u8>::new())?;
        live.authorize(&mut request)?;
        println!(
            "# {name}: stored as {}",
            serde_json::to_string(&connection)?
        );
        println!("{}", live.redacted(&request));
    }

    // Credentials never go to another origin; the request is left unchanged.
    let weather = &templates[0];
    let live = weather
        .connect(vec![Credential::api_key("wk_live_8f2a")])?
        .build(weather)?;
    let mut stray = http::Request::get("https://attacker.example/collect").body(())?;
    match live.authorize(&mut stray) {
        Err(err) => println!("# refused: {err}"),
        Ok(()) => return Err("a foreign origin was authorized".into()),
    }

    // A redacted listing loads, but cannot be used.
    let listed =
        serde_json::to_string(&weather.connect(vec![Credential::api_key("wk_live_8f2a")])?)?;
    let listed: credgate::Connection = serde_json::from_str(&listed)?;
    match listed.build(weather) {
        Err(err) => println!("# from a listing: {err}"),
        Ok(_) => return Err("a redacted connection was usable".into()),
    }
    Ok(())
}
