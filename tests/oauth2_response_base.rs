//! Token response data in the connection (issue #14 item 5), through the public API with
//! real provider entries of the shared Nango catalog: `tokenResponseValues` filling
//! placeholders (Pipedrive `api_domain`) and `baseUrlFromResponse` (Salesforce
//! `instance_url`) staying on the hosts the template allows, end to end over a loopback
//! token endpoint.

use std::sync::{Arc, Mutex};

use credgate::{BuildError, Credential, LiveConnection};
use http::Response;
use serde_json::{Value, json};

mod oauth2_support;
use oauth2_support::*;

fn code() -> Credential {
    credential(
        r#"{"type": "oauth2-code", "data": {"oauth2Code":
            {"code": "code-1", "redirectUrl": "https://app.example.com/cb"}}}"#,
    )
}

/// A token credential as the persistence hook stored it, holding `values`.
fn stored_token(values: &[(&str, &str)]) -> Credential {
    let values: serde_json::Map<String, Value> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    serde_json::from_value(json!({"type": "oauth2-token", "data": {"oauth2Token": {
        "accessToken": "at-1", "expiresAt": "2100-01-01T00:00:00Z",
        "responseValues": values}}}))
    .unwrap()
}

/// A template around one code-grant scheme with `extra` fields.
fn template(base_url: &str, placeholders: Value, extra: Value) -> credgate::ConnectionTemplate {
    let mut scheme = json!({"id": "o",
        "authorizeUrl": "https://login.salesforce.com/services/oauth2/authorize",
        "tokenUrl": "https://login.salesforce.com/services/oauth2/token",
        "grant": {"type": "authorizationCode",
            "authorizationCode": {"clientId": "app-1", "clientSecret": "app-secret-1"}}});
    for (name, value) in extra.as_object().unwrap() {
        scheme[name] = value.clone();
    }
    serde_json::from_value(json!({"name": "t", "templateBaseUrl": base_url,
        "placeholders": placeholders,
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": scheme}]}))
    .unwrap()
}

fn live_base(
    template: &credgate::ConnectionTemplate,
    credential: Credential,
) -> Result<String, BuildError> {
    let live = template.connect(vec![credential])?.build(template)?;
    Ok(live.base_url().to_owned())
}

#[test]
fn token_response_values_fill_placeholders() {
    // Catalog `pipedrive`: base URL `${connectionConfig.api_domain}/api`, api_domain from
    // the token response.
    let pipedrive = template(
        "{api_domain}/api",
        json!({"api_domain": {"hostPatterns": ["*.pipedrive.com"]}}),
        json!({"tokenResponseValues": ["api_domain"]}),
    );
    assert_eq!(
        live_base(
            &pipedrive,
            stored_token(&[("api_domain", "https://acme.pipedrive.com")])
        ),
        Ok("https://acme.pipedrive.com/api".to_owned())
    );
    // The host rules hold for a value from the token response as for any other.
    assert!(matches!(
        live_base(
            &pipedrive,
            stored_token(&[("api_domain", "https://evil.example.com")])
        ),
        Err(BuildError::HostNotAllowed { .. })
    ));
    // The connection's own value comes first.
    let mut connection = pipedrive
        .connect(vec![stored_token(&[(
            "api_domain",
            "https://acme.pipedrive.com",
        )])])
        .unwrap();
    connection
        .values
        .insert("api_domain".into(), "https://other.pipedrive.com".into());
    assert_eq!(
        connection.build(&pipedrive).unwrap().base_url(),
        "https://other.pipedrive.com/api"
    );
}

#[test]
fn base_url_from_response_stays_on_the_hosts_the_template_allows() {
    // Catalog `salesforce`: `instance_url` becomes the base URL.
    let declared = template(
        "https://login.salesforce.com",
        json!({"instance_url": {"hostPatterns": ["*.my.salesforce.com"]}}),
        json!({"baseUrlFromResponse": "instance_url"}),
    );
    let undeclared = template(
        "https://login.salesforce.com",
        json!({}),
        json!({"baseUrlFromResponse": "instance_url"}),
    );
    let acme = stored_token(&[("instance_url", "https://acme.my.salesforce.com")]);
    for template in [&declared, &undeclared] {
        assert_eq!(
            live_base(template, acme.clone()),
            Ok("https://acme.my.salesforce.com".to_owned())
        );
        // Before a token holds it, the template's base URL.
        assert_eq!(
            live_base(template, code()),
            Ok("https://login.salesforce.com".to_owned())
        );
    }
    // Off the declared patterns: the placeholder's error.
    let other_site = stored_token(&[("instance_url", "https://acme.salesforce.com")]);
    assert!(matches!(
        live_base(&declared, other_site.clone()),
        Err(BuildError::HostNotAllowed { .. })
    ));
    // Undeclared, the template's domain is the rule: salesforce.com yes, elsewhere no.
    assert!(live_base(&undeclared, other_site).is_ok());
    for bad in [
        "https://evil.example.com",
        "http://acme.my.salesforce.com",
        "https://salesforce.com.evil.example",
        "https://acme.my.salesforce.com@evil.example",
        "{instance}",
    ] {
        let error = live_base(&undeclared, stored_token(&[("instance_url", bad)])).unwrap_err();
        for template in [&declared, &undeclared] {
            assert!(
                live_base(template, stored_token(&[("instance_url", bad)])).is_err(),
                "{bad}"
            );
        }
        let message = error.to_string();
        assert!(!message.contains("evil"), "{message}");
    }
    let error = live_base(
        &undeclared,
        stored_token(&[("instance_url", "https://evil.example.com")]),
    )
    .unwrap_err()
    .to_string();
    assert!(error.starts_with("baseUrlFromResponse"), "{error}");
    // A bad path is refused at build naming the field.
    let bad_path = template(
        "https://login.salesforce.com",
        json!({}),
        json!({"baseUrlFromResponse": "a..b"}),
    );
    let error = live_base(&bad_path, code()).unwrap_err().to_string();
    assert!(error.starts_with("baseUrlFromResponse"), "{error}");
}

/// Salesforce end to end: the code is exchanged at a loopback token endpoint that answers
/// with `instance_url`; the persistence hook stores it with the token; the connection
/// rebuilt from the stored document sends to the instance. An answer naming another site
/// is stored but the rebuilt connection is refused, never sent there.
#[test]
fn salesforce_instance_url_becomes_the_base_url_over_loopback_http() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for instance in ["https://acme.my.salesforce.com", "https://evil.example.com"] {
            let Ok(Some(mut request)) = server.recv_timeout(std::time::Duration::from_secs(20))
            else {
                break;
            };
            let mut body = String::new();
            let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
            seen.push(body);
            let answer = json!({"access_token": "00D-sf", "instance_url": instance,
                "id": "https://login.salesforce.com/id/00D/005", "token_type": "Bearer"});
            let response = tiny_http::Response::from_string(answer.to_string()).with_header(
                "Content-Type: application/json"
                    .parse::<tiny_http::Header>()
                    .unwrap(),
            );
            let _ = request.respond(response);
        }
        seen
    });
    let mut template = template(
        "https://login.salesforce.com/services/data/v60.0",
        json!({"instance_url": {"hostPatterns": ["*.my.salesforce.com"]}}),
        json!({"clientAuthMethod": "body", "baseUrlFromResponse": "instance_url"}),
    );
    // The token endpoint on loopback (a template may point any endpoint there).
    let credgate::AuthSchemeConfig::OAuth2(scheme) = &mut template.auth_scheme_configs[0] else {
        panic!("not oauth2");
    };
    scheme.token_url = format!("http://127.0.0.1:{port}/services/oauth2/token");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent();
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let connection = template.connect(vec![code()]).unwrap();
        let stored = Arc::new(Mutex::new(None));
        let hook = Arc::clone(&stored);
        let live = LiveConnection::builder(&connection)
            .template(&template)
            .on_token_update(move |update| *hook.lock().unwrap() = Some(update.credential.clone()))
            .build()
            .unwrap();
        assert_eq!(
            live.base_url(),
            "https://login.salesforce.com/services/data/v60.0"
        );
        let mut request = http::Request::get("/sobjects").body(Vec::new()).unwrap();
        live.authorize_with(&mut request, |token_request| {
            let (parts, mut body) = agent.run(token_request)?.into_parts();
            Ok::<_, ureq::Error>(Response::from_parts(parts, body.read_to_vec()?))
        })
        .unwrap();
        let token = stored
            .lock()
            .unwrap()
            .clone()
            .expect("the hook stored the token");
        let mut rebuilt = connection.clone();
        rebuilt.credentials[0].credential = Credential::OAuth2Token(token);
        outcomes.push(rebuilt.build(&template).map(|live| {
            let mut request = http::Request::get("/sobjects").body(()).unwrap();
            live.authorize(&mut request).unwrap();
            (
                request.uri().to_string(),
                request.headers()["authorization"].clone(),
            )
        }));
    }
    let seen = handle.join().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].contains("code=code-1"), "{seen:?}");
    assert_eq!(
        outcomes[0],
        Ok((
            "https://acme.my.salesforce.com/services/data/v60.0/sobjects".to_owned(),
            http::HeaderValue::from_static("Bearer 00D-sf")
        ))
    );
    assert!(
        matches!(&outcomes[1], Err(BuildError::HostNotAllowed { name, .. }) if name == "instance_url"),
        "{:?}",
        outcomes[1]
    );
}
