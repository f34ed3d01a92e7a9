//! Issue #15 item 6: saving cannot lose secrets silently. The registry has no `Serialize`
//! (so `serde_json::to_string(&registry)` does not compile); `export_with_secrets` persists
//! and `from_document` restores; `export_redacted` is for display and cannot be restored.

use credgate::{
    ApiKeyScheme, AuthSchemeConfig, BuildError, ConnectionTemplate, Credential, KeyLocation,
    Registry, RegistryDocument,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `Probe(&x).is_serialize()` is true only when `x: Serialize` (the inherent method wins
/// over the blanket trait's when it exists).
struct Probe<T>(T);
trait Fallback {
    fn is_serialize(&self) -> bool {
        false
    }
}
impl<T> Fallback for Probe<T> {}
impl<T: serde::Serialize> Probe<&T> {
    #[allow(dead_code)]
    fn is_serialize(&self) -> bool {
        true
    }
}

fn registry() -> Result<Registry, Box<dyn std::error::Error>> {
    let header = AuthSchemeConfig::ApiKey(ApiKeyScheme::new("key", "X-Key", KeyLocation::Header));
    let template = ConnectionTemplate::new("crm", "https://crm.example.com", vec![header]);
    let registry = Registry::new();
    registry.add_environment("production")?;
    registry.add_template("production", template)?;
    let mut connection =
        registry.connect("production", "crm", vec![Credential::api_key("sk_live_9")])?;
    connection.id = "c1".into();
    registry.add_connection("production", "crm", connection)?;
    Ok(registry)
}

#[test]
fn the_registry_cannot_be_serialised_by_accident() -> TestResult {
    let registry = registry()?;
    assert!(!Probe(&registry).is_serialize());
    // The document type says what it does: plain serde redacts.
    assert!(Probe(&registry.export()).is_serialize());
    Ok(())
}

#[test]
fn export_with_secrets_restores_and_export_redacted_does_not() -> TestResult {
    let registry = registry()?;
    let saved = registry.export_with_secrets()?;
    assert!(saved.contains("sk_live_9"));
    let restarted = Registry::from_document(serde_json::from_str::<RegistryDocument>(&saved)?)?;
    let mut request = http::Request::get("https://crm.example.com/v1").body(())?;
    restarted
        .resolve("production", "crm", None)?
        .authorize(&mut request)?;
    assert_eq!(request.headers()["x-key"], "sk_live_9");

    let shown = registry.export_redacted()?;
    assert!(
        !shown.contains("sk_live_9") && shown.contains("******"),
        "{shown}"
    );
    let err = Registry::from_document(serde_json::from_str::<RegistryDocument>(&shown)?)
        .err()
        .map(|e| e.to_string());
    let redacted_build = BuildError::Redacted { field: "api key" }.to_string();
    assert!(
        err.as_deref().is_some_and(|e| e.ends_with(&redacted_build)),
        "{err:?}"
    );
    Ok(())
}
