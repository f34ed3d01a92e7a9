//! Every tagged document type: load it (an error must not print a value), round-trip it
//! through serde, and where it loads into something usable, build a connection and
//! authorize requests with it.
//!
//! Input: one selector byte, then the JSON document. Selectors 0-7 load one type on its
//! own; 8 is `[template, [credential, ...]]` (connect, build, authorize); 9 is
//! `[template, connection]` (build, authorize); 10 a registry document (restore, export,
//! resolve every template).
#![no_main]

use credgate::webhook::{Verifier, WebhookConfig};
use credgate::{
    Activation, AuthSchemeConfig, Connection, ConnectionTemplate, Credential, EnvironmentDocument,
    LiveConnection, Registry, RegistryDocument, System,
};
use credgate_fuzz::{
    Snapshot, assert_error_clean, assert_no_secret, assert_same_origin, load, load_list, load_pair,
    secrets_of,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    match selector % 11 {
        0 => {
            if let Some(template) = load::<ConnectionTemplate>(json, "template") {
                // A template alone: its credential-less connection, if it has one.
                let secrets = secrets_of(&template);
                match template.bypass_connection() {
                    Ok(connection) => exercise(&template, &connection, &secrets),
                    Err(e) => assert_error_clean(&e, &secrets, "bypass_connection error"),
                }
            }
        }
        1 => {
            load::<System>(json, "system");
        }
        2 => {
            load::<AuthSchemeConfig>(json, "auth scheme config");
        }
        3 => {
            load::<Credential>(json, "credential");
        }
        4 => {
            load::<Connection>(json, "connection");
        }
        5 => {
            load::<Activation>(json, "activation");
        }
        6 => {
            if let Some(config) = load::<WebhookConfig>(json, "webhook config") {
                let secrets = secrets_of(&config);
                if let Err(e) = Verifier::from_config(&config) {
                    assert_error_clean(&e, &secrets, "Verifier::from_config error");
                }
            }
        }
        7 => {
            load::<EnvironmentDocument>(json, "environment document");
        }
        8 => {
            let Some((template, credentials)) =
                load_pair::<ConnectionTemplate, Value>(json, "template and credentials")
            else {
                return;
            };
            let Some(credentials) = load_list::<Credential>(&credentials, "credential") else {
                return;
            };
            // Of the pair as one document: a secret's text that the other document also
            // holds in the clear (inside a type name, say) is not a secret value.
            let secrets = secrets_of(&(&template, &credentials));
            match template.connect(credentials) {
                Ok(connection) => exercise(&template, &connection, &secrets),
                Err(e) => assert_error_clean(&e, &secrets, "connect error"),
            }
        }
        9 => {
            let Some((template, connection)) =
                load_pair::<ConnectionTemplate, Connection>(json, "template and connection")
            else {
                return;
            };
            let secrets = secrets_of(&(&template, &connection));
            exercise(&template, &connection, &secrets);
        }
        _ => {
            let Some(document) = load::<RegistryDocument>(json, "registry document") else {
                return;
            };
            let secrets = secrets_of(&document);
            let names: Vec<(String, String)> = document
                .environments
                .iter()
                .flat_map(|env| {
                    env.templates
                        .iter()
                        .map(move |t| (env.name.clone(), t.name.clone()))
                })
                .collect();
            match Registry::from_document(document) {
                Ok(registry) => {
                    let exported = registry.export();
                    assert_no_secret(&format!("{exported:?}"), &secrets, "exported registry");
                    for (env, name) in names.iter().take(8) {
                        match registry.resolve(env, name, None) {
                            Ok(live) => authorize_all(&live, &secrets),
                            Err(e) => assert_error_clean(&e, &secrets, "resolve error"),
                        }
                    }
                }
                Err(e) => assert_error_clean(&e, &secrets, "Registry::from_document error"),
            }
        }
    }
});

/// Builds `connection` on `template` and authorizes requests with it.
fn exercise(template: &ConnectionTemplate, connection: &Connection, secrets: &[String]) {
    assert_no_secret(&format!("{connection:?}"), secrets, "connection Debug");
    match connection.build(template) {
        Ok(live) => {
            assert_no_secret(&format!("{live:?}"), secrets, "LiveConnection Debug");
            authorize_all(&live, secrets);
        }
        Err(e) => assert_error_clean(&e, secrets, "build error"),
    }
}

/// A few ordinary requests: on `Err` unchanged and a clean error, on `Ok` on the base
/// origin with a clean redacted rendering.
fn authorize_all(live: &LiveConnection, secrets: &[String]) {
    let requests = [
        http::Request::get("/items?limit=10").body(Vec::new()),
        http::Request::post("/items")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"a=1&b=two+words".to_vec()),
        http::Request::put("").body(b"{\"x\":1}".to_vec()),
    ];
    for request in requests {
        let Ok(mut request) = request else { continue };
        let before = Snapshot::of(&request);
        match live.authorize(&mut request) {
            Ok(()) => {
                assert_same_origin(live, &request);
                let shown = live.redacted(&request);
                assert_no_secret(&format!("{shown}"), secrets, "redacted Display");
                assert_no_secret(&format!("{shown:?}"), secrets, "redacted Debug");
            }
            Err(e) => {
                before.assert_unchanged(&request, "authorize");
                assert_error_clean(&e, secrets, "authorize error");
            }
        }
    }
}
