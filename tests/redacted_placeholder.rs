//! Audit #13 item 8: the redacted placeholder `******` is never built into a request. Every
//! place a credential, scheme or connection value reaches a request is tried with it; each
//! refuses to build, naming the field.

use credgate::webhook::{Preset, Verifier};
use credgate::{BuildError, Connection, ConnectionTemplate, Credential, REDACTED};
use serde_json::{Value, json};

fn template(scheme: Value) -> ConnectionTemplate {
    serde_json::from_value(
        json!({"name": "t", "templateBaseUrl": "https://api.example.com",
        "authSchemeConfigs": [scheme]}),
    )
    .expect("template")
}

fn credential(document: Value) -> Credential {
    serde_json::from_value(document).expect("credential")
}

fn redacted(result: Result<credgate::LiveConnection, BuildError>) -> Option<&'static str> {
    match result {
        Err(BuildError::Redacted { field }) => Some(field),
        _ => None,
    }
}

const R: &str = REDACTED;

fn api_key() -> Value {
    json!({"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}})
}

fn basic(extra: Value) -> Value {
    let mut inner = json!({"id": "b"});
    inner
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({"type": "basic-auth", "basicAuth": inner})
}

fn oauth2(grant: Value, extra: Value) -> Value {
    let mut inner =
        json!({"id": "o", "tokenUrl": "https://auth.example.com/token", "grant": grant});
    inner
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({"type": "oauth2", "oauth2": inner})
}

fn cc() -> Value {
    json!({"type": "clientCredentials", "clientCredentials": {}})
}

fn code_grant(secret: &str) -> Value {
    json!({"type": "authorizationCode", "authorizationCode": {"clientId": "cid", "clientSecret": secret}})
}

fn client(secret: &str, params: Option<&str>) -> Credential {
    let mut data = json!({"clientId": "cid", "clientSecret": secret});
    if let Some(p) = params {
        data["additionalParams"] = json!(p);
    }
    credential(json!({"type": "oauth2-client", "data": {"oauth2Client": data}}))
}

fn token(access: &str, refresh: Option<&str>) -> Credential {
    credential(
        json!({"type": "oauth2-token", "data": {"oauth2Token": {"accessToken": access, "refreshToken": refresh}}}),
    )
}

#[test]
fn every_credential_path_refuses_the_placeholder() {
    let none = json!({});
    let cases: Vec<(&str, Value, Credential)> = vec![
        ("api key value", api_key(), Credential::api_key(R)),
        (
            "basic password",
            basic(json!({})),
            Credential::basic_auth("u", R),
        ),
        (
            "basic username",
            basic(json!({})),
            Credential::basic_auth(R, "pw"),
        ),
        (
            "basic key as username",
            basic(json!({"keyAs": "username"})),
            Credential::api_key(R),
        ),
        (
            "basic key as password",
            basic(json!({"keyAs": "password", "fixedUsername": "u"})),
            Credential::api_key(R),
        ),
        (
            "basic fixed password",
            basic(json!({"keyAs": "username", "fixedPassword": R})),
            Credential::api_key("k"),
        ),
        (
            "basic fixed username",
            basic(json!({"keyAs": "password", "fixedUsername": R})),
            Credential::api_key("k"),
        ),
        (
            "oauth2 client secret",
            oauth2(cc(), none.clone()),
            client(R, None),
        ),
        (
            "oauth2 credential params",
            oauth2(cc(), none.clone()),
            client("s", Some(&format!("audience={R}"))),
        ),
        (
            "oauth2 scheme token params",
            oauth2(cc(), json!({"additionalTokenParams": format!("a=1&b={R}")})),
            client("s", None),
        ),
        (
            "oauth2 grant client secret",
            oauth2(code_grant(R), none.clone()),
            token("at", None),
        ),
        (
            "oauth2 access token",
            oauth2(code_grant("s"), none.clone()),
            token(R, None),
        ),
        (
            "oauth2 refresh token",
            oauth2(code_grant("s"), none.clone()),
            token("at", Some(R)),
        ),
        (
            "oauth2 code",
            oauth2(code_grant("s"), none.clone()),
            credential(json!({"type": "oauth2-code", "data": {"oauth2Code": {"code": R}}})),
        ),
        (
            "oauth2 code verifier",
            oauth2(code_grant("s"), none.clone()),
            credential(
                json!({"type": "oauth2-code", "data": {"oauth2Code": {"code": "c", "codeVerifier": R}}}),
            ),
        ),
        (
            "oauth2 code params",
            oauth2(code_grant("s"), none.clone()),
            credential(
                json!({"type": "oauth2-code", "data": {"oauth2Code": {"code": "c", "additionalParams": format!("x={R}")}}}),
            ),
        ),
        (
            "oauth2 password",
            oauth2(
                json!({"type": "password", "password": {"clientId": "cid"}}),
                none.clone(),
            ),
            Credential::oauth2_password("u", R),
        ),
        (
            "oauth2 password grant secret",
            oauth2(
                json!({"type": "password", "password": {"clientId": "cid", "clientSecret": R}}),
                none.clone(),
            ),
            Credential::oauth2_password("u", "pw"),
        ),
    ];
    let mut missed = Vec::new();
    for (name, scheme, credential) in cases {
        let template = template(scheme);
        let result = template.connect_live(vec![credential]);
        if !matches!(result, Err(BuildError::Redacted { .. })) {
            missed.push(format!("{name}: {:?}", result.err()));
        }
    }
    assert!(missed.is_empty(), "built with the placeholder: {missed:?}");
}

#[test]
fn url_values_refuse_the_placeholder() {
    let template: ConnectionTemplate = serde_json::from_value(json!({"name": "t",
        "templateBaseUrl": "https://{shop}.example.com", "placeholders": {"shop": {"hostPatterns": ["*.example.com"]}}, "allowAnyBaseUrl": false,
        "authSchemeConfigs": [api_key()]}))
    .expect("template");
    let mut connection: Connection = template
        .connect(vec![Credential::api_key("k")])
        .expect("connect");
    connection.values.insert("shop".into(), R.into());
    assert_eq!(redacted(connection.build(&template)), Some("URL value"));
}

#[test]
fn webhook_secrets_refuse_the_placeholder() {
    let err = Verifier::from_preset(Preset::Stripe, &["whsec_ok".into(), R.into()]).unwrap_err();
    assert!(matches!(err, BuildError::Redacted { .. }), "{err}");
}
