//! End-to-end tests of the foundation through the public API: the platform's documents,
//! secrets, API key / Basic / bypass injection and connections.

use credgate::auth::{Authenticator, Basic};
use credgate::{
    ApiKeyScheme, AuthError, AuthSchemeConfig, BuildError, Connection, ConnectionCredential,
    ConnectionTemplate, Credential, KeyLocation, LiveConnection, Secret,
};
use http::Request;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CLI_LISTING: &str = include_str!("data/cli-listing.json");
const TEMPLATES: &str = include_str!("data/templates.json");

fn templates() -> Vec<ConnectionTemplate> {
    serde_json::from_str(TEMPLATES).expect("tests/data/templates.json loads")
}

fn template(name: &str) -> ConnectionTemplate {
    templates()
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no template {name}"))
}

fn api_key_template(scheme: ApiKeyScheme) -> ConnectionTemplate {
    ConnectionTemplate::new(
        "api",
        "https://api.example.com/v1",
        vec![AuthSchemeConfig::ApiKey(scheme)],
    )
}

fn live(template: &ConnectionTemplate, credentials: Vec<Credential>) -> LiveConnection {
    template
        .connect(credentials)
        .and_then(|c| c.build(template))
        .expect("connection builds")
}

fn get(uri: &str) -> Request<Vec<u8>> {
    Request::get(uri).body(Vec::new()).expect("valid request")
}

// ---- 1. the platform's documents -------------------------------------------------------

#[test]
fn the_cli_listing_loads_unchanged_with_the_client_secret_recognised_as_redacted() -> TestResult {
    let templates: Vec<ConnectionTemplate> = serde_json::from_str(CLI_LISTING)?;
    assert_eq!(templates.len(), 2);
    assert_eq!(templates[0].name, "shopify");
    assert_eq!(templates[1].template_id(), "01KKBZ1ZB4SG2TRVKWQ7GNY3F3");
    let AuthSchemeConfig::OAuth2(oauth2) = &templates[0].auth_scheme_configs[0] else {
        panic!("expected an oauth2 scheme");
    };
    let credgate::OAuth2Grant::AuthorizationCode(grant) = &oauth2.grant else {
        panic!("expected the authorization code grant");
    };
    assert_eq!(grant.client_id, "3wtaAbGizqC3BjmdKTPa0VyK5URuyUUO");
    assert!(
        grant
            .client_secret
            .as_ref()
            .is_some_and(Secret::is_redacted)
    );

    // Written back, the listing is the same document (all its fields are modelled).
    let original: serde_json::Value = serde_json::from_str(CLI_LISTING)?;
    let written = serde_json::to_value(&templates)?;
    assert_eq!(written, original);
    Ok(())
}

#[test]
fn every_scheme_type_reads_and_writes_the_platform_shape() -> TestResult {
    let documents = [
        r#"{"type":"api-key","apiKey":{"id":"k","description":"d","name":"X-Key","in":"query"}}"#,
        r#"{"type":"basic-auth","basicAuth":{"id":"b","description":"d"}}"#,
        r#"{"type":"oauth1","oauth1":{"id":"o1","consumerKey":"ck","consumerSecret":"cs","signatureMethod":"sha1","tokenAuth":true}}"#,
        r#"{"type":"oauth2","oauth2":{"id":"o2","tokenUrl":"https://t.example/token","scopes":[],"defaultScopes":["a"],"grant":{"type":"clientCredentials","clientCredentials":{}}}}"#,
        r#"{"type":"hmac","hmac":{"id":"h","algorithm":"sha256","digestInputs":["body","url"],"encoding":"base64url","in":"header","name":"X-Sig"}}"#,
        r#"{"type":"none","none":{"id":"n"}}"#,
    ];
    let expected_types = ["api-key", "basic-auth", "oauth1", "oauth2", "hmac", "none"];
    for (document, expected_type) in documents.iter().zip(expected_types) {
        let scheme: AuthSchemeConfig = serde_json::from_str(document)?;
        assert_eq!(scheme.type_name(), expected_type);
        let exported = credgate::to_json_with_secrets(&scheme)?;
        let exported: serde_json::Value = serde_json::from_str(&exported)?;
        assert_eq!(
            exported,
            serde_json::from_str::<serde_json::Value>(document)?,
            "{document}"
        );
    }
    Ok(())
}

#[test]
fn unknown_fields_are_accepted() -> TestResult {
    let templates = templates();
    let AuthSchemeConfig::ApiKey(scheme) = &templates[0].auth_scheme_configs[0] else {
        panic!("expected api-key");
    };
    assert_eq!(scheme.name, "X-API-Key");
    Ok(())
}

#[test]
fn every_credential_type_round_trips_through_the_full_export() -> TestResult {
    let documents = [
        r#"{"type":"none","data":{"none":{}}}"#,
        r#"{"type":"string","data":{"string":{"value":"k-1"}}}"#,
        r#"{"type":"basic-auth","data":{"basicAuth":{"username":"u","password":"p"}}}"#,
        r#"{"type":"oauth2-client","data":{"oauth2Client":{"clientId":"id","clientSecret":"s","scopes":["a"]}}}"#,
        r#"{"type":"oauth2-code","data":{"oauth2Code":{"code":"c","state":"st","redirectUrl":"https://app.example/cb"}}}"#,
        r#"{"type":"oauth2-password","data":{"oauth2Password":{"username":"u","password":"p"}}}"#,
        r#"{"type":"oauth2-token","data":{"oauth2Token":{"accessToken":"at","refreshToken":"rt","expiresAt":"2026-11-21T10:00:00Z","tokenType":"Bearer"}}}"#,
        r#"{"type":"oauth1-token","data":{"oauth1Token":{"token":"t","tokenSecret":"ts","additionalParams":[{"name":"a","value":"b"}]}}}"#,
        r#"{"type":"jwt-bearer","data":{"jwtBearer":{"privateKey":"pk","nested":{"x":["y"]}}}}"#,
    ];
    for document in documents {
        let credential: Credential = serde_json::from_str(document)?;
        let exported = credgate::to_json_with_secrets(&credential)?;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&exported)?,
            serde_json::from_str::<serde_json::Value>(document)?,
            "{document}"
        );
        assert_eq!(serde_json::from_str::<Credential>(&exported)?, credential);
    }
    Ok(())
}

#[test]
fn redacted_output_hides_every_secret_of_every_type() -> TestResult {
    let secrets = [
        "k-1", "pw-2", "cs-3", "at-4", "rt-5", "ts-6", "pk-7", "code-8", "ap-9", "ap-10", "fp-11",
    ];
    let connection: Connection = serde_json::from_value(serde_json::json!({
    "id": "c", "credentials": [
        {"authSchemeConfig": {"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}},
         "credential": {"type": "string", "data": {"string": {"value": "k-1"}}}},
        {"authSchemeConfig": {"type": "basic-auth", "basicAuth": {"id": "b", "fixedPassword": "fp-11"}},
         "credential": {"type": "basic-auth", "data": {"basicAuth": {"username": "u", "password": "pw-2"}}}},
        {"authSchemeConfig": {"type": "oauth1", "oauth1": {"id": "o", "consumerKey": "ck", "consumerSecret": "cs-3", "signatureMethod": "sha1"}},
         "credential": {"type": "oauth1-token", "data": {"oauth1Token": {"token": "tok", "tokenSecret": "ts-6"}}}},
        {"authSchemeConfig": {"type": "oauth2", "oauth2": {"id": "o2", "tokenUrl": "https://t.example", "additionalTokenParams": "client_assertion=ap-9", "grant": {"type": "clientCredentials", "clientCredentials": {}}}},
         "credential": {"type": "oauth2-token", "data": {"oauth2Token": {"accessToken": "at-4", "refreshToken": "rt-5"}}}},
        {"authSchemeConfig": {"type": "certificate", "certificate": {"id": "c", "privateKey": "pk-7"}},
         "credential": {"type": "oauth2-code", "data": {"oauth2Code": {"code": "code-8", "additionalParams": "integration_key=ap-10"}}}}
    ]}))?;
    let redacted = credgate::to_redacted_json(&connection)?;
    let debug = format!("{connection:?} {connection:#?}");
    for secret in secrets {
        assert!(!redacted.contains(secret), "{secret} in redacted JSON");
        assert!(!debug.contains(secret), "{secret} in Debug");
    }
    assert_eq!(serde_json::to_string(&connection)?, redacted);
    let exported = credgate::to_json_with_secrets(&connection)?;
    for secret in secrets {
        assert!(
            exported.contains(secret),
            "{secret} missing from the export"
        );
    }
    assert_eq!(serde_json::from_str::<Connection>(&exported)?, connection);
    Ok(())
}

#[test]
fn unsupported_scheme_types_load_and_fail_only_when_used() -> TestResult {
    let bank = template("bank");
    let types: Vec<_> = bank
        .auth_scheme_configs
        .iter()
        .map(AuthSchemeConfig::type_name)
        .collect();
    assert_eq!(types, ["certificate", "jwt-bearer", "secret"]);
    let redacted = serde_json::to_string(&bank)?;
    assert!(!redacted.contains("BEGIN"), "{redacted}");
    assert!(redacted.contains(r#""id":"mtls""#));
    let err = bank.connect(vec![Credential::None]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "auth scheme type \"certificate\" is not supported by credgate"
    );
    Ok(())
}

#[test]
fn malformed_documents_give_errors_that_name_the_problem() {
    let cases = [
        (
            r#"{"apiKey":{"name":"X","in":"header"}}"#,
            "has no \"type\"",
        ),
        (r#"{"type":7}"#, "\"type\" must be a string"),
        (
            r#"{"type":"api-key","apiKey":{"name":"X","in":"body"}}"#,
            // The value read is never printed (audit #13 item 6); the choices are.
            "field `in`: unknown variant, expected one of `header`, `query`, `cookie`",
        ),
        (
            r#"{"type":"api-key","apiKey":{"in":"header"}}"#,
            "missing field `name`",
        ),
        (r#"[1]"#, "must be a JSON object"),
    ];
    for (document, expected) in cases {
        let err = serde_json::from_str::<AuthSchemeConfig>(document).unwrap_err();
        assert!(err.to_string().contains(expected), "{document}: {err}");
    }
    // Inside a tagged document's data, the field that failed is named, however deep.
    let cases = [
        (
            r#"{"type":"oauth2-token","data":{"oauth2Token":{"accessToken":5}}}"#,
            "credential of type \"oauth2-token\", field `accessToken`: invalid type: an integer, expected a string",
        ),
        (
            r#"{"type":"oauth1-token","data":{"oauth1Token":{"token":"t","tokenSecret":[]}}}"#,
            "field `tokenSecret`: invalid type: a sequence",
        ),
    ];
    for (document, expected) in cases {
        let err = serde_json::from_str::<Credential>(document).unwrap_err();
        assert!(err.to_string().contains(expected), "{document}: {err}");
    }
    let grant = r#"{"type":"oauth2","oauth2":{"id":"o","tokenUrl":"https://a.example.com/t",
        "grant":{"type":"authorizationCode","authorizationCode":{"clientId":5}}}}"#;
    let err = serde_json::from_str::<AuthSchemeConfig>(grant).unwrap_err();
    assert!(
        err.to_string().contains(
            "field `grant`: oauth2 grant of type \"authorizationCode\", field `clientId`: invalid type"
        ),
        "{err}"
    );
}

// ---- 2. secrets --------------------------------------------------------------------------

#[test]
fn a_redacted_listing_loads_but_cannot_be_used() -> TestResult {
    let weather = template("weather");
    let connection = weather.connect(vec![Credential::api_key("real")])?;
    let listed: Connection = serde_json::from_str(&serde_json::to_string(&connection)?)?;
    assert_eq!(
        listed.build(&weather).unwrap_err(),
        BuildError::Redacted { field: "api key" }
    );

    let jira = template("jira");
    let listed = jira.connect(vec![Credential::basic_auth("ada", "******")]);
    assert_eq!(listed.unwrap_err().to_string(), "password is redacted");
    Ok(())
}

// ---- 3. schemes --------------------------------------------------------------------------

#[test]
fn api_key_in_a_header_is_sensitive_and_replaces_an_existing_value() -> TestResult {
    let live = live(&template("weather"), vec![Credential::api_key("k-1")]);
    let mut request = get("/forecast");
    request.headers_mut().insert("x-api-key", "stale".parse()?);
    live.authorize(&mut request)?;
    let values: Vec<_> = request.headers().get_all("x-api-key").iter().collect();
    assert_eq!(values, ["k-1"]);
    assert!(values[0].is_sensitive());
    assert_eq!(request.uri(), "https://api.weather.example/v2/forecast");
    Ok(())
}

#[test]
fn api_key_value_templates_cover_prefixes() -> TestResult {
    for (template, expected) in [
        ("Bearer {key}", "Bearer k-1"),
        ("Token token={key}", "Token token=k-1"),
        ("{key}:x", "k-1:x"),
    ] {
        let scheme = ApiKeyScheme::new("k", "Authorization", KeyLocation::Header)
            .with_value_template(template);
        let live = live(&api_key_template(scheme), vec![Credential::api_key("k-1")]);
        let mut request = get("/me");
        live.authorize(&mut request)?;
        assert_eq!(request.headers()["authorization"], expected);
    }
    for bad in ["Bearer", "{key}{key}", "Bearer {key}\r\nX: y"] {
        let scheme =
            ApiKeyScheme::new("k", "Authorization", KeyLocation::Header).with_value_template(bad);
        let err = api_key_template(scheme)
            .connect(vec![Credential::api_key("k-1")])
            .unwrap_err();
        assert!(
            matches!(
                err,
                BuildError::InvalidValue {
                    field: "value template",
                    ..
                }
            ),
            "{bad}: {err}"
        );
    }
    Ok(())
}

#[test]
fn api_key_in_the_query_is_encoded_and_replaces_every_existing_copy() -> TestResult {
    let scheme = ApiKeyScheme::new("k", "api key", KeyLocation::Query);
    let live = live(
        &api_key_template(scheme),
        vec![Credential::api_key("a/b?c&d=é +")],
    );
    let mut request = get("https://api.example.com/items?api%20key=old&page=2&api+key=older&q=%FF");
    live.authorize(&mut request)?;
    assert_eq!(
        request.uri(),
        "https://api.example.com/items?page=2&q=%FF&api%20key=a%2Fb%3Fc%26d%3D%C3%A9%20%2B"
    );
    let shown = live.redacted(&request).to_string();
    assert!(shown.contains("api%20key=******"), "{shown}");
    assert!(!shown.contains("a%2Fb"), "{shown}");
    Ok(())
}

#[test]
fn api_key_in_a_cookie_is_merged_into_one_cookie_header() -> TestResult {
    let scheme = ApiKeyScheme::new("k", "session", KeyLocation::Cookie);
    let live = live(&api_key_template(scheme), vec![Credential::api_key("s-1")]);

    let mut fresh = get("/");
    live.authorize(&mut fresh)?;
    assert_eq!(fresh.headers()["cookie"], "session=s-1");
    assert!(fresh.headers()["cookie"].is_sensitive());

    let mut existing = get("/");
    existing
        .headers_mut()
        .append("cookie", "a=1; session=old".parse()?);
    existing.headers_mut().append("cookie", "b=2".parse()?);
    live.authorize(&mut existing)?;
    let cookies: Vec<_> = existing.headers().get_all("cookie").iter().collect();
    assert_eq!(cookies, ["a=1; b=2; session=s-1"]);
    assert!(cookies[0].is_sensitive());

    let err = api_key_template(ApiKeyScheme::new("k", "session", KeyLocation::Cookie))
        .connect(vec![Credential::api_key("s3cr3t;value")])
        .unwrap_err();
    assert!(matches!(
        err,
        BuildError::InvalidValue {
            field: "api key",
            ..
        }
    ));
    assert!(!err.to_string().contains("s3cr3t"));
    Ok(())
}

/// RFC 7617 §2 and §2.1 (UTF-8 example), and a key used as the username.
#[test]
fn basic_follows_rfc_7617() -> TestResult {
    for (user, password, expected) in [
        (
            "Aladdin",
            "open sesame",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        ),
        ("test", "123\u{a3}", "Basic dGVzdDoxMjPCow=="),
    ] {
        let mut request = get("https://example.com/");
        Basic::new(user, &Secret::new(password))?.authorize(&mut request)?;
        assert_eq!(request.headers()["authorization"], expected);
        assert!(request.headers()["authorization"].is_sensitive());
    }
    Ok(())
}

#[test]
fn basic_takes_a_key_as_either_half() -> TestResult {
    let key_as_user: ConnectionTemplate = serde_json::from_str(
        r#"{"name":"stripe","templateBaseUrl":"https://api.stripe.com","authSchemeConfigs":[{"type":"basic-auth","basicAuth":{"id":"b"}}]}"#,
    )?;
    let mut request = get("/v1/charges");
    live(
        &key_as_user,
        vec![Credential::api_key("sk_test_4eC39HqLyjWDarjtT1zdp7dc")],
    )
    .authorize(&mut request)?;
    // printf 'sk_test_4eC39HqLyjWDarjtT1zdp7dc:' | base64
    assert_eq!(
        request.headers()["authorization"],
        "Basic c2tfdGVzdF80ZUMzOUhxTHlqV0Rhcmp0VDF6ZHA3ZGM6"
    );

    let key_as_password: ConnectionTemplate = serde_json::from_str(
        r#"{"name":"mailgun","templateBaseUrl":"https://api.mailgun.net","authSchemeConfigs":[{"type":"basic-auth","basicAuth":{"id":"b","keyAs":"password","fixedUsername":"api"}}]}"#,
    )?;
    let mut request = get("/v3/domains");
    live(
        &key_as_password,
        vec![Credential::api_key("key-3ax6xnjp29jd6fds4gc373sgvjxteol0")],
    )
    .authorize(&mut request)?;
    // printf 'api:key-3ax6xnjp29jd6fds4gc373sgvjxteol0' | base64
    assert_eq!(
        request.headers()["authorization"],
        "Basic YXBpOmtleS0zYXg2eG5qcDI5amQ2ZmRzNGdjMzczc2d2anh0ZW9sMA=="
    );
    Ok(())
}

#[test]
fn bypass_changes_nothing_but_the_resolved_uri() -> TestResult {
    let public = template("public-data");
    let live = live(&public, vec![Credential::None]);
    let mut request = get("/datasets?x=1");
    request
        .headers_mut()
        .insert("accept", "application/json".parse()?);
    live.authorize(&mut request)?;
    assert_eq!(request.uri(), "https://data.example/datasets?x=1");
    assert_eq!(request.headers().len(), 1);
    Ok(())
}

#[test]
fn authenticators_work_as_trait_objects() -> TestResult {
    let live = live(&template("weather"), vec![Credential::api_key("k-1")]);
    let boxed: Box<dyn Authenticator> = Box::new(live);
    let mut request = get("https://api.weather.example/v2/x");
    boxed.authorize(&mut request)?;
    assert_eq!(request.headers()["x-api-key"], "k-1");
    Ok(())
}

#[test]
fn authorize_accepts_common_body_types() -> TestResult {
    let live = live(&template("weather"), vec![Credential::api_key("k-1")]);
    let mut with_string = Request::post("/a").body(String::from("{}"))?;
    live.authorize(&mut with_string)?;
    let mut with_bytes = Request::post("/a").body(bytes::Bytes::from_static(b"{}"))?;
    live.authorize(&mut with_bytes)?;
    let mut with_unit = Request::get("/a").body(())?;
    live.authorize(&mut with_unit)?;
    for headers in [
        with_string.headers(),
        with_bytes.headers(),
        with_unit.headers(),
    ] {
        assert_eq!(headers["x-api-key"], "k-1");
    }
    Ok(())
}

// ---- 4. connections ------------------------------------------------------------------------

#[test]
fn missing_credentials_give_the_platform_messages() -> TestResult {
    let cases = [
        (
            "weather",
            "api-key is required for this connection template",
        ),
        (
            "jira",
            "username and password are required for this connection template",
        ),
        (
            "public-data",
            "bypass is required for this connection template",
        ),
    ];
    for (name, message) in cases {
        let template = template(name);
        if name != "public-data" {
            // A bypass template needs no credential at all.
            assert_eq!(
                template.connect(vec![]).unwrap_err().to_string(),
                message,
                "{name}"
            );
        }
        let wrong = match name {
            "public-data" => Credential::api_key("k"),
            _ => Credential::None,
        };
        assert_eq!(
            template.connect(vec![wrong]).unwrap_err().to_string(),
            message,
            "{name}"
        );
    }
    let jira = template("jira");
    for (user, password) in [("", "pw"), ("ada", "")] {
        assert_eq!(
            jira.connect(vec![Credential::basic_auth(user, password)])
                .unwrap_err(),
            BuildError::UsernameAndPasswordRequired
        );
    }
    assert_eq!(
        template("weather")
            .connect(vec![Credential::api_key("a"), Credential::api_key("b")])
            .unwrap_err(),
        BuildError::CredentialCount {
            given: 2,
            expected: 1
        }
    );
    Ok(())
}

#[test]
fn bypass_is_refused_unless_the_template_allows_it() -> TestResult {
    let mut weather = template("weather");
    assert_eq!(
        weather.bypass_connection().unwrap_err(),
        BuildError::BypassNotAllowed
    );
    let smuggled = Connection::new(vec![ConnectionCredential::new(
        AuthSchemeConfig::None(credgate::NoneScheme::new("bypass")),
        Credential::None,
    )]);
    assert_eq!(
        smuggled.build(&weather).unwrap_err(),
        BuildError::BypassNotAllowed
    );

    weather.allow_bypass = true;
    let bypass = weather.bypass_connection()?.build(&weather)?;
    let mut request = get("/forecast");
    bypass.authorize(&mut request)?;
    assert!(request.headers().is_empty());
    Ok(())
}

#[test]
fn credentials_apply_in_order_and_all_or_nothing() -> TestResult {
    let template: ConnectionTemplate = serde_json::from_str(
        r#"{"name":"datadog","templateBaseUrl":"https://api.datadoghq.com","authSchemeConfigs":[
            {"type":"api-key","apiKey":{"id":"api","name":"DD-API-KEY","in":"header"}},
            {"type":"api-key","apiKey":{"id":"app","name":"DD-APPLICATION-KEY","in":"header"}}]}"#,
    )?;
    let live = live(
        &template,
        vec![Credential::api_key("api-1"), Credential::api_key("app-2")],
    );
    let mut request = get("/api/v1/validate");
    live.authorize(&mut request)?;
    assert_eq!(request.headers()["dd-api-key"], "api-1");
    assert_eq!(request.headers()["dd-application-key"], "app-2");
    Ok(())
}

#[test]
fn relative_uris_resolve_under_the_base_path_and_foreign_origins_are_refused() -> TestResult {
    let live = live(&template("weather"), vec![Credential::api_key("k-1")]);

    let mut relative = get("/forecast?city=Oslo&units=metric");
    live.authorize(&mut relative)?;
    assert_eq!(
        relative.uri(),
        "https://api.weather.example/v2/forecast?city=Oslo&units=metric"
    );

    for foreign in [
        "https://evil.example/v2/forecast",
        "http://api.weather.example/v2/forecast",
        "https://api.weather.example:444/v2/forecast",
        "https://api.weather.example.evil.example/",
    ] {
        let mut request = get(foreign);
        request.headers_mut().insert("accept", "*/*".parse()?);
        let before = format!("{request:?}");
        let err = live.authorize(&mut request).unwrap_err();
        assert!(
            matches!(err, AuthError::ForeignOrigin { .. }),
            "{foreign}: {err}"
        );
        assert_eq!(format!("{request:?}"), before, "{foreign}: request changed");
        assert!(!err.to_string().contains("k-1"));
    }

    let mut authority_only = Request::get(http::Uri::from_static("api.weather.example")).body(())?;
    assert!(matches!(
        live.authorize(&mut authority_only),
        Err(AuthError::UnsupportedUri { .. })
    ));
    assert_eq!(authority_only.uri(), "api.weather.example");
    Ok(())
}

/// Servers and CDNs route by the `Host` header, which HTTP clients send as they are given
/// it: another name there is another origin.
#[test]
fn a_host_header_naming_another_origin_is_refused() -> TestResult {
    let live = live(&template("weather"), vec![Credential::api_key("k-1")]);
    for uri in ["/forecast", "https://api.weather.example/v2/forecast"] {
        for hosts in [
            &["evil.example"][..],
            &["api.weather.example:444"],
            &["api.weather.example.evil.example"],
            &["k@api.weather.example"],
            &["api.weather.example", "evil.example"],
            &["api.weather.example", "api.weather.example"],
        ] {
            let mut request = get(uri);
            for host in hosts {
                request.headers_mut().append("host", host.parse()?);
            }
            let before = format!("{request:?}");
            let err = live.authorize(&mut request).unwrap_err();
            assert!(
                matches!(err, AuthError::ForeignOrigin { .. }),
                "{uri} {hosts:?}: {err}"
            );
            assert_eq!(format!("{request:?}"), before, "{uri} {hosts:?}");
        }
        for host in [
            "api.weather.example",
            "API.Weather.Example",
            "api.weather.example:443",
        ] {
            let mut request = get(uri);
            request.headers_mut().insert("host", host.parse()?);
            live.authorize(&mut request)?;
            assert!(request.headers().contains_key("x-api-key"), "{uri} {host}");
        }
    }
    Ok(())
}

/// A relative URI stays under the base path: clients and servers would remove `.` and `..`
/// segments (also spelled `%2e`) and reach another path with the credentials.
#[test]
fn dot_segments_in_a_relative_uri_are_refused() -> TestResult {
    let live = live(&template("weather"), vec![Credential::api_key("k-1")]);
    for uri in [
        "/../admin",
        "/a/../../admin",
        "/%2e%2E/admin",
        "/.%2e/admin",
        "/./forecast",
        "/forecast/..",
    ] {
        let mut request = get(uri);
        let err = live.authorize(&mut request).unwrap_err();
        assert!(
            matches!(err, AuthError::UnsupportedUri { .. }),
            "{uri}: {err}"
        );
        assert_eq!(request.uri(), uri);
        assert!(request.headers().is_empty(), "{uri}");
    }
    for uri in ["/a..b/c", "/.../x", "/forecast?path=../x"] {
        let mut request = get(uri);
        live.authorize(&mut request)?;
        assert!(
            request
                .uri()
                .to_string()
                .starts_with("https://api.weather.example/v2/"),
            "{uri}"
        );
    }
    Ok(())
}

#[test]
fn a_connection_base_url_overrides_the_template() -> TestResult {
    let weather = template("weather");
    let mut connection = weather.connect(vec![Credential::api_key("k-1")])?;
    // The platform keeps only scheme, host and port of the override; the template path stays.
    connection.base_url = Some("eu.weather.example/v3?x=1".to_owned());
    let live = connection.build(&weather)?;
    assert_eq!(live.base_url(), "https://eu.weather.example/v2");
    let mut request = get("https://api.weather.example/v2/forecast");
    assert!(matches!(
        live.authorize(&mut request),
        Err(AuthError::ForeignOrigin { .. })
    ));
    Ok(())
}

#[test]
fn base_urls_are_validated() -> TestResult {
    for (base, expected) in [
        ("", BuildError::MissingBaseUrl),
        (
            "ftp://files.example",
            BuildError::InvalidBaseUrl {
                reason: "must use http or https",
            },
        ),
        (
            "https://user:pw@api.example",
            BuildError::InvalidBaseUrl {
                reason: "must not contain a username or password",
            },
        ),
    ] {
        let template = ConnectionTemplate::new("t", base, template("weather").auth_scheme_configs);
        let err = template
            .connect(vec![Credential::api_key("k")])?
            .build(&template)
            .unwrap_err();
        assert_eq!(err, expected, "{base}");
    }
    Ok(())
}

// ---- 5. bad input -------------------------------------------------------------------------

#[test]
fn bad_names_and_keys_are_rejected_without_echoing_the_key() {
    let cases: [(ApiKeyScheme, &str); 6] = [
        (
            ApiKeyScheme::new("k", "X-Key", KeyLocation::Header),
            "secret\nvalue",
        ),
        (
            ApiKeyScheme::new("k", "X-Key", KeyLocation::Header),
            "secret\0value",
        ),
        (ApiKeyScheme::new("k", "X-Key", KeyLocation::Header), ""),
        (
            ApiKeyScheme::new("k", "Bad Header", KeyLocation::Header),
            "secretvalue",
        ),
        (
            ApiKeyScheme::new("k", "", KeyLocation::Query),
            "secretvalue",
        ),
        (
            ApiKeyScheme::new("k", "bad;name", KeyLocation::Cookie),
            "secretvalue",
        ),
    ];
    for (scheme, key) in cases {
        let err = api_key_template(scheme.clone())
            .connect(vec![Credential::api_key(key)])
            .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(!format!("{err:?}").contains("secret"), "{err:?}");
        if key.is_empty() {
            assert_eq!(err, BuildError::ApiKeyRequired);
        }
    }
}

#[test]
fn routing_and_framing_headers_cannot_carry_a_key() {
    for name in [
        "Host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "TE",
    ] {
        let err = api_key_template(ApiKeyScheme::new("k", name, KeyLocation::Header))
            .connect(vec![Credential::api_key("k-1")])
            .unwrap_err();
        assert!(
            matches!(err, BuildError::ReservedHeader { .. }),
            "{name}: {err}"
        );
    }
}

#[test]
fn ports_that_are_not_plain_numbers_are_refused() -> TestResult {
    let live = live(&template("weather"), vec![Credential::api_key("k-1")]);
    for odd in [
        "https://api.weather.example:+443/v2/x",
        "https://api.weather.example:74979/v2/x",
        "https://api.weather.example:99999999999/v2/x",
    ] {
        let mut request = get(odd);
        assert!(
            matches!(
                live.authorize(&mut request),
                Err(AuthError::UnsupportedUri { .. })
            ),
            "{odd}"
        );
        assert!(request.headers().is_empty(), "{odd}");
    }
    for same in [
        "https://api.weather.example:/v2/x",
        "https://api.weather.example:0443/v2/x",
    ] {
        let mut request = get(same);
        live.authorize(&mut request)?;
        assert_eq!(request.headers()["x-api-key"], "k-1", "{same}");
    }
    Ok(())
}
