//! The rules that keep a connection's credentials on its origin (issue 18), each stated
//! through the public API: ports, IP literals, schemes, userinfo, base URL overrides, the
//! `Host` header and what a `ForeignOrigin` error names.

use credgate::{
    ApiKeyScheme, AuthError, AuthSchemeConfig, BuildError, ConnectionTemplate, Credential,
    KeyLocation, LiveConnection,
};
use http::Request;

fn template(base: &str) -> ConnectionTemplate {
    ConnectionTemplate::new(
        "api",
        base,
        vec![AuthSchemeConfig::ApiKey(ApiKeyScheme::new(
            "k",
            "X-API-Key",
            KeyLocation::Header,
        ))],
    )
}

fn live(base: &str) -> LiveConnection {
    let template = template(base);
    template
        .connect(vec![Credential::api_key("k-1")])
        .and_then(|c| c.build(&template))
        .unwrap_or_else(|err| panic!("{base}: {err}"))
}

/// The base URL a connection whose own `baseUrl` is `own` gets under a template on `base`
/// that does not set `allowAnyBaseUrl`.
fn with_override(base: &str, own: &str) -> Result<String, BuildError> {
    let template = template(base);
    let mut connection = template.connect(vec![Credential::api_key("k-1")])?;
    connection.base_url = Some(own.to_owned());
    Ok(connection.build(&template)?.base_url().to_owned())
}

fn get(uri: &str) -> Request<Vec<u8>> {
    Request::get(uri).body(Vec::new()).expect("valid request")
}

fn authorize(live: &LiveConnection, uri: &str) -> Result<Request<Vec<u8>>, AuthError> {
    let mut request = get(uri);
    live.authorize(&mut request).map(|()| request)
}

fn authorize_with_host(
    live: &LiveConnection,
    uri: &str,
    host: &str,
) -> Result<Request<Vec<u8>>, AuthError> {
    let mut request = Request::get(uri)
        .header("Host", host)
        .body(Vec::new())
        .expect("valid request");
    live.authorize(&mut request).map(|()| request)
}

#[track_caller]
fn assert_foreign(live: &LiveConnection, uri: &str) {
    match authorize(live, uri) {
        Err(AuthError::ForeignOrigin { .. }) => {}
        other => panic!("{uri} on {}: {other:?}", live.base_url()),
    }
}

#[track_caller]
fn assert_sent(live: &LiveConnection, uri: &str) {
    match authorize(live, uri) {
        Ok(request) => assert_eq!(request.headers()["x-api-key"], "k-1", "{uri}"),
        Err(err) => panic!("{uri} on {}: {err}", live.base_url()),
    }
}

// ---- ports ------------------------------------------------------------------------------

#[test]
fn a_base_on_a_non_default_port_admits_only_that_port() {
    for (base, same, others) in [
        (
            "https://api.example.com:8443/v1",
            [
                "https://api.example.com:8443/v1/x",
                "HTTPS://API.EXAMPLE.COM:8443/",
            ],
            [
                "https://api.example.com/v1/x",
                "https://api.example.com:443/v1/x",
                "https://api.example.com:8444/v1/x",
                "http://api.example.com:8443/v1/x",
            ],
        ),
        (
            "http://127.0.0.1:8080",
            ["http://127.0.0.1:8080/x", "HTTP://127.0.0.1:8080/"],
            [
                "http://127.0.0.1/x",
                "http://127.0.0.1:80/x",
                "http://127.0.0.1:8081/x",
                "https://127.0.0.1:8080/x",
            ],
        ),
    ] {
        let live = live(base);
        for uri in same {
            assert_sent(&live, uri);
        }
        for uri in others {
            assert_foreign(&live, uri);
        }
    }
}

#[test]
fn a_base_on_the_default_port_admits_it_written_or_not_and_no_other() {
    let live = live("https://api.example.com");
    assert_sent(&live, "https://api.example.com/x");
    assert_sent(&live, "https://api.example.com:443/x");
    for uri in [
        "https://api.example.com:8443/x",
        "https://api.example.com:80/x",
        "http://api.example.com/x",
        "http://api.example.com:443/x",
    ] {
        assert_foreign(&live, uri);
    }
}

// ---- schemes ----------------------------------------------------------------------------

#[test]
fn a_request_must_use_the_base_scheme_exactly() {
    // `http` bases (loopback, so allowed in clear text) refuse `https`, `ws` and `wss` on
    // the same host and port, and `https` bases refuse `http`, `ws` and `wss`.
    let plain = live("http://localhost:8080");
    assert_sent(&plain, "http://localhost:8080/x");
    for uri in [
        "https://localhost:8080/x",
        "wss://localhost:8080/x",
        "ws://localhost:8080/x",
        "ftp://localhost:8080/x",
    ] {
        assert_foreign(&plain, uri);
    }
    let plain_default = live("http://localhost");
    for uri in [
        "https://localhost/x",
        "wss://localhost/x",
        "ws://localhost/x",
        "https://localhost:80/x",
        "wss://localhost:80/x",
    ] {
        assert_foreign(&plain_default, uri);
    }
    let secure = live("https://localhost");
    for uri in [
        "http://localhost/x",
        "http://localhost:443/x",
        "wss://localhost/x",
        "wss://localhost:443/x",
        "ws://localhost/x",
    ] {
        assert_foreign(&secure, uri);
    }
}

// ---- userinfo ---------------------------------------------------------------------------

#[test]
fn a_base_url_with_any_userinfo_is_refused() {
    for base in [
        "https://user@api.example.com",
        "https://:pw@api.example.com",
        "https://user:@api.example.com",
        "https://user:pw@api.example.com",
        "user@api.example.com",
        ":pw@api.example.com/v1",
    ] {
        let built = {
            let template = template(base);
            template
                .connect(vec![Credential::api_key("k-1")])
                .and_then(|c| c.build(&template))
        };
        let overridden = with_override("https://api.example.com", base);
        let rebased = live("https://api.example.com").with_base_url(base);
        for err in [
            built.map(|_| ()).err(),
            overridden.map(|_| ()).err(),
            rebased.map(|_| ()).err(),
        ] {
            let err = err.unwrap_or_else(|| panic!("{base} was accepted"));
            assert!(
                matches!(err, BuildError::InvalidBaseUrl { .. }),
                "{base}: {err}"
            );
            let message = err.to_string();
            assert!(message.contains("username or password"), "{message}");
            assert!(!message.contains("pw"), "{message}");
        }
    }
}

// ---- base URL overrides -----------------------------------------------------------------

#[test]
fn an_ip_literal_template_admits_only_itself() {
    for (base, others) in [
        (
            "https://10.1.2.3",
            &[
                "https://11.1.2.3",
                "https://0.1.2.3",
                "https://1.2.3",
                "https://10.1.2.4",
                "https://110.1.2.3",
            ][..],
        ),
        ("https://192.168.0.10/v1", &["https://10.192.168.0.10"][..]),
        (
            "https://[2001:db8::1]",
            &["https://[2001:db8::2]", "https://[::1]"][..],
        ),
    ] {
        for own in others {
            let err = with_override(base, own).unwrap_err();
            assert!(
                matches!(err, BuildError::InvalidBaseUrl { .. }),
                "{own} under {base}: {err}"
            );
        }
    }
    // The same address, on another port or spelled with a trailing path, is the address.
    assert_eq!(
        with_override("https://10.1.2.3/v1", "https://10.1.2.3:8443/x"),
        Ok("https://10.1.2.3:8443/v1".to_owned())
    );
}

#[test]
fn an_override_keeps_only_its_origin_and_takes_the_template_path() {
    for (own, expected) in [
        (
            "https://eu.api.example.com",
            "https://eu.api.example.com/v2",
        ),
        (
            "https://eu.api.example.com/",
            "https://eu.api.example.com/v2",
        ),
        (
            "https://eu.api.example.com/other/path",
            "https://eu.api.example.com/v2",
        ),
        (
            "https://eu.api.example.com?x=1",
            "https://eu.api.example.com/v2",
        ),
        (
            "https://eu.api.example.com#frag",
            "https://eu.api.example.com/v2",
        ),
        (
            "https://EU.api.example.com:8443/v9/",
            "https://eu.api.example.com:8443/v2",
        ),
        ("eu.api.example.com/other", "https://eu.api.example.com/v2"),
    ] {
        assert_eq!(
            with_override("https://api.example.com/v2", own).as_deref(),
            Ok(expected),
            "{own}"
        );
    }
    // A path cannot smuggle another host in.
    for own in [
        "https://evil.com/api.example.com",
        "https://evil.com/@api.example.com",
        "https://evil.com?api.example.com",
        "https://evil.com#api.example.com",
    ] {
        assert!(
            with_override("https://api.example.com/v2", own).is_err(),
            "{own}"
        );
    }
}

#[test]
fn an_override_host_with_an_empty_label_is_refused() {
    for (base, own) in [
        ("https://example.com", "https://.example.com"),
        ("https://example.com", "https://..example.com"),
        ("https://example.com", "https://x..example.com"),
        ("https://example.com", "https://x.y..example.com"),
        ("https://example.com", "https://..x.example.com"),
        ("https://example.com", "https://x..example.com."),
        ("https://test.myshopify.com", "https://.myshopify.com"),
        ("https://test.myshopify.com", "https://..myshopify.com"),
        ("https://test.myshopify.com", "https://acme..myshopify.com"),
    ] {
        match with_override(base, own) {
            Err(BuildError::InvalidBaseUrl { .. }) => {}
            other => panic!("{own} under {base}: {other:?}"),
        }
    }
    // Real subdomains stay admitted, and a single trailing dot is the same name.
    for (base, own) in [
        ("https://example.com", "https://x.example.com"),
        ("https://example.com", "https://x.y.example.com"),
        ("https://example.com", "https://example.com."),
        ("https://example.com", "https://x.example.com."),
        (
            "https://test.myshopify.com",
            "https://eu.test.myshopify.com",
        ),
    ] {
        assert!(with_override(base, own).is_ok(), "{own} under {base}");
    }
}

// ---- what a ForeignOrigin error names ---------------------------------------------------

#[test]
fn a_foreign_origin_error_names_both_origins_normalised() {
    let live = live("https://api.example.com:8443/v1");
    for (uri, request_origin) in [
        ("https://evil.com/x", "https://evil.com"),
        ("HTTPS://Evil.COM:9000/x", "https://evil.com:9000"),
        (
            "http://api.example.com:8443/v1",
            "http://api.example.com:8443",
        ),
        ("https://api.example.com/v1", "https://api.example.com"),
        ("wss://API.example.com:8443/", "wss://api.example.com:8443"),
    ] {
        let err = authorize(&live, uri).unwrap_err();
        assert_eq!(
            err,
            AuthError::ForeignOrigin {
                request_origin: request_origin.to_owned(),
                connection_origin: "https://api.example.com:8443".to_owned(),
            },
            "{uri}"
        );
        assert_eq!(
            err.to_string()
                .matches("https://api.example.com:8443")
                .count(),
            1,
            "{err}"
        );
    }
    let err = authorize_with_host(&live, "/x", "evil.com").unwrap_err();
    assert_eq!(
        err,
        AuthError::ForeignOrigin {
            request_origin: "Host: evil.com".to_owned(),
            connection_origin: "https://api.example.com:8443".to_owned(),
        }
    );
}

// ---- the Host header --------------------------------------------------------------------

#[test]
fn a_host_header_without_a_port_names_the_scheme_default_port() {
    // RFC 9110 §7.2: a `Host` without a port means the scheme's default port, so for a base
    // on another port it names another origin.
    let live8443 = live("https://api.example.com:8443");
    for host in ["api.example.com:8443", "API.Example.COM:8443"] {
        assert!(authorize_with_host(&live8443, "/x", host).is_ok(), "{host}");
    }
    for host in [
        "api.example.com",
        "api.example.com:443",
        "api.example.com:80",
        "api.example.com:8444",
        "evil.com:8443",
    ] {
        assert!(
            matches!(
                authorize_with_host(&live8443, "/x", host),
                Err(AuthError::ForeignOrigin { .. })
            ),
            "{host}"
        );
    }
    let live443 = live("https://api.example.com");
    for host in ["api.example.com", "API.example.com", "api.example.com:443"] {
        assert!(authorize_with_host(&live443, "/x", host).is_ok(), "{host}");
    }
    for host in ["api.example.com:8443", "api.example.com:80"] {
        assert!(authorize_with_host(&live443, "/x", host).is_err(), "{host}");
    }
    let plain = live("http://localhost:8080");
    assert!(authorize_with_host(&plain, "/x", "localhost:8080").is_ok());
    for host in ["localhost", "localhost:80"] {
        assert!(authorize_with_host(&plain, "/x", host).is_err(), "{host}");
    }
    let plain80 = live("http://localhost");
    for host in ["localhost", "LOCALHOST:80"] {
        assert!(authorize_with_host(&plain80, "/x", host).is_ok(), "{host}");
    }
    assert!(authorize_with_host(&plain80, "/x", "localhost:443").is_err());
}
