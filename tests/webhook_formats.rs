//! A signature header that does not parse as the preset's format is `Malformed`, whatever
//! it holds: Paddle's `ts=..;h1=..` sent to a Stripe verifier (and the reverse), spaces
//! or other separators, a bare MAC. Only a well-formed list without the trusted version
//! is `NoTrustedSignature` (issue 13, item 17).

use std::sync::Arc;

use credgate::ManualClock;
use credgate::webhook::{Preset, Signer, Verifier, VerifyError};
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;

fn verify(preset: Preset, header: &str) -> Result<(), VerifyError> {
    let name = preset.scheme().name;
    let request = http::Request::post("https://hooks.example.com/in")
        .header(name, header)
        .body(b"{}".to_vec())
        .expect("valid request");
    Verifier::from_preset(preset, &["s3cret".into()])
        .expect("valid")
        .with_clock(Arc::new(ManualClock::at_unix_seconds(NOW)))
        .verify(&request)
        .map(|_| ())
}

fn signed_header(preset: Preset) -> String {
    let mut request = http::Request::post("https://hooks.example.com/in")
        .body(b"{}".to_vec())
        .expect("valid request");
    Signer::new(&preset.scheme(), &"s3cret".into())
        .expect("signable")
        .with_clock(Arc::new(ManualClock::at_unix_seconds(NOW)))
        .sign(&mut request)
        .expect("signed");
    let name = preset.scheme().name;
    request.headers()[name.as_str()]
        .to_str()
        .expect("ascii")
        .to_owned()
}

fn is_malformed(outcome: &Result<(), VerifyError>) -> bool {
    matches!(outcome, Err(VerifyError::Malformed { .. }))
}

#[test]
fn the_other_providers_separator_is_malformed() {
    let paddle = signed_header(Preset::Paddle);
    let stripe = signed_header(Preset::Stripe);
    assert_eq!(verify(Preset::Paddle, &paddle), Ok(()));
    assert_eq!(verify(Preset::Stripe, &stripe), Ok(()));
    // Each header with the other's separator (or another one), with either's keys.
    let mac = "ab".repeat(32);
    let comma_lists = [
        paddle.replace(';', ","),
        format!("t={NOW},v1={mac}"),
        format!("t={NOW}, v1={mac}"),
    ];
    let semicolon_lists = [
        stripe.replace(',', ";"),
        format!("ts={NOW};h1={mac}"),
        format!("ts={NOW}; h1={mac}"),
    ];
    let other_lists = [
        format!("t={NOW} v1={mac}"),
        format!("ts={NOW}|h1={mac}"),
        format!("t={NOW}&v1={mac}"),
        format!("v1={mac}={mac}"),
    ];
    for (preset, foreign) in [
        (Preset::Stripe, &semicolon_lists[..]),
        (Preset::Calendly, &semicolon_lists),
        (Preset::Paddle, &comma_lists),
        (Preset::Stripe, &other_lists),
        (Preset::Calendly, &other_lists),
        (Preset::Paddle, &other_lists),
    ] {
        for header in foreign {
            let outcome = verify(preset, header);
            assert!(is_malformed(&outcome), "{preset:?} {header:?}: {outcome:?}");
        }
    }
    // A well-formed list without the trusted version is still reported as such.
    assert_eq!(
        verify(Preset::Stripe, &format!("t={NOW},v0={}", "ab".repeat(32))),
        Err(VerifyError::NoTrustedSignature)
    );
    assert_eq!(
        verify(Preset::Paddle, &format!("ts={NOW};h2={}", "ab".repeat(32))),
        Err(VerifyError::NoTrustedSignature)
    );
}

proptest! {
    /// Any well-formed list rewritten with another separator (any punctuation or space
    /// other than the preset's own) is Malformed, never NoTrustedSignature.
    #[test]
    fn a_foreign_separator_is_always_malformed(
        preset in proptest::sample::select(vec![Preset::Stripe, Preset::Paddle, Preset::Calendly]),
        foreign in proptest::sample::select(vec![',', ';', ' ', '|', '&', ':', '\t', '/']),
        keys in proptest::collection::vec("[a-z][a-z0-9]{0,3}", 2..5),
        mac in "[0-9a-f]{64}",
    ) {
        let own = if preset == Preset::Paddle { ';' } else { ',' };
        prop_assume!(foreign != own);
        let header = keys
            .iter()
            .map(|key| format!("{key}={mac}"))
            .collect::<Vec<_>>()
            .join(&foreign.to_string());
        let outcome = verify(preset, &header);
        prop_assert!(is_malformed(&outcome), "{:?}", outcome);
    }
}
