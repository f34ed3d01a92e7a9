//! Per-connection URLs: whatever a value holds, an expanded URL stays on a host under the
//! template's fixed domain with the template's scheme and port; a connection's own base
//! URL keeps only its scheme, host and port.

use std::collections::BTreeMap;

use proptest::prelude::*;

fn values(value: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("sub".to_owned(), value.to_owned())])
}

/// `{sub}` declared for any host under `zendesk.com`.
fn zendesk_hosts() -> BTreeMap<String, credgate::Placeholder> {
    BTreeMap::from([(
        "sub".to_owned(),
        credgate::Placeholder::new().with_host_patterns(["**.zendesk.com"]),
    )])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Values near the accepted ones, with and without `/ @ # ? : \\`, `%2e`, `..` or
    /// anything else: either refused, or the URL parses to a host that ends with
    /// `.zendesk.com`, on https's default port, with no userinfo, and the path the template
    /// gave.
    #[test]
    fn no_value_escapes_the_domain(
        value in "[a-zA-Z0-9._~-]{1,8}([/@#?:\\\\]|%2e|\\.\\.)?[a-zA-Z0-9._~-]{0,8}|\\PC{0,12}",
        tail in "(/api/v2)?",
    ) {
        let template = format!("https://{{sub}}.zendesk.com{tail}");
        if let Ok(expanded) = credgate::url_template::expand_with(&template, &values(&value), &zendesk_hosts()) {
            let url = url::Url::parse(&expanded).expect("an expanded URL parses");
            prop_assert_eq!(url.scheme(), "https");
            let host = url.host_str().expect("a host");
            prop_assert!(host.ends_with(".zendesk.com"), "{}", host);
            prop_assert_eq!(url.port(), None);
            prop_assert_eq!(url.username(), "");
            prop_assert_eq!(url.password(), None);
            prop_assert_eq!(url.path(), if tail.is_empty() { "/" } else { "/api/v2" });
        }
    }

    /// Values made of the characters that may appear: a host label, or dotted labels.
    #[test]
    fn plain_values_expand_into_the_host(value in "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,2}") {
        // `xn--0` and the like are reserved for punycode (RFC 5891 §4.2.3.1) and refused
        // unless they decode.
        prop_assume!(!value.split('.').any(|label| label.get(2..4) == Some("--")));
        let expanded = credgate::url_template::expand_with("https://{sub}.zendesk.com:8443/x", &values(&value), &zendesk_hosts())
            .expect("a plain value expands");
        prop_assert_eq!(expanded, format!("https://{value}.zendesk.com:8443/x"));
    }

    /// Values with a character that can change where a URL points are always refused.
    #[test]
    fn delimiters_are_refused(
        prefix in "[a-z]{0,5}",
        bad in prop::sample::select(vec!["/", "@", "#", "?", ":", "%2e", " ", "\t", "..", "\\", "\u{ff0e}"]),
        suffix in "[a-z]{0,5}",
    ) {
        let value = format!("{prefix}{bad}{suffix}");
        let expanded = credgate::url_template::expand_with("https://{sub}.zendesk.com", &values(&value), &zendesk_hosts());
        prop_assert!(expanded.is_err(), "{:?} expanded to {:?}", value, expanded);
    }
}

fn api_key_template(base_url: &str) -> credgate::ConnectionTemplate {
    serde_json::from_value(serde_json::json!({"name": "t", "templateBaseUrl": base_url,
        "placeholders": {"sub": {"hostPatterns": ["*.zendesk.com"]},
            "subdomain": {"hostPatterns": ["*.zendesk.com"]}},
        "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "k", "name": "X-Key", "in": "header"}}]}))
    .expect("template parses")
}

fn base_url_of(
    template_url: &str,
    own: Option<&str>,
    pairs: &[(&str, &str)],
) -> Result<String, credgate::BuildError> {
    base_url_under(api_key_template(template_url), own, pairs)
}

/// The same under a template with `allowAnyBaseUrl`.
fn any_base_url_of(
    template_url: &str,
    own: Option<&str>,
    pairs: &[(&str, &str)],
) -> Result<String, credgate::BuildError> {
    let mut template = api_key_template(template_url);
    template.allow_any_base_url = true;
    base_url_under(template, own, pairs)
}

fn base_url_under(
    template: credgate::ConnectionTemplate,
    own: Option<&str>,
    pairs: &[(&str, &str)],
) -> Result<String, credgate::BuildError> {
    let mut connection = template.connect(vec![credgate::Credential::api_key("k-1")])?;
    connection.base_url = own.map(str::to_owned);
    connection.values = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Ok(connection.build(&template)?.base_url().to_owned())
}

#[test]
fn a_connection_base_url_keeps_scheme_host_and_port_only() -> Result<(), credgate::BuildError> {
    let template = "https://api.example.com/v2";
    assert_eq!(
        base_url_of(template, Some("eu.example.com"), &[])?,
        "https://eu.example.com/v2"
    );
    // Clear-text http to a host that is not loopback also needs `allowInsecureHttp`.
    assert!(matches!(
        any_base_url_of(template, Some("http://Local.test:8080/other"), &[]),
        Err(credgate::BuildError::InvalidBaseUrl { .. })
    ));
    let mut insecure = api_key_template(template);
    insecure.allow_any_base_url = true;
    insecure.allow_insecure_http = true;
    assert_eq!(
        base_url_under(
            insecure,
            Some("http://Local.test:8080/other/path?q=1#f"),
            &[]
        )?,
        "http://local.test:8080/v2"
    );
    // Without `allowAnyBaseUrl`, an override keeps https and the template's domain.
    let refused = credgate::BuildError::InvalidBaseUrl {
        reason: "override must keep the template's https and stay on its domain",
    };
    for other in [
        "http://eu.example.com",
        "https://example.com.evil.test",
        "https://evilexample.com",
        "http://169.254.169.254",
    ] {
        assert_eq!(
            base_url_of(template, Some(other), &[]),
            Err(refused.clone()),
            "{other}"
        );
    }
    assert_eq!(
        base_url_of(template, Some("example.com:8443"), &[])?,
        "https://example.com:8443/v2"
    );
    assert_eq!(
        base_url_of("https://slack.com/api", Some("eu.slack.com"), &[])?,
        "https://eu.slack.com/api"
    );
    assert_eq!(
        base_url_of("", Some("shop.example.com/admin"), &[])?,
        "https://shop.example.com"
    );
    assert!(base_url_of(template, Some("https://user:pw@eu.example.com"), &[]).is_err());
    // The parent domain is not taken when it is a public suffix (names under it have other
    // owners), nor does a trailing dot add a label; a private suffix (one provider's
    // tenants) is taken.
    for (template, other) in [
        ("https://example.co.uk/api", "https://evil.co.uk"),
        ("https://shop.example.com.au", "https://evil.com.au"),
        ("https://example.com./api", "https://evil.com."),
    ] {
        assert_eq!(
            base_url_of(template, Some(other), &[]),
            Err(refused.clone()),
            "{other}"
        );
    }
    assert_eq!(
        base_url_of("https://example.co.uk/api", Some("eu.example.co.uk"), &[])?,
        "https://eu.example.co.uk/api"
    );
    // A private public suffix is shared hosting: other shops are other owners.
    assert_eq!(
        base_url_of(
            "https://test.myshopify.com/admin",
            Some("acme.myshopify.com"),
            &[]
        ),
        Err(refused.clone())
    );
    assert_eq!(
        base_url_of(
            "https://test.myshopify.com/admin",
            Some("eu.test.myshopify.com"),
            &[]
        )?,
        "https://eu.test.myshopify.com/admin"
    );
    Ok(())
}

#[test]
fn a_templated_base_url_takes_the_connection_values() -> Result<(), credgate::BuildError> {
    let template = "https://{subdomain}.zendesk.com/api/v2";
    assert_eq!(
        base_url_of(template, None, &[("subdomain", "acme")])?,
        "https://acme.zendesk.com/api/v2"
    );
    assert_eq!(
        base_url_of(template, None, &[]),
        Err(credgate::BuildError::MissingUrlValue {
            name: "subdomain".to_owned()
        })
    );
    let err = base_url_of(template, None, &[("subdomain", "evil.com#")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r##"URL value for {subdomain} may contain only letters, digits, "-" and "." in a host (no "/", "@", "#", "?", ":", "%", "\", non-ASCII or whitespace)"##
    );
    // The override wins over the template, values or not, on the template's domain, or
    // anywhere where the template allows it.
    assert_eq!(
        base_url_of(template, Some("eu.zendesk.com"), &[("subdomain", "acme")])?,
        "https://eu.zendesk.com/api/v2"
    );
    assert!(
        base_url_of(
            template,
            Some("support.acme.example"),
            &[("subdomain", "acme")]
        )
        .is_err()
    );
    assert_eq!(
        any_base_url_of(
            template,
            Some("support.acme.example"),
            &[("subdomain", "acme")]
        )?,
        "https://support.acme.example/api/v2"
    );
    Ok(())
}

/// A placeholder must be followed by a domain of two labels at least, so a value never
/// picks the whole registrable domain.
#[test]
fn a_placeholder_cannot_choose_the_registrable_domain() {
    for template in [
        "https://{sub}.com",
        "https://{sub}.uk/x",
        "https://{sub}..com",
    ] {
        // Undeclared, and declared with a wildcard right under a public suffix.
        assert!(
            credgate::url_template::expand(template, &values("evil")).is_err(),
            "{template}"
        );
        for pattern in ["*.com", "*.uk", "**.com"] {
            let placeholders = BTreeMap::from([(
                "sub".to_owned(),
                credgate::Placeholder::new().with_host_patterns([pattern]),
            )]);
            assert!(
                credgate::url_template::expand_with(template, &values("evil"), &placeholders)
                    .is_err(),
                "{template} {pattern}"
            );
        }
    }
}

/// An end user's connection can bring neither a scheme of its own nor a base URL off the
/// template's domain.
#[test]
fn an_activation_cannot_bring_its_own_scheme_or_host() -> Result<(), Box<dyn std::error::Error>> {
    use credgate::{Activation, AuthSchemeConfig, EndUser, Registry, RegistryError};
    let mut template = api_key_template("https://{sub}.zendesk.com/api/v2");
    template.dynamic = true;
    template.connection_template_id = "zd".to_owned();
    let registry = Registry::new();
    registry.add_environment("production")?;
    registry.add_template("production", template)?;

    let mut own_scheme = registry.connect(
        "production",
        "t",
        vec![credgate::Credential::api_key("k-1")],
    )?;
    own_scheme.values = values("acme");
    own_scheme.credentials[0].auth_scheme_config = serde_json::from_str::<AuthSchemeConfig>(
        r#"{"type": "api-key", "apiKey": {"id": "mine", "name": "X-Anything", "in": "query"}}"#,
    )?;
    let err = registry
        .activate(Activation::new(
            "production",
            EndUser::new("u1"),
            vec![own_scheme],
        ))
        .unwrap_err();
    assert!(matches!(err, RegistryError::ForeignScheme { .. }), "{err}");

    let mut elsewhere = registry.connect(
        "production",
        "t",
        vec![credgate::Credential::api_key("k-1")],
    )?;
    elsewhere.values = values("acme");
    elsewhere.base_url = Some("http://169.254.169.254".to_owned());
    assert!(
        registry
            .activate(Activation::new(
                "production",
                EndUser::new("u2"),
                vec![elsewhere]
            ))
            .is_err()
    );
    assert!(registry.resolve("production", "t", Some("u1")).is_err());
    assert!(registry.resolve("production", "t", Some("u2")).is_err());
    Ok(())
}

/// An embedded OAuth 2.0 template whose token URL is on the user's own subdomain.
fn oauth2_client_registry() -> Result<credgate::Registry, Box<dyn std::error::Error>> {
    let template: credgate::ConnectionTemplate = serde_json::from_value(serde_json::json!({
        "name": "zendesk", "connectionTemplateId": "zd", "dynamic": true,
        "templateBaseUrl": "https://{sub}.zendesk.com/api/v2", "placeholders": {"sub": {"hostPatterns": ["*.zendesk.com"]}},
        "authSchemeConfigs": [{"type": "oauth2", "oauth2": {"id": "o",
            "tokenUrl": "https://{sub}.zendesk.com/oauth/tokens",
            "additionalTokenParams": "integration_key=INTEGRATION-SECRET",
            "grant": {"type": "clientCredentials", "clientCredentials": {}}}}]
    }))?;
    let registry = credgate::Registry::new();
    registry.add_environment("production")?;
    registry.add_template("production", template)?;
    Ok(registry)
}

fn oauth2_client_connection(
    registry: &credgate::Registry,
    token_url: Option<&str>,
) -> Result<credgate::Connection, Box<dyn std::error::Error>> {
    let mut credential = serde_json::json!({"clientId": "id", "clientSecret": "secret"});
    if let Some(url) = token_url {
        credential["tokenUrl"] = url.into();
    }
    let credential: credgate::Credential = serde_json::from_value(
        serde_json::json!({"type": "oauth2-client", "data": {"oauth2Client": credential}}),
    )?;
    let mut connection = registry.connect("production", "zendesk", vec![credential])?;
    connection.values = values("acme");
    Ok(connection)
}

/// The `oauth2-client` credential of a connection made by [`oauth2_client_connection`].
fn client_of(connection: &mut credgate::Connection) -> &mut credgate::OAuth2ClientCredential {
    match &mut connection.credentials[0].credential {
        credgate::Credential::OAuth2Client(client) => client,
        _ => panic!("an oauth2-client credential"),
    }
}

fn activate(
    registry: &credgate::Registry,
    user: &str,
    connection: credgate::Connection,
) -> Result<(), credgate::RegistryError> {
    registry.activate(credgate::Activation::new(
        "production",
        credgate::EndUser::new(user),
        vec![connection],
    ))
}

#[test]
fn an_activation_cannot_bring_its_own_copy_of_an_offered_scheme()
-> Result<(), Box<dyn std::error::Error>> {
    let registry = oauth2_client_registry()?;
    // The scheme's id and type as offered, its token URL the end user's.
    let mut altered = oauth2_client_connection(&registry, None)?;
    let credgate::AuthSchemeConfig::OAuth2(scheme) = &mut altered.credentials[0].auth_scheme_config
    else {
        panic!("the template's scheme is OAuth 2.0");
    };
    scheme.token_url = "https://attacker.example.net/collect".to_owned();
    let err = activate(&registry, "u1", altered).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"auth scheme "o" is not offered by template "zendesk" in environment "production""#
    );
    assert!(
        registry
            .resolve("production", "zendesk", Some("u1"))
            .is_err()
    );
    activate(&registry, "u1", oauth2_client_connection(&registry, None)?)?;
    Ok(())
}

#[test]
fn a_credential_token_url_stays_on_the_scheme_domain() -> Result<(), Box<dyn std::error::Error>> {
    let registry = oauth2_client_registry()?;
    let off_domain = r#"template "zendesk" in environment "production": token URL override must keep the scheme's https and stay on its domain"#;
    for (user, url, made_here, made_elsewhere) in [
        (
            "u1",
            "https://attacker.example.net/t",
            off_domain,
            off_domain,
        ),
        (
            "u2",
            "https://zendesk.com.attacker.net/t",
            off_domain,
            off_domain,
        ),
        // `{sub}` may only produce hosts under zendesk.com: with stand-ins the URL is on
        // another domain, with the value its host matches no pattern.
        (
            "u3",
            "https://{sub}.attacker.net/t",
            off_domain,
            r#"template "zendesk" in environment "production": URL value for {sub} produces host acme.attacker.net, which none of the placeholder's hostPatterns allow; use a value for an allowed host or add a pattern to the template"#,
        ),
    ] {
        // Refused when the connection is made, and when it arrives made elsewhere.
        let err = oauth2_client_connection(&registry, Some(url)).unwrap_err();
        assert_eq!(err.to_string(), made_here, "{url}");
        let mut connection = oauth2_client_connection(&registry, None)?;
        client_of(&mut connection).token_url = Some(url.to_owned());
        let err = activate(&registry, user, connection).unwrap_err();
        assert_eq!(err.to_string(), made_elsewhere, "{url}");
        assert!(
            registry
                .resolve("production", "zendesk", Some(user))
                .is_err()
        );
    }
    assert!(oauth2_client_connection(&registry, Some("http://acme.zendesk.com/t")).is_err());
    // Another host of the same domain, as a sandbox or region would be.
    let own = oauth2_client_connection(&registry, Some("https://eu.zendesk.com/oauth/tokens"))?;
    activate(&registry, "u4", own)?;
    assert!(
        registry
            .resolve("production", "zendesk", Some("u4"))
            .is_ok()
    );
    // An empty one is none, as when the connection is built.
    activate(
        &registry,
        "u5",
        oauth2_client_connection(&registry, Some(""))?,
    )?;
    Ok(())
}

#[test]
fn a_credential_token_url_that_is_no_url_is_named_as_such() -> Result<(), Box<dyn std::error::Error>>
{
    let registry = oauth2_client_registry()?;
    let mut connection = oauth2_client_connection(&registry, None)?;
    // Set after `connect`, which checks the credential on its own.
    client_of(&mut connection).token_url = Some("ftp://acme.zendesk.com/t".to_owned());
    let err = activate(&registry, "u1", connection).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template "zendesk" in environment "production": token URL must use http or https"#
    );
    // Userinfo is named as such, not as "not a valid URL" (audit item 17).
    for (user, url) in [
        ("u2", "https://user:pw@acme.zendesk.com/t"),
        ("u3", "https://user@acme.zendesk.com/t"),
        ("u4", "https://:pw@acme.zendesk.com/t"),
    ] {
        let mut connection = oauth2_client_connection(&registry, None)?;
        client_of(&mut connection).token_url = Some(url.to_owned());
        let err = activate(&registry, user, connection)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("token URL must not contain a username or password"),
            "{url}: {err}"
        );
    }
    Ok(())
}

#[test]
fn extra_token_params_are_redacted_and_a_redacted_listing_cannot_send_them()
-> Result<(), Box<dyn std::error::Error>> {
    let registry = oauth2_client_registry()?;
    let mut connection = oauth2_client_connection(&registry, None)?;
    client_of(&mut connection).additional_params = Some("client_assertion=ASSERT-SECRET".into());
    activate(&registry, "u1", connection)?;

    let listed = registry.export_redacted()?;
    for secret in ["INTEGRATION-SECRET", "ASSERT-SECRET"] {
        assert!(!listed.contains(secret), "{secret} in {listed}");
        assert!(!format!("{registry:?} {:?}", registry.export()).contains(secret));
    }
    let exported = credgate::to_json_with_secrets(&registry.export())?;
    assert!(exported.contains("integration_key=INTEGRATION-SECRET"));
    assert!(exported.contains("client_assertion=ASSERT-SECRET"));

    // Everything else exported, the parameters as a listing shows them.
    let listed_params =
        exported.replace("client_assertion=ASSERT-SECRET", "client_assertion=******");
    let err = credgate::Registry::from_document(serde_json::from_str(&listed_params)?).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("additional token parameters are redacted"),
        "{err}"
    );
    Ok(())
}
