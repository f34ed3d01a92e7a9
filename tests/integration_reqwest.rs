//! The `reqwest` adapter end to end: reqwest-middleware against an axum server on loopback.
#![cfg(feature = "reqwest")]

mod adapters_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use adapters_support::Server;
use credgate::integrations::reqwest::{
    AuthorizeMiddleware, ClientExt, Error, RegistryMiddleware, Target, url,
};
use credgate::{AuthorizeError, OAuth2Error};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

fn client(live: credgate::LiveConnection) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(AuthorizeMiddleware::new(live).unwrap())
        .build()
}

fn credgate_error(error: &reqwest_middleware::Error) -> &Error {
    match error {
        reqwest_middleware::Error::Middleware(inner) => inner.downcast_ref::<Error>().unwrap(),
        other => panic!("not a middleware error: {other}"),
    }
}

#[tokio::test]
async fn placeholder_and_absolute_urls_get_a_token_once() {
    let server = Server::start().await;
    let client = client(server.live("/token"));
    let response = client.get(url("/contacts?page=2")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Bearer at-1");
    let absolute = format!("{}/api/contacts", server.base);
    let response = client.get(absolute).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn concurrent_requests_share_one_token_request() {
    let server = Server::start().await;
    let client = client(server.live("/token"));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .get(url(&format!("/item/{i}")))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn a_401_is_reported_and_a_replayable_request_retried_once_with_its_body() {
    let server = Server::start().await;
    let client = client(server.live("/token"));
    assert_eq!(client.get(url("/a")).send().await.unwrap().status(), 200);
    server.revoke();
    let response = client.post(url("/b")).body("payload").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Bearer at-2");
    assert_eq!(server.token_requests(), 2);
    let bodies = server.state.bodies.lock().unwrap().clone();
    assert_eq!(
        &bodies[bodies.len() - 2..],
        [b"payload".to_vec(), b"payload".to_vec()]
    );
}

#[tokio::test]
async fn a_second_401_is_returned_not_retried_again() {
    let server = Server::start().await;
    let live = server.live("/token");
    let client = client(live);
    assert_eq!(client.get(url("/a")).send().await.unwrap().status(), 200);
    let before = server.state.api_requests.load(Ordering::SeqCst);
    server.state.reject_all.store(true, Ordering::SeqCst);
    let response = client.get(url("/b")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    // The first try and exactly one retry, after one new token.
    assert_eq!(server.state.api_requests.load(Ordering::SeqCst) - before, 2);
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn a_redirecting_token_endpoint_is_not_followed() {
    let server = Server::start().await;
    let client = client(server.live("/token-redirect"));
    let error = client.get(url("/a")).send().await.unwrap_err();
    assert!(
        matches!(
            credgate_error(&error),
            Error::Authorize(AuthorizeError::Token(_))
        ),
        "{error:?}"
    );
    assert_eq!(server.state.stolen.load(Ordering::SeqCst), 0);
    assert_eq!(server.state.api_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn invalid_grant_in_a_400_reaches_the_caller() {
    let server = Server::start().await;
    let client = client(server.live("/token-invalid"));
    let error = client.get(url("/a")).send().await.unwrap_err();
    assert!(
        matches!(
            credgate_error(&error),
            Error::Authorize(AuthorizeError::Token(OAuth2Error::InvalidGrant { .. }))
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("secret-1"));
}

#[tokio::test]
async fn another_origin_is_refused_before_anything_is_sent() {
    let server = Server::start().await;
    let client = client(server.live("/token"));
    for foreign in [
        "http://127.0.0.2:9/api/a".to_owned(),
        "http://connection.invalid:80/x".replace(":80", ":81"),
        format!(
            "{}/api/../token",
            server.base.replace("127.0.0.1", "localhost")
        ),
    ] {
        let error = client.get(&foreign).send().await.unwrap_err();
        assert!(
            matches!(
                credgate_error(&error),
                Error::Authorize(AuthorizeError::Auth(_))
            ),
            "{foreign}: {error:?}"
        );
    }
    assert_eq!(server.token_requests(), 0);
    assert_eq!(server.state.api_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn registry_middleware_resolves_the_target_of_each_request() {
    let server = Server::start().await;
    let registry = credgate::Registry::new();
    registry.add_environment("production").unwrap();
    let template: credgate::ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "crm", "templateBaseUrl": format!("{}/api", server.base),
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
            "tokenUrl": format!("{}/token", server.base),
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
    }))
    .unwrap();
    registry.add_template("production", template).unwrap();
    let client: credgate::Credential =
        serde_json::from_value(serde_json::json!({"type": "oauth2-client",
        "data": {"oauth2Client": {"clientId": "client-1", "clientSecret": "secret-1"}}}))
        .unwrap();
    let mut connection = registry.connect("production", "crm", vec![client]).unwrap();
    connection.id = "c1".into();
    registry
        .add_connection("production", "crm", connection)
        .unwrap();

    let client = ClientBuilder::new(reqwest::Client::new())
        .with(RegistryMiddleware::new(Arc::new(registry)).unwrap())
        .build();
    let response = client
        .get(url("/contacts"))
        .with_extension(Target::new("production", "crm"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let error = client.get(url("/contacts")).send().await.unwrap_err();
    assert!(matches!(credgate_error(&error), Error::NoTarget));
    let error = client
        .get(url("/contacts"))
        .with_extension(Target::new("staging", "crm"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(credgate_error(&error), Error::Resolve(_)));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the path and query, a request on the placeholder origin reaches the same
    /// path and query under the connection's base URL, and nothing else.
    #[test]
    fn placeholder_paths_land_under_the_base_url(
        segments in proptest::collection::vec("[a-zA-Z0-9_~-][a-zA-Z0-9._~-]{0,7}", 0..4),
        query in proptest::option::of("[a-z0-9]{1,5}=[a-zA-Z0-9._~-]{0,6}(&[a-z]{1,3}=[0-9]{1,3}){0,2}"),
    ) {
        let path: String = segments.iter().map(|s| format!("/{s}")).collect();
        let target = match &query {
            Some(query) => format!("{path}?{query}"),
            None => path.clone(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let server = Server::start().await;
            let client = client(server.live("/token"));
            let response = client.get(url(&target)).send().await.unwrap();
            assert_eq!(response.status(), 200);
            // An empty path is reqwest's `/`.
            let path = if path.is_empty() { "/".to_owned() } else { path };
            let expected = match &query {
                Some(query) => format!("/api{path}?{query}"),
                None => format!("/api{path}"),
            };
            let uris = server.state.uris.lock().unwrap().clone();
            assert_eq!(uris, [expected]);
        });
    }
}

#[tokio::test]
async fn a_401_to_an_api_key_is_returned_without_a_retry() {
    let server = Server::start().await;
    let template: credgate::ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "keyed", "templateBaseUrl": format!("{}/api", server.base),
        "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "Authorization",
            "in": "header", "valueTemplate": "Bearer {key}"}}]
    }))
    .unwrap();
    let live = template
        .connect(vec![credgate::Credential::api_key("key-1")])
        .unwrap()
        .build(&template)
        .unwrap();
    let client = client(live);
    *server.state.current.lock().unwrap() = Some("key-1".into());
    assert_eq!(client.get(url("/a")).send().await.unwrap().status(), 200);
    server.revoke();
    assert_eq!(client.get(url("/b")).send().await.unwrap().status(), 401);
    assert_eq!(server.state.api_requests.load(Ordering::SeqCst), 2);
    assert_eq!(server.token_requests(), 0);
}

/// The newcomer's program: a template, a client credential, and three lines of reqwest.
#[tokio::test]
async fn client_ext_authorizes_with_a_live_connection_in_one_call() {
    let server = Server::start().await;
    let template: credgate::ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "crm", "templateBaseUrl": format!("{}/api", server.base),
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
            "tokenUrl": format!("{}/token", server.base),
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
    }))
    .unwrap();
    let live = template
        .connect_live(vec![credgate::Credential::oauth2_client(
            "client-1", "secret-1",
        )])
        .unwrap();

    let client = reqwest::Client::new().authorized(live).unwrap();
    let response = client.get(url("/contacts")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Bearer at-1");

    // The same token handling as the middleware: a 401 to the token is retried once.
    server.revoke();
    let response = client.post(url("/b")).body("payload").send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "Bearer at-2");
    assert_eq!(server.token_requests(), 2);
}

/// The caller's client follows redirects (reqwest's default); the token requests the
/// extension sends do not.
#[tokio::test]
async fn client_ext_token_requests_follow_no_redirect_whatever_the_callers_client_does() {
    let server = Server::start().await;
    let follows = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap();
    let client = follows.authorized(server.live("/token-redirect")).unwrap();
    let error = client.get(url("/a")).send().await.unwrap_err();
    assert!(
        matches!(
            credgate_error(&error),
            Error::Authorize(AuthorizeError::Token(_))
        ),
        "{error:?}"
    );
    assert_eq!(server.state.stolen.load(Ordering::SeqCst), 0);
    assert_eq!(server.state.api_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn client_ext_resolves_the_target_from_a_registry() {
    let server = Server::start().await;
    let registry = credgate::Registry::new();
    registry.add_environment("production").unwrap();
    let template: credgate::ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "crm", "templateBaseUrl": format!("{}/api", server.base),
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "cc",
            "tokenUrl": format!("{}/token", server.base),
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
    }))
    .unwrap();
    registry.add_template("production", template).unwrap();
    let credential = credgate::Credential::oauth2_client("client-1", "secret-1");
    let mut connection = registry
        .connect("production", "crm", vec![credential])
        .unwrap();
    connection.id = "c1".into();
    registry
        .add_connection("production", "crm", connection)
        .unwrap();

    let client = reqwest::Client::new()
        .authorized_by(Arc::new(registry))
        .unwrap();
    let response = client
        .get(url("/contacts"))
        .with_extension(Target::new("production", "crm"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "Bearer at-1");
    let error = client.get(url("/contacts")).send().await.unwrap_err();
    assert!(matches!(credgate_error(&error), Error::NoTarget));
}
