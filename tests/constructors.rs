//! Issue #15 items 4 and 5: every credential and the OAuth 2.0 scheme can be built in code,
//! equal to the documents the platform writes, and a template reaches a live connection in
//! one call.

use credgate::{
    AuthSchemeConfig, ClientAuthMethod, ConnectionTemplate, Credential, OAuth2Scheme,
    ScopeSeparator,
};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn credential_constructors_equal_their_documents() -> TestResult {
    let cases = [
        (
            Credential::oauth2_client("id", "secret"),
            json!({"type": "oauth2-client", "data": {"oauth2Client": {"clientId": "id", "clientSecret": "secret"}}}),
        ),
        (
            Credential::oauth2_token("at", Some("rt".into())),
            json!({"type": "oauth2-token", "data": {"oauth2Token": {"accessToken": "at", "refreshToken": "rt"}}}),
        ),
        (
            Credential::oauth2_token("at", None),
            json!({"type": "oauth2-token", "data": {"oauth2Token": {"accessToken": "at"}}}),
        ),
        (
            Credential::oauth2_code("c", Some("https://app.example/cb".into()), Some("v".into())),
            json!({"type": "oauth2-code", "data": {"oauth2Code": {"code": "c",
                "redirectUrl": "https://app.example/cb", "codeVerifier": "v"}}}),
        ),
        (
            Credential::oauth2_password("ada", "pw"),
            json!({"type": "oauth2-password", "data": {"oauth2Password": {"username": "ada", "password": "pw"}}}),
        ),
        (
            Credential::oauth1_token("t", "ts"),
            json!({"type": "oauth1-token", "data": {"oauth1Token": {"token": "t", "tokenSecret": "ts"}}}),
        ),
    ];
    for (built, document) in cases {
        let loaded: Credential = serde_json::from_value(document)?;
        assert_eq!(built, loaded);
    }
    Ok(())
}

#[test]
fn oauth2_scheme_builders_equal_their_documents() -> TestResult {
    let built = OAuth2Scheme::client_credentials("https://auth.example.com/token")
        .with_id("client")
        .with_default_scopes(["read", "write"])
        .with_client_auth_method(ClientAuthMethod::Body)
        .with_scope_separator(ScopeSeparator::Comma)
        .with_refresh_url("https://auth.example.com/refresh")
        .with_additional_token_params("audience=api");
    let loaded: OAuth2Scheme = serde_json::from_value(json!({"id": "client",
        "tokenUrl": "https://auth.example.com/token", "defaultScopes": ["read", "write"],
        "clientAuthMethod": "body", "scopeSeparator": ",",
        "refreshUrl": "https://auth.example.com/refresh", "additionalTokenParams": "audience=api",
        "grant": {"type": "clientCredentials", "clientCredentials": {}}}))?;
    assert_eq!(built, loaded);

    let built = OAuth2Scheme::authorization_code(
        "https://auth.example.com/authorize",
        "https://auth.example.com/token",
        "cid",
        Some("cs".into()),
    )
    .with_pkce(true);
    let loaded: OAuth2Scheme = serde_json::from_value(json!({
        "authorizeUrl": "https://auth.example.com/authorize",
        "tokenUrl": "https://auth.example.com/token", "pkce": true,
        "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "cid", "clientSecret": "cs"}}}))?;
    assert_eq!(built, loaded);

    let built = OAuth2Scheme::password("https://auth.example.com/token", "cid", None);
    let loaded: OAuth2Scheme = serde_json::from_value(json!({
        "tokenUrl": "https://auth.example.com/token",
        "grant": {"type": "password", "password": {"clientId": "cid"}}}))?;
    assert_eq!(built, loaded);
    Ok(())
}

#[test]
fn one_step_from_template_to_live_connection() -> TestResult {
    let template: ConnectionTemplate = serde_json::from_value(json!({"name": "api",
        "templateBaseUrl": "https://api.example.com",
        "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}]}))?;
    let live = template.connect_live(vec![Credential::api_key("sk_live_1")])?;
    let two_steps = template
        .connect(vec![Credential::api_key("sk_live_1")])?
        .build(&template)?;
    let mut one = http::Request::get("/v1/items").body(())?;
    let mut two = http::Request::get("/v1/items").body(())?;
    live.authorize(&mut one)?;
    two_steps.authorize(&mut two)?;
    assert_eq!(one.uri(), two.uri());
    assert_eq!(one.headers(), two.headers());
    assert_eq!(one.headers()["x-key"], "sk_live_1");
    // Errors are those of the two steps: a missing credential, a redacted one.
    assert_eq!(
        template.connect_live(vec![]).unwrap_err().to_string(),
        "api-key is required for this connection template"
    );
    assert_eq!(
        template
            .connect_live(vec![Credential::api_key("******")])
            .unwrap_err()
            .to_string(),
        "api key is redacted"
    );
    // An OAuth 2.0 template written entirely in code.
    let oauth = ConnectionTemplate::new(
        "oauth",
        "https://api.example.com",
        vec![AuthSchemeConfig::OAuth2(OAuth2Scheme::client_credentials(
            "https://auth.example.com/token",
        ))],
    );
    oauth.connect_live(vec![Credential::oauth2_client("id", "secret")])?;
    Ok(())
}
