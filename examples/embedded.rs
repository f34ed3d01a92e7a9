//! Embedded connections: two environments, a static and an embedded template, three end
//! users. Each user's request is authorized with their own connection and printed redacted.
//!
//! Run with `cargo run --example embedded`.

use credgate::{Activation, ConnectionTemplate, Credential, EndUser, Registry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    // The integration's own Slack bot: one static connection, shared by both environments.
    let slack: ConnectionTemplate = serde_json::from_str(
        r#"{"name": "slack", "connectionTemplateId": "01KKBR67D0484X7WG7KB3DZFS2",
            "templateBaseUrl": "https://slack.com/api",
            "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "bot-token",
                "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]}"#,
    )?;
    // Each customer's own Zendesk: an embedded template, one connection per end user.
    let zendesk: ConnectionTemplate = serde_json::from_str(
        r#"{"name": "zendesk", "connectionTemplateId": "01K94NJCJFCQ0TEGA44B03942N",
            "dynamic": true, "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2",
            "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}},
            "authSchemeConfigs": [{"type": "basic-auth", "basicAuth": {"id": "email-token"}}]}"#,
    )?;
    for environment in ["staging", "production"] {
        registry.add_environment(environment)?;
        registry.add_template(environment, slack.clone())?;
        registry.add_template(environment, zendesk.clone())?;
    }
    let mut bot = registry.connect(
        "production",
        "slack",
        vec![Credential::api_key("xoxb-1-bot")],
    )?;
    bot.id = "slack-bot".into();
    registry.add_connection("production", "slack", bot)?;
    registry.link_connection("staging", "slack", "slack-bot")?;

    let users = [
        (
            "production",
            "acme-corp",
            "acme",
            "agent@acme.example",
            "zd-acme",
        ),
        (
            "production",
            "globex",
            "globex",
            "it@globex.example",
            "zd-globex",
        ),
        (
            "staging",
            "initech",
            "initech-sandbox",
            "qa@initech.example",
            "zd-initech",
        ),
    ];
    for (environment, user, subdomain, email, token) in users {
        let mut connection = registry.connect(
            environment,
            "zendesk",
            vec![Credential::basic_auth(format!("{email}/token"), token)],
        )?;
        connection
            .values
            .insert("subdomain".into(), subdomain.into());
        registry.activate(Activation::new(
            environment,
            EndUser::new(user),
            vec![connection],
        ))?;
    }

    for (environment, user, ..) in users {
        for template in ["zendesk", "slack"] {
            let live = registry.resolve(environment, template, Some(user))?;
            let mut request = http::Request::get("/users/me").body(())?;
            live.authorize(&mut request)?;
            println!(
                "[{environment}] {user} via {template}:\n{}",
                live.redacted(&request)
            );
        }
    }

    let err = registry
        .resolve("production", "zendesk", Some("initech"))
        .unwrap_err();
    println!("initech in production: {err}");
    Ok(())
}
