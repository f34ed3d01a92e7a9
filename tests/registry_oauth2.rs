//! OAuth 2.0 connections in a registry: a refreshed token reaches the registry's hook with
//! its owner before it is used, and the registry's export holds the rotated refresh token,
//! also after the connection is moved to another scheme.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use credgate::auth::oauth2::TokenStep;
use credgate::{
    Activation, AuthSchemeConfig, Connection, ConnectionTemplate, Credential, EndUser, Registry,
    TokenOwner,
};
use http::{Request, Response};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn oauth2_scheme(token_url: &str) -> serde_json::Value {
    serde_json::json!({"type": "oauth2", "oauth2": {"id": "o", "tokenUrl": token_url,
        "grant": {"type": "authorizationCode",
            "authorizationCode": {"clientId": "client-1", "clientSecret": "secret-1"}}}})
}

fn template(name: &str, template_id: &str, dynamic: bool) -> ConnectionTemplate {
    serde_json::from_value(serde_json::json!({
        "name": name, "connectionTemplateId": template_id, "dynamic": dynamic,
        "templateBaseUrl": "https://api.crm.example",
        "authSchemeConfigs": [oauth2_scheme("https://auth.crm.example/token")]}))
    .expect("template parses")
}

/// A connection whose access token expired in 2020, so its first use refreshes it.
fn expired_connection(template_id: &str, refresh_token: &str) -> Connection {
    serde_json::from_value(serde_json::json!({
        "connectionTemplateId": template_id,
        "credentials": [{"authSchemeConfig": oauth2_scheme("https://auth.crm.example/token"),
            "credential": {"type": "oauth2-token", "data": {"oauth2Token": {
                "accessToken": "at-old", "refreshToken": refresh_token,
                "expiresAt": "2020-01-01T00:00:00Z"}}}}]}))
    .expect("connection parses")
}

/// Stored owners and refresh tokens, as a host's hook would store them.
type Stored = Arc<Mutex<Vec<(String, String)>>>;

fn registry_storing_tokens() -> (Registry, Stored) {
    let stored = Stored::default();
    let store = Arc::clone(&stored);
    let registry = Registry::new().with_token_hook(move |owner, update| {
        let owner = match owner {
            TokenOwner::Connection { id } => format!("connection {id}"),
            TokenOwner::EndUser {
                environment,
                external_id,
                connection_template_id,
            } => format!("{environment}/{external_id}/{connection_template_id}"),
            _ => "unknown".to_owned(),
        };
        let refresh = update
            .credential
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .unwrap_or_default();
        store.lock().expect("store").push((owner, refresh));
    });
    registry.add_environment("production").expect("environment");
    registry
        .add_template("production", template("crm", "crm", false))
        .expect("static template");
    registry
        .add_template("production", template("crm-users", "crm-u", true))
        .expect("embedded template");
    (registry, stored)
}

/// Authorizes a request through `registry`, refreshing with a token endpoint that rotates
/// `from` into `to`; returns the `Authorization` header.
fn authorize_rotating(
    registry: &Registry,
    template: &str,
    user: Option<&str>,
    (from, to): (&str, &str),
) -> Result<String, Box<dyn std::error::Error>> {
    let live = registry.resolve("production", template, user)?;
    let mut request = Request::get("/contacts").body(())?;
    live.authorize_with(&mut request, |token_request| {
        let body = String::from_utf8_lossy(token_request.body()).into_owned();
        assert!(body.contains(&format!("refresh_token={from}")), "{body}");
        let answer = format!(
            r#"{{"access_token": "at-{to}", "refresh_token": "{to}", "expires_in": 3600}}"#
        );
        Ok::<_, Infallible>(Response::new(answer.into_bytes()))
    })?;
    Ok(request.headers()["authorization"].to_str()?.to_owned())
}

fn authorization_without_refresh(
    registry: &Registry,
    template: &str,
    user: Option<&str>,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut request = Request::get("/contacts").body(())?;
    registry
        .resolve("production", template, user)?
        .authorize(&mut request)?;
    Ok(request.headers()["authorization"].to_str()?.to_owned())
}

fn exported_refresh_tokens(registry: &Registry) -> Vec<String> {
    let document = registry.export();
    let user_connections = document.activations.iter().flat_map(|a| &a.connections);
    document
        .connections
        .iter()
        .chain(user_connections)
        .flat_map(|c| &c.credentials)
        .filter_map(|pair| match &pair.credential {
            Credential::OAuth2Token(token) => token
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            _ => None,
        })
        .collect()
}

/// A registry with a static connection `c1` (refresh token `rt-1`) and an end user
/// `user-1` (`user-rt-1`), each with an expired token.
fn registry_with_expired_tokens() -> Result<(Registry, Stored), Box<dyn std::error::Error>> {
    let (registry, stored) = registry_storing_tokens();
    let mut static_connection = expired_connection("crm", "rt-1");
    static_connection.id = "c1".to_owned();
    registry.add_connection("production", "crm", static_connection)?;
    registry.activate(Activation::new(
        "production",
        EndUser::new("user-1"),
        vec![expired_connection("crm-u", "user-rt-1")],
    ))?;
    Ok((registry, stored))
}

/// Gives both templates a new scheme (another token URL), which existing connections can
/// be moved to.
fn offer_moved_scheme(registry: &Registry) -> Result<AuthSchemeConfig, Box<dyn std::error::Error>> {
    let moved: AuthSchemeConfig =
        serde_json::from_value(oauth2_scheme("https://auth.crm.example/oauth/token"))?;
    for (name, id, dynamic) in [("crm", "crm", false), ("crm-users", "crm-u", true)] {
        let mut template = template(name, id, dynamic);
        template.auth_scheme_configs = vec![moved.clone()];
        registry.replace_template("production", template)?;
    }
    Ok(moved)
}

/// Moves `c1` and `user-1` to the scheme of [`offer_moved_scheme`].
fn move_both(registry: &Registry) -> TestResult {
    let moved = offer_moved_scheme(registry)?;
    registry.move_connection_to_scheme("c1", &moved)?;
    registry.move_user_connection_to_scheme("production", "crm-users", "user-1", &moved)?;
    Ok(())
}

/// Checks that `c1` and `user-1` use the access tokens of their rotation to `rt-2` and
/// `user-rt-2` without a refresh, and that the export holds those refresh tokens.
fn serves_rotated_tokens(registry: &Registry) -> TestResult {
    assert_eq!(
        authorization_without_refresh(registry, "crm", None)?,
        "Bearer at-rt-2"
    );
    assert_eq!(
        authorization_without_refresh(registry, "crm-users", Some("user-1"))?,
        "Bearer at-user-rt-2"
    );
    assert_eq!(exported_refresh_tokens(registry), ["rt-2", "user-rt-2"]);
    Ok(())
}

/// The registry of [`registry_with_expired_tokens`] after one request each that rotated their refresh tokens to `rt-2` and
/// `user-rt-2`.
fn registry_after_rotations() -> Result<(Registry, Stored), Box<dyn std::error::Error>> {
    let (registry, stored) = registry_with_expired_tokens()?;
    let header = authorize_rotating(&registry, "crm", None, ("rt-1", "rt-2"))?;
    assert_eq!(header, "Bearer at-rt-2");
    let header = authorize_rotating(
        &registry,
        "crm-users",
        Some("user-1"),
        ("user-rt-1", "user-rt-2"),
    )?;
    assert_eq!(header, "Bearer at-user-rt-2");
    Ok((registry, stored))
}

#[test]
fn rotated_refresh_tokens_reach_the_hook_and_the_export() -> TestResult {
    let (registry, stored) = registry_after_rotations()?;
    assert_eq!(
        *stored.lock().expect("store"),
        [
            ("connection c1".to_owned(), "rt-2".to_owned()),
            ("production/user-1/crm-u".to_owned(), "user-rt-2".to_owned()),
        ]
    );

    // The export holds the rotated tokens: the imported registry uses the new access
    // tokens without a refresh, and would refresh with the new refresh tokens.
    assert_eq!(exported_refresh_tokens(&registry), ["rt-2", "user-rt-2"]);
    let copy = Registry::from_document(registry.export())?;
    assert_eq!(
        authorization_without_refresh(&copy, "crm", None)?,
        "Bearer at-rt-2"
    );
    assert_eq!(
        authorization_without_refresh(&copy, "crm-users", Some("user-1"))?,
        "Bearer at-user-rt-2"
    );
    Ok(())
}

#[test]
fn a_moved_connection_keeps_its_rotated_refresh_token() -> TestResult {
    let (registry, _stored) = registry_after_rotations()?;
    // The templates offer the new scheme; existing connections move to it explicitly.
    move_both(&registry)?;
    serves_rotated_tokens(&registry)
}

#[test]
fn a_connection_moved_while_an_old_handle_refreshes_keeps_the_rotated_token() -> TestResult {
    let (registry, _stored) = registry_with_expired_tokens()?;
    // Handlers hold the connections they resolved, and each starts a refresh.
    let old_static = registry.resolve("production", "crm", None)?;
    let old_user = registry.resolve("production", "crm-users", Some("user-1"))?;
    let refreshes = [&old_static, &old_user].map(|live| match live.token_step() {
        Ok(TokenStep::Send(refresh)) => refresh,
        other => panic!("expected a token request, got {other:?}"),
    });

    // Meanwhile both connections move to the templates' new scheme.
    move_both(&registry)?;

    // The old handles' refreshes end with rotated refresh tokens, which the server has
    // made the only valid ones.
    for (refresh, to) in refreshes.into_iter().zip(["rt-2", "user-rt-2"]) {
        let answer = format!(
            r#"{{"access_token": "at-{to}", "refresh_token": "{to}", "expires_in": 3600}}"#
        );
        refresh.complete(Response::new(answer.into_bytes()))?;
    }
    // The connections the registry now serves have them, and so does its export.
    serves_rotated_tokens(&registry)
}
