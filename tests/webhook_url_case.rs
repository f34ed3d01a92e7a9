//! A URL-signed scheme verified from the request URI keeps the URL the sender signed when it
//! spelled the scheme `HTTP://` or `HTTPS://` (issue #17 item 5): `http::Uri` writes those
//! schemes in lower case, so [`Verifier::verify`] also tries the upper-case spelling. A URL
//! given to `verify_with_url` is used byte for byte.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use credgate::webhook::{Preset, Verifier, VerifyError};
use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use sha2::Sha256;

const SECRET: &str = "s3cret";
const BODY: &[u8] = br#"{"merchant_id":"M1","type":"payment.updated"}"#;

/// Square's signature: base64 HMAC-SHA256 (or SHA-1 for the legacy header) of URL ‖ body.
fn square(preset: Preset, url: &str, body: &[u8]) -> (&'static str, String) {
    if preset == Preset::Square {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
        mac.update(url.as_bytes());
        mac.update(body);
        (
            "x-square-hmacsha256-signature",
            STANDARD.encode(mac.finalize().into_bytes()),
        )
    } else {
        let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).expect("any key");
        mac.update(url.as_bytes());
        mac.update(body);
        (
            "x-square-signature",
            STANDARD.encode(mac.finalize().into_bytes()),
        )
    }
}

fn request(uri: &str, header: (&str, String), body: &[u8]) -> http::Request<Vec<u8>> {
    http::Request::post(uri)
        .header(header.0, header.1)
        .body(body.to_vec())
        .expect("valid request")
}

fn verifier(preset: Preset) -> Verifier {
    Verifier::from_preset(preset, &[SECRET.into()]).expect("valid preset")
}

#[test]
fn an_upper_case_scheme_in_the_request_uri_verifies_as_signed() {
    for preset in [Preset::Square, Preset::SquareSha1] {
        let verifier = verifier(preset);
        for url in [
            "HTTPS://hooks.example.com/square?tenant=a%20b",
            "HTTP://hooks.example.com:8080/square",
            "https://hooks.example.com/square",
        ] {
            // The request says what the sender signed, upper case or not.
            let signed = request(url, square(preset, url, BODY), BODY);
            assert!(verifier.verify(&signed).is_ok(), "{preset:?} {url}");
            // Streaming reads the same URL.
            let mut stream = verifier.stream(&signed).expect("streamable");
            stream.update(BODY).expect("under the cap");
            assert!(stream.finish().is_ok(), "{preset:?} {url} streamed");
            // Another body still fails.
            let tampered = request(url, square(preset, url, BODY), b"{}");
            assert_eq!(
                verifier.verify(&tampered).unwrap_err(),
                VerifyError::Mismatch,
                "{preset:?} {url}"
            );
        }
        // A sender that signed the lower-case URL verifies whatever case the request URI has.
        let lower = "https://hooks.example.com/square";
        let signed = request(
            "HTTPS://hooks.example.com/square",
            square(preset, lower, BODY),
            BODY,
        );
        assert!(verifier.verify(&signed).is_ok(), "{preset:?}");
        // The rest of the URL is not case-folded: a host or path spelled otherwise fails.
        let signed = request(
            "HTTPS://hooks.example.com/square",
            square(preset, "HTTPS://hooks.example.com/Square", BODY),
            BODY,
        );
        assert_eq!(
            verifier.verify(&signed).unwrap_err(),
            VerifyError::Mismatch,
            "{preset:?}"
        );
    }
}

#[test]
fn a_mixed_case_scheme_needs_the_url_given_byte_for_byte() {
    // `http::Uri` keeps no spelling of `Https` but `https`: `verify` cannot rebuild it, and
    // says so in `VerifyError::Mismatch`'s documentation; `verify_with_url` takes it as is.
    let url = "Https://hooks.example.com/square";
    let signed = request(url, square(Preset::Square, url, BODY), BODY);
    let verifier = verifier(Preset::Square);
    assert_eq!(verifier.verify(&signed).unwrap_err(), VerifyError::Mismatch);
    assert!(verifier.verify_with_url(&signed, url).is_ok());
}

#[test]
fn a_given_url_is_used_byte_for_byte() {
    let verifier = verifier(Preset::Square);
    let signed_url = "https://hooks.example.com/square";
    let signed = request(signed_url, square(Preset::Square, signed_url, BODY), BODY);
    assert!(verifier.verify_with_url(&signed, signed_url).is_ok());
    // No case variants of an explicit URL: it is what the caller says was signed.
    assert_eq!(
        verifier
            .verify_with_url(&signed, "HTTPS://hooks.example.com/square")
            .unwrap_err(),
        VerifyError::Mismatch
    );
    let upper = "HTTPS://hooks.example.com/square";
    let signed = request(signed_url, square(Preset::Square, upper, BODY), BODY);
    assert!(verifier.verify_with_url(&signed, upper).is_ok());
    assert!(
        verifier
            .verify_parts(signed.headers(), BODY, Some(upper))
            .is_ok()
    );
}

#[test]
fn twilio_with_an_upper_case_scheme_and_its_port_variants() {
    let params = b"To=%2B15551234567&From=%2B15557654321&Body=hi";
    // Twilio signs URL ‖ each form parameter (sorted by name) as name ‖ value.
    let sign = |url: &str| {
        let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).expect("any key");
        mac.update(url.as_bytes());
        mac.update(b"Body");
        mac.update(b"hi");
        mac.update(b"From");
        mac.update(b"+15557654321");
        mac.update(b"To");
        mac.update(b"+15551234567");
        STANDARD.encode(mac.finalize().into_bytes())
    };
    let verifier = verifier(Preset::Twilio);
    for (request_uri, signed_url) in [
        ("HTTPS://example.com/sms", "HTTPS://example.com/sms"),
        ("HTTPS://example.com/sms", "HTTPS://example.com:443/sms"),
        ("HTTP://example.com:8080/sms", "HTTP://example.com/sms"),
        ("HTTP://example.com/sms", "http://example.com:80/sms"),
    ] {
        let delivery = http::Request::post(request_uri)
            .header("X-Twilio-Signature", sign(signed_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(params.to_vec())
            .expect("valid request");
        assert!(
            verifier.verify(&delivery).is_ok(),
            "{request_uri} signed as {signed_url}"
        );
    }
}
