//! The registry the registry benchmarks fill: one environment, one embedded API-key
//! template, users `user-00000000` and up, each with their own key.

use credgate::{Activation, ConnectionTemplate, Credential, EndUser, Registry};

pub(crate) const ENVIRONMENT: &str = "production";
#[allow(dead_code)] // used by one of the two benchmarks
pub(crate) const TEMPLATE: &str = "crm";

/// How many users the large registry has: `CREDGATE_BENCH_USERS`, or a million.
pub(crate) fn large_users() -> usize {
    std::env::var("CREDGATE_BENCH_USERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

pub(crate) fn template() -> ConnectionTemplate {
    serde_json::from_str(
        r#"{"name": "crm", "connectionTemplateId": "01KKBR67D0484X7WG7KB3DZFS2", "dynamic": true,
            "templateBaseUrl": "https://api.crm.example/v1",
            "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "token",
                "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]}"#,
    )
    .expect("the template parses")
}

pub(crate) fn user(i: usize) -> String {
    format!("user-{i:08}")
}

pub(crate) fn activate(registry: &Registry, template: &ConnectionTemplate, i: usize) {
    let connection = template
        .connect(vec![Credential::api_key(format!(
            "key-{i:08}-0123456789abcdef"
        ))])
        .expect("the credential fits");
    registry
        .activate(Activation::new(
            ENVIRONMENT,
            EndUser::new(user(i)),
            vec![connection],
        ))
        .expect("the activation is accepted");
}

/// Activates users `range`, from two threads.
pub(crate) fn populate(registry: &Registry, range: std::ops::Range<usize>) {
    let template = template();
    let middle = range.start + (range.end - range.start) / 2;
    std::thread::scope(|scope| {
        let template = &template;
        for part in [range.start..middle, middle..range.end] {
            scope.spawn(move || part.for_each(|i| activate(registry, template, i)));
        }
    });
}

/// Activates users `range` one by one, from the calling thread.
#[allow(dead_code)] // used by one of the two benchmarks
pub(crate) fn populate_one_by_one(registry: &Registry, range: std::ops::Range<usize>) {
    let template = template();
    range.for_each(|i| activate(registry, &template, i));
}

pub(crate) fn empty_registry() -> Registry {
    let registry = Registry::new();
    registry
        .add_environment(ENVIRONMENT)
        .expect("new environment");
    registry
        .add_template(ENVIRONMENT, template())
        .expect("new template");
    registry
}
