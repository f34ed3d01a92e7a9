//! Coverage of the real provider catalog (issue #14, "Done means"): every provider of
//! `tests/data/nango_providers.json` whose auth mode credgate has (API key, Basic, OAuth 1,
//! OAuth 2, OAuth 2 client credentials) is translated into a template *without
//! approximating* (`catalog/translate.rs`), a connection is built with sample values, and
//! what credgate sends is compared with what the catalog entry says the provider expects
//! (`catalog/expect.rs`, which never looks at the template). A provider counts only when
//! credgate sends exactly that; anything else is a miss with a reason.
//!
//! Prints the five figures and the top reasons (`cargo test --test catalog -- --nocapture`)
//! and asserts floors at today's values: raise them when a figure rises (the fields other
//! branches add are switched on in `catalog/features.rs`).

mod catalog {
    pub(crate) mod check;
    pub(crate) mod expect;
    pub(crate) mod features;
    pub(crate) mod nango;
    pub(crate) mod translate;
}

use std::collections::BTreeMap;

use catalog::nango::Provider;
use catalog::translate::Translation;

const MODES: [&str; 5] = ["API_KEY", "BASIC", "OAUTH1", "OAUTH2", "OAUTH2_CC"];

#[derive(Default)]
struct Figure {
    covered: usize,
    total: usize,
    reasons: BTreeMap<String, Vec<String>>,
}

impl Figure {
    fn record(&mut self, provider: &str, outcome: Result<(), String>) {
        self.total += 1;
        match outcome {
            Ok(()) => self.covered += 1,
            Err(reason) => self
                .reasons
                .entry(reason)
                .or_default()
                .push(provider.to_owned()),
        }
    }

    fn percent(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        // Counts are below 2^52: exact as f64.
        #[allow(clippy::cast_precision_loss)]
        let ratio = self.covered as f64 / self.total as f64;
        ratio * 100.0
    }

    fn print(&self, name: &str) {
        println!(
            "{name:<16} {:>4}/{:<4} {:5.1}%",
            self.covered,
            self.total,
            self.percent()
        );
        let mut reasons: Vec<_> = self.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        for (reason, providers) in reasons.iter().take(8) {
            let some: Vec<&str> = providers.iter().take(3).map(String::as_str).collect();
            println!(
                "    {:>4}  {reason}  (e.g. {})",
                providers.len(),
                some.join(", ")
            );
        }
    }
}

#[test]
fn catalog_coverage() {
    let text = include_str!("data/nango_providers.json");
    let entries: Vec<serde_json::Value> = serde_json::from_str(text).expect("the catalog parses");
    let [
        mut placement,
        mut base_url,
        mut authorize,
        mut token,
        mut refresh,
    ] = std::array::from_fn(|_| Figure::default());
    for entry in &entries {
        let p = Provider(entry);
        if !MODES.contains(&p.mode()) {
            continue;
        }
        let t = Translation::of(&p);
        placement.record(p.name(), catalog::check::placement(&p, &t));
        base_url.record(p.name(), catalog::check::base_url(&p, &t));
        if p.mode() == "OAUTH2" {
            authorize.record(p.name(), catalog::check::authorize(&p, &t));
            refresh.record(p.name(), catalog::check::refresh(&p, &t));
        }
        if p.is_oauth2() {
            token.record(p.name(), catalog::check::token(&p, &t));
        }
    }
    println!(
        "credgate on the provider catalog ({} providers):",
        placement.total
    );
    placement.print("placement");
    base_url.print("base URL");
    authorize.print("authorize URL");
    token.print("token request");
    refresh.print("refresh request");
    // Floors at today's counts (the features switched on in `catalog/features.rs`); a
    // change that lowers one is a regression.
    let floors = [
        (&placement, "placement", 863),
        (&base_url, "base URL", 867),
        (&authorize, "authorize URL", 339),
        (&token, "token request", 447),
        (&refresh, "refresh request", 341),
    ];
    for (figure, name, floor) in floors {
        assert!(
            figure.covered >= floor,
            "{name}: {} covered, below the floor {floor}",
            figure.covered
        );
    }
}
