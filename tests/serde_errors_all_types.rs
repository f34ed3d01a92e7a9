//! Issue #15 item 5 (widening `tests/serde_errors.rs`): serde errors never print a value, for
//! *every* public document type, with samples built through the public constructors and
//! written with their secrets (so every optional field is present): templates with
//! placeholders and every scheme kind, systems, connections and their credentials of every
//! type, activations, webhook configs (preset, custom scheme, overrides), registry documents
//! with embedded templates and activations, OAuth 2.0 / HMAC / OAuth 1.0a schemes,
//! placeholders, and OAuth 2.0 authorization requests. Each node of each sample is replaced
//! in turn by wrong-typed forms of a canary secret; no error rendering may contain it.

use credgate::auth::oauth2::AuthorizationRequest;
use credgate::webhook::{Preset, WebhookConfig};
use credgate::{
    Activation, AuthSchemeConfig, BasicAuthCredential, ClientAuthMethod, Connection,
    ConnectionCredential, ConnectionTemplate, Credential, EndUser, ExtraParams, HmacScheme,
    OAuth1Scheme, OAuth1SignatureMethod, OAuth2Scheme, Placeholder, Registry, RegistryDocument,
    Secret, StringCredential, System, to_json_with_secrets,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const CANARY: &str = "canary_live_Wx93TkQ7";
const NUMBER: u64 = 7_318_264_950_113;

type Loader = fn(&str) -> Option<String>;

fn load<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> Option<String> {
    serde_json::from_str::<T>(text)
        .err()
        .map(|error| format!("{error} / {error:?}"))
}

/// `value` as JSON with its secrets (the shape a platform stores).
fn doc<T: Serialize>(value: &T) -> Value {
    serde_json::from_str(&to_json_with_secrets(value).unwrap()).unwrap()
}

fn oauth2_schemes() -> Vec<OAuth2Scheme> {
    vec![
        OAuth2Scheme::client_credentials("https://auth.example.com/token")
            .with_id("cc")
            .with_default_scopes(["read", "write"])
            .with_client_auth_method(ClientAuthMethod::Body)
            .with_refresh_url("https://auth.example.com/refresh"),
        OAuth2Scheme::authorization_code(
            "https://auth.example.com/authorize",
            "https://auth.example.com/token",
            "client-1",
            Some(Secret::from("client-secret")),
        )
        .with_id("code")
        .with_pkce(true),
        OAuth2Scheme::password(
            "https://auth.example.com/token",
            "client-1",
            Some(Secret::from("s")),
        )
        .with_id("password"),
    ]
}

fn hmac_schemes() -> Vec<HmacScheme> {
    Preset::ALL.iter().map(|preset| preset.scheme()).collect()
}

fn oauth1_scheme() -> OAuth1Scheme {
    OAuth1Scheme::new("consumer", "consumer-secret", OAuth1SignatureMethod::Sha1)
        .with_realm("photos")
        .with_endpoints(
            "https://api.example.com/oauth/request_token",
            "https://api.example.com/oauth/authorize",
            "https://api.example.com/oauth/access_token",
        )
}

fn placeholder() -> Placeholder {
    let mut placeholder = Placeholder::new()
        .with_host_patterns(["*.example.com"])
        .with_enum_values(["eu", "us"]);
    placeholder.description = "the region".into();
    placeholder
}

fn template() -> ConnectionTemplate {
    let mut schemes: Vec<AuthSchemeConfig> = oauth2_schemes()
        .into_iter()
        .map(AuthSchemeConfig::OAuth2)
        .collect();
    schemes.push(AuthSchemeConfig::OAuth1(oauth1_scheme()));
    schemes.push(AuthSchemeConfig::Hmac(Preset::Github.scheme()));
    let mut template = ConnectionTemplate::new("crm", "https://{region}.example.com/v1", schemes);
    template.placeholders.insert("region".into(), placeholder());
    template.dynamic = true;
    template
}

fn credentials() -> Vec<Credential> {
    vec![
        Credential::api_key("k"),
        Credential::basic_auth("u", "p"),
        Credential::oauth2_client("i", "s"),
        Credential::oauth2_token("a", Some("r".into())),
        Credential::oauth2_code(
            "code-1",
            Some("https://app.example.com/callback".into()),
            Some("verifier".into()),
        ),
        Credential::oauth2_password("u", "p"),
        Credential::oauth1_token("t", "ts"),
        Credential::oauth1_consumer().with_oauth1_param("oauth_version", "1.0"),
    ]
}

/// A registry with a static and an embedded template, connections and an activation,
/// exported with its secrets.
fn registry_document() -> Value {
    let registry = Registry::new();
    registry.add_environment("production").unwrap();
    let weather: ConnectionTemplate = serde_json::from_value(json!({
        "id": "t-weather", "name": "weather", "templateBaseUrl": "https://api.weather.example",
        "authSchemeConfigs": [{"type": "api-key",
            "apiKey": {"id": "key", "name": "Authorization", "in": "header"}}]}))
    .unwrap();
    registry.add_template("production", weather).unwrap();
    let mut connection = registry
        .connect("production", "weather", vec![Credential::api_key("k")])
        .unwrap();
    connection.id = "c1".into();
    registry
        .add_connection("production", "weather", connection)
        .unwrap();
    let embedded: ConnectionTemplate = serde_json::from_value(json!({
        "id": "t-crm", "name": "crm", "templateBaseUrl": "https://crm.example", "dynamic": true,
        "authSchemeConfigs": [{"type": "basic-auth", "basicAuth": {"id": "basic"}}]}))
    .unwrap();
    registry.add_template("production", embedded).unwrap();
    let connection = registry
        .connect("production", "crm", vec![Credential::basic_auth("u", "p")])
        .unwrap();
    registry
        .activate(Activation::new(
            "production",
            EndUser::new("user-1"),
            vec![connection],
        ))
        .unwrap();
    serde_json::from_str(&registry.export_with_secrets().unwrap()).unwrap()
}

fn samples() -> Vec<(&'static str, Value, Loader)> {
    let mut out: Vec<(&'static str, Value, Loader)> = Vec::new();
    let template = template();
    out.push(("template", doc(&template), load::<ConnectionTemplate>));
    let mut system = doc(&template);
    if let Some(map) = system.as_object_mut() {
        map.retain(|key, _| {
            ["name", "templateBaseUrl", "authSchemeConfigs"].contains(&key.as_str())
        });
        map.insert("id".into(), json!("s1"));
        map.insert("domain".into(), json!("example.com"));
    }
    out.push(("system", system, load::<System>));
    for scheme in oauth2_schemes() {
        out.push(("oauth2 scheme", doc(&scheme), load::<OAuth2Scheme>));
        out.push((
            "oauth2 scheme config",
            doc(&AuthSchemeConfig::OAuth2(scheme)),
            load::<AuthSchemeConfig>,
        ));
    }
    for scheme in hmac_schemes() {
        out.push(("hmac scheme", doc(&scheme), load::<HmacScheme>));
    }
    out.push(("oauth1 scheme", doc(&oauth1_scheme()), load::<OAuth1Scheme>));
    out.push(("placeholder", doc(&placeholder()), load::<Placeholder>));
    for credential in credentials() {
        out.push(("credential", doc(&credential), load::<Credential>));
    }
    out.push((
        "string credential",
        json!({"value": "k"}),
        load::<StringCredential>,
    ));
    out.push((
        "basic credential",
        json!({"username": "u", "password": "p"}),
        load::<BasicAuthCredential>,
    ));
    let connection = json!({"id": "c1", "name": "n", "connectionTemplateId": "crm",
        "baseUrl": "https://eu.example.com/v1", "urlValues": {"region": "eu"},
        "credentials": credentials().iter().zip(doc(&template)["authSchemeConfigs"]
            .as_array().unwrap()).map(|(credential, scheme)|
                json!({"authSchemeConfig": scheme, "credential": doc(credential)}))
            .collect::<Vec<_>>()});
    if let Some(error) = load::<Connection>(&connection.to_string()) {
        panic!("connection sample: {error}");
    }
    out.push((
        "connection credential",
        connection["credentials"][0].clone(),
        load::<ConnectionCredential>,
    ));
    out.push(("connection", connection.clone(), load::<Connection>));
    out.push((
        "end user",
        json!({"externalId": "u", "displayName": "U"}),
        load::<EndUser>,
    ));
    out.push((
        "activation",
        json!({"id": "a1", "user": {"externalId": "u", "displayName": "U"},
            "environment": "production", "connections": [connection]}),
        load::<Activation>,
    ));
    let mut config =
        WebhookConfig::preset(Preset::Stripe, vec!["whsec_a".into(), "whsec_b".into()]);
    config.past_tolerance = Some(300);
    config.future_tolerance = Some(30);
    config.max_body_bytes = Some(65_536);
    out.push(("webhook config", doc(&config), load::<WebhookConfig>));
    out.push((
        "webhook config, custom scheme and overrides",
        json!({"scheme": doc(&AuthSchemeConfig::Hmac(Preset::Slack.scheme())),
            "secrets": ["s"], "noReplayWindow": true}),
        load::<WebhookConfig>,
    ));
    out.push((
        "webhook config with overrides",
        json!({"preset": "github", "secrets": ["s"],
            "schemeOverrides": {"timestamp": null, "name": "X-Sig"}}),
        load::<WebhookConfig>,
    ));
    out.push((
        "registry document",
        registry_document(),
        load::<RegistryDocument>,
    ));
    out.push((
        "authorization request",
        json!({"url": "https://auth.example.com/authorize?state=s", "state": "s",
            "redirectUrl": "https://app.example.com/callback", "codeVerifier": "v"}),
        load::<AuthorizationRequest>,
    ));
    out.push(("secret", json!("s"), load::<Secret>));
    out.push(("extra params", json!("a=b"), load::<ExtraParams>));
    out
}

/// Every JSON pointer in `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                pointers(item, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn wrong_forms() -> Vec<Value> {
    vec![
        json!(CANARY),
        json!(NUMBER),
        json!(-(NUMBER as i64)),
        json!(NUMBER as f64 + 0.5),
        json!([CANARY]),
        json!([NUMBER]),
        json!({"type": CANARY}),
        json!({"x": CANARY, "value": CANARY, "type": "string"}),
        json!({"preset": CANARY}),
        json!(true),
        Value::Null,
    ]
}

#[test]
fn every_sample_loads() {
    for (name, sample, loader) in samples() {
        assert_eq!(loader(&sample.to_string()), None, "{name}: {sample}");
    }
}

#[test]
fn no_wrong_typed_field_of_any_document_type_prints_its_value() {
    let number = NUMBER.to_string();
    let fraction = format!("{}.5", NUMBER);
    let mut errors = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for (name, sample, loader) in samples() {
        let mut at = Vec::new();
        pointers(&sample, String::new(), &mut at);
        for pointer in &at {
            for form in wrong_forms() {
                let mut document = sample.clone();
                if pointer.is_empty() {
                    document = form;
                } else if let Some(slot) = document.pointer_mut(pointer) {
                    *slot = form;
                }
                if let Some(rendering) = loader(&document.to_string()) {
                    errors += 1;
                    kinds.insert(name);
                    assert!(
                        !rendering.contains(CANARY)
                            && !rendering.contains(&number)
                            && !rendering.contains(&fraction)
                            && !rendering.contains("7318264950113"),
                        "{name} at {pointer}: {rendering}"
                    );
                }
            }
        }
    }
    assert!(errors > 1000, "the mutations must produce errors: {errors}");
    // Every kind of document was made to fail somewhere.
    let all: std::collections::BTreeSet<&str> = samples().iter().map(|(name, ..)| *name).collect();
    assert_eq!(kinds, all);
}

/// Whole documents of the wrong shape name the type expected, never the value.
#[test]
fn a_secret_where_a_document_belongs_is_not_echoed() {
    let text = format!("\"{CANARY}\"");
    for (name, _, loader) in samples() {
        if name == "secret" || name == "extra params" {
            continue;
        }
        let rendering = loader(&text).unwrap_or_else(|| panic!("{name} loaded a string"));
        assert!(!rendering.contains(CANARY), "{name}: {rendering}");
    }
}

/// A document written wrongly may hold a secret as a key: an unknown field is refused
/// without its name, in every object of every document type that refuses unknown fields.
/// (Keys of free-form maps, such as placeholder and parameter names, are the author's
/// names and are shown in field paths.)
#[test]
fn an_unknown_field_is_refused_without_printing_its_name() {
    let mut refused = 0;
    for (name, sample, loader) in samples() {
        let mut at = Vec::new();
        pointers(&sample, String::new(), &mut at);
        for pointer in &at {
            let mut document = sample.clone();
            let Some(Value::Object(map)) = document.pointer_mut(pointer) else {
                continue;
            };
            map.insert(CANARY.to_owned(), json!(1));
            if let Some(rendering) = loader(&document.to_string())
                && rendering.contains("unknown field")
            {
                refused += 1;
                assert!(
                    !rendering.contains(CANARY),
                    "{name} at {pointer}: {rendering}"
                );
            }
        }
    }
    assert!(
        refused > 10,
        "some objects refuse unknown fields: {refused}"
    );
}

/// A misspelt field is named by the field it probably meant, never by what was written.
#[test]
fn a_misspelt_field_gets_a_suggestion() {
    let error = serde_json::from_str::<WebhookConfig>(
        r#"{"preset": "github", "secrets": ["s"], "pastTolerence": 300}"#,
    )
    .expect_err("a misspelt field is refused");
    let text = error.to_string();
    assert!(text.contains("did you mean `pastTolerance`?"), "{text}");
    assert!(!text.contains("pastTolerence"), "{text}");
}
