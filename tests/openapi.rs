//! `credgate::openapi`: templates from the real specifications of `tests/data/openapi/`
//! (each a minimal document keeping a real spec's `servers`, `securitySchemes` and
//! `security`, with its citation) compared with templates written by hand from each spec,
//! and one test per scheme kind, requirement shape, server shape and warning.

use std::collections::BTreeMap;

use credgate::openapi::{self, Import, OpenApiError, Warning};
use credgate::{AuthSchemeConfig, ConnectionTemplate, KeyLocation, OAuth2Grant, Placeholder};
use serde_json::{Value, json};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/openapi");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}")).expect("test data")
}

fn check_spec(api: &str) {
    let expected: Value = serde_json::from_str(&read(&format!("{api}.expected.json"))).unwrap();
    let result = openapi::import(&read(&format!("{api}.json")));
    if let Some(error) = expected.get("error") {
        assert_eq!(
            result.unwrap_err().to_string(),
            error.as_str().unwrap(),
            "{api}"
        );
        return;
    }
    let import = result.unwrap_or_else(|e| panic!("{api}: {e}"));
    let templates: Vec<ConnectionTemplate> =
        serde_json::from_value(expected["templates"].clone()).unwrap();
    assert_eq!(import.templates, templates, "{api}");
    let warnings: Vec<String> = import.warnings.iter().map(ToString::to_string).collect();
    let expected_warnings: Vec<String> =
        serde_json::from_value(expected["warnings"].clone()).unwrap();
    assert_eq!(warnings, expected_warnings, "{api}");
    // What is imported loads back as the same document.
    for template in &import.templates {
        let json = credgate::to_json_with_secrets(template).unwrap();
        assert_eq!(
            &serde_json::from_str::<ConnectionTemplate>(&json).unwrap(),
            template
        );
    }
}

#[test]
fn stripe_basic_or_bearer() {
    check_spec("stripe");
}

#[test]
fn twilio_basic_per_operation() {
    check_spec("twilio");
}

#[test]
fn pagerduty_api_key_header() {
    check_spec("pagerduty");
}

#[test]
fn plaid_three_headers_together() {
    check_spec("plaid");
}

#[test]
fn box_oauth2_code() {
    check_spec("box");
}

#[test]
fn xero_oauth2_per_operation() {
    check_spec("xero");
}

#[test]
fn asana_token_or_oauth2_with_refresh_url() {
    check_spec("asana");
}

#[test]
fn github_declares_no_security() {
    check_spec("github");
}

#[test]
fn slack_swagger2_is_refused() {
    check_spec("slack");
}

// ---------------------------------------------------------------------------------------
// Scheme kinds.

fn doc(version: &str, schemes: Value, security: Value) -> Value {
    json!({
        "openapi": version,
        "info": {"title": "Test API", "version": "1"},
        "servers": [{"url": "https://api.example.com/v1"}],
        "components": {"securitySchemes": schemes},
        "security": security,
    })
}

fn one(schemes: Value) -> Import {
    let names: Vec<Value> = schemes
        .as_object()
        .unwrap()
        .keys()
        .map(|name| json!({name: []}))
        .collect();
    openapi::import_value(&doc("3.0.3", schemes, Value::Array(names))).unwrap()
}

fn schemes_of(import: &Import) -> Vec<&AuthSchemeConfig> {
    import
        .templates
        .iter()
        .flat_map(|t| &t.auth_scheme_configs)
        .collect()
}

#[test]
fn api_key_in_header_query_and_cookie() {
    for (location, expected) in [
        ("header", KeyLocation::Header),
        ("query", KeyLocation::Query),
        ("cookie", KeyLocation::Cookie),
    ] {
        let import = one(
            json!({"k": {"type": "apiKey", "in": location, "name": "api_key",
                                      "description": "the key"}}),
        );
        assert!(import.warnings.is_empty(), "{:?}", import.warnings);
        let [AuthSchemeConfig::ApiKey(key)] = schemes_of(&import)[..] else {
            panic!("{import:?}")
        };
        assert_eq!(
            (key.id.as_str(), key.name.as_str(), key.location),
            ("k", "api_key", expected)
        );
        assert_eq!(key.description, "the key");
        assert_eq!(key.value_template, None);
    }
}

#[test]
fn api_key_without_name_or_location_is_a_warning() {
    for scheme in [
        json!({"type": "apiKey", "in": "header"}),
        json!({"type": "apiKey", "in": "header", "name": ""}),
        json!({"type": "apiKey", "in": "body", "name": "k"}),
        json!({"type": "apiKey", "name": "k"}),
        json!({"type": "apiKey", "in": 3, "name": "k"}),
    ] {
        let import = one(json!({"k": scheme}));
        assert!(import.templates.is_empty());
        assert!(
            matches!(&import.warnings[0], Warning::InvalidScheme { scheme, .. } if scheme == "k")
        );
        assert!(
            matches!(&import.warnings[1], Warning::RequirementSkipped { because, .. } if because == "k")
        );
    }
}

#[test]
fn http_basic_and_bearer_in_any_case() {
    for basic in ["basic", "Basic", "BASIC"] {
        let import = one(json!({"b": {"type": "http", "scheme": basic}}));
        assert!(matches!(schemes_of(&import)[..], [AuthSchemeConfig::BasicAuth(b)] if b.id == "b"));
    }
    for bearer in ["bearer", "Bearer"] {
        let import = one(json!({"t": {"type": "http", "scheme": bearer, "bearerFormat": "JWT"}}));
        let [AuthSchemeConfig::ApiKey(key)] = schemes_of(&import)[..] else {
            panic!("{import:?}")
        };
        assert_eq!(key.name, "Authorization");
        assert_eq!(key.location, KeyLocation::Header);
        assert_eq!(key.value_template.as_deref(), Some("Bearer {key}"));
    }
}

#[test]
fn imported_bearer_sends_the_key_as_a_bearer_token() {
    let import = one(json!({"t": {"type": "http", "scheme": "bearer"}}));
    let template = &import.templates[0];
    let connection = template
        .connect(vec![credgate::Credential::api_key("sk_1")])
        .unwrap();
    let live = connection.build(template).unwrap();
    let mut request = http::Request::get("/things").body(()).unwrap();
    live.authorize(&mut request).unwrap();
    assert_eq!(request.uri(), "https://api.example.com/v1/things");
    assert_eq!(request.headers()["authorization"], "Bearer sk_1");
}

#[test]
fn other_http_schemes_are_not_importable() {
    for other in ["digest", "hoba", "negotiate", "mutual", "aws4-hmac-sha256"] {
        let import = one(json!({"h": {"type": "http", "scheme": other}}));
        assert!(import.templates.is_empty());
        let Warning::SchemeNotImportable { kind, .. } = &import.warnings[0] else {
            panic!("{:?}", import.warnings)
        };
        assert_eq!(kind, &format!("http {other}"));
        assert!(import.warnings[0].to_string().contains("basic and bearer"));
    }
    let import = one(json!({"h": {"type": "http"}}));
    assert!(matches!(&import.warnings[0], Warning::InvalidScheme { .. }));
}

fn oauth2(flows: Value) -> Import {
    one(json!({"o": {"type": "oauth2", "description": "oauth", "flows": flows}}))
}

#[test]
fn oauth2_authorization_code_with_scopes_and_refresh_url() {
    let import = oauth2(json!({"authorizationCode": {
        "authorizationUrl": "https://id.example.com/authorize",
        "tokenUrl": "https://id.example.com/token",
        "refreshUrl": "https://id.example.com/refresh",
        "scopes": {"read": "read things", "write": "write things"}}}));
    assert!(import.warnings.is_empty(), "{:?}", import.warnings);
    let [AuthSchemeConfig::OAuth2(scheme)] = schemes_of(&import)[..] else {
        panic!("{import:?}")
    };
    assert_eq!(scheme.id, "o");
    assert_eq!(scheme.description, "oauth");
    assert_eq!(
        scheme.authorize_url.as_deref(),
        Some("https://id.example.com/authorize")
    );
    assert_eq!(scheme.token_url, "https://id.example.com/token");
    assert_eq!(
        scheme.refresh_url.as_deref(),
        Some("https://id.example.com/refresh")
    );
    let scopes: Vec<(&str, &str)> = scheme
        .scopes
        .iter()
        .map(|s| (s.name.as_str(), s.description.as_str()))
        .collect();
    assert_eq!(scopes, [("read", "read things"), ("write", "write things")]);
    assert!(matches!(scheme.grant, OAuth2Grant::AuthorizationCode(_)));
    assert!(!scheme.pkce);
}

#[test]
fn oauth2_client_credentials_and_password() {
    for (flow, is) in [
        (
            "clientCredentials",
            (|g| matches!(g, OAuth2Grant::ClientCredentials(_))) as fn(&OAuth2Grant) -> bool,
        ),
        ("password", |g| matches!(g, OAuth2Grant::Password(_))),
    ] {
        let import =
            oauth2(json!({flow: {"tokenUrl": "https://id.example.com/token", "scopes": {}}}));
        let [AuthSchemeConfig::OAuth2(scheme)] = schemes_of(&import)[..] else {
            panic!("{import:?}")
        };
        assert!(is(&scheme.grant), "{flow}");
        assert_eq!(scheme.authorize_url, None);
    }
}

#[test]
fn oauth2_flows_are_alternatives_and_implicit_is_reported() {
    let import = oauth2(json!({
        "implicit": {"authorizationUrl": "https://id.example.com/authorize", "scopes": {}},
        "authorizationCode": {"authorizationUrl": "https://id.example.com/authorize",
                              "tokenUrl": "https://id.example.com/token", "scopes": {}},
        "clientCredentials": {"tokenUrl": "https://id.example.com/token", "scopes": {}}}));
    let names: Vec<&str> = import.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "test-api-o-authorizationCode",
            "test-api-o-clientCredentials"
        ]
    );
    assert_eq!(
        import.warnings,
        [Warning::FlowNotImportable {
            scheme: "o".into(),
            flow: "implicit".into(),
            reason: match &import.warnings[0] {
                Warning::FlowNotImportable { reason, .. } => reason,
                _ => unreachable!(),
            }
        }]
    );
    assert!(import.warnings[0].to_string().contains("implicit grant"));
}

#[test]
fn oauth2_only_implicit_makes_no_template() {
    let import =
        oauth2(json!({"implicit": {"authorizationUrl": "https://a.example/x", "scopes": {}}}));
    assert!(import.templates.is_empty());
    assert!(matches!(
        &import.warnings[..],
        [
            Warning::FlowNotImportable { .. },
            Warning::RequirementSkipped { .. }
        ]
    ));
}

#[test]
fn oauth2_flow_missing_urls_is_a_warning() {
    for flows in [
        json!({"authorizationCode": {"tokenUrl": "https://a.example/t", "scopes": {}}}),
        json!({"authorizationCode": {"authorizationUrl": "https://a.example/a", "scopes": {}}}),
        json!({"clientCredentials": {"tokenUrl": 7, "scopes": {}}}),
        json!({"password": {"tokenUrl": "https://a.example/t", "scopes": ["read"]}}),
        json!({}),
    ] {
        let import = oauth2(flows.clone());
        assert!(import.templates.is_empty(), "{flows}");
        assert!(
            matches!(&import.warnings[0], Warning::InvalidScheme { .. }),
            "{flows}: {:?}",
            import.warnings
        );
    }
}

#[test]
fn oauth2_relative_urls_resolve_against_the_server() {
    let import = oauth2(
        json!({"authorizationCode": {"authorizationUrl": "/oauth/authorize",
        "tokenUrl": "oauth/token", "refreshUrl": "//auth.example.com/refresh", "scopes": {}}}),
    );
    let [AuthSchemeConfig::OAuth2(scheme)] = schemes_of(&import)[..] else {
        panic!("{import:?}")
    };
    assert_eq!(
        scheme.authorize_url.as_deref(),
        Some("https://api.example.com/oauth/authorize")
    );
    // RFC 3986 §5.2: a relative path replaces the base's last segment.
    assert_eq!(scheme.token_url, "https://api.example.com/oauth/token");
    assert_eq!(
        scheme.refresh_url.as_deref(),
        Some("https://auth.example.com/refresh")
    );
}

#[test]
fn top_level_scopes_become_default_scopes_operation_scopes_do_not() {
    let flows = json!({"clientCredentials": {"tokenUrl": "https://a.example/t", "scopes": {"a": "", "b": ""}}});
    let mut document = doc(
        "3.0.0",
        json!({"o": {"type": "oauth2", "flows": flows}}),
        json!([{"o": ["a"]}]),
    );
    document["paths"] = json!({"/x": {"get": {"security": [{"o": ["b"]}]}}});
    let import = openapi::import_value(&document).unwrap();
    let [AuthSchemeConfig::OAuth2(scheme)] = schemes_of(&import)[..] else {
        panic!("{import:?}")
    };
    assert_eq!(scheme.default_scopes, ["a"]);
    document.as_object_mut().unwrap().remove("security");
    let import = openapi::import_value(&document).unwrap();
    let [AuthSchemeConfig::OAuth2(scheme)] = schemes_of(&import)[..] else {
        panic!("{import:?}")
    };
    assert!(scheme.default_scopes.is_empty());
}

#[test]
fn open_id_connect_is_not_importable() {
    let import = one(json!({"oidc": {"type": "openIdConnect",
        "openIdConnectUrl": "https://id.example.com/.well-known/openid-configuration"}}));
    assert!(import.templates.is_empty());
    assert!(matches!(&import.warnings[0],
        Warning::SchemeNotImportable { scheme, kind, .. } if scheme == "oidc" && kind == "openIdConnect"));
    assert!(
        import.warnings[0]
            .to_string()
            .contains("discovery document")
    );
}

#[test]
fn mutual_tls_in_3_1_and_in_3_0() {
    let schemes = json!({"mtls": {"type": "mutualTLS"}});
    let v31 = openapi::import_value(&doc("3.1.0", schemes.clone(), json!([{"mtls": []}]))).unwrap();
    let v30 = openapi::import_value(&doc("3.0.3", schemes, json!([{"mtls": []}]))).unwrap();
    for import in [&v31, &v30] {
        assert!(import.templates.is_empty());
        assert!(
            matches!(&import.warnings[0], Warning::SchemeNotImportable { kind, .. } if kind == "mutualTLS")
        );
    }
    assert!(v31.warnings[0].to_string().contains("tls layer"));
    assert!(
        v30.warnings[0]
            .to_string()
            .contains("openapi 3.1, not of 3.0")
    );
}

#[test]
fn unknown_scheme_type_is_not_importable() {
    for scheme in [json!({"type": "signature"}), json!({"type": "oauth"})] {
        let import = one(json!({"x": scheme}));
        assert!(matches!(
            &import.warnings[0],
            Warning::SchemeNotImportable { .. }
        ));
    }
    for scheme in [json!({}), json!("apiKey"), json!({"type": 1})] {
        let import = one(json!({"x": scheme}));
        assert!(matches!(&import.warnings[0], Warning::InvalidScheme { .. }));
    }
}

#[test]
fn local_refs_resolve_other_refs_are_reported() {
    let import = one(json!({
        "alias": {"$ref": "#/components/securitySchemes/real"},
        "real": {"type": "apiKey", "in": "header", "name": "X-Key"},
        "escaped": {"$ref": "#/components/securitySchemes/we%20ird~1name"},
        "we ird/name": {"type": "http", "scheme": "basic"},
    }));
    let ids: Vec<&str> = schemes_of(&import).iter().map(|s| s.id()).collect();
    assert_eq!(ids, ["alias", "escaped", "real", "we ird/name"]);
    for reference in [
        "other.yaml#/components/securitySchemes/a",
        "https://example.com/spec.json#/components/securitySchemes/a",
        "#/components/securitySchemes/missing",
        "#/components/schemas/a",
        "#/components/securitySchemes/loop",
    ] {
        let import = one(json!({"loop": {"$ref": reference}}));
        assert!(import.templates.is_empty(), "{reference}");
        assert!(
            matches!(&import.warnings[0],
            Warning::UnresolvedRef { reference: r, .. } if r == reference),
            "{:?}",
            import.warnings
        );
    }
}

// ---------------------------------------------------------------------------------------
// Requirements.

fn three_keys() -> Value {
    json!({
        "a": {"type": "apiKey", "in": "header", "name": "A"},
        "b": {"type": "apiKey", "in": "query", "name": "b"},
        "c": {"type": "http", "scheme": "basic"},
    })
}

fn ids(template: &ConnectionTemplate) -> Vec<&str> {
    template
        .auth_scheme_configs
        .iter()
        .map(AuthSchemeConfig::id)
        .collect()
}

#[test]
fn and_inside_a_requirement_or_between_requirements() {
    let import = openapi::import_value(&doc(
        "3.1.0",
        three_keys(),
        json!([{"a": [], "b": []}, {"c": []}]),
    ))
    .unwrap();
    assert!(import.warnings.is_empty());
    assert_eq!(import.templates.len(), 2);
    assert_eq!(ids(&import.templates[0]), ["a", "b"]);
    assert_eq!(import.templates[0].name, "test-api-a-b");
    assert_eq!(ids(&import.templates[1]), ["c"]);
}

#[test]
fn and_applies_every_scheme_to_the_request() {
    let import = openapi::import_value(&doc(
        "3.1.0",
        json!({
        "a": {"type": "apiKey", "in": "header", "name": "X-A"},
        "b": {"type": "apiKey", "in": "query", "name": "b"}}),
        json!([{"a": [], "b": []}]),
    ))
    .unwrap();
    let template = &import.templates[0];
    let connection = template
        .connect(vec![
            credgate::Credential::api_key("ka"),
            credgate::Credential::api_key("kb"),
        ])
        .unwrap();
    let mut request = http::Request::get("/x").body(()).unwrap();
    connection
        .build(template)
        .unwrap()
        .authorize(&mut request)
        .unwrap();
    assert_eq!(request.headers()["x-a"], "ka");
    assert_eq!(request.uri(), "https://api.example.com/v1/x?b=kb");
}

#[test]
fn empty_requirement_is_a_none_alternative() {
    let import =
        openapi::import_value(&doc("3.0.0", three_keys(), json!([{}, {"a": []}]))).unwrap();
    assert_eq!(import.templates.len(), 2);
    assert!(matches!(
        import.templates[0].auth_scheme_configs[..],
        [AuthSchemeConfig::None(_)]
    ));
    assert_eq!(import.templates[0].name, "test-api-none");
    assert_eq!(ids(&import.templates[1]), ["a"]);
}

#[test]
fn operation_requirements_add_alternatives_once() {
    let mut document = doc("3.0.0", three_keys(), json!([{"a": []}]));
    document["paths"] = json!({
        "/x": {"get": {"security": [{"b": []}, {"a": ["s"]}]}, "post": {}},
        "/y": {"delete": {"security": [{"b": [], "c": []}]}, "parameters": []},
        "/z": {"get": {"security": []}, "put": {"security": [{}]}},
    });
    let import = openapi::import_value(&document).unwrap();
    let all: Vec<Vec<&str>> = import.templates.iter().map(ids).collect();
    assert_eq!(all, [vec!["a"], vec!["b"], vec!["b", "c"], vec!["none"]]);
    assert_eq!(
        import.warnings,
        [Warning::OperationsWithoutAuth {
            operations: vec!["GET /z".into()]
        }]
    );
}

#[test]
fn unknown_scheme_in_a_requirement_skips_that_alternative_only() {
    let import = openapi::import_value(&doc(
        "3.0.0",
        three_keys(),
        json!([{"a": [], "nope": []}, {"c": []}, {"nope": []}]),
    ))
    .unwrap();
    assert_eq!(import.templates.len(), 1);
    assert_eq!(ids(&import.templates[0]), ["c"]);
    assert_eq!(
        import.warnings,
        [
            Warning::UnknownScheme {
                scheme: "nope".into()
            },
            Warning::RequirementSkipped {
                schemes: vec!["a".into(), "nope".into()],
                because: "nope".into()
            },
            Warning::RequirementSkipped {
                schemes: vec!["nope".into()],
                because: "nope".into()
            },
        ]
    );
}

#[test]
fn and_with_an_unimportable_scheme_makes_no_partial_template() {
    let mut schemes = three_keys();
    schemes["oidc"] = json!({"type": "openIdConnect", "openIdConnectUrl": "https://a.example/"});
    let import =
        openapi::import_value(&doc("3.1.0", schemes, json!([{"a": [], "oidc": []}]))).unwrap();
    assert!(import.templates.is_empty());
    assert!(
        matches!(&import.warnings[1], Warning::RequirementSkipped { because, .. } if because == "oidc")
    );
}

#[test]
fn malformed_security_is_a_warning() {
    for security in [
        json!({"a": []}),
        json!(["a"]),
        json!([{"a": "read"}]),
        json!([{"a": [1]}]),
    ] {
        let import = openapi::import_value(&doc("3.0.0", three_keys(), security.clone())).unwrap();
        assert!(
            import.warnings.contains(&Warning::InvalidSecurity {
                location: "security".into()
            }),
            "{security}"
        );
    }
}

#[test]
fn schemes_without_requirements_each_become_an_alternative() {
    let mut document = doc("3.0.0", three_keys(), json!(null));
    document.as_object_mut().unwrap().remove("security");
    let import = openapi::import_value(&document).unwrap();
    let all: Vec<Vec<&str>> = import.templates.iter().map(ids).collect();
    assert_eq!(all, [vec!["a"], vec!["b"], vec!["c"]]);
    assert_eq!(import.warnings, [Warning::NoSecurityRequirement]);
}

#[test]
fn alternatives_are_capped() {
    let mut schemes = serde_json::Map::new();
    let mut security = Vec::new();
    for i in 0..70 {
        schemes.insert(
            format!("k{i}"),
            json!({"type": "apiKey", "in": "header", "name": format!("X-{i}")}),
        );
        security.push(json!({format!("k{i}"): []}));
    }
    let import = openapi::import_value(&doc(
        "3.0.0",
        Value::Object(schemes),
        Value::Array(security),
    ))
    .unwrap();
    assert_eq!(import.templates.len(), openapi::MAX_TEMPLATES);
    assert_eq!(
        import.warnings,
        [Warning::TooManyAlternatives { count: 70 }]
    );
}

// ---------------------------------------------------------------------------------------
// Servers.

fn with_server(server: Value) -> Import {
    let mut document = doc(
        "3.0.3",
        json!({"k": {"type": "apiKey", "in": "header", "name": "K"}}),
        json!([{"k": []}]),
    );
    document["servers"] = json!([server]);
    openapi::import_value(&document).unwrap()
}

#[test]
fn server_variables_become_placeholders_with_defaults() {
    let import = with_server(
        json!({"url": "https://{region}.api.example.com:{port}/{version}",
        "variables": {
            "region": {"default": "eu", "enum": ["eu", "us"], "description": "data region"},
            "port": {"default": "443"},
            "version": {"default": "v2", "enum": ["v1", "v2"]}}}),
    );
    assert!(import.warnings.is_empty(), "{:?}", import.warnings);
    let template = &import.templates[0];
    assert_eq!(
        template.template_base_url,
        "https://{region|eu}.api.example.com:{port|443}/{version|v2}"
    );
    assert_eq!(
        template.placeholders,
        BTreeMap::from([
            ("port".to_owned(), Placeholder::new()),
            (
                "region".to_owned(),
                Placeholder::new()
                    .with_host_patterns(["eu.api.example.com", "us.api.example.com"])
                    .with_enum_values(["eu", "us"])
                    .with_description("data region")
            ),
            (
                "version".to_owned(),
                Placeholder::new().with_enum_values(["v1", "v2"])
            ),
        ])
    );
    let json = serde_json::to_value(template).unwrap();
    assert_eq!(
        json["placeholders"]["region"],
        json!({
        "hostPatterns": ["eu.api.example.com", "us.api.example.com"],
        "enum": ["eu", "us"], "description": "data region"})
    );
}

#[test]
fn host_variable_without_enum_gets_its_fixed_suffix() {
    for (url, pattern) in [
        ("https://{subdomain}.zendesk.com/api/v2", "*.zendesk.com"),
        ("https://{shop}.myshopify.com", "*.myshopify.com"),
        ("https://{tenant}-api.example.co.uk", "*.example.co.uk"),
        ("https://api.{tenant}.example.com", "*.example.com"),
        ("https://User@{tenant}.Example.COM:8443/x", "*.example.com"),
    ] {
        let import = with_server(
            json!({"url": url, "variables": {"subdomain": {"default": "d"},
            "shop": {"default": "s"}, "tenant": {"default": "t"}}}),
        );
        let placeholder = import.templates[0]
            .placeholders
            .values()
            .find(|p| !p.host_patterns.is_empty());
        assert_eq!(
            placeholder.map(|p| p.host_patterns.clone()),
            Some(vec![pattern.to_owned()]),
            "{url}"
        );
    }
}

#[test]
fn mixed_enum_and_free_host_variables() {
    let import = with_server(json!({"url": "https://{tenant}.{region}.example.com",
        "variables": {"tenant": {"default": "t"}, "region": {"default": "eu", "enum": ["eu", "us"]}}}));
    let placeholders = &import.templates[0].placeholders;
    for name in ["tenant", "region"] {
        assert_eq!(
            placeholders[name].host_patterns,
            ["*.eu.example.com", "*.us.example.com"]
        );
    }
    let import = with_server(json!({"url": "https://{env}.{zone}.example.com",
        "variables": {"env": {"default": "a", "enum": ["a", "b"]}, "zone": {"default": "x", "enum": ["x", "y"]}}}));
    assert_eq!(
        import.templates[0].placeholders["env"].host_patterns,
        [
            "a.x.example.com",
            "a.y.example.com",
            "b.x.example.com",
            "b.y.example.com"
        ]
    );
}

#[test]
fn a_variable_choosing_the_whole_host_gets_no_pattern() {
    for url in [
        "https://{domain}/api/v2",
        "https://{domain}.com",
        "https://{domain}.co.uk/x",
        "https://api.{tld}",
        "https://{a}.{b}",
        "{instanceUrl}/services",
        "https://{name}.unknowntld",
    ] {
        let import = with_server(json!({"url": url, "variables": {
            "domain": {"default": "d"}, "tld": {"default": "com"}, "a": {"default": "a"},
            "b": {"default": "b"}, "instanceUrl": {"default": "https://x.example.com"}, "name": {"default": "n"}}}));
        let template = &import.templates[0];
        assert!(
            template
                .placeholders
                .values()
                .all(|p| p.host_patterns.is_empty()),
            "{url}"
        );
        assert!(
            import
                .warnings
                .iter()
                .any(|w| matches!(w, Warning::HostUnrestricted { .. })),
            "{url}: {:?}",
            import.warnings
        );
    }
}

#[test]
fn server_variable_problems_are_warnings() {
    let import = with_server(
        json!({"url": "https://api.example.com/{version}/{undeclared}/{version}",
        "variables": {"version": {"default": "v3", "enum": ["v1", "v2"]}, "unused": {"default": "x"}}}),
    );
    assert_eq!(
        import.templates[0].template_base_url,
        "https://api.example.com/{version|v3}/{undeclared}/{version|v3}"
    );
    assert_eq!(
        import.warnings,
        [
            Warning::InvalidServerVariable {
                name: "version".into(),
                problem: "has a default that is not one of its enum values"
            },
            Warning::UndeclaredServerVariable {
                name: "undeclared".into()
            },
            Warning::UnusedServerVariable {
                name: "unused".into()
            },
        ]
    );
    let import = with_server(
        json!({"url": "https://api.example.com/{v}", "variables": {"v": {"enum": ["a"]}}}),
    );
    assert_eq!(
        import.templates[0].template_base_url,
        "https://api.example.com/{v}"
    );
    assert!(matches!(
        &import.warnings[0],
        Warning::InvalidServerVariable { .. }
    ));
    let import = with_server(
        json!({"url": "https://api.example.com/{v}", "variables": {"v": {"default": "a|b}"}}}),
    );
    assert_eq!(
        import.templates[0].template_base_url,
        "https://api.example.com/{v}"
    );
}

#[test]
fn relative_missing_and_extra_servers_are_warnings() {
    let import = with_server(json!({"url": "/api/v3"}));
    assert_eq!(import.templates[0].template_base_url, "");
    assert_eq!(
        import.warnings,
        [Warning::RelativeServerUrl {
            url: "/api/v3".into()
        }]
    );

    let mut document = doc("3.0.3", three_keys(), json!([{"a": []}]));
    document.as_object_mut().unwrap().remove("servers");
    let import = openapi::import_value(&document).unwrap();
    assert_eq!(import.templates[0].template_base_url, "");
    assert_eq!(import.warnings, [Warning::MissingServers]);

    document["servers"] = json!([{"url": "https://a.example"}, {"url": "https://b.example"}, {"url": "https://c.example"}]);
    let import = openapi::import_value(&document).unwrap();
    assert_eq!(import.templates[0].template_base_url, "https://a.example");
    assert_eq!(
        import.warnings,
        [
            Warning::ServerIgnored {
                url: "https://b.example".into()
            },
            Warning::ServerIgnored {
                url: "https://c.example".into()
            }
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Documents, errors, messages.

#[test]
fn documents_that_are_not_openapi_3_are_errors() {
    assert!(matches!(
        openapi::import("{"),
        Err(OpenApiError::Syntax {
            format: "json",
            line: 1,
            ..
        })
    ));
    assert_eq!(openapi::import("[]"), Err(OpenApiError::NotAnObject));
    assert_eq!(
        openapi::import(r#"{"swagger": "2.0"}"#),
        Err(OpenApiError::Swagger2)
    );
    assert_eq!(openapi::import("{}"), Err(OpenApiError::MissingVersion));
    for version in [
        json!("2.0"),
        json!("3.2.0"),
        json!("3"),
        json!(3.0),
        json!("4.0.0"),
    ] {
        assert!(
            matches!(
                openapi::import_value(&json!({"openapi": version})),
                Err(OpenApiError::UnsupportedVersion { .. })
            ),
            "{version}"
        );
    }
    for version in ["3.0", "3.0.0", "3.0.4", "3.1", "3.1.1"] {
        assert!(
            openapi::import_value(&json!({"openapi": version})).is_ok(),
            "{version}"
        );
    }
}

#[test]
fn messages_are_lowercase_and_name_the_fix() {
    let errors = [
        OpenApiError::Syntax {
            format: "json",
            line: 1,
            column: 2,
        },
        OpenApiError::NotAnObject,
        OpenApiError::Swagger2,
        OpenApiError::MissingVersion,
        OpenApiError::UnsupportedVersion {
            version: "9".into(),
        },
    ];
    for error in errors {
        let message = error.to_string();
        assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
    }
    let warnings = [
        Warning::MissingServers,
        Warning::RelativeServerUrl { url: "/x".into() },
        Warning::NoSecurity,
        Warning::NoSecurityRequirement,
        Warning::TooManyAlternatives { count: 99 },
        Warning::HostUnrestricted {
            name: "domain".into(),
        },
    ];
    for warning in warnings {
        let message = warning.to_string();
        assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
        assert!(message.contains(';'), "says what to do: {message}");
    }
}

#[test]
fn title_makes_the_template_name() {
    for (title, name) in [
        (json!("Stripe API"), "stripe-api"),
        (json!("  Ünïcode!! API "), "n-code-api"),
        (json!(""), "openapi"),
        (json!(5), "openapi"),
    ] {
        let mut document = doc("3.0.0", three_keys(), json!([{"a": []}]));
        document["info"]["title"] = title;
        assert_eq!(
            openapi::import_value(&document).unwrap().templates[0].name,
            name
        );
    }
}

#[test]
fn placeholders_round_trip_and_are_skipped_when_empty() {
    let template: ConnectionTemplate = serde_json::from_value(json!({
        "name": "zendesk", "templateBaseUrl": "https://{subdomain}.zendesk.com",
        "placeholders": {"subdomain": {"hostPatterns": ["*.zendesk.com"], "description": "your subdomain"}}
    }))
    .unwrap();
    assert_eq!(
        template.placeholders["subdomain"],
        Placeholder::new()
            .with_host_patterns(["*.zendesk.com"])
            .with_description("your subdomain")
    );
    let json = serde_json::to_value(&template).unwrap();
    assert_eq!(
        json["placeholders"],
        json!({"subdomain": {"hostPatterns": ["*.zendesk.com"], "description": "your subdomain"}})
    );
    assert_eq!(
        serde_json::from_value::<ConnectionTemplate>(json).unwrap(),
        template
    );
    let plain =
        serde_json::to_value(ConnectionTemplate::new("x", "https://x.example", vec![])).unwrap();
    assert!(plain.get("placeholders").is_none());
}

#[cfg(feature = "openapi-yaml")]
#[test]
fn yaml_documents_import_as_json_ones_do() {
    let yaml = "
openapi: 3.1.0
info:
  title: Stripe API
servers:
  - url: https://api.stripe.com/
components:
  securitySchemes:
    basicAuth: {type: http, scheme: basic}
    bearerAuth: {type: http, scheme: bearer}
security:
  - basicAuth: []
  - bearerAuth: []
";
    let from_yaml = openapi::import_yaml(yaml).unwrap();
    let from_json =
        openapi::import_value(&json!({"openapi": "3.1.0", "info": {"title": "Stripe API"},
        "servers": [{"url": "https://api.stripe.com/"}],
        "components": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"},
                                           "bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"basicAuth": []}, {"bearerAuth": []}]}))
        .unwrap();
    assert_eq!(from_yaml, from_json);
    assert_eq!(from_yaml.templates.len(), 2);
    assert!(matches!(
        openapi::import_yaml("a: [b"),
        Err(OpenApiError::Syntax { format: "yaml", .. })
    ));
    assert!(matches!(
        openapi::import_yaml("? [a]\n: b"),
        Err(OpenApiError::Syntax { format: "yaml", .. })
    ));
    assert_eq!(
        openapi::import_yaml("swagger: '2.0'"),
        Err(OpenApiError::Swagger2)
    );
}
