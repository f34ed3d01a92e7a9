//! The rules that keep secrets out of sight and credentials well formed (issue 18): the
//! exact `Debug` output of the types holding them, `ExtraParams` from an owned string, the
//! validation of `Basic::new` and `ApiKey::new`, and the time a verified webhook was sent.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use credgate::auth::{ApiKey, Authenticator, Basic};
use credgate::webhook::{Preset, Signer, Verifier, VerifyError};
use credgate::{
    ApiKeyScheme, AuthSchemeConfig, BuildError, ConnectionTemplate, Credential, ExtraParams,
    KeyLocation, ManualClock, Secret,
};

const SECRET: &str = "s3cr3t-Value";

// ---- Debug output, pinned ---------------------------------------------------------------

#[test]
fn debug_of_a_live_connection_shows_its_base_url_and_no_secret() {
    let template = ConnectionTemplate::new(
        "api",
        "HTTPS://API.Example.com:8443/v1/",
        vec![AuthSchemeConfig::ApiKey(ApiKeyScheme::new(
            "k",
            "X-API-Key",
            KeyLocation::Header,
        ))],
    );
    let live = template
        .connect(vec![Credential::api_key(SECRET)])
        .and_then(|c| c.build(&template))
        .expect("builds");
    let debug = format!("{live:?}");
    assert!(
        debug.starts_with(
            r#"LiveConnection { base_url: BaseUrl("https://api.example.com:8443/v1"), authenticators: ["#
        ),
        "{debug}"
    );
    assert!(!debug.contains(SECRET), "{debug}");
    let rebased = live.with_base_url("http://localhost").expect("valid");
    assert!(
        format!("{rebased:?}")
            .starts_with(r#"LiveConnection { base_url: BaseUrl("http://localhost"), "#),
        "{rebased:?}"
    );
}

#[test]
fn debug_of_a_secret_is_a_fixed_placeholder() {
    for value in [SECRET, "", "******"] {
        let secret = Secret::new(value);
        assert_eq!(format!("{secret:?}"), "Secret(******)");
        assert_eq!(format!("{secret:#?}"), "Secret(******)");
    }
}

#[test]
fn debug_of_basic_is_pinned_and_redacted() -> Result<(), BuildError> {
    for (user, password) in [("ada", SECRET), (SECRET, ""), ("", SECRET)] {
        let basic = Basic::new(user, &Secret::new(password))?;
        assert_eq!(format!("{basic:?}"), r#"Basic { header: "******" }"#);
        assert_eq!(format!("{basic:#?}"), "Basic {\n    header: \"******\",\n}");
    }
    Ok(())
}

#[test]
fn debug_of_api_key_names_its_place_and_hides_the_key() -> Result<(), BuildError> {
    for (scheme, expected) in [
        (
            ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header),
            r#"ApiKey { location: "header", name: "x-api-key", value: "******" }"#,
        ),
        (
            ApiKeyScheme::new("k", "Authorization", KeyLocation::Header)
                .with_value_template("Bearer {key}"),
            r#"ApiKey { location: "header", name: "authorization", value: "******" }"#,
        ),
        (
            ApiKeyScheme::new("k", "api_key", KeyLocation::Query),
            r#"ApiKey { location: "query", name: "api_key", value: "******" }"#,
        ),
        (
            ApiKeyScheme::new("k", "session", KeyLocation::Cookie),
            r#"ApiKey { location: "cookie", name: "session", value: "******" }"#,
        ),
    ] {
        let key = ApiKey::new(&scheme, &Secret::new(SECRET))?;
        assert_eq!(format!("{key:?}"), expected);
    }
    Ok(())
}

#[test]
fn debug_of_a_streaming_verification_shows_counts_only() -> Result<(), Box<dyn std::error::Error>> {
    let secrets: Vec<Secret> = vec![SECRET.into(), "other-secret".into()];
    let verifier = Verifier::from_preset(Preset::Github, &secrets)?;
    let head = http::Request::post("https://hooks.example.com/")
        .header("X-Hub-Signature-256", format!("sha256={}", "0".repeat(64)))
        .body(())?;
    let mut stream = verifier.stream(&head)?;
    assert_eq!(
        format!("{stream:?}"),
        "StreamingVerification { candidates: 2, received: 0, .. }"
    );
    stream.update(b"hello")?;
    stream.update(b", world")?;
    assert_eq!(
        format!("{stream:?}"),
        "StreamingVerification { candidates: 2, received: 12, .. }"
    );
    Ok(())
}

// ---- ExtraParams from an owned string ---------------------------------------------------

#[test]
fn extra_params_from_a_string_keep_it_and_hide_its_values() {
    let text = format!("audience=api&client_assertion={SECRET}");
    let params = ExtraParams::from(text.clone());
    assert_eq!(&*params, text);
    assert!(!params.is_empty());
    assert_eq!(params, ExtraParams::from(text.as_str()));
    assert_eq!(
        format!("{params:?}"),
        "ExtraParams(audience=******&client_assertion=******)"
    );
    assert!(ExtraParams::from(String::new()).is_empty());
}

// ---- validation in Basic::new -----------------------------------------------------------

#[test]
fn basic_refuses_what_rfc_7617_cannot_carry_and_names_the_field() {
    for (user, password, field) in [
        ("a:b", SECRET, "username"),
        (":", SECRET, "username"),
        ("ada\n", SECRET, "username"),
        ("a\u{7f}da", SECRET, "username"),
        ("ada", "pw\r\nX-Evil: 1", "password"),
        ("ada", "\u{0}", "password"),
        ("ada", "pw\u{85}", "password"),
    ] {
        let err = Basic::new(user, &Secret::new(password)).unwrap_err();
        assert!(
            matches!(err, BuildError::InvalidValue { field: f, .. } if f == field),
            "{user:?} {password:?}: {err}"
        );
        let message = err.to_string();
        assert!(message.starts_with(field), "{message}");
        assert!(message.contains("RFC 7617"), "{message}");
        assert!(!message.contains("pw"), "{message}");
    }
    assert_eq!(
        Basic::new("ada", &Secret::new("******")).unwrap_err(),
        BuildError::Redacted { field: "password" }
    );
    assert_eq!(
        Basic::new("******", &Secret::new(SECRET)).unwrap_err(),
        BuildError::Redacted { field: "username" }
    );
}

#[test]
fn basic_encodes_utf8_user_and_password_with_one_colon() -> Result<(), Box<dyn std::error::Error>> {
    // RFC 7617 §2 and §2.1: base64 of UTF-8 `user-id ":" password`; the password may hold
    // colons.
    for (user, password, expected) in [
        (
            "Aladdin",
            "open sesame",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        ),
        ("test", "123£", "Basic dGVzdDoxMjPCow=="),
        ("", "", "Basic Og=="),
        ("u", "a:b", "Basic dTphOmI="),
    ] {
        let mut request = http::Request::get("https://example.com/").body(())?;
        Basic::new(user, &Secret::new(password))?.authorize(&mut request)?;
        assert_eq!(request.headers()["authorization"], expected);
        assert!(request.headers()["authorization"].is_sensitive());
    }
    Ok(())
}

// ---- validation in ApiKey::new ----------------------------------------------------------

#[test]
fn api_key_refuses_empty_redacted_and_unplaceable_keys() {
    let header = ApiKeyScheme::new("k", "X-API-Key", KeyLocation::Header);
    let query = ApiKeyScheme::new("k", "api_key", KeyLocation::Query);
    let cookie = ApiKeyScheme::new("k", "session", KeyLocation::Cookie);
    for scheme in [&header, &query, &cookie] {
        assert_eq!(
            ApiKey::new(scheme, &Secret::new("")).unwrap_err(),
            BuildError::ApiKeyRequired
        );
        assert_eq!(
            ApiKey::new(scheme, &Secret::new("******")).unwrap_err(),
            BuildError::Redacted { field: "api key" }
        );
    }
    for (scheme, key) in [
        (&header, "k\r\nX-Evil: 1"),
        (&header, "k\n"),
        (&header, "\u{0}"),
        (&cookie, "a b"),
        (&cookie, "a;b=c"),
        (&cookie, "a,b"),
        (&cookie, "a\"b"),
        (&cookie, "a\\b"),
        (&cookie, "caf\u{e9}"),
    ] {
        let err = ApiKey::new(scheme, &Secret::new(key)).unwrap_err();
        assert!(
            matches!(
                err,
                BuildError::InvalidValue {
                    field: "api key",
                    ..
                }
            ),
            "{key:?}: {err}"
        );
        assert!(!err.to_string().contains(key), "{err}");
    }
    // A query parameter carries any key, percent-encoded.
    assert!(ApiKey::new(&query, &Secret::new("a b;c\"d\u{e9}")).is_ok());
}

#[test]
fn api_key_value_templates_hold_the_key_exactly_once() {
    for template in ["Bearer", "{key} {key}", "{KEY}", "{ key }", ""] {
        let scheme = ApiKeyScheme::new("k", "Authorization", KeyLocation::Header)
            .with_value_template(template);
        assert_eq!(
            ApiKey::new(&scheme, &Secret::new(SECRET)).unwrap_err(),
            BuildError::InvalidValue {
                field: "value template",
                reason: "must contain {key} exactly once",
            },
            "{template:?}"
        );
    }
    let scheme = ApiKeyScheme::new("k", "Authorization", KeyLocation::Header)
        .with_value_template("Bearer {key}\r\n");
    assert!(matches!(
        ApiKey::new(&scheme, &Secret::new(SECRET)).unwrap_err(),
        BuildError::InvalidValue {
            field: "value template",
            ..
        }
    ));
}

#[test]
fn api_key_names_must_fit_their_place() {
    for (name, location) in [
        ("", KeyLocation::Query),
        ("", KeyLocation::Cookie),
        ("a b", KeyLocation::Cookie),
        ("a=b", KeyLocation::Cookie),
        ("a;b", KeyLocation::Cookie),
        ("caf\u{e9}", KeyLocation::Cookie),
        ("", KeyLocation::Header),
        ("X API Key", KeyLocation::Header),
        ("X-Key\r\n", KeyLocation::Header),
    ] {
        let scheme = ApiKeyScheme::new("k", name, location);
        let err = ApiKey::new(&scheme, &Secret::new(SECRET)).unwrap_err();
        assert!(
            matches!(&err, BuildError::InvalidName { name: n, .. } if n == name),
            "{name:?}: {err}"
        );
    }
    for reserved in ["Host", "content-length", "TRANSFER-ENCODING"] {
        let scheme = ApiKeyScheme::new("k", reserved, KeyLocation::Header);
        assert!(
            matches!(
                ApiKey::new(&scheme, &Secret::new(SECRET)),
                Err(BuildError::ReservedHeader { .. })
            ),
            "{reserved}"
        );
    }
}

// ---- the time a verified webhook was sent -----------------------------------------------

const SENT_MILLIS: u64 = 1_700_000_000_123;

fn clock() -> Arc<ManualClock> {
    let clock = ManualClock::at_unix_seconds(0);
    clock.advance(Duration::from_millis(SENT_MILLIS));
    Arc::new(clock)
}

#[test]
fn verified_timestamp_reads_each_preset_in_its_own_unit() -> Result<(), Box<dyn std::error::Error>>
{
    let secret: Secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into();
    let (mut millis, mut seconds) = (0, 0);
    for preset in Preset::ALL {
        let scheme = preset.scheme();
        let Some(rule) = &scheme.timestamp else {
            continue;
        };
        let in_millis = format!("{:?}", rule.unit) == "Milliseconds";
        let expected = if in_millis {
            UNIX_EPOCH + Duration::from_millis(SENT_MILLIS)
        } else {
            UNIX_EPOCH + Duration::from_secs(SENT_MILLIS / 1000)
        };
        let Ok(signer) = Signer::new(&scheme, &secret) else {
            continue;
        };
        let signer = signer.with_clock(clock());
        let body = format!(r#"{{"webhookTimestamp": {SENT_MILLIS}, "id": "e1"}}"#);
        let mut request = http::Request::post("https://hooks.example.com/in?a=1")
            .header("content-type", "application/json")
            .header("webhook-id", "msg_1")
            .header("svix-id", "msg_1")
            .body(body.clone().into_bytes())?;
        if signer.sign(&mut request).is_err() {
            continue;
        }
        let verifier = Verifier::new(&scheme, std::slice::from_ref(&secret))?.with_clock(clock());
        let verified = verifier.verify(&request)?;
        assert_eq!(verified.timestamp(), Some(expected), "{preset:?}");
        match verifier.stream(&request.map(|_| ())) {
            Ok(mut stream) => {
                stream.update(body.as_bytes())?;
                assert_eq!(stream.finish()?.timestamp(), Some(expected), "{preset:?}");
            }
            Err(err) => assert_eq!(err, VerifyError::NotStreamable, "{preset:?}"),
        }
        if in_millis {
            millis += 1;
        } else {
            seconds += 1;
        }
    }
    assert!(millis >= 2, "{millis} presets in milliseconds checked");
    assert!(seconds >= 5, "{seconds} presets in seconds checked");
    Ok(())
}

// ---- redacted requests ------------------------------------------------------------------

#[test]
fn a_redacted_request_keeps_every_other_query_parameter_in_place() {
    let template = ConnectionTemplate::new(
        "api",
        "https://api.example.com",
        vec![AuthSchemeConfig::ApiKey(ApiKeyScheme::new(
            "k",
            "api_key",
            KeyLocation::Query,
        ))],
    );
    let live = template
        .connect(vec![Credential::api_key(SECRET)])
        .and_then(|c| c.build(&template))
        .expect("builds");
    for (uri, first_line) in [
        (
            "https://api.example.com/v1?a=1&b=2",
            "GET https://api.example.com/v1?a=1&b=2&api_key=******".to_owned(),
        ),
        (
            "https://api.example.com/v1?api_key=old&a=1",
            "GET https://api.example.com/v1?a=1&api_key=******".to_owned(),
        ),
        (
            "/v1",
            "GET https://api.example.com/v1?api_key=******".to_owned(),
        ),
    ] {
        let mut request = http::Request::get(uri).body(()).expect("valid");
        live.authorize(&mut request).expect("authorized");
        let shown = live.redacted(&request).to_string();
        assert_eq!(shown.lines().next(), Some(first_line.as_str()), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[test]
fn a_redacted_request_hides_sensitive_and_credential_headers_only() {
    let template = ConnectionTemplate::new(
        "api",
        "https://api.example.com",
        vec![AuthSchemeConfig::ApiKey(ApiKeyScheme::new(
            "k",
            "api_key",
            KeyLocation::Query,
        ))],
    );
    let live = template
        .connect(vec![Credential::api_key(SECRET)])
        .and_then(|c| c.build(&template))
        .expect("builds");
    let mut secret = http::HeaderValue::from_static("s3cr3t-Value");
    secret.set_sensitive(true);
    let request = http::Request::get("https://api.example.com/x")
        .header("accept", "text/plain")
        .header("authorization", "Bearer s3cr3t-Value")
        .header("x-private", secret)
        .body(())
        .expect("valid");
    let shown = live.redacted(&request).to_string();
    assert_eq!(
        shown,
        "GET https://api.example.com/x\naccept: text/plain\nauthorization: ******\nx-private: ******\n"
    );
    // Debug shows the same redacted text, for `{:?}` in log macros.
    assert_eq!(format!("{:?}", live.redacted(&request)), shown);
}
