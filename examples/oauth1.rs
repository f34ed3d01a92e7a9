//! An OAuth 1.0a-signed request, built from the platform's JSON documents and printed
//! redacted, then the first step of the three-legged flow.
//!
//! `cargo run --example oauth1`

use credgate::auth::oauth1::OAuth1Flow;
use credgate::{AuthSchemeConfig, Connection, ConnectionTemplate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A NetSuite-style template: HMAC-SHA256, the account id as realm.
    let template: ConnectionTemplate = serde_json::from_str(
        r#"{"id": "01HX0000000000000000000000", "name": "netsuite",
            "templateBaseUrl": "https://1234567.suitetalk.api.netsuite.com/services/rest",
            "authSchemeConfigs": [{"type": "oauth1", "oauth1": {
                "id": "tba", "consumerKey": "ck-123", "consumerSecret": "cs-456",
                "signatureMethod": "sha256", "tokenAuth": true, "realm": "1234567"}}]}"#,
    )?;
    let connection: Connection = serde_json::from_str(
        r#"{"id": "01HX0000000000000000000001", "name": "acme",
            "credentials": [{
                "authSchemeConfig": {"type": "oauth1", "oauth1": {
                    "id": "tba", "consumerKey": "ck-123", "consumerSecret": "cs-456",
                    "signatureMethod": "sha256", "tokenAuth": true, "realm": "1234567"}},
                "credential": {"type": "oauth1-token", "data": {"oauth1Token": {
                    "token": "tk-789", "tokenSecret": "ts-012"}}}}]}"#,
    )?;
    let live = connection.build(&template)?;

    let mut request = http::Request::get("/record/v1/customer?limit=5").body(())?;
    live.authorize(&mut request)?;
    println!("A signed request, as logged:\n{}", live.redacted(&request));

    // The three-legged flow hands out requests for you to send.
    let scheme: AuthSchemeConfig = serde_json::from_str(
        r#"{"type": "oauth1", "oauth1": {"id": "3lo", "consumerKey": "ck-123",
            "consumerSecret": "cs-456", "signatureMethod": "sha1", "tokenAuth": false,
            "tempCredentialEndpoint": "https://api.example.com/oauth/request_token",
            "resourceOwnerAuthorizationEndpoint": "https://api.example.com/oauth/authorize",
            "tokenEndpoint": "https://api.example.com/oauth/access_token"}}"#,
    )?;
    let AuthSchemeConfig::OAuth1(scheme) = scheme else {
        return Err("not an oauth1 scheme".into());
    };
    let flow = OAuth1Flow::new(&scheme)?;
    let request = flow.temporary_credentials_request("https://app.example.com/callback")?;
    println!(
        "Temporary credentials request: {} {} ({} header bytes, not shown)",
        request.method(),
        request.uri(),
        request.headers()["authorization"].len()
    );
    Ok(())
}
