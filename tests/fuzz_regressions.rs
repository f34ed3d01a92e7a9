//! Crashes the fuzz targets (`fuzz/`) found, kept through the public API. Each input is
//! also in `fuzz/seeds/<target>/`.

use credgate::webhook::WebhookConfig;

/// `documents`: a serde error printed a webhook secret given with the wrong type (audit
/// item 6): `invalid type: string "whsec_live_CANARY123", expected a sequence`.
#[test]
fn serde_error_never_prints_a_webhook_secret() {
    let error = serde_json::from_str::<WebhookConfig>(
        r#"{"preset": "stripe", "secrets": "whsec_live_CANARY123"}"#,
    )
    .expect_err("secrets must be a list");
    assert!(
        !error.to_string().contains("whsec_live_CANARY123"),
        "{error}"
    );
}

/// `oauth2_token_response`: a token endpoint echoing the client secret HTML-escaped in
/// `error_description` had it printed by the error (audit item 7):
/// `the authorization server refused the client credentials (invalid_client: cs CANARY&#x2F;42+&amp;x&lt;y&gt;&quot;z)`.
#[test]
fn token_error_never_prints_an_html_escaped_client_secret() -> Result<(), Box<dyn std::error::Error>>
{
    use credgate::auth::oauth2::TokenStep;
    use credgate::{ConnectionTemplate, Credential};
    let template: ConnectionTemplate = serde_json::from_str(
        r#"{"name": "crm", "templateBaseUrl": "https://api.crm.example/v1",
            "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "o",
                "tokenUrl": "https://auth.crm.example/oauth/token",
                "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]}"#,
    )?;
    let credential: Credential = serde_json::from_value(
        serde_json::json!({"type": "oauth2-client",
        "data": {"oauth2Client": {"clientId": "client-1", "clientSecret": "cs CANARY/42+&x<y>\"z"}}}),
    )?;
    let live = template.connect(vec![credential])?.build(&template)?;
    let TokenStep::Send(refresh) = live.token_step()? else {
        panic!("no token yet: a token request is due");
    };
    let response = http::Response::builder()
        .status(401)
        .header("content-type", "application/json")
        .body(br#"{"error":"invalid_client","error_description":"cs CANARY&#x2F;42+&amp;x&lt;y&gt;&quot;z"}"#.to_vec())?;
    let error = refresh.complete(response).expect_err("an error response");
    assert!(!error.to_string().contains("CANARY"), "{error}");
    Ok(())
}
