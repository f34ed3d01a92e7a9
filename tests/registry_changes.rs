//! The registry's change log through the public API: two registries kept in sync through
//! it, every kind of change, idempotent application, the order of concurrent changes,
//! conflicts, and secrets (redacted in `Debug` and plain serde, whole in an export).

use std::sync::Arc;

use credgate::{
    Activation, ApiKeyScheme, ApplyOutcome, AuthSchemeConfig, Connection, ConnectionTemplate,
    Credential, EndUser, KeyLocation, Registry, RegistryChange, RegistryError,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SECRET: &str = "sk_live_change_log_secret";

fn template(json: serde_json::Value) -> ConnectionTemplate {
    serde_json::from_value(json).expect("template parses")
}

fn key_scheme(id: &str, header: &str) -> serde_json::Value {
    serde_json::json!({"type": "api-key", "apiKey": {"id": id, "name": header, "in": "header"}})
}

fn crm_system() -> credgate::System {
    serde_json::from_value(serde_json::json!({
        "name": "crm", "domain": "crm",
        "authSchemeConfigs": [key_scheme("key", "X-Key")]}))
    .expect("system parses")
}

fn zendesk() -> ConnectionTemplate {
    template(serde_json::json!({
        "name": "zendesk", "connectionTemplateId": "zd", "dynamic": true,
        "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2",
        "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}},
        "authSchemeConfigs": [key_scheme("token", "Authorization")]}))
}

fn crm() -> ConnectionTemplate {
    template(serde_json::json!({
        "name": "crm", "connectionTemplateId": "crm", "domain": "crm",
        "templateBaseUrl": "https://crm.example.com",
        "authSchemeConfigs": [key_scheme("key", "X-Key")]}))
}

fn user_connection(registry: &Registry, key: &str, subdomain: &str) -> Connection {
    let mut connection = registry
        .connect("production", "zendesk", vec![Credential::api_key(key)])
        .expect("connect");
    connection
        .values
        .insert("subdomain".to_owned(), subdomain.to_owned());
    connection
}

fn activation(registry: &Registry, user: &str, key: &str, subdomain: &str) -> Activation {
    let connection = user_connection(registry, key, subdomain);
    Activation::new("production", EndUser::new(user), vec![connection])
}

/// Every kind of change, on a registry with a change log.
fn make_every_change(registry: &Registry) -> Result<(), RegistryError> {
    registry.add_system(crm_system())?;
    registry.add_environment("production")?;
    registry.add_environment("staging")?;
    registry.add_template("production", zendesk())?;
    registry.add_template("production", crm())?;
    registry.add_template("staging", crm())?;
    let mut connection =
        registry.connect("production", "crm", vec![Credential::api_key(SECRET)])?;
    connection.id = "c1".into();
    // Its own base URL is kept as its origin only: the change carries what is stored.
    connection.base_url = Some("https://crm.example.com/ignored?key=1".into());
    registry.add_connection("production", "crm", connection)?;
    registry.link_connection("staging", "crm", "c1")?;
    registry.activate(activation(registry, "user-1", SECRET, "acme"))?;
    registry.activate(activation(registry, "user-2", "zd-2", "globex"))?;
    // Replaces user-2's activation.
    registry.activate(activation(registry, "user-2", "zd-3", "initech"))?;
    registry.activate(activation(registry, "user-3", "zd-4", "umbrella"))?;
    assert!(registry.deactivate("production", "user-3"));
    let edited =
        AuthSchemeConfig::ApiKey(ApiKeyScheme::new("key", "X-Api-Token", KeyLocation::Header));
    registry.update_system_scheme("crm", edited.clone())?;
    registry.move_connection_to_scheme("c1", &edited)?;
    let mut zendesk = zendesk();
    let bearer = AuthSchemeConfig::ApiKey(
        ApiKeyScheme::new("token", "Authorization", KeyLocation::Header)
            .with_value_template("Bearer {key}"),
    );
    zendesk.auth_scheme_configs = vec![bearer.clone()];
    registry.replace_template("production", zendesk)?;
    registry.move_user_connection_to_scheme("production", "zendesk", "user-1", &bearer)?;
    Ok(())
}

fn kind(change: &RegistryChange) -> String {
    let json = serde_json::to_value(change).expect("change serialises");
    json["type"].as_str().expect("tagged").to_owned()
}

#[test]
fn without_a_change_log_nothing_is_recorded() -> TestResult {
    let registry = Registry::new();
    make_every_change(&registry)?;
    assert!(registry.take_changes().is_empty());
    Ok(())
}

#[test]
fn every_kind_of_change_is_recorded_in_order() -> TestResult {
    let registry = Registry::new().with_change_log();
    make_every_change(&registry)?;
    let changes = registry.take_changes();
    let kinds: Vec<String> = changes.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "systemAdded",
            "environmentAdded",
            "environmentAdded",
            "templateAdded",
            "templateAdded",
            "templateAdded",
            "connectionAdded",
            "connectionLinked",
            "activated",
            "activated",
            "activated",
            "activated",
            "deactivated",
            "systemSchemeUpdated",
            "connectionMoved",
            "templateReplaced",
            "userConnectionMoved",
        ]
    );
    // Drained.
    assert!(registry.take_changes().is_empty());
    // What is stored, not what was given: the connection's base URL reduced to its origin.
    let Some(RegistryChange::ConnectionAdded { connection, .. }) = changes.get(6) else {
        panic!("connectionAdded expected, got {:?}", changes.get(6));
    };
    assert_eq!(
        connection.base_url.as_deref(),
        Some("https://crm.example.com")
    );
    // A failed change is not recorded.
    assert!(registry.add_environment("production").is_err());
    assert!(!registry.deactivate("production", "nobody"));
    assert!(registry.take_changes().is_empty());
    Ok(())
}

#[test]
fn two_registries_stay_in_sync_through_the_log() -> TestResult {
    let first = Registry::new().with_change_log();
    // The second keeps a log too: what it applies from the first is not recorded again.
    let second = Registry::new().with_change_log();
    make_every_change(&first)?;
    for change in first.take_changes() {
        assert_eq!(second.apply(change)?, ApplyOutcome::Applied);
    }
    assert_eq!(second.export(), first.export());
    assert!(second.take_changes().is_empty());

    // And back: a change made on the second reaches the first.
    second.activate(activation(&second, "user-9", "zd-9", "hooli"))?;
    assert!(second.remove_connection("c1").is_ok());
    for change in second.take_changes() {
        assert_eq!(first.apply(change)?, ApplyOutcome::Applied);
    }
    assert_eq!(first.export(), second.export());

    // The replica serves what the first one does.
    let live = first.resolve("production", "zendesk", Some("user-9"))?;
    let mut request = http::Request::get("/tickets").body(())?;
    live.authorize(&mut request)?;
    assert_eq!(request.uri(), "https://hooli.zendesk.com/api/v2/tickets");
    Ok(())
}

#[test]
fn applying_a_change_twice_changes_nothing() -> TestResult {
    let first = Registry::new().with_change_log();
    make_every_change(&first)?;
    let changes = first.take_changes();
    let second = Registry::new();
    for change in &changes {
        assert_eq!(second.apply(change.clone())?, ApplyOutcome::Applied);
        let before = second.export();
        assert_eq!(
            second.apply(change.clone())?,
            ApplyOutcome::AlreadyPresent,
            "{}",
            kind(change)
        );
        assert_eq!(second.export(), before, "{}", kind(change));
    }
    // Replaying the whole log from the start converges on the same registry.
    for change in &changes {
        second.apply(change.clone())?;
    }
    assert_eq!(second.export(), first.export());
    Ok(())
}

#[test]
fn changes_depend_on_their_order() -> TestResult {
    let first = Registry::new().with_change_log();
    make_every_change(&first)?;
    let changes = first.take_changes();
    // A link before the connection it links: the error names what is missing, and
    // nothing changes.
    let second = Registry::new();
    for change in &changes[..6] {
        second.apply(change.clone())?;
    }
    let before = second.export();
    let err = second.apply(changes[7].clone()).unwrap_err();
    assert_eq!(err.to_string(), r#"unknown connection "c1""#);
    assert_eq!(second.export(), before);
    // Applied in order, the same changes succeed.
    for change in &changes[6..] {
        assert_eq!(second.apply(change.clone())?, ApplyOutcome::Applied);
    }
    assert_eq!(second.export(), first.export());
    Ok(())
}

#[test]
fn concurrent_activations_are_recorded_in_the_order_they_were_stored() -> TestResult {
    let first = Arc::new(Registry::new().with_change_log());
    first.add_environment("production")?;
    first.add_template("production", zendesk())?;
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let registry = Arc::clone(&first);
            std::thread::spawn(move || {
                for round in 0..50 {
                    let user = format!("user-{}", round % 3);
                    let key = format!("zd-{thread}-{round}");
                    if round % 7 == 6 {
                        registry.deactivate("production", &user);
                    } else {
                        let activation = activation(&registry, &user, &key, "acme");
                        registry.activate(activation).expect("activates");
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "thread panicked")?;
    }
    let second = Registry::new();
    for change in first.take_changes() {
        second.apply(change)?;
    }
    assert_eq!(second.export(), first.export());
    Ok(())
}

#[test]
fn different_changes_under_one_name_conflict() -> TestResult {
    let first = Registry::new().with_change_log();
    let second = Registry::new().with_change_log();
    for registry in [&first, &second] {
        registry.add_environment("production")?;
        registry.add_template("production", crm())?;
    }
    // The same template on both: already present.
    for change in first.take_changes() {
        assert_eq!(second.apply(change)?, ApplyOutcome::AlreadyPresent);
    }
    second.take_changes();
    // Two different connections for one template, one on each replica.
    for (registry, key) in [(&first, "k-first"), (&second, "k-second")] {
        let mut connection =
            registry.connect("production", "crm", vec![Credential::api_key(key)])?;
        connection.id = format!("c-{key}");
        registry.add_connection("production", "crm", connection)?;
    }
    let before = second.export();
    for change in first.take_changes() {
        assert_eq!(second.apply(change)?, ApplyOutcome::Conflict);
    }
    assert_eq!(second.export(), before);
    // A different template under a name the replica holds.
    let mut other = crm();
    other.template_base_url = "https://other.example.com".into();
    let change: RegistryChange = serde_json::from_value(serde_json::json!({
        "type": "templateAdded", "environment": "production",
        "template": serde_json::to_value(&other)?}))?;
    assert_eq!(second.apply(change)?, ApplyOutcome::Conflict);
    assert_eq!(second.export(), before);
    Ok(())
}

#[test]
fn secrets_are_redacted_in_debug_and_plain_serde_and_whole_with_secrets() -> TestResult {
    let registry = Registry::new().with_change_log();
    make_every_change(&registry)?;
    let changes = registry.take_changes();
    let with_secrets: Vec<&RegistryChange> = changes
        .iter()
        .filter(|change| {
            credgate::to_json_with_secrets(change).is_ok_and(|json| json.contains(SECRET))
        })
        .collect();
    // The static connection, its move (which carries no credential) aside, and user-1's
    // activation.
    assert_eq!(with_secrets.len(), 2, "{with_secrets:?}");
    for change in &changes {
        let debug = format!("{change:?}");
        assert!(!debug.contains(SECRET), "{debug}");
        let plain = serde_json::to_string(change)?;
        assert!(!plain.contains(SECRET), "{plain}");
        // Whole with secrets, and back to an equal change.
        let json = credgate::to_json_with_secrets(change)?;
        let back: RegistryChange = serde_json::from_str(&json)?;
        assert_eq!(&back, change);
    }
    // camelCase, tagged.
    let json = credgate::to_json_with_secrets(&changes[7])?;
    assert_eq!(
        json,
        r#"{"type":"connectionLinked","environment":"staging","template":"crm","connectionId":"c1"}"#
    );
    // A change read back from a redacted listing applies, but cannot be used to build a
    // connection: the error names the redaction.
    let redacted: RegistryChange = serde_json::from_str(&serde_json::to_string(&changes[6])?)?;
    let replica = Registry::new();
    for change in &changes[..6] {
        replica.apply(change.clone())?;
    }
    let err = replica.apply(redacted).unwrap_err();
    assert!(err.to_string().contains("redacted"), "{err}");
    Ok(())
}

#[test]
fn a_malformed_change_names_the_field_never_the_value() {
    let err = serde_json::from_str::<RegistryChange>(
        r#"{"type":"environmentAdded","environment":12345678}"#,
    )
    .unwrap_err();
    assert!(!err.to_string().contains("12345678"), "{err}");
    let err = serde_json::from_str::<RegistryChange>(r#"{"type":"somethingElse"}"#).unwrap_err();
    assert!(err.to_string().contains("somethingElse") || err.to_string().contains("variant"));
}
