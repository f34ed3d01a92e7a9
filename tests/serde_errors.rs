//! Audit #13 item 6: a document with a wrong-typed field never prints the value in its
//! error, for every public document type, whether loaded through `serde_json` directly or
//! nested in a larger document. Every node of real-shaped documents is replaced in turn by
//! a canary secret in several wrong-typed forms; no error rendering may contain it.

use credgate::webhook::WebhookConfig;
use credgate::{
    Activation, AuthSchemeConfig, Connection, ConnectionCredential, ConnectionTemplate, Credential,
    ExtraParams, OAuth2Scheme, RegistryDocument, Secret, System,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn templates() -> Vec<Value> {
    let mut all: Vec<Value> =
        serde_json::from_str(include_str!("data/templates.json")).expect("fixture");
    let cli: Vec<Value> =
        serde_json::from_str(include_str!("data/cli-listing.json")).expect("fixture");
    all.extend(cli);
    all
}

fn credentials() -> Vec<Value> {
    vec![
        json!({"type": "string", "data": {"string": {"value": "k"}}}),
        json!({"type": "basic-auth", "data": {"basicAuth": {"username": "u", "password": "p"}}}),
        json!({"type": "oauth2-client", "data": {"oauth2Client": {"clientId": "i", "clientSecret": "s"}}}),
        json!({"type": "oauth2-token", "data": {"oauth2Token": {"accessToken": "a", "refreshToken": "r", "expiresAt": "2030-01-01T00:00:00Z"}}}),
        json!({"type": "oauth1-token", "data": {"oauth1Token": {"token": "t", "tokenSecret": "s"}}}),
    ]
}

fn connection() -> Value {
    json!({"id": "c1", "name": "n", "connectionTemplateId": "t", "baseUrl": "https://a.example",
        "credentials": credentials().into_iter().zip(templates().into_iter().flat_map(|t| {
            t["authSchemeConfigs"].as_array().cloned().unwrap_or_default()
        })).map(|(credential, scheme)| json!({"authSchemeConfig": scheme, "credential": credential}))
        .collect::<Vec<_>>()})
}

/// (type name, sample document, loader returning the error rendering if any).
type Loader = fn(&str) -> Option<String>;

fn load<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> Option<String> {
    serde_json::from_str::<T>(text)
        .err()
        .map(|err| format!("{err} / {err:?}"))
}

fn samples() -> Vec<(&'static str, Value, Loader)> {
    let mut out: Vec<(&'static str, Value, Loader)> = Vec::new();
    for t in templates() {
        out.push(("template", t.clone(), load::<ConnectionTemplate>));
        for scheme in t["authSchemeConfigs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            if scheme["type"] == "oauth2" {
                out.push((
                    "oauth2 scheme",
                    scheme["oauth2"].clone(),
                    load::<OAuth2Scheme>,
                ));
            }
            out.push(("scheme", scheme, load::<AuthSchemeConfig>));
        }
    }
    out.push((
        "system",
        json!({"id": "s", "name": "n", "domain": "d", "templateBaseUrl": "https://a.example",
            "authSchemeConfigs": templates()[0]["authSchemeConfigs"]}),
        load::<System>,
    ));
    for c in credentials() {
        out.push(("credential", c, load::<Credential>));
    }
    out.push(("connection", connection(), load::<Connection>));
    out.push((
        "connection credential",
        connection()["credentials"][1].clone(),
        load::<ConnectionCredential>,
    ));
    out.push((
        "activation",
        json!({"id": "a1", "user": {"externalId": "u", "displayName": "U"},
            "environment": "production", "connections": [connection()]}),
        load::<Activation>,
    ));
    out.push((
        "webhook config",
        json!({"preset": "stripe", "secrets": ["whsec_a", "whsec_b"]}),
        load::<WebhookConfig>,
    ));
    out.push((
        "registry document",
        json!({"systems": [], "environments": [{"name": "production", "templates": templates(),
            "links": [{"template": "weather", "connectionId": "c1"}]}],
            "connections": [connection()], "activations": []}),
        load::<RegistryDocument>,
    ));
    out.push(("secret", json!("s"), load::<Secret>));
    out.push(("extra params", json!("a=b"), load::<ExtraParams>));
    out
}

/// Every JSON pointer in `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
    out.push(at);
}

fn wrong_forms(canary: &str, number: u64) -> Vec<Value> {
    vec![
        Value::String(canary.to_owned()),
        json!(number),
        json!(-(number as i64)),
        json!([canary]),
        json!([number]),
        json!({"type": canary}),
        // Keys are field names, part of the path an error prints; values under them are not.
        json!({"x": canary, "value": canary, "type": "string"}),
        json!(true),
    ]
}

fn check(canary: &str, number: u64) -> Result<usize, TestCaseError> {
    let number_text = number.to_string();
    let mut errors = 0;
    for (name, sample, loader) in samples() {
        prop_assert!(
            loader(&sample.to_string()).is_none(),
            "{name} sample must load: {:?}",
            loader(&sample.to_string())
        );
        let mut at = Vec::new();
        pointers(&sample, String::new(), &mut at);
        for pointer in &at {
            for form in wrong_forms(canary, number) {
                let mut doc = sample.clone();
                if pointer.is_empty() {
                    doc = form;
                } else if let Some(slot) = doc.pointer_mut(pointer) {
                    *slot = form;
                }
                if let Some(rendering) = loader(&doc.to_string()) {
                    errors += 1;
                    prop_assert!(
                        !rendering.contains(canary) && !rendering.contains(&number_text),
                        "{name} at {pointer}: {rendering}"
                    );
                }
            }
        }
    }
    Ok(errors)
}

#[test]
fn quoted_examples_print_no_value() {
    for (text, loader) in [
        (
            r#"{"preset":"stripe","secrets":"whsec_live_abc123"}"#,
            load::<WebhookConfig> as Loader,
        ),
        (
            r#"{"type":"string","data":{"string":"sk_live_abc123"}}"#,
            load::<ConnectionTemplate>,
        ),
        (
            r#"{"type":"string","data":{"string":{"x":"sk_live_abc123"}}}"#,
            load::<Credential>,
        ),
        (
            r#"{"type":"string","data":{"string":98765432123}}"#,
            load::<Credential>,
        ),
        (
            r#"{"preset":"sk_live_abc123","secrets":[]}"#,
            load::<WebhookConfig>,
        ),
    ] {
        let rendering = loader(text).expect("must fail");
        assert!(
            !rendering.contains("abc123") && !rendering.contains("98765432123"),
            "{rendering}"
        );
    }
    let err = serde_json::from_str::<WebhookConfig>(
        r#"{"preset":"stripe","secrets":"whsec_live_abc123"}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `secrets`: invalid type: a string, expected a sequence"
    );
}

#[test]
fn every_wrong_typed_position_is_silent() {
    let errors = check("canary_live_Zq8PkR2", 4_815_162_342).unwrap();
    assert!(errors > 100, "the mutations must produce errors: {errors}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]
    #[test]
    fn random_canaries_are_never_printed(
        canary in "[a-z]{3}_live_[A-Za-z0-9]{10}",
        number in 1_000_000_000u64..u64::MAX / 4,
    ) {
        check(&canary, number)?;
    }
}

/// Audit #13 item 17: messages about plural fields agree in number.
#[test]
fn plural_fields_take_are() {
    use credgate::BuildError;
    use credgate::webhook::{Preset, Verifier};
    let err = Verifier::from_preset(Preset::Stripe, &[]).unwrap_err();
    assert_eq!(err.to_string(), "webhook secrets are empty");
    assert_eq!(
        BuildError::Redacted {
            field: "additional token parameters"
        }
        .to_string(),
        "additional token parameters are redacted"
    );
    assert_eq!(
        BuildError::Redacted { field: "api key" }.to_string(),
        "api key is redacted"
    );
    assert_eq!(
        BuildError::Empty {
            field: "client secret"
        }
        .to_string(),
        "client secret is empty"
    );
    assert_eq!(
        BuildError::Empty { field: "access" }.to_string(),
        "access is empty"
    );
}
