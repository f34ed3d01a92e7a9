//! Streaming verification's limits: the body cap applies while streaming, and schemes that
//! read the body's content cannot stream.

use credgate::webhook::{Preset, Verifier, VerifyError, WebhookConfig};

#[test]
fn a_streamed_body_past_the_cap_is_rejected_without_buffering() {
    let mut config = WebhookConfig::preset(Preset::Github, vec!["s".into()]);
    config.max_body_bytes = Some(100);
    let verifier = Verifier::from_config(&config).expect("valid");
    let head = http::Request::post("/")
        .header("X-Hub-Signature-256", format!("sha256={}", "0".repeat(64)))
        .body(())
        .expect("valid");
    let mut stream = verifier.stream(&head).expect("streamable");
    stream.update(&[0; 100]).expect("at the cap");
    assert_eq!(
        stream.update(&[0]).unwrap_err(),
        VerifyError::BodyTooLarge { limit: 100 }
    );
    assert_eq!(
        stream.finish().unwrap_err(),
        VerifyError::BodyTooLarge { limit: 100 }
    );
}

#[test]
fn schemes_that_read_the_body_are_not_streamable() {
    for preset in [Preset::Linear, Preset::Mailgun, Preset::Twilio] {
        let verifier = Verifier::from_preset(preset, &["s".into()]).expect("valid");
        let head = http::Request::post("https://hooks.example.com/")
            .header("X-Hub-Signature-256", "x")
            .body(())
            .expect("valid");
        let err = verifier.stream(&head).unwrap_err();
        assert_eq!(err, VerifyError::NotStreamable, "{preset:?}");
    }
}
