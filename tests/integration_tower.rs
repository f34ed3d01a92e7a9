//! The `tower` adapter end to end: hyper-util's client under `AuthorizeLayer`, against an
//! axum server on loopback.
#![cfg(feature = "tower")]

mod adapters_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use adapters_support::Server;
use credgate::integrations::tower::{AuthorizeLayer, BoxError, Error};
use credgate::{AuthorizeError, OAuth2Error};
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower_layer::Layer;
use tower_service::Service;

fn http_client() -> Client<HttpConnector, String> {
    Client::builder(TokioExecutor::new()).build_http::<String>()
}

async fn call<S>(service: &mut S, request: Request<String>) -> Result<(u16, String), BoxError>
where
    S: Service<Request<String>, Response = Response<hyper::body::Incoming>, Error = BoxError>,
{
    std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
    let response = service.call(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8(body.to_vec())?))
}

fn get(path: &str) -> Request<String> {
    Request::get(path).body(String::new()).unwrap()
}

fn credgate_error(error: &BoxError) -> &Error {
    error.downcast_ref::<Error>().unwrap()
}

#[tokio::test]
async fn relative_requests_get_a_token_through_the_inner_client() {
    let server = Server::start().await;
    let mut api = AuthorizeLayer::new(server.live("/token")).layer(http_client());
    assert_eq!(
        call(&mut api, get("/contacts")).await.unwrap(),
        (200, "Bearer at-1".into())
    );
    assert_eq!(
        call(&mut api, get("/contacts?page=2")).await.unwrap().0,
        200
    );
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn concurrent_requests_share_one_token_request() {
    let server = Server::start().await;
    let api = AuthorizeLayer::new(server.live("/token")).layer(http_client());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let mut api = api.clone();
        tasks.push(tokio::spawn(async move {
            call(&mut api, get(&format!("/i/{i}"))).await.unwrap().0
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn a_401_is_reported_and_retried_once_with_its_body() {
    let server = Server::start().await;
    let mut api = AuthorizeLayer::new(server.live("/token")).layer(http_client());
    assert_eq!(call(&mut api, get("/a")).await.unwrap().0, 200);
    server.revoke();
    let post = Request::post("/b").body("payload".to_owned()).unwrap();
    assert_eq!(
        call(&mut api, post).await.unwrap(),
        (200, "Bearer at-2".into())
    );
    let bodies = server.state.bodies.lock().unwrap().clone();
    assert_eq!(
        &bodies[bodies.len() - 2..],
        [b"payload".to_vec(), b"payload".to_vec()]
    );

    server.state.reject_all.store(true, Ordering::SeqCst);
    let before = server.state.api_requests.load(Ordering::SeqCst);
    assert_eq!(call(&mut api, get("/c")).await.unwrap().0, 401);
    assert_eq!(server.state.api_requests.load(Ordering::SeqCst) - before, 2);
    assert_eq!(server.token_requests(), 3);
}

#[tokio::test]
async fn a_redirecting_token_endpoint_is_not_followed() {
    let server = Server::start().await;
    let mut api = AuthorizeLayer::new(server.live("/token-redirect")).layer(http_client());
    let error = call(&mut api, get("/a")).await.unwrap_err();
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
    let mut api = AuthorizeLayer::new(server.live("/token-invalid")).layer(http_client());
    let error = call(&mut api, get("/a")).await.unwrap_err();
    assert!(matches!(
        credgate_error(&error),
        Error::Authorize(AuthorizeError::Token(OAuth2Error::InvalidGrant { .. }))
    ));
    assert!(!format!("{error} {error:?}").contains("secret-1"));
}

#[tokio::test]
async fn another_origin_is_refused_before_anything_is_sent() {
    let server = Server::start().await;
    let mut api = AuthorizeLayer::new(server.live("/token")).layer(http_client());
    for foreign in [
        "http://127.0.0.2:9/api/a".to_owned(),
        "/../token".to_owned(),
        format!("{}/other", server.base.replace("127.0.0.1", "localhost")),
    ] {
        let error = call(&mut api, get(&foreign)).await.unwrap_err();
        assert!(
            matches!(
                credgate_error(&error),
                Error::Authorize(AuthorizeError::Auth(_))
            ),
            "{foreign}"
        );
    }
    assert_eq!(server.token_requests(), 0);
    assert_eq!(server.state.api_requests.load(Ordering::SeqCst), 0);
}

/// A token service that counts its calls and answers with a fixed token the API accepts.
#[derive(Clone)]
struct FixedTokens(Arc<AtomicUsize>);

impl Service<Request<Vec<u8>>> for FixedTokens {
    type Response = Response<Vec<u8>>;
    type Error = BoxError;
    type Future = std::future::Ready<Result<Response<Vec<u8>>, BoxError>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, request: Request<Vec<u8>>) -> Self::Future {
        assert!(request.uri().path().ends_with("/token"));
        self.0.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(Response::new(
            br#"{"access_token":"fixed","expires_in":3600}"#.to_vec(),
        )))
    }
}

#[tokio::test]
async fn a_token_service_of_ones_own_sends_the_token_requests() {
    let server = Server::start().await;
    *server.state.current.lock().unwrap() = Some("fixed".into());
    let calls = Arc::new(AtomicUsize::new(0));
    let mut api = AuthorizeLayer::new(server.live("/token"))
        .token_service(FixedTokens(Arc::clone(&calls)))
        .layer(http_client());
    assert_eq!(
        call(&mut api, get("/a")).await.unwrap(),
        (200, "Bearer fixed".into())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(server.token_requests(), 0);
}
