//! `credgate::openapi` never panics and keeps its promises, whatever the document.

use credgate::ConnectionTemplate;
use credgate::openapi::{self, Warning};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "3.0.3",
            "3.1.0",
            "apiKey",
            "http",
            "oauth2",
            "openIdConnect",
            "mutualTLS",
            "basic",
            "bearer",
            "header",
            "query",
            "cookie",
            "https://{a}.example.com",
            "{a}",
            "$ref",
            "#/components/securitySchemes/a",
            "implicit",
            "authorizationCode",
            "/x",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "openapi",
                        "servers",
                        "url",
                        "variables",
                        "default",
                        "enum",
                        "components",
                        "securitySchemes",
                        "security",
                        "type",
                        "in",
                        "name",
                        "scheme",
                        "flows",
                        "tokenUrl",
                        "authorizationUrl",
                        "refreshUrl",
                        "scopes",
                        "paths",
                        "get",
                        "$ref",
                        "a",
                        "b",
                        "info",
                        "title",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// A server URL: a host of dot-separated labels, each literal, `{variable}` or a mix,
/// ending in a suffix that is sometimes public; a path or port that may hold variables.
fn server_url() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        "[a-z]{1,6}",
        prop::sample::select(vec!["{a}", "{b}", "{c}", "{d}", "api-{a}", "{b}x"])
            .prop_map(str::to_owned),
    ];
    (
        prop::sample::select(vec!["https://", "https://", "http://", "", "{a}://", "/"]),
        prop::collection::vec(label, 0..4),
        prop::sample::select(vec![
            "com",
            "co.uk",
            "myshopify.com",
            "github.io",
            "example.com",
            "{d}",
            "io",
            "zz",
        ]),
        prop::sample::select(vec!["", "/v1", "/{b}/x", ":{c}", ":8443/{a}"]),
    )
        .prop_map(|(scheme, labels, suffix, path)| {
            let mut host = labels.join(".");
            if !host.is_empty() {
                host.push('.');
            }
            format!("{scheme}{host}{suffix}{path}")
        })
}

fn scheme() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "apiKey", "in": "header", "name": "X-Key"})),
        Just(json!({"type": "http", "scheme": "bearer"})),
        Just(
            json!({"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {}},
            "authorizationCode": {"authorizationUrl": "authorize", "tokenUrl": "https://id.example.com/t", "scopes": {"a": "b"}}}})
        ),
        Just(json!({"type": "openIdConnect", "openIdConnectUrl": "https://id.example.com/"})),
        Just(json!({"$ref": "#/components/securitySchemes/k1"})),
        any_json(),
    ]
}

fn security() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!([{"k1": []}])),
        Just(json!([{"k1": [], "k2": ["a"]}, {"k3": []}])),
        Just(json!([{}, {"k2": []}])),
        Just(Value::Null),
        any_json(),
    ]
}

fn variable() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec![
            "eu", "us", "x.y", "", "a|b", "EU",
        ])),
        prop::option::of(prop::collection::vec(
            prop::sample::select(vec!["eu", "us", "x.y", "ap-south", "com"]),
            0..4,
        )),
    )
        .prop_map(|(default, values)| {
            let mut variable = Map::new();
            if let Some(default) = default {
                variable.insert("default".into(), json!(default));
            }
            if let Some(values) = values {
                variable.insert("enum".into(), json!(values));
            }
            Value::Object(variable)
        })
}

fn structured() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["3.0.0", "3.1.0"]),
        server_url(),
        prop::collection::btree_map(
            prop::sample::select(vec!["a", "b", "c", "d"]),
            variable(),
            0..4,
        ),
        prop::collection::btree_map(prop::sample::select(vec!["k1", "k2", "k3"]), scheme(), 0..3),
        security(),
    )
        .prop_map(|(version, url, variables, schemes, security)| {
            json!({"openapi": version, "info": {"title": "T"},
                   "servers": [{"url": url, "variables": variables}],
                   "components": {"securitySchemes": schemes},
                   "security": security})
        })
}

/// What the promises say about every import.
fn check(document: &Value) {
    let Ok(import) = openapi::import_value(document) else {
        return;
    };
    assert!(import.templates.len() <= openapi::MAX_TEMPLATES);
    for warning in &import.warnings {
        let message = warning.to_string();
        assert!(message.starts_with(|c: char| c.is_lowercase() || !c.is_alphabetic()));
    }
    for template in &import.templates {
        // Every template loads back as itself.
        let json = credgate::to_json_with_secrets(template).unwrap();
        assert_eq!(
            &serde_json::from_str::<ConnectionTemplate>(&json).unwrap(),
            template
        );
        for (name, placeholder) in &template.placeholders {
            assert!(template.template_base_url.contains(&format!("{{{name}")));
            for pattern in &placeholder.host_patterns {
                // A pattern is an exact host or `*.` a suffix that is not a public suffix.
                let suffix = pattern.strip_prefix("*.").unwrap_or(pattern);
                assert!(
                    !suffix.is_empty() && !suffix.contains(['{', '}', '*', '/']),
                    "{pattern}"
                );
                if pattern.starts_with("*.") {
                    let public = psl_like_public(suffix);
                    assert!(!public, "{pattern} from {document}");
                }
            }
        }
    }
    if import
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::HostUnrestricted { .. }))
    {
        for template in &import.templates {
            assert!(
                template
                    .placeholders
                    .values()
                    .all(|p| p.host_patterns.is_empty())
            );
        }
    }
}

/// The public suffixes the generators can produce.
fn psl_like_public(suffix: &str) -> bool {
    ["com", "co.uk", "uk", "io", "y"].contains(&suffix)
        || !suffix.contains('.') && suffix.chars().all(|c| c.is_ascii_lowercase())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_json_value_imports_or_errs_without_panicking(document in any_json()) {
        check(&document);
        let _ = openapi::import(&document.to_string());
    }

    #[test]
    fn any_json_inside_an_openapi_shape(mut document in any_json(), version in prop::sample::select(vec!["3.0.1", "3.1.0"])) {
        if let Value::Object(object) = &mut document {
            object.insert("openapi".into(), json!(version));
        }
        check(&document);
    }

    #[test]
    fn servers_and_schemes_keep_the_promises(document in structured()) {
        check(&document);
    }

    #[test]
    fn any_text_is_json_or_a_syntax_error(text in ".{0,64}") {
        let _ = openapi::import(&text);
    }
}
