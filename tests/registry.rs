//! The registry through the public API: resolution and its errors, connect once use
//! everywhere, scheme changes, bypass, per-connection URLs, activation while resolving,
//! export/import, and bad input leaving the registry unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use credgate::{
    Activation, ApiKeyScheme, AuthSchemeConfig, BuildError, Connection, ConnectionTemplate,
    Credential, EndUser, KeyLocation, Registry, RegistryDocument, RegistryError,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn template(json: serde_json::Value) -> ConnectionTemplate {
    serde_json::from_value(json).expect("template parses")
}

fn key_scheme(id: &str, header: &str) -> serde_json::Value {
    serde_json::json!({"type": "api-key", "apiKey": {"id": id, "name": header, "in": "header"}})
}

/// Two environments; `shopify` static (same template id in both), `zendesk` embedded with
/// a templated host.
fn registry() -> Registry {
    let registry = Registry::new();
    for environment in ["staging", "production"] {
        registry.add_environment(environment).expect("environment");
        registry
            .add_template(
                environment,
                template(serde_json::json!({
                    "name": "shopify", "connectionTemplateId": "shop", "domain": "shopify",
                    "templateBaseUrl": "https://test.myshopify.com/admin/api",
                    "authSchemeConfigs": [key_scheme("token", "X-Shopify-Access-Token")]})),
            )
            .expect("shopify");
        registry
            .add_template(
                environment,
                template(serde_json::json!({
                    "name": "zendesk", "connectionTemplateId": "zd", "dynamic": true,
                    "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2", "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}},
                    "authSchemeConfigs": [key_scheme("token", "Authorization")]})),
            )
            .expect("zendesk");
    }
    registry
}

fn zendesk_connection(registry: &Registry, key: &str, subdomain: &str) -> Connection {
    let mut connection = registry
        .connect("production", "zendesk", vec![Credential::api_key(key)])
        .expect("connect");
    connection
        .values
        .insert("subdomain".to_owned(), subdomain.to_owned());
    connection
}

fn activate(
    registry: &Registry,
    user: &str,
    key: &str,
    subdomain: &str,
) -> Result<(), RegistryError> {
    let connection = zendesk_connection(registry, key, subdomain);
    registry.activate(Activation::new(
        "production",
        EndUser::new(user),
        vec![connection],
    ))
}

fn add_shopify(registry: &Registry, id: &str, key: &str) -> Result<(), RegistryError> {
    let mut connection =
        registry.connect("production", "shopify", vec![Credential::api_key(key)])?;
    connection.id = id.to_owned();
    registry.add_connection("production", "shopify", connection)
}

fn authorized(
    registry: &Registry,
    environment: &str,
    template: &str,
    user: Option<&str>,
) -> http::Request<()> {
    let live = registry
        .resolve(environment, template, user)
        .unwrap_or_else(|err| panic!("{err}"));
    let mut request = http::Request::get("/things?page=2")
        .body(())
        .expect("request");
    live.authorize(&mut request).expect("authorize");
    request
}

#[test]
fn resolution_errors_say_exactly_what_is_missing() -> TestResult {
    let registry = registry();
    let message = |result: Result<Arc<credgate::LiveConnection>, RegistryError>| {
        result.expect_err("must fail").to_string()
    };
    assert_eq!(
        message(registry.resolve("production", "shopify", None)),
        r#"no connection for template "shopify" in environment "production""#
    );
    assert_eq!(
        message(registry.resolve("qa", "shopify", None)),
        r#"unknown environment "qa""#
    );
    assert_eq!(
        message(registry.resolve("production", "salesforce", Some("u1"))),
        r#"unknown template "salesforce" in environment "production""#
    );
    assert_eq!(
        message(registry.resolve("production", "zendesk", Some("u1"))),
        r#"embedded template "zendesk" in environment "production" has no activated user"#
    );
    activate(&registry, "u1", "zd-1", "acme")?;
    assert_eq!(
        message(registry.resolve("production", "zendesk", Some("u2"))),
        r#"end user "u2" is not activated for template "zendesk" in environment "production""#
    );
    assert!(matches!(
        registry.resolve("production", "zendesk", None),
        Err(RegistryError::EndUserRequired { .. })
    ));
    // The user is activated in production only.
    assert!(matches!(
        registry.resolve("staging", "zendesk", Some("u1")),
        Err(RegistryError::NoActivatedUser { .. })
    ));
    Ok(())
}

#[test]
fn end_users_get_their_own_connection_and_host() -> TestResult {
    let registry = registry();
    activate(&registry, "u1", "zd-1", "acme")?;
    activate(&registry, "u2", "zd-2", "globex")?;
    let one = authorized(&registry, "production", "zendesk", Some("u1"));
    let two = authorized(&registry, "production", "zendesk", Some("u2"));
    assert_eq!(one.uri(), "https://acme.zendesk.com/api/v2/things?page=2");
    assert_eq!(one.headers()["authorization"], "zd-1");
    assert!(one.headers()["authorization"].is_sensitive());
    assert_eq!(two.uri(), "https://globex.zendesk.com/api/v2/things?page=2");
    assert_eq!(two.headers()["authorization"], "zd-2");
    Ok(())
}

#[test]
fn a_static_template_ignores_the_end_user() -> TestResult {
    let registry = registry();
    add_shopify(&registry, "c1", "shpat_1")?;
    let request = authorized(&registry, "production", "shopify", Some("anyone"));
    assert_eq!(request.headers()["x-shopify-access-token"], "shpat_1");
    Ok(())
}

#[test]
fn one_connection_linked_everywhere_is_one_live_connection() -> TestResult {
    let registry = registry();
    add_shopify(&registry, "c1", "shpat_1")?;
    registry.link_connection("staging", "shopify", "c1")?;
    let production = registry.resolve("production", "shopify", None)?;
    let staging = registry.resolve("staging", "shopify", None)?;
    assert!(Arc::ptr_eq(&production, &staging));

    // Removing it unlinks it everywhere.
    registry.remove_connection("c1")?;
    assert!(matches!(
        registry.resolve("staging", "shopify", None),
        Err(RegistryError::NoConnection { .. })
    ));
    Ok(())
}

#[test]
fn a_connection_of_another_template_is_refused() -> TestResult {
    let registry = registry();
    registry.add_environment("eu")?;
    registry.add_template(
        "eu",
        template(
            serde_json::json!({"name": "shopify", "connectionTemplateId": "shop-eu",
            "templateBaseUrl": "https://eu.myshopify.com",
            "authSchemeConfigs": [key_scheme("token", "X-Shopify-Access-Token")]}),
        ),
    )?;
    add_shopify(&registry, "c1", "shpat_1")?;
    let err = registry.link_connection("eu", "shopify", "c1").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"the connection belongs to template id "shop", not to template "shopify" in environment "eu""#
    );
    assert!(matches!(
        registry.resolve("eu", "shopify", None),
        Err(RegistryError::NoConnection { .. })
    ));
    Ok(())
}

#[test]
fn template_scheme_changes_apply_to_new_connections_only() -> TestResult {
    let registry = registry();
    add_shopify(&registry, "old", "shpat_old")?;
    let mut changed = template(serde_json::json!({
        "name": "shopify", "connectionTemplateId": "shop", "domain": "shopify",
        "templateBaseUrl": "https://test.myshopify.com/admin/api",
        "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "query-token",
            "name": "access_token", "in": "query"}}]}));
    registry.replace_template("production", changed.clone())?;

    // The old connection keeps its header scheme.
    let request = authorized(&registry, "production", "shopify", None);
    assert_eq!(request.headers()["x-shopify-access-token"], "shpat_old");

    // A new one gets the query scheme.
    registry.remove_connection("old")?;
    add_shopify(&registry, "new", "shpat_new")?;
    let request = authorized(&registry, "production", "shopify", None);
    assert!(request.headers().is_empty());
    assert_eq!(
        request.uri(),
        "https://test.myshopify.com/admin/api/things?page=2&access_token=shpat_new"
    );

    changed.dynamic = true;
    assert!(matches!(
        registry.replace_template("production", changed),
        Err(RegistryError::UnsupportedChange { .. })
    ));
    Ok(())
}

#[test]
fn system_scheme_edits_never_break_connections_until_moved() -> TestResult {
    let registry = registry();
    registry.add_system(serde_json::from_value(serde_json::json!({
        "name": "zendesk", "domain": "zendesk",
        "authSchemeConfigs": [key_scheme("token", "Authorization"),
            {"type": "basic-auth", "basicAuth": {"id": "basic"}}]}))?)?;
    // Link the embedded template to the system through its domain.
    let mut zendesk = template(serde_json::json!({
        "name": "zendesk", "connectionTemplateId": "zd", "dynamic": true, "domain": "zendesk",
        "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2", "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}}}));
    zendesk.auth_scheme_configs = vec![];
    registry.replace_template("production", zendesk)?;
    registry.set_template_schemes("production", "zendesk", &["token"])?;
    activate(&registry, "u1", "zd-1", "acme")?;

    let edited = AuthSchemeConfig::ApiKey(
        ApiKeyScheme::new("token", "Authorization", KeyLocation::Header)
            .with_value_template("Bearer {key}"),
    );
    registry.update_system_scheme("zendesk", edited.clone())?;
    // The existing connection still works, with its own scheme.
    let request = authorized(&registry, "production", "zendesk", Some("u1"));
    assert_eq!(request.headers()["authorization"], "zd-1");
    // A new connection gets the edited scheme.
    activate(&registry, "u2", "zd-2", "globex")?;
    let request = authorized(&registry, "production", "zendesk", Some("u2"));
    assert_eq!(request.headers()["authorization"], "Bearer zd-2");

    // Moving the old one validates its credential against the new scheme.
    registry.move_user_connection_to_scheme("production", "zendesk", "u1", &edited)?;
    let request = authorized(&registry, "production", "zendesk", Some("u1"));
    assert_eq!(request.headers()["authorization"], "Bearer zd-1");

    // A scheme neither the template nor its system offers is refused, and so is one the
    // credential does not fit; nothing changes.
    let leak = AuthSchemeConfig::ApiKey(ApiKeyScheme::new("token", "leak", KeyLocation::Query));
    let err = registry
        .move_user_connection_to_scheme("production", "zendesk", "u1", &leak)
        .unwrap_err();
    assert!(matches!(err, RegistryError::ForeignScheme { .. }), "{err}");
    let unfit: AuthSchemeConfig = serde_json::from_value(serde_json::json!({
        "type": "oauth1", "oauth1": {"id": "token", "consumerKey": "ck",
            "consumerSecret": "cs", "signatureMethod": "sha1"}}))?;
    registry.update_system_scheme("zendesk", unfit.clone())?;
    let err = registry
        .move_user_connection_to_scheme("production", "zendesk", "u1", &unfit)
        .unwrap_err();
    assert!(matches!(err, RegistryError::Build { .. }), "{err}");
    let request = authorized(&registry, "production", "zendesk", Some("u1"));
    assert_eq!(request.headers()["authorization"], "Bearer zd-1");

    assert!(matches!(
        registry.set_template_schemes("production", "zendesk", &["nope"]),
        Err(RegistryError::UnknownScheme { .. })
    ));
    Ok(())
}

#[test]
fn bypass_only_where_the_template_allows_it() -> TestResult {
    let registry = registry();
    let mut bypass: Connection = serde_json::from_value(serde_json::json!({
        "id": "b1", "connectionTemplateId": "shop",
        "credentials": [{"authSchemeConfig": {"type": "none", "none": {"id": "bypass"}},
                         "credential": {"type": "none"}}]}))?;
    let err = registry
        .add_connection("production", "shopify", bypass.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template "shopify" in environment "production": bypass is not allowed for this connection template"#
    );
    registry.add_template(
        "production",
        template(
            serde_json::json!({"name": "open", "connectionTemplateId": "open-shop",
            "templateBaseUrl": "https://test.myshopify.com/admin/api", "allowBypass": true,
            "authSchemeConfigs": [key_scheme("token", "X-Shopify-Access-Token")]}),
        ),
    )?;
    bypass.id = "b2".to_owned();
    bypass.connection_template_id = "open-shop".to_owned();
    registry.add_connection("production", "open", bypass.clone())?;
    let request = authorized(&registry, "production", "open", None);
    assert!(request.headers().is_empty());

    // A template without schemes of its own takes its system's: no bypass either.
    registry.add_system(serde_json::from_value(serde_json::json!({
        "name": "crm", "domain": "crm", "authSchemeConfigs": [key_scheme("key", "X-Key")]}))?)?;
    registry.add_template(
        "production",
        template(
            serde_json::json!({"name": "crm", "connectionTemplateId": "crm",
            "domain": "crm", "templateBaseUrl": "https://crm.example.com"}),
        ),
    )?;
    bypass.id = "b3".to_owned();
    bypass.connection_template_id = "crm".to_owned();
    let err = registry
        .add_connection("production", "crm", bypass)
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("bypass is not allowed for this connection template"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_base_url_override_keeps_only_its_origin() -> TestResult {
    let registry = registry();
    let mut connection = registry.connect(
        "production",
        "shopify",
        vec![Credential::api_key("shpat_1")],
    )?;
    connection.id = "c1".to_owned();
    connection.base_url = Some("Acme.Test.myshopify.com/ignored/path?key=k-secret#y".to_owned());
    registry.add_connection("production", "shopify", connection)?;
    let live = registry.resolve("production", "shopify", None)?;
    assert_eq!(live.base_url(), "https://acme.test.myshopify.com/admin/api");
    // Nor is the rest stored, shown or exported.
    let exported = credgate::to_json_with_secrets(&registry.export())?;
    assert!(
        exported.contains(r#""baseUrl":"https://acme.test.myshopify.com""#),
        "{exported}"
    );
    assert!(!exported.contains("k-secret"));
    Ok(())
}

#[test]
fn url_values_that_would_change_the_host_are_refused_whole() -> TestResult {
    let registry = registry();
    for bad in [
        "evil.com#",
        "evil.com/",
        "x@evil.com",
        "a?b",
        "..",
        "a..b",
        "",
        "a b",
        "%2e",
    ] {
        let err = activate(&registry, "u1", "zd-1", bad).unwrap_err();
        assert!(
            matches!(
                err,
                RegistryError::Build {
                    // A blank value is no value.
                    source: BuildError::InvalidUrlValue { .. } | BuildError::MissingUrlValue { .. },
                    ..
                }
            ),
            "{bad:?}: {err}"
        );
    }
    // Nothing was applied: the template still has no user.
    assert!(matches!(
        registry.resolve("production", "zendesk", Some("u1")),
        Err(RegistryError::NoActivatedUser { .. })
    ));
    Ok(())
}

#[test]
fn bad_input_is_refused_with_a_clear_message() -> TestResult {
    let registry = registry();
    assert_eq!(
        registry
            .add_environment("production")
            .unwrap_err()
            .to_string(),
        r#"environment "production" already exists"#
    );
    let duplicate = ConnectionTemplate::new("shopify", "https://x.example", vec![]);
    assert_eq!(
        registry
            .add_template("production", duplicate)
            .unwrap_err()
            .to_string(),
        r#"template "shopify" already exists"#
    );
    let err = registry
        .connect(
            "production",
            "shopify",
            vec![Credential::basic_auth("u", "p")],
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template "shopify" in environment "production": api-key is required for this connection template"#
    );
    add_shopify(&registry, "c1", "k")?;
    assert!(matches!(
        add_shopify(&registry, "c1", "k"),
        Err(RegistryError::Duplicate {
            what: "connection",
            ..
        })
    ));
    // A static connection for an embedded template, and an end user's for a static one.
    let mut connection = zendesk_connection(&registry, "zd", "acme");
    connection.id = "c2".to_owned();
    assert!(matches!(
        registry.add_connection("production", "zendesk", connection),
        Err(RegistryError::WrongKind { .. })
    ));
    let shop = registry.connect("production", "shopify", vec![Credential::api_key("k")])?;
    assert!(matches!(
        registry.activate(Activation::new(
            "production",
            EndUser::new("u1"),
            vec![shop]
        )),
        Err(RegistryError::WrongKind { .. })
    ));

    // Ambiguities: two schemes of one id (replaced and moved to by id), two systems of one
    // domain (templates find their system by it), and a host a value would choose.
    let two_keys = template(
        serde_json::json!({"name": "crm", "connectionTemplateId": "crm",
        "templateBaseUrl": "https://crm.example.com",
        "authSchemeConfigs": [key_scheme("key", "X-Key"), key_scheme("key", "X-Other")]}),
    );
    let err = registry.add_template("production", two_keys).unwrap_err();
    assert_eq!(err.to_string(), r#"auth scheme "key" already exists"#);
    let system = |name: &str| -> Result<credgate::System, serde_json::Error> {
        serde_json::from_value(serde_json::json!({"name": name, "domain": "crm.example.com"}))
    };
    registry.add_system(system("crm")?)?;
    let err = registry.add_system(system("crm-2")?).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"system domain "crm.example.com" already exists"#
    );
    let named_like_a_domain: credgate::System =
        serde_json::from_value(serde_json::json!({"name": "crm.example.com"}))?;
    let err = registry.add_system(named_like_a_domain).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"system "crm.example.com" already exists"#
    );
    let any_host = template(
        serde_json::json!({"name": "any", "connectionTemplateId": "any",
        "templateBaseUrl": "https://{host}/api", "authSchemeConfigs": [key_scheme("key", "X-Key")]}),
    );
    let err = registry.add_template("production", any_host).unwrap_err();
    assert!(
        err.to_string()
            .contains("URL placeholder {host} sets the host, which needs the template's placeholders to give it hostPatterns"),
        "{err}"
    );
    // With no host at all, a value in the path would become it: in a base URL, and in a
    // token URL.
    let no_host = template(
        serde_json::json!({"name": "any", "connectionTemplateId": "any",
        "templateBaseUrl": "https:///{host}/api", "authSchemeConfigs": [key_scheme("key", "X-Key")]}),
    );
    let err = registry.add_template("production", no_host).unwrap_err();
    assert!(
        err.to_string().ends_with("URL template has no host"),
        "{err}"
    );
    let no_token_host = template(
        serde_json::json!({"name": "any", "connectionTemplateId": "any",
        "templateBaseUrl": "https://api.example.com",
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "o", "tokenUrl": "https:///{tenant}/token",
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]}),
    );
    let err = registry
        .add_template("production", no_token_host)
        .unwrap_err();
    assert!(
        err.to_string().ends_with("URL template has no host"),
        "{err}"
    );
    assert!(registry.resolve("production", "crm", None).is_err());
    assert!(registry.resolve("production", "any", None).is_err());
    Ok(())
}

#[test]
fn a_failed_activation_keeps_the_previous_one() -> TestResult {
    let registry = registry();
    activate(&registry, "u1", "zd-1", "acme")?;
    let good = zendesk_connection(&registry, "zd-2", "acme");
    let twice = Activation::new("production", EndUser::new("u1"), vec![good.clone(), good]);
    assert!(matches!(
        registry.activate(twice),
        Err(RegistryError::Duplicate { .. })
    ));
    let request = authorized(&registry, "production", "zendesk", Some("u1"));
    assert_eq!(request.headers()["authorization"], "zd-1");
    Ok(())
}

#[test]
fn deactivation_removes_the_user_for_new_requests_only() -> TestResult {
    let registry = registry();
    activate(&registry, "u1", "zd-1", "acme")?;
    let held = registry.resolve("production", "zendesk", Some("u1"))?;
    assert!(registry.deactivate("production", "u1"));
    assert!(!registry.deactivate("production", "u1"));
    assert!(matches!(
        registry.resolve("production", "zendesk", Some("u1")),
        Err(RegistryError::NoActivatedUser { .. })
    ));
    // A request already holding the connection finishes with it.
    let mut request = http::Request::get("/x").body(())?;
    held.authorize(&mut request)?;
    assert_eq!(request.headers()["authorization"], "zd-1");
    Ok(())
}

#[test]
fn resolution_never_fails_while_others_are_activated_and_deactivated() -> TestResult {
    let registry = registry();
    for i in 0..50 {
        activate(&registry, &format!("stable-{i}"), "k", "acme")?;
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut resolved = 0_u64;
            while !done.load(Ordering::Relaxed) {
                for i in 0..50 {
                    let user = format!("stable-{i}");
                    registry
                        .resolve("production", "zendesk", Some(&user))
                        .unwrap_or_else(|err| panic!("{err}"));
                    resolved += 1;
                }
            }
            resolved
        });
        for round in 0..3 {
            for i in 0..500 {
                let user = format!("churn-{i}");
                activate(&registry, &user, "k", "acme").expect("activate");
                if round > 0 {
                    assert!(registry.deactivate("production", &user));
                }
            }
        }
        done.store(true, Ordering::Relaxed);
        assert!(reader.join().expect("reader") > 0);
    });
    Ok(())
}

#[test]
fn export_and_import_are_lossless_and_display_is_redacted() -> TestResult {
    let registry = registry();
    add_shopify(&registry, "c1", "shpat_secret")?;
    registry.link_connection("staging", "shopify", "c1")?;
    activate(&registry, "u1", "zd-secret-1", "acme")?;
    activate(&registry, "u2", "zd-secret-2", "globex")?;

    let redacted = registry.export_redacted()?;
    assert!(!redacted.contains("secret"), "{redacted}");
    assert!(redacted.contains("******"));

    let json = registry.export_with_secrets()?;
    let document: RegistryDocument = serde_json::from_str(&json)?;
    let copy = Registry::from_document(document.clone())?;
    assert_eq!(copy.export(), document);
    assert_eq!(document.activations.len(), 2);
    assert!(Arc::ptr_eq(
        &copy.resolve("staging", "shopify", None)?,
        &copy.resolve("production", "shopify", None)?
    ));
    let request = authorized(&copy, "production", "zendesk", Some("u2"));
    assert_eq!(
        request.uri(),
        "https://globex.zendesk.com/api/v2/things?page=2"
    );
    assert_eq!(request.headers()["authorization"], "zd-secret-2");

    // A redacted export loads as a document but cannot be imported as usable connections.
    let listed: RegistryDocument = serde_json::from_str(&redacted)?;
    let err = Registry::from_document(listed).unwrap_err();
    assert!(err.to_string().ends_with("api key is redacted"), "{err}");
    Ok(())
}

#[test]
fn external_ids_of_any_length_and_script_resolve_to_their_own_connection() -> TestResult {
    let registry = registry();
    let ids = [
        "a".to_owned(),
        "x".repeat(21),
        "x".repeat(22),
        "x".repeat(23),
        "x".repeat(200),
        "ünïcødé-用户".to_owned(),
        "01K94NJCJFCQ0TEGA44B03942N-user".to_owned(),
    ];
    for (i, id) in ids.iter().enumerate() {
        activate(&registry, id, &format!("key-{i}"), "acme")?;
    }
    for (i, id) in ids.iter().enumerate() {
        let request = authorized(&registry, "production", "zendesk", Some(id));
        assert_eq!(
            request.headers()["authorization"],
            format!("key-{i}").as_str()
        );
    }
    let exported = registry.export();
    let mut users: Vec<&str> = exported
        .activations
        .iter()
        .map(|a| a.user.external_id.as_str())
        .collect();
    users.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(users, expected);
    assert!(
        registry
            .resolve("production", "zendesk", Some(&"x".repeat(24)))
            .is_err()
    );
    Ok(())
}

#[test]
fn an_import_with_a_link_to_no_connection_is_refused() -> TestResult {
    let registry = registry();
    add_shopify(&registry, "c1", "shpat_1")?;
    let mut document: RegistryDocument = serde_json::from_str(&registry.export_with_secrets()?)?;
    document.connections.clear();
    assert_eq!(
        Registry::from_document(document).unwrap_err(),
        RegistryError::UnknownConnection {
            id: "c1".to_owned()
        }
    );
    Ok(())
}

/// Enough users that shards' tables grow several times (a grown table hashes its users
/// again): every user still resolves to their own connection, in each environment apart,
/// through re-activation and deactivation of others.
#[test]
fn users_keep_their_connection_as_shards_grow_and_shrink() -> TestResult {
    const USERS: usize = 24_000;
    let registry = registry();
    let user = |i: usize| format!("user-{i:06}");
    for i in 0..USERS {
        activate(&registry, &user(i), &format!("key-{i}"), "acme")?;
    }
    // The same external ids in the other environment are other users.
    for i in (0..USERS).step_by(7) {
        let connection = registry.connect(
            "staging",
            "zendesk",
            vec![Credential::api_key(format!("staging-{i}"))],
        )?;
        let mut connection = connection;
        connection
            .values
            .insert("subdomain".to_owned(), "acme".to_owned());
        registry.activate(Activation::new(
            "staging",
            EndUser::new(user(i)),
            vec![connection],
        ))?;
    }
    // Every third user re-activated with a new key, every fifth deactivated.
    for i in (0..USERS).step_by(3) {
        activate(&registry, &user(i), &format!("new-key-{i}"), "acme")?;
    }
    for i in (0..USERS).step_by(5) {
        assert!(registry.deactivate("production", &user(i)));
    }
    for i in 0..USERS {
        let resolved = registry.resolve("production", "zendesk", Some(&user(i)));
        if i % 5 == 0 {
            assert!(resolved.is_err(), "{} is deactivated", user(i));
            continue;
        }
        let expected = if i % 3 == 0 {
            format!("new-key-{i}")
        } else {
            format!("key-{i}")
        };
        let request = authorized(&registry, "production", "zendesk", Some(&user(i)));
        assert_eq!(request.headers()["authorization"], expected.as_str());
    }
    for i in 0..USERS {
        let resolved = registry.resolve("staging", "zendesk", Some(&user(i)));
        assert_eq!(resolved.is_ok(), i % 7 == 0, "{} in staging", user(i));
    }
    assert_eq!(
        registry.export().activations.len(),
        USERS - USERS / 5 + USERS.div_ceil(7)
    );
    Ok(())
}

#[test]
fn templates_need_an_id_of_their_own() -> TestResult {
    let registry = registry();
    // Connections name their template by id, and templates that share one share their
    // connections: two templates without an id must not.
    let no_id = |name: &str| {
        template(
            serde_json::json!({"name": name, "templateBaseUrl": "https://crm.example.com",
            "authSchemeConfigs": [key_scheme("key", "X-Key")]}),
        )
    };
    registry.add_template("production", no_id("crm"))?;
    let err = registry
        .add_template("production", no_id("erp"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"environment "production" already has a template without an id"#
    );
    assert!(registry.resolve("production", "erp", None).is_err());
    // A template made in code takes its name as id.
    let made = ConnectionTemplate::new("erp", "https://erp.example.com", vec![]);
    assert_eq!(made.template_id(), "erp");
    registry.add_template("production", made)?;
    // Stored ones from before this was refused still load, row by row and from an export.
    registry
        .restore()
        .add_template("production", no_id("legacy"))?;
    let copy = Registry::from_document(registry.export())?;
    assert_eq!(
        copy.resolve("production", "legacy", None)
            .unwrap_err()
            .to_string(),
        r#"no connection for template "legacy" in environment "production""#
    );
    Ok(())
}

#[test]
fn a_system_scheme_edit_that_would_break_a_connection_on_import_is_refused() -> TestResult {
    let registry = registry();
    registry.add_system(serde_json::from_value(serde_json::json!({
        "name": "status", "domain": "status",
        "authSchemeConfigs": [{"type": "none", "none": {"id": "n"}}]}))?)?;
    registry.add_template(
        "production",
        template(
            serde_json::json!({"name": "status", "connectionTemplateId": "status",
            "domain": "status", "templateBaseUrl": "https://status.example.com"}),
        ),
    )?;
    registry.set_template_schemes("production", "status", &["n"])?;
    // Every scheme of the template is `none`: its connections are bypass connections.
    let mut open: Connection = serde_json::from_value(serde_json::json!({
        "id": "s1", "connectionTemplateId": "status",
        "credentials": [{"authSchemeConfig": {"type": "none", "none": {"id": "n"}},
                         "credential": {"type": "none"}}]}))?;
    open.name = "status".to_owned();
    registry.add_connection("production", "status", open)?;
    let before = credgate::to_json_with_secrets(&registry.export())?;

    let keyed = AuthSchemeConfig::ApiKey(ApiKeyScheme::new("n", "X-Key", KeyLocation::Header));
    let err = registry.update_system_scheme("status", keyed).unwrap_err();
    assert!(matches!(err, RegistryError::TemplateInUse { .. }), "{err}");
    // Nothing changed, and the export still loads.
    assert_eq!(credgate::to_json_with_secrets(&registry.export())?, before);
    Registry::from_document(registry.export())?;
    Ok(())
}

#[test]
fn a_template_joins_the_id_of_embedded_ones_only_before_users_and_of_their_kind() -> TestResult {
    let registry = registry();
    let zendesk_like = |name: &str, dynamic: bool| {
        template(
            serde_json::json!({"name": name, "connectionTemplateId": "zd", "dynamic": dynamic,
            "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2", "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}},
            "authSchemeConfigs": [key_scheme("token", "Authorization")]}),
        )
    };
    // No user yet: an embedded template may share the id (and the users' connections).
    registry.add_template("staging", zendesk_like("zendesk-2", true))?;
    activate(&registry, "u1", "zd-1", "acme")?;
    // Now a new one would not be in u1's activation, though an import would put it there;
    // and a static one cannot take end users' connections at all.
    for (name, dynamic) in [("zendesk-3", true), ("zendesk-static", false)] {
        let err = registry
            .add_template("production", zendesk_like(name, dynamic))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"template id "zd" already exists"#,
            "{name}"
        );
    }
    Registry::from_document(registry.export())?;
    Ok(())
}
