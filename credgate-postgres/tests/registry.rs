//! The durable registry against a real PostgreSQL: two replicas kept in sync through the
//! change table, a new replica loading from the rows, import of a JSON export, idempotent
//! polling, and rows sealed at rest.

mod support;

use std::time::Duration;

use credgate::{
    Activation, ApiKeyScheme, AuthSchemeConfig, ConnectionTemplate, Credential, EndUser,
    KeyLocation, Registry,
};
use credgate_postgres::{Keyring, PgRegistry, PgRegistryError, StoreError};
use tokio_postgres::NoTls;

const SECRET: &str = "sk_live_durable_registry_secret";

fn keyring(id: &str, byte: u8) -> Keyring {
    Keyring::new(id, &[byte; 32]).expect("keyring")
}

async fn store(config: &tokio_postgres::Config) -> PgRegistry {
    PgRegistry::connect(config.clone(), keyring("k1", 1))
        .await
        .expect("registry store connects")
}

fn template(json: serde_json::Value) -> ConnectionTemplate {
    serde_json::from_value(json).expect("template parses")
}

fn key_scheme(id: &str, header: &str) -> serde_json::Value {
    serde_json::json!({"type": "api-key", "apiKey": {"id": id, "name": header, "in": "header"}})
}

fn activation(registry: &Registry, user: &str, key: &str, subdomain: &str) -> Activation {
    let mut connection = registry
        .connect("production", "zendesk", vec![Credential::api_key(key)])
        .expect("connect");
    connection
        .values
        .insert("subdomain".to_owned(), subdomain.to_owned());
    Activation::new("production", EndUser::new(user), vec![connection])
}

/// Systems, environments, templates, a linked static connection and activations.
fn populate(registry: &Registry) {
    let system = serde_json::from_value(serde_json::json!({
        "name": "crm", "domain": "crm", "authSchemeConfigs": [key_scheme("key", "X-Key")]}))
    .expect("system");
    registry.add_system(system).expect("system");
    for environment in ["production", "staging"] {
        registry.add_environment(environment).expect("environment");
        registry
            .add_template(
                environment,
                template(serde_json::json!({
                    "name": "crm", "connectionTemplateId": "crm", "domain": "crm",
                    "templateBaseUrl": "https://crm.example.com",
                    "authSchemeConfigs": [key_scheme("key", "X-Key")]})),
            )
            .expect("crm");
    }
    registry
        .add_template(
            "production",
            template(serde_json::json!({
                "name": "zendesk", "connectionTemplateId": "zd", "dynamic": true,
                "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2",
                "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}},
                "authSchemeConfigs": [key_scheme("token", "Authorization")]})),
        )
        .expect("zendesk");
    let mut connection = registry
        .connect("production", "crm", vec![Credential::api_key(SECRET)])
        .expect("connect");
    connection.id = "c1".into();
    registry
        .add_connection("production", "crm", connection)
        .expect("connection");
    registry
        .link_connection("staging", "crm", "c1")
        .expect("link");
    for (user, key, subdomain) in [("u1", SECRET, "acme"), ("u2", "zd-2", "globex")] {
        registry
            .activate(activation(registry, user, key, subdomain))
            .expect("activate");
    }
}

/// Moves, replacements and removals: the changes that rewrite rows.
fn rework(registry: &Registry) {
    let edited =
        AuthSchemeConfig::ApiKey(ApiKeyScheme::new("key", "X-Api-Token", KeyLocation::Header));
    registry
        .update_system_scheme("crm", edited.clone())
        .expect("system scheme");
    registry
        .move_connection_to_scheme("c1", &edited)
        .expect("move");
    let bearer = AuthSchemeConfig::ApiKey(
        ApiKeyScheme::new("token", "Authorization", KeyLocation::Header)
            .with_value_template("Bearer {key}"),
    );
    let mut zendesk = template(serde_json::json!({
        "name": "zendesk", "connectionTemplateId": "zd", "dynamic": true,
        "templateBaseUrl": "https://{subdomain}.zendesk.com/api/v2",
        "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"]}}}));
    zendesk.auth_scheme_configs = vec![bearer.clone()];
    registry
        .replace_template("production", zendesk)
        .expect("replace");
    registry
        .move_user_connection_to_scheme("production", "zendesk", "u1", &bearer)
        .expect("user move");
    registry
        .activate(activation(registry, "u3", "zd-3", "initech"))
        .expect("activate");
    assert!(registry.deactivate("production", "u2"));
}

#[tokio::test]
async fn two_replicas_share_changes_and_a_new_one_loads_them() {
    let config = support::fresh_db().await;
    let (a, b) = (store(&config).await, store(&config).await);
    let first = a.load().await.expect("load a");
    let second = b.load().await.expect("load b");

    populate(&first);
    let changes = first.take_changes();
    let count = changes.len();
    let last = a.record(&changes).await.expect("record");
    assert_eq!(last, i64::try_from(count).expect("count"));

    // The second replica is woken by the notification and applies them.
    tokio::time::timeout(
        Duration::from_secs(5),
        b.wait_for_change(Duration::from_secs(10)),
    )
    .await
    .expect("notified");
    let report = b.apply_new(&second).await.expect("apply");
    assert_eq!(report.applied, count, "{report:?}");
    assert!(
        report.failed.is_empty() && report.conflicts.is_empty(),
        "{report:?}"
    );
    assert_eq!(second.export(), first.export());
    // The first skips its own changes; polling again applies nothing.
    let own = a.apply_new(&first).await.expect("apply own");
    assert_eq!((own.applied, own.position), (0, last));
    let again = b.apply_new(&second).await.expect("apply again");
    assert_eq!((again.applied, again.already_present), (0, 0));

    // Changes from the second, rewriting rows, reach the first.
    rework(&second);
    b.record(&second.take_changes()).await.expect("record b");
    let report = a.apply_new(&first).await.expect("apply on a");
    assert!(
        report.failed.is_empty() && report.conflicts.is_empty(),
        "{report:?}"
    );
    assert_eq!(first.export(), second.export());

    // A new replica starts from the rows, equal to both, and then follows the log.
    let c = store(&config).await;
    let third = c.load().await.expect("load c");
    assert_eq!(third.export(), first.export());
    assert!(third.take_changes().is_empty());
    assert_eq!(c.apply_new(&third).await.expect("nothing new").applied, 0);
    first
        .activate(activation(&first, "u4", "zd-4", "hooli"))
        .expect("activate");
    a.record(&first.take_changes()).await.expect("record");
    assert_eq!(c.apply_new(&third).await.expect("apply").applied, 1);
    assert_eq!(third.export(), first.export());
    let live = third
        .resolve("production", "zendesk", Some("u4"))
        .expect("resolves");
    let mut request = http::Request::get("/tickets").body(()).expect("request");
    live.authorize(&mut request).expect("authorizes");
    assert_eq!(request.uri(), "https://hooli.zendesk.com/api/v2/tickets");

    // Removing the static connection removes its links from the rows too.
    third.remove_connection("c1").expect("remove");
    c.record(&third.take_changes()).await.expect("record");
    let fourth = store(&config).await.load().await.expect("load");
    assert_eq!(fourth.export(), third.export());

    // Replaying the whole log from the start onto a registry that holds it all changes
    // nothing in the end: every change is applied idempotently, in order.
    let replay = store(&config).await;
    assert_eq!(replay.position(), 0);
    let report = replay.apply_new(&fourth).await.expect("replay");
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(report.position > last, "{report:?}");
    assert_eq!(fourth.export(), third.export());
}

#[tokio::test]
async fn an_export_imports_and_loads_back() {
    let config = support::fresh_db().await;
    let source = Registry::new();
    populate(&source);
    rework(&source);
    let json = source.export_with_secrets().expect("export");
    let document: credgate::RegistryDocument = serde_json::from_str(&json).expect("document");
    let pg = store(&config).await;
    pg.import(&document).await.expect("import");
    let loaded = pg.load().await.expect("load");
    assert_eq!(loaded.export(), source.export());
    // Import twice: the same rows.
    pg.import(&document).await.expect("import again");
    assert_eq!(pg.load().await.expect("load").export(), source.export());
}

#[tokio::test]
async fn rows_and_changes_are_sealed_at_rest() {
    let config = support::fresh_db().await;
    let pg = store(&config).await;
    let registry = pg.load().await.expect("load");
    populate(&registry);
    pg.record(&registry.take_changes()).await.expect("record");

    let (client, connection) = config.connect(NoTls).await.expect("connect");
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT key_id, sealed FROM credgate_registry_rows
             UNION ALL SELECT key_id, sealed FROM credgate_registry_changes",
            &[],
        )
        .await
        .expect("rows");
    assert!(rows.len() > 10);
    for row in &rows {
        let key_id: &str = row.get(0);
        let sealed: &[u8] = row.get(1);
        assert_eq!(key_id, "k1");
        assert!(!sealed.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
        assert!(!sealed.windows(4).any(|w| w == b"crm\""));
    }

    // A keyring without the key: a clear error naming the key id, never garbage.
    let other = PgRegistry::connect(config.clone(), keyring("k2", 2))
        .await
        .expect("connects");
    let err = other.load().await.expect_err("unknown key");
    assert!(
        matches!(&err, PgRegistryError::Store(StoreError::UnknownKeyId { key_id, .. }) if key_id == "k1"),
        "{err}"
    );
    assert!(err.to_string().contains("`k1`"), "{err}");
    // The old key added as an old key: readable again.
    let rotated = PgRegistry::connect(
        config.clone(),
        keyring("k2", 2)
            .with_old_key("k1", &[1; 32])
            .expect("old key"),
    )
    .await
    .expect("connects");
    assert_eq!(
        rotated.load().await.expect("load").export(),
        registry.export()
    );

    // A row copied onto another key fails authentication.
    client
        .execute(
            "UPDATE credgate_registry_rows SET sealed = (SELECT sealed FROM credgate_registry_rows
                 WHERE kind = 'activation' AND name = 'u2')
             WHERE kind = 'activation' AND name = 'u1'",
            &[],
        )
        .await
        .expect("tamper");
    let err = pg.load().await.expect_err("tampered");
    assert!(
        matches!(&err, PgRegistryError::Store(StoreError::Tampered { .. })),
        "{err}"
    );
    assert!(!err.to_string().contains(SECRET));
}
