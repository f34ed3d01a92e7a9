//! Any sequence of registry changes, accepted or refused, leaves a registry whose export
//! imports as the same registry; and a refused change leaves the export as it was.

use credgate::{
    Activation, Connection, ConnectionCredential, ConnectionTemplate, Credential, EndUser, Registry,
};
use proptest::prelude::*;

const ENVIRONMENTS: [&str; 2] = ["staging", "production"];
const SHOP_URLS: [&str; 3] = [
    "https://test.myshopify.com/admin/api",
    "https://test.myshopify.com/admin/api/2024-01",
    "https://{shop}.myshopify.com/admin/api",
];
const ZENDESK_URLS: [&str; 3] = [
    "https://{subdomain}.zendesk.com/api/v2",
    "https://{subdomain}.zendesk.com/api/v3",
    "https://{subdomain}.{region}.zendesk.com/api/v2",
];

#[derive(Debug, Clone)]
enum Change {
    ReplaceTemplate {
        environment: usize,
        embedded: bool,
        url: usize,
        bypass: bool,
        query_scheme: bool,
    },
    AddConnection {
        environment: usize,
        id: usize,
        bypass: bool,
    },
    Link {
        environment: usize,
        id: usize,
    },
    RemoveConnection {
        id: usize,
    },
    Activate {
        environment: usize,
        user: usize,
        bypass: bool,
    },
    Deactivate {
        environment: usize,
        user: usize,
    },
    MoveUser {
        environment: usize,
        user: usize,
    },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (
            0..2_usize,
            any::<bool>(),
            0..3_usize,
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(environment, embedded, url, bypass, query_scheme)| {
                Change::ReplaceTemplate {
                    environment,
                    embedded,
                    url,
                    bypass,
                    query_scheme,
                }
            }),
        (0..2_usize, 0..3_usize, any::<bool>()).prop_map(|(environment, id, bypass)| {
            Change::AddConnection {
                environment,
                id,
                bypass,
            }
        }),
        (0..2_usize, 0..3_usize).prop_map(|(environment, id)| Change::Link { environment, id }),
        (0..3_usize).prop_map(|id| Change::RemoveConnection { id }),
        (0..2_usize, 0..4_usize, any::<bool>()).prop_map(|(environment, user, bypass)| {
            Change::Activate {
                environment,
                user,
                bypass,
            }
        }),
        (0..2_usize, 0..4_usize)
            .prop_map(|(environment, user)| Change::Deactivate { environment, user }),
        (0..2_usize, 0..4_usize)
            .prop_map(|(environment, user)| Change::MoveUser { environment, user }),
    ]
}

fn scheme(query: bool) -> serde_json::Value {
    if query {
        serde_json::json!({"type": "api-key", "apiKey": {"id": "query-token",
            "name": "access_token", "in": "query"}})
    } else {
        serde_json::json!({"type": "api-key", "apiKey": {"id": "token",
            "name": "X-Token", "in": "header"}})
    }
}

fn template(embedded: bool, url: usize, bypass: bool, query_scheme: bool) -> ConnectionTemplate {
    let (name, id, url) = if embedded {
        ("zendesk", "zd", ZENDESK_URLS[url])
    } else {
        ("shopify", "shop", SHOP_URLS[url])
    };
    serde_json::from_value(serde_json::json!({
        "name": name, "connectionTemplateId": id, "dynamic": embedded,
        "templateBaseUrl": url, "allowBypass": bypass,
        "placeholders": {"subdomain": {"hostPatterns": ["**.zendesk.com"]},
            "region": {"hostPatterns": ["**.zendesk.com"]},
            "shop": {"hostPatterns": ["*.myshopify.com"]}},
        "authSchemeConfigs": [scheme(query_scheme)]}))
    .expect("template parses")
}

fn connection(template_id: &str, bypass: bool, key: &str) -> Connection {
    let mut connection: Connection = serde_json::from_value(serde_json::json!({
        "connectionTemplateId": template_id,
        "credentials": [{"authSchemeConfig": {"type": "none", "none": {"id": "bypass"}},
            "credential": {"type": "none"}}],
        "values": {"subdomain": "acme", "shop": "acme", "region": "eu"}}))
    .expect("connection parses");
    if !bypass {
        let scheme = serde_json::from_value(scheme(false)).expect("scheme parses");
        connection.credentials = vec![ConnectionCredential::new(scheme, Credential::api_key(key))];
    }
    connection
}

fn registry() -> Registry {
    let registry = Registry::new();
    for environment in ENVIRONMENTS {
        registry.add_environment(environment).expect("environment");
        for embedded in [false, true] {
            registry
                .add_template(environment, template(embedded, 0, true, false))
                .expect("template");
        }
    }
    registry
}

fn apply(registry: &Registry, change: &Change) -> Result<(), credgate::RegistryError> {
    match *change {
        Change::ReplaceTemplate {
            environment,
            embedded,
            url,
            bypass,
            query_scheme,
        } => registry.replace_template(
            ENVIRONMENTS[environment],
            template(embedded, url, bypass, query_scheme),
        ),
        Change::AddConnection {
            environment,
            id,
            bypass,
        } => {
            let mut added = connection("shop", bypass, &format!("shpat_{id}"));
            added.id = format!("c{id}");
            registry.add_connection(ENVIRONMENTS[environment], "shopify", added)
        }
        Change::Link { environment, id } => {
            registry.link_connection(ENVIRONMENTS[environment], "shopify", &format!("c{id}"))
        }
        Change::RemoveConnection { id } => registry.remove_connection(&format!("c{id}")),
        Change::Activate {
            environment,
            user,
            bypass,
        } => registry.activate(Activation::new(
            ENVIRONMENTS[environment],
            EndUser::new(format!("user-{user}")),
            vec![connection("zd", bypass, &format!("zd_{user}"))],
        )),
        Change::Deactivate { environment, user } => {
            registry.deactivate(ENVIRONMENTS[environment], &format!("user-{user}"));
            Ok(())
        }
        Change::MoveUser { environment, user } => {
            let edited = serde_json::from_value(serde_json::json!({"type": "api-key",
                "apiKey": {"id": "token", "name": "Authorization", "in": "header",
                    "valueTemplate": "Bearer {key}"}}))
            .expect("scheme parses");
            registry.move_user_connection_to_scheme(
                ENVIRONMENTS[environment],
                "zendesk",
                &format!("user-{user}"),
                &edited,
            )
        }
    }
}

/// The headers and URI each connection of `registry` puts on a request: what an import
/// must reproduce beyond the document.
fn behaviour(registry: &Registry) -> Vec<String> {
    let mut seen = Vec::new();
    for environment in ENVIRONMENTS {
        let users = (0..4).map(|user| Some(format!("user-{user}")));
        let asked = [("shopify", None)]
            .into_iter()
            .chain(users.map(|user| ("zendesk", user)));
        for (template, user) in asked {
            let outcome = registry
                .resolve(environment, template, user.as_deref())
                .map_err(|err| err.to_string())
                .and_then(|live| {
                    let mut request = http::Request::get("/items").body(()).expect("request");
                    live.authorize(&mut request)
                        .map_err(|err| err.to_string())?;
                    Ok(format!("{} {:?}", request.uri(), request.headers()))
                });
            seen.push(format!("{environment} {template} {user:?}: {outcome:?}"));
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_registry_exports_what_imports_as_itself(
        changes in proptest::collection::vec(change(), 1..24),
    ) {
        let registry = registry();
        for change in &changes {
            let before = registry.export();
            if let Err(err) = apply(&registry, change) {
                prop_assert_eq!(&registry.export(), &before, "{:?} refused ({}) but changed", change, err);
            }
            let document = registry.export();
            let copy = Registry::from_document(document.clone())
                .map_err(|err| TestCaseError::fail(format!("after {change:?}: {err}")))?;
            prop_assert_eq!(&copy.export(), &document);
            prop_assert_eq!(behaviour(&copy), behaviour(&registry), "after {:?}", change);
        }
    }
}

#[test]
fn a_connection_keeps_a_scheme_its_template_dropped_through_export()
-> Result<(), Box<dyn std::error::Error>> {
    let registry = registry();
    let mut old = connection("shop", false, "shpat_old");
    old.id = "old".to_owned();
    registry.add_connection("production", "shopify", old.clone())?;
    let query_only = template(false, 0, true, true);
    registry.replace_template("production", query_only)?;

    // A new connection may not bring the dropped scheme...
    registry.remove_connection("old")?;
    let err = registry
        .add_connection("production", "shopify", old.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"auth scheme "token" is not offered by template "shopify" in environment "production""#
    );
    // ...but one that has it since before the change is restored by an import.
    let mut document = registry.export();
    document.connections.push(old);
    document.environments[0].links.push(serde_json::from_value(
        serde_json::json!({"template": "shopify", "connectionId": "old"}),
    )?);
    let copy = Registry::from_document(document)?;
    let mut request = http::Request::get("/items").body(())?;
    copy.resolve("production", "shopify", None)?
        .authorize(&mut request)?;
    assert_eq!(request.headers()["x-token"], "shpat_old");
    Ok(())
}

#[test]
fn template_changes_that_would_rebuild_a_connection_differently_are_refused()
-> Result<(), Box<dyn std::error::Error>> {
    let registry = registry();
    let mut bypass = connection("shop", true, "");
    bypass.id = "b1".to_owned();
    registry.add_connection("production", "shopify", bypass)?;
    registry.activate(Activation::new(
        "production",
        EndUser::new("user-1"),
        vec![connection("zd", false, "zd_1")],
    ))?;
    let before = registry.export();

    let err = registry
        .replace_template("production", template(false, 0, false, false))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template "shopify" in environment "production" cannot be changed while the connection of connection "b1" depends on it: bypass is not allowed for this connection template"#
    );
    let err = registry
        .replace_template("production", template(true, 1, true, false))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template "zendesk" in environment "production" cannot be changed while the connection of end user "user-1" depends on it: its base URL would change"#
    );
    assert_eq!(registry.export(), before);

    // Where nothing depends on the old rules, the same changes go through.
    registry.replace_template("staging", template(false, 0, false, false))?;
    registry.replace_template("staging", template(true, 1, true, false))?;
    // And a change every connection is built alike under goes through too.
    registry.replace_template("production", template(true, 0, false, true))?;
    Ok(())
}
