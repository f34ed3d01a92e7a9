//! Host placeholders (issue 14 item 1), placeholder defaults and placeholders in OAuth 2.0
//! parameters (item 2), and private public suffixes in "same site" decisions (issue 13
//! item 3), through the public API with templates and connections as users write them.

use std::collections::BTreeMap;

use credgate::auth::oauth2::{AuthorizationRequest, TokenStep};
use credgate::{BuildError, Connection, ConnectionTemplate, Credential, LiveConnection, OsRandom};

const API_KEY: &str =
    r#"{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}"#;

fn template(base_url: &str, placeholders: &str) -> ConnectionTemplate {
    serde_json::from_str(&format!(
        r#"{{"name": "api", "templateBaseUrl": "{base_url}", "authSchemeConfigs": [{API_KEY}],
            "placeholders": {placeholders}}}"#
    ))
    .expect("template")
}

fn connect(
    template: &ConnectionTemplate,
    values: &[(&str, &str)],
    base_url: Option<&str>,
) -> Result<LiveConnection, BuildError> {
    let mut connection: Connection = template.connect(vec![Credential::api_key("k-1")])?;
    connection.values = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    connection.base_url = base_url.map(str::to_owned);
    LiveConnection::builder(&connection)
        .template(template)
        .build()
}

fn base_url(template: &ConnectionTemplate, values: &[(&str, &str)]) -> Result<String, BuildError> {
    connect(template, values, None).map(|live| live.base_url().to_owned())
}

const ZENDESK: &str = r#"{"subdomain": {"hostPatterns": ["*.zendesk.com"]}}"#;

#[test]
fn zendesk_subdomain_expands_when_declared() -> Result<(), BuildError> {
    let t = template("https://{subdomain}.zendesk.com/api/v2", ZENDESK);
    assert_eq!(
        base_url(&t, &[("subdomain", "acme")])?,
        "https://acme.zendesk.com/api/v2"
    );
    // Hosts compare case-insensitively; the base URL is lowercase.
    assert_eq!(
        base_url(&t, &[("subdomain", "ACME")])?,
        "https://acme.zendesk.com/api/v2"
    );
    Ok(())
}

#[test]
fn an_undeclared_host_placeholder_stays_refused() {
    // Secure default: without hostPatterns, even a fixed domain after the placeholder does
    // not let a value choose a host, private suffix or not.
    for url in [
        "https://{subdomain}.zendesk.com",
        "https://{shop}.myshopify.com",
        "https://{domain}/api/v2",
        "https://api.amazon.{tld}",
        "{instanceUrl}/services/data",
    ] {
        let t = template(url, "{}");
        let name = url
            .split('{')
            .nth(1)
            .and_then(|s| s.split('}').next())
            .unwrap_or_default();
        let err = base_url(&t, &[(name, "acme")]).unwrap_err();
        assert_eq!(
            err,
            BuildError::HostPlaceholderNotDeclared {
                name: name.to_owned()
            },
            "{url}"
        );
        assert!(err.to_string().contains("hostPatterns"), "{err}");
    }
    // Declaring it without patterns (only a description) is not declaring its hosts.
    let t = template(
        "https://{subdomain}.zendesk.com",
        r#"{"subdomain": {"description": "your subdomain"}}"#,
    );
    assert!(matches!(
        base_url(&t, &[("subdomain", "acme")]),
        Err(BuildError::HostPlaceholderNotDeclared { .. })
    ));
}

#[test]
fn values_that_would_leave_the_pattern_are_refused_at_build_time() {
    let t = template("https://{subdomain}.zendesk.com/api/v2", ZENDESK);
    for bad in [
        "evil.com#",
        "evil.com/",
        "evil.com?",
        "evil.com\\",
        "user@acme",
        "user:pw@acme",
        "acme:8443",
        "acme%2eevil",
        "acme%2Eevil.com",
        "acme.",
        ".acme",
        "a..b",
        "acmé",
        "xn--bcher-kva\u{200b}",
        " acme",
        "acme\t",
        "acme_x",
    ] {
        let err = base_url(&t, &[("subdomain", bad)]);
        assert!(
            matches!(err, Err(BuildError::InvalidUrlValue { .. })),
            "{bad:?}: {err:?}"
        );
    }
    // Dotted values make more labels than `*.` allows.
    assert_eq!(
        base_url(&t, &[("subdomain", "a.b")]),
        Err(BuildError::HostNotAllowed {
            name: "subdomain".to_owned(),
            host: "a.b.zendesk.com".to_owned()
        })
    );
    assert!(matches!(
        base_url(&t, &[("subdomain", "evil.com.x")]),
        Err(BuildError::HostNotAllowed { .. })
    ));
}

#[test]
fn a_whole_host_is_matched_against_every_pattern() {
    let t = template(
        "https://{domain}/api/v2",
        r#"{"domain": {"hostPatterns": ["*.zendesk.com", "support.acme.test"]}}"#,
    );
    assert_eq!(
        base_url(&t, &[("domain", "acme.zendesk.com")]).as_deref(),
        Ok("https://acme.zendesk.com/api/v2")
    );
    assert_eq!(
        base_url(&t, &[("domain", "support.acme.test")]).as_deref(),
        Ok("https://support.acme.test/api/v2")
    );
    for bad in [
        "x.zendesk.com.evil.com",
        "a.b.zendesk.com",
        "zendesk.com",
        "evilzendesk.com",
        "evil.com",
        "acme.test",
        "xsupport.acme.test",
    ] {
        let err = base_url(&t, &[("domain", bad)]);
        assert!(
            matches!(err, Err(BuildError::HostNotAllowed { ref name, ref host }) if name == "domain" && host == bad),
            "{bad}: {err:?}"
        );
    }
    for bad in [
        "evil.com#.zendesk.com",
        "evil.com/.zendesk.com",
        "evil.com?.zendesk.com",
        "evil.com@acme.zendesk.com",
        "acme.zendesk.com@evil.com",
        "evil.com\\.zendesk.com",
        "acme.zendesk.com.",
        "acme.zendesk.com:443",
        "evil%2ecom.zendesk.com",
        "acme.zendésk.com",
    ] {
        let err = base_url(&t, &[("domain", bad)]);
        assert!(
            matches!(err, Err(BuildError::InvalidUrlValue { .. })),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn double_star_admits_several_labels() {
    let t = template(
        "https://{host}/v1",
        r#"{"host": {"hostPatterns": ["**.example.com"]}}"#,
    );
    assert!(base_url(&t, &[("host", "a.b.example.com")]).is_ok());
    assert!(base_url(&t, &[("host", "a.example.com")]).is_ok());
    assert!(matches!(
        base_url(&t, &[("host", "example.com")]),
        Err(BuildError::HostNotAllowed { .. })
    ));
}

#[test]
fn amazon_tld_choices_with_an_enum() {
    let t = template(
        "https://api.amazon.{tld}",
        r#"{"tld": {"enum": ["com", "co.uk", "de"],
            "hostPatterns": ["api.amazon.com", "api.amazon.co.uk", "api.amazon.de"]}}"#,
    );
    assert_eq!(
        base_url(&t, &[("tld", "co.uk")]).as_deref(),
        Ok("https://api.amazon.co.uk")
    );
    // The enum is enforced, before the host.
    for bad in ["fr", "com.evil.com", "COM"] {
        assert!(
            matches!(
                base_url(&t, &[("tld", bad)]),
                Err(BuildError::InvalidUrlValue { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn shopify_shops_are_stated_not_assumed() {
    let t = template(
        "https://{shop}.myshopify.com/admin/api/2024-01",
        r#"{"shop": {"hostPatterns": ["*.myshopify.com"]}}"#,
    );
    assert_eq!(
        base_url(&t, &[("shop", "acme")]).as_deref(),
        Ok("https://acme.myshopify.com/admin/api/2024-01")
    );
}

#[test]
fn a_whole_base_url_from_a_value() {
    let t = template(
        "{instanceUrl}/services/data/v59.0",
        r#"{"instanceUrl": {"hostPatterns": ["*.my.salesforce.com"]}}"#,
    );
    for good in [
        "https://acme.my.salesforce.com",
        "https://acme.my.salesforce.com/",
        "acme.my.salesforce.com",
        "HTTPS://ACME.my.salesforce.com",
    ] {
        assert_eq!(
            base_url(&t, &[("instanceUrl", good)]).as_deref(),
            Ok("https://acme.my.salesforce.com/services/data/v59.0"),
            "{good}"
        );
    }
    assert!(matches!(
        base_url(&t, &[("instanceUrl", "https://evil.com")]),
        Err(BuildError::HostNotAllowed { .. })
    ));
    for bad in [
        "https://acme.my.salesforce.com@evil.com",
        "https://evil.com#.my.salesforce.com",
        "https://acme.my.salesforce.com:8443",
        "ftp://acme.my.salesforce.com",
        "https://acme.my.salesforce.com/../x",
        "https://acme.my.salesforce.com/%2e%2e",
        "//evil.com",
    ] {
        assert!(
            matches!(
                base_url(&t, &[("instanceUrl", bad)]),
                Err(BuildError::InvalidUrlValue { .. })
            ),
            "{bad}"
        );
    }
    // Clear-text http stays refused for the base URL.
    assert!(matches!(
        base_url(&t, &[("instanceUrl", "http://acme.my.salesforce.com")]),
        Err(BuildError::InvalidBaseUrl { .. })
    ));
}

#[test]
fn host_patterns_too_broad_or_malformed_are_refused() {
    for pattern in [
        "*.com",
        "*.co.uk",
        "**.com",
        "*.",
        "*",
        "a.*.com",
        "*.Zendesk.com",
        "evil.com/",
    ] {
        let t = template(
            "https://{sub}.zendesk.com",
            &format!(r#"{{"sub": {{"hostPatterns": ["{pattern}"]}}}}"#),
        );
        assert!(
            matches!(
                base_url(&t, &[("sub", "acme")]),
                Err(BuildError::InvalidHostPattern { .. })
            ),
            "{pattern}"
        );
    }
}

#[test]
fn path_placeholders_and_defaults() -> Result<(), BuildError> {
    let t = template("https://api.example.com/{tenant}/{version|v2}", "{}");
    assert_eq!(
        base_url(&t, &[("tenant", "t-1")])?,
        "https://api.example.com/t-1/v2"
    );
    assert_eq!(
        base_url(&t, &[("tenant", "t-1"), ("version", "v3")])?,
        "https://api.example.com/t-1/v3"
    );
    assert_eq!(
        base_url(&t, &[]),
        Err(BuildError::MissingUrlValue {
            name: "tenant".to_owned()
        })
    );
    Ok(())
}

// ---- private public suffixes (issue 13 item 3) ----

#[test]
fn overrides_stay_off_other_tenants_of_shared_hosting() {
    for (own, other) in [
        ("https://myapp.herokuapp.com", "https://evil.herokuapp.com"),
        ("https://me.github.io", "https://evil.github.io"),
        (
            "https://bucket.s3.amazonaws.com",
            "https://evil.s3.amazonaws.com",
        ),
        ("https://myapp.appspot.com", "https://evil.appspot.com"),
        ("https://myapp.vercel.app", "https://evil.vercel.app"),
        ("https://test.myshopify.com", "https://evil.myshopify.com"),
    ] {
        let t = template(own, "{}");
        let err = connect(&t, &[], Some(other));
        assert!(
            matches!(err, Err(BuildError::InvalidBaseUrl { .. })),
            "{own} -> {other}: {err:?}"
        );
        // Its own subdomains are still its own.
        let sub = own.replace("https://", "https://eu.");
        assert!(connect(&t, &[], Some(&sub)).is_ok(), "{sub}");
    }
    // An ordinary domain keeps the sibling rule.
    let t = template("https://api.example.com", "{}");
    assert!(connect(&t, &[], Some("https://eu.example.com")).is_ok());
}

fn oauth2_template(scheme: &str, placeholders: &str) -> ConnectionTemplate {
    serde_json::from_str(&format!(
        r#"{{"name": "api", "templateBaseUrl": "https://api.example.com",
            "authSchemeConfigs": [{scheme}], "placeholders": {placeholders}}}"#
    ))
    .expect("template")
}

fn client(token_url: Option<&str>) -> Credential {
    let token_url = token_url.map_or(String::new(), |url| format!(r#", "tokenUrl": "{url}""#));
    serde_json::from_str(&format!(
        r#"{{"type": "oauth2-client", "data": {{"oauth2Client":
            {{"clientId": "id-1", "clientSecret": "secret-1"{token_url}}}}}}}"#
    ))
    .expect("credential")
}

/// The token request a client-credentials connection sends first: URL and body.
fn token_request(
    template: &ConnectionTemplate,
    values: &[(&str, &str)],
    token_url: Option<&str>,
) -> Result<(String, String), BuildError> {
    let mut connection = template.connect(vec![client(token_url)])?;
    connection.values = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect::<BTreeMap<_, _>>();
    let live = LiveConnection::builder(&connection)
        .template(template)
        .build()?;
    match live.token_step() {
        Ok(TokenStep::Send(refresh)) => Ok((
            refresh.request().uri().to_string(),
            String::from_utf8_lossy(refresh.request().body()).into_owned(),
        )),
        other => panic!("expected a token request, got {other:?}"),
    }
}

#[test]
fn a_credential_token_url_stays_off_other_tenants() {
    let scheme = r#"{"type": "oauth2", "oauth2": {"id": "o", "tokenUrl": "https://myapp.herokuapp.com/oauth/token",
        "additionalTokenParams": "audience=secret-audience",
        "grant": {"type": "clientCredentials", "clientCredentials": {}}}}"#;
    let t = oauth2_template(scheme, "{}");
    let err = token_request(&t, &[], Some("https://evil.herokuapp.com/oauth/token"));
    assert!(
        matches!(err, Err(BuildError::InvalidTokenUrl { .. })),
        "{err:?}"
    );
    assert!(token_request(&t, &[], Some("https://myapp.herokuapp.com/other/token")).is_ok());
}

const SALESFORCE: &str = r#"{"type": "oauth2", "oauth2": {"id": "o",
    "tokenUrl": "https://{loginHost|login.salesforce.com}/services/oauth2/token",
    "grant": {"type": "clientCredentials", "clientCredentials": {}}}}"#;
const LOGIN_HOSTS: &str = r#"{"loginHost": {"hostPatterns":
    ["login.salesforce.com", "test.salesforce.com", "*.my.salesforce.com"]}}"#;

#[test]
fn salesforce_login_host_default_and_value() -> Result<(), BuildError> {
    let t = oauth2_template(SALESFORCE, LOGIN_HOSTS);
    assert_eq!(
        token_request(&t, &[], None)?.0,
        "https://login.salesforce.com/services/oauth2/token"
    );
    assert_eq!(
        token_request(&t, &[("loginHost", "test.salesforce.com")], None)?.0,
        "https://test.salesforce.com/services/oauth2/token"
    );
    assert_eq!(
        token_request(&t, &[("loginHost", "acme.my.salesforce.com")], None)?.0,
        "https://acme.my.salesforce.com/services/oauth2/token"
    );
    assert!(matches!(
        token_request(&t, &[("loginHost", "evil.com")], None),
        Err(BuildError::HostNotAllowed { .. })
    ));
    // Undeclared, even the default host is refused: the template must say which hosts.
    let undeclared = oauth2_template(SALESFORCE, "{}");
    assert!(matches!(
        token_request(&undeclared, &[], None),
        Err(BuildError::HostPlaceholderNotDeclared { .. })
    ));
    Ok(())
}

#[test]
fn placeholders_in_token_parameters() -> Result<(), BuildError> {
    let scheme = r#"{"type": "oauth2", "oauth2": {"id": "o", "tokenUrl": "https://auth.example.com/oauth/token",
        "additionalTokenParams": "audience={audience}&account_id={accountId|none}&raw={not a placeholder}",
        "grant": {"type": "clientCredentials", "clientCredentials": {}}}}"#;
    let t = oauth2_template(scheme, "{}");
    let (_, body) = token_request(&t, &[("audience", "https://api.acme.test/&x=1")], None)?;
    assert!(
        body.contains("audience=https%3A%2F%2Fapi.acme.test%2F%26x%3D1&account_id=none&raw=%7Bnot+a+placeholder%7D"),
        "{body}"
    );
    let err = token_request(&t, &[], None).unwrap_err();
    assert_eq!(
        err,
        BuildError::MissingParamValue {
            name: "audience".to_owned(),
            field: "additional token parameters"
        }
    );
    assert!(err.to_string().contains("{audience|default}"), "{err}");
    // A redacted listing's value is not sent.
    assert!(matches!(
        token_request(&t, &[("audience", "******")], None),
        Err(BuildError::Redacted { .. })
    ));
    Ok(())
}

#[test]
fn placeholders_in_authorize_parameters_and_urls() -> Result<(), Box<dyn std::error::Error>> {
    let scheme: credgate::OAuth2Scheme = serde_json::from_str(
        r#"{"id": "o", "authorizeUrl": "https://{shop}.myshopify.com/admin/oauth/authorize",
            "tokenUrl": "https://{shop}.myshopify.com/admin/oauth/access_token",
            "additionalAuthorizeParams": "grant_options[]={access|per-user}&store={shop}",
            "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "app-1"}}}"#,
    )?;
    let placeholders = BTreeMap::from([(
        "shop".to_owned(),
        credgate::Placeholder::new().with_host_patterns(["*.myshopify.com"]),
    )]);
    let values = BTreeMap::from([("shop".to_owned(), "acme".to_owned())]);
    let expanded = scheme.with_placeholder_values(&values, &placeholders)?;
    let request = AuthorizationRequest::new(&expanded, "https://app.example/cb", &[], &OsRandom)?;
    assert!(
        request
            .url
            .starts_with("https://acme.myshopify.com/admin/oauth/authorize?"),
        "{}",
        request.url
    );
    assert!(request.url.contains("store=acme"), "{}", request.url);
    assert!(request.url.contains("=per-user"), "{}", request.url);
    // Not expanded first: the placeholder is refused, not sent with braces.
    assert!(AuthorizationRequest::new(&scheme, "https://app.example/cb", &[], &OsRandom).is_err());
    // The value is checked for the host.
    let evil = BTreeMap::from([("shop".to_owned(), "evil.com#".to_owned())]);
    assert!(
        scheme
            .with_placeholder_values(&evil, &placeholders)
            .is_err()
    );
    Ok(())
}

#[test]
fn placeholders_round_trip_through_serde() -> Result<(), serde_json::Error> {
    let t = template(
        "https://api.amazon.{tld}",
        r#"{"tld": {"enum": ["com", "de"], "hostPatterns": ["api.amazon.com", "api.amazon.de"]}}"#,
    );
    let again: ConnectionTemplate = serde_json::from_str(&serde_json::to_string(&t)?)?;
    assert_eq!(again, t);
    Ok(())
}

#[test]
fn an_override_cannot_move_a_declared_shop_to_another_shop() {
    let t = template(
        "https://{shop}.myshopify.com/admin/api",
        r#"{"shop": {"hostPatterns": ["*.myshopify.com"]}}"#,
    );
    assert!(matches!(
        connect(&t, &[("shop", "acme")], Some("https://evil.myshopify.com")),
        Err(BuildError::InvalidBaseUrl { .. })
    ));
    // The value chooses the shop; the override may only stay on it.
    assert_eq!(
        connect(
            &t,
            &[("shop", "acme")],
            Some("https://acme.myshopify.com/x")
        )
        .map(|live| live.base_url().to_owned())
        .as_deref(),
        Ok("https://acme.myshopify.com/admin/api")
    );
}

#[test]
fn host_errors_name_the_placeholder_and_the_host_and_the_fix() {
    let t = template("https://{subdomain}.zendesk.com", ZENDESK);
    let err = base_url(&t, &[("subdomain", "a.evil")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "URL value for {subdomain} produces host a.evil.zendesk.com, which none of the placeholder's hostPatterns allow; use a value for an allowed host or add a pattern to the template"
    );
}

#[test]
fn templates_with_undeclared_host_placeholders_are_refused_at_load() {
    let registry = credgate::Registry::new();
    registry.add_environment("production").expect("environment");
    let err = registry
        .add_template(
            "production",
            template("https://{subdomain}.zendesk.com", "{}"),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("{subdomain} sets the host"),
        "{err}"
    );
    let err = registry
        .add_template(
            "production",
            template(
                "https://{subdomain}.zendesk.com",
                r#"{"subdomain": {"hostPatterns": ["*.com"]}}"#,
            ),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("hostPatterns of placeholder {subdomain}"),
        "{err}"
    );
    registry
        .add_template(
            "production",
            template("https://{subdomain}.zendesk.com", ZENDESK),
        )
        .expect("declared");
}

#[test]
fn any_host_is_said_with_a_double_star_and_still_refuses_addresses() -> Result<(), BuildError> {
    // Self-hosted software: the customer's own host, stated as such by the template.
    let any = r#"{"hostname": {"hostPatterns": ["**"]}}"#;
    for url in ["https://{hostname}/rest/api/2", "https://{hostname}"] {
        let t = template(url, any);
        let built = base_url(&t, &[("hostname", "jira.acme-corp.example")])?;
        assert!(
            built.starts_with("https://jira.acme-corp.example"),
            "{built}"
        );
        for refused in ["10.0.0.7", "127.0.0.1", "localhost", "intranet", "a..b"] {
            let error = base_url(&t, &[("hostname", refused)]).expect_err(refused);
            assert!(
                matches!(
                    error,
                    BuildError::HostNotAllowed { .. } | BuildError::InvalidUrlValue { .. }
                ),
                "{refused}: {error:?}"
            );
        }
    }
    // A whole base URL from a value, declared the same way.
    let t = template(
        "{instanceUrl}/services/data",
        r#"{"instanceUrl": {"hostPatterns": ["**"]}}"#,
    );
    assert_eq!(
        base_url(&t, &[("instanceUrl", "https://acme.my.salesforce.com")])?,
        "https://acme.my.salesforce.com/services/data"
    );
    // `*` alone or `**` under a public suffix is still no pattern.
    for pattern in [r#"["*"]"#, r#"["**.com"]"#, r#"["***"]"#] {
        let t = template(
            "https://{hostname}",
            &format!(r#"{{"hostname": {{"hostPatterns": {pattern}}}}}"#),
        );
        let error = base_url(&t, &[("hostname", "jira.acme-corp.example")]).expect_err(pattern);
        assert!(
            matches!(error, BuildError::InvalidHostPattern { .. }),
            "{pattern}: {error:?}"
        );
    }
    Ok(())
}

/// `ServiceNow` as the Nango catalog writes it: the customer's own host, else its
/// `service-now.com` subdomain.
const SERVICENOW: &str = "https://{hostname} || https://{subdomain}.service-now.com";
const SERVICENOW_HOSTS: &str = r#"{"hostname": {"hostPatterns": ["**"]},
    "subdomain": {"hostPatterns": ["*.service-now.com"]}}"#;

#[test]
fn alternative_urls_take_the_first_with_its_values() {
    let t = template(SERVICENOW, SERVICENOW_HOSTS);
    assert_eq!(
        base_url(
            &t,
            &[("hostname", "itsm.acme.example"), ("subdomain", "acme")]
        ),
        Ok("https://itsm.acme.example".to_owned())
    );
    assert_eq!(
        base_url(&t, &[("subdomain", "acme")]),
        Ok("https://acme.service-now.com".to_owned())
    );
    assert_eq!(
        base_url(&t, &[("hostname", " "), ("subdomain", "acme")]),
        Ok("https://acme.service-now.com".to_owned())
    );
    // Neither: the last alternative names what it misses.
    assert_eq!(
        base_url(&t, &[]),
        Err(BuildError::MissingUrlValue {
            name: "subdomain".into()
        })
    );
    // A value that breaks a rule is an error, never a reason to fall back.
    assert!(matches!(
        base_url(&t, &[("hostname", "127.0.0.1"), ("subdomain", "acme")]),
        Err(BuildError::HostNotAllowed { .. })
    ));
    // Alternatives with a literal last (Intercom's regions): the literal without a value.
    let intercom = template(
        "https://api.{region}.intercom.io || https://api.intercom.io",
        r#"{"region": {"hostPatterns": ["api.eu.intercom.io", "api.au.intercom.io"]}}"#,
    );
    assert_eq!(
        base_url(&intercom, &[]),
        Ok("https://api.intercom.io".to_owned())
    );
    assert_eq!(
        base_url(&intercom, &[("region", "eu")]),
        Ok("https://api.eu.intercom.io".to_owned())
    );
    assert!(base_url(&intercom, &[("region", "evil")]).is_err());
}

#[test]
fn every_alternative_is_checked_at_load() {
    let registry = credgate::Registry::new();
    registry.add_environment("production").expect("environment");
    let err = registry
        .add_template(
            "production",
            template(SERVICENOW, r#"{"hostname": {"hostPatterns": ["**"]}}"#),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("{subdomain} sets the host"),
        "{err}"
    );
    registry
        .add_template("production", template(SERVICENOW, SERVICENOW_HOSTS))
        .expect("declared");
}

#[test]
fn an_authorize_url_with_a_literal_alternative_needs_no_value() {
    // Catalog `salesforce`: the customer's login host, else login.salesforce.com.
    let scheme: credgate::OAuth2Scheme = serde_json::from_str(
        r#"{"authorizeUrl": "https://{hostname}/services/oauth2/authorize || https://login.salesforce.com/services/oauth2/authorize",
            "tokenUrl": "https://login.salesforce.com/services/oauth2/token",
            "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "app-1"}}}"#,
    )
    .expect("scheme");
    let request = AuthorizationRequest::new(&scheme, "https://app.example/cb", &[], &OsRandom)
        .expect("the literal alternative");
    assert!(
        request
            .url
            .starts_with("https://login.salesforce.com/services/oauth2/authorize?"),
        "{}",
        request.url
    );
    let placeholders = BTreeMap::from([(
        "hostname".to_owned(),
        credgate::Placeholder::new().with_host_patterns(["*.my.salesforce.com"]),
    )]);
    let values = BTreeMap::from([("hostname".to_owned(), "acme.my.salesforce.com".to_owned())]);
    let expanded = scheme
        .with_placeholder_values(&values, &placeholders)
        .expect("declared");
    let request = AuthorizationRequest::new(&expanded, "https://app.example/cb", &[], &OsRandom)
        .expect("the customer's host");
    assert!(
        request
            .url
            .starts_with("https://acme.my.salesforce.com/services/oauth2/authorize?"),
        "{}",
        request.url
    );
}
