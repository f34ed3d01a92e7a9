//! Issue #15 item 7: an unknown `type` still loads and round-trips, and building from it
//! suggests the nearest known one; data under a misspelt key names the expected key.

use credgate::{AuthSchemeConfig, ConnectionTemplate, Credential, OAuth2Scheme};
use serde_json::json;

fn build_error(scheme: serde_json::Value, credential: Credential) -> String {
    let template: ConnectionTemplate = serde_json::from_value(json!({"name": "t",
        "templateBaseUrl": "https://api.example.com", "authSchemeConfigs": [scheme]}))
    .expect("unknown types load");
    template
        .connect_live(vec![credential])
        .unwrap_err()
        .to_string()
}

#[test]
fn unknown_scheme_types_load_round_trip_and_suggest() {
    for (written, meant) in [
        ("apikey", "api-key"),
        ("api_key", "api-key"),
        ("API-KEY", "api-key"),
        ("basic", "basic-auth"),
        ("basicAuth", "basic-auth"),
        ("oauth_2", "oauth2"),
        ("oauht2", "oauth2"),
        ("Hmac", "hmac"),
    ] {
        let document = json!({"type": written, "x": {"id": "k"}});
        let scheme: AuthSchemeConfig = serde_json::from_value(document.clone()).unwrap();
        assert_eq!(serde_json::to_value(&scheme).unwrap()["type"], written);
        let err = build_error(document, Credential::None);
        assert!(
            err.ends_with(&format!("; did you mean \"{meant}\"?")),
            "{written}: {err}"
        );
    }
    let err = build_error(json!({"type": "certificate"}), Credential::None);
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn unknown_credential_types_suggest() {
    for (written, meant) in [
        ("oauth2_token", "oauth2-token"),
        ("oauth2Client", "oauth2-client"),
        ("basic", "basic-auth"),
        ("strng", "string"),
    ] {
        let credential: Credential =
            serde_json::from_value(json!({"type": written, "data": {}})).unwrap();
        let err = build_error(
            json!({"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}),
            credential,
        );
        assert!(
            err.contains(&format!("did you mean \"{meant}\"?")),
            "{written}: {err}"
        );
    }
}

#[test]
fn grant_types_suggest() {
    for (written, meant) in [
        ("client_credentials", "clientCredentials"),
        ("authorization_code", "authorizationCode"),
        ("Password", "password"),
    ] {
        let err = serde_json::from_value::<OAuth2Scheme>(json!({
            "tokenUrl": "https://a.example.com/t", "grant": {"type": written}}))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&format!("did you mean \"{meant}\"?")),
            "{written}: {err}"
        );
    }
}

#[test]
fn data_under_a_misspelt_key_names_the_expected_key() {
    let err = serde_json::from_value::<AuthSchemeConfig>(json!({"type": "api-key",
        "api_key": {"id": "k", "name": "X-Key", "in": "header"}}))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("its data is under \"api_key\"; the expected key is \"apiKey\""),
        "{err}"
    );
    let err = serde_json::from_value::<Credential>(json!({"type": "basic-auth",
        "data": {"basic_auth": {"username": "u", "password": "p"}}}))
    .unwrap_err()
    .to_string();
    assert!(err.contains("the expected key is \"basicAuth\""), "{err}");
    let err = serde_json::from_value::<OAuth2Scheme>(json!({"tokenUrl": "https://a.example.com/t",
        "grant": {"type": "clientCredentials", "client_credentials": {}}}))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("the expected key is \"clientCredentials\""),
        "{err}"
    );
}
