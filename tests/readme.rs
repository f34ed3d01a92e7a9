//! The README stays true: its first snippet runs as written, every command it lists names
//! an example that exists with the features it needs, every example is listed, the
//! newcomer snippets stay within the line counts issue #15 promises, and its numbers and
//! versions agree with the code and Cargo.toml. Reads files only: offline and fast.

use std::collections::BTreeSet;

const README: &str = include_str!("../README.md");
const CARGO_TOML: &str = include_str!("../Cargo.toml");
const THIS_FILE: &str = include_str!("readme.rs");

/// The Rust code blocks of the README, in order, without their fences.
fn rust_blocks() -> Vec<&'static str> {
    let mut blocks = Vec::new();
    let mut rest = README;
    while let Some(start) = rest.find("```rust\n") {
        let body = &rest[start + "```rust\n".len()..];
        let end = body.find("```").expect("an unclosed ```rust block");
        blocks.push(&body[..end]);
        rest = &body[end + 3..];
    }
    blocks
}

/// The code lines of a snippet: trimmed, without blank lines, comment lines or trailing
/// `// ...` comments (a `//` inside a URL is kept: it follows no space).
fn code_lines(snippet: &str) -> Vec<String> {
    snippet
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .map(|line| match line.find(" //") {
            Some(at) => line[..at].trim_end().to_owned(),
            None => line.to_owned(),
        })
        .collect()
}

/// The README's first snippet, verbatim between the markers (compared below).
fn first_snippet()
-> Result<(credgate::LiveConnection, http::Request<()>), Box<dyn std::error::Error>> {
    // README BEGIN
    use credgate::{ConnectionTemplate, Credential};

    let template: ConnectionTemplate = serde_json::from_str(
        r#"{
    "name": "weather", "templateBaseUrl": "https://api.weather.example/v2",
    "authSchemeConfigs": [{"type": "api-key",
        "apiKey": {"id": "key", "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]
}"#,
    )?;
    let live = template.connect_live(vec![Credential::api_key("wk_123")])?;

    let mut request = http::Request::get("/forecast?city=Oslo").body(())?;
    live.authorize(&mut request)?;
    println!("{}", live.redacted(&request));
    // README END
    Ok((live, request))
}

#[test]
fn the_first_snippet_runs_as_written_and_prints_what_it_says() {
    let marked = THIS_FILE
        .split("// README BEGIN\n")
        .nth(1)
        .and_then(|rest| rest.split("// README END").next())
        .unwrap();
    // rustfmt wraps the raw string in parentheses on their own lines: join them back.
    let ours = code_lines(marked)
        .join("\n")
        .replace("(\nr#", "(r#")
        .replace("\"#,\n)", "\"#)");
    let readme = code_lines(rust_blocks()[0]).join("\n");
    assert_eq!(
        ours, readme,
        "the README's first snippet and this test's copy differ"
    );

    let (live, request) = first_snippet().unwrap();
    assert_eq!(request.headers()["authorization"], "Bearer wk_123");
    let printed = live.redacted(&request).to_string();
    assert!(
        printed.starts_with("GET https://api.weather.example/v2/forecast?city=Oslo"),
        "{printed}"
    );
    assert!(printed.contains("authorization: ******"), "{printed}");
    assert!(!printed.contains("wk_123"));
    // The comments beside the snippet say the same.
    assert!(rust_blocks()[0].contains("// GET https://api.weather.example/v2/forecast?city=Oslo"));
    assert!(rust_blocks()[0].contains("// authorization: ******"));
}

/// `[[example]]` name → its required features, from Cargo.toml.
fn example_features() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for section in CARGO_TOML.split("[[example]]").skip(1) {
        let section = section.split("\n[").next().unwrap();
        let value = |key: &str| {
            section
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .map(|rest| rest.trim().trim_start_matches('=').trim().to_owned())
        };
        let name = value("name").unwrap().trim_matches('"').to_owned();
        let features = value("required-features")
            .map(|list| {
                list.trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .map(|f| f.trim().trim_matches('"').to_owned())
                    .filter(|f| !f.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        out.push((name, features));
    }
    out
}

/// Every `cargo run --example NAME [--features F]` in the README: (name, features).
fn readme_commands() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (at, _) in README.match_indices("cargo run --example ") {
        let rest = &README[at + "cargo run --example ".len()..];
        let end = rest.find(['`', '\n', '#']).unwrap_or(rest.len());
        let mut words = rest[..end].split_whitespace();
        let name = words.next().unwrap().to_owned();
        let mut features = Vec::new();
        while let Some(word) = words.next() {
            if word == "--features" {
                features.extend(words.next().unwrap().split(',').map(str::to_owned));
            }
        }
        out.push((name, features));
    }
    out
}

#[test]
fn every_listed_example_exists_with_the_features_it_needs() {
    let declared = example_features();
    let commands = readme_commands();
    assert!(commands.len() >= 7, "{commands:?}");
    for (name, features) in &commands {
        let path = format!("{}/examples/{name}.rs", env!("CARGO_MANIFEST_DIR"));
        assert!(
            std::path::Path::new(&path).is_file(),
            "{path} is listed but missing"
        );
        let required = declared
            .iter()
            .find(|(declared, _)| declared == name)
            .map(|(_, features)| features.clone())
            .unwrap_or_default();
        assert_eq!(
            features, &required,
            "`cargo run --example {name}` in the README and required-features in Cargo.toml disagree"
        );
    }
}

#[test]
fn every_example_is_listed_and_every_adapter_has_a_row_with_its_command() {
    let listed: BTreeSet<String> = readme_commands()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            assert!(
                listed.contains(&name),
                "examples/{name}.rs is not in the README"
            );
        }
    }
    for feature in ["reqwest", "tower", "axum"] {
        let row = README
            .lines()
            .find(|line| line.starts_with('|') && line.contains(&format!("(feature `{feature}`)")))
            .unwrap_or_else(|| panic!("no README row for the `{feature}` adapter"));
        assert!(
            row.contains(&format!("--features {feature}`")),
            "the `{feature}` row gives no command: {row}"
        );
        assert!(
            CARGO_TOML.contains(&format!("\n{feature} = [")),
            "README names feature `{feature}`, Cargo.toml has none"
        );
    }
}

#[test]
fn quickstart_is_first_and_needs_no_feature_and_no_other_crate() {
    let first = readme_commands().into_iter().next().unwrap();
    assert_eq!(first, ("quickstart".to_owned(), Vec::new()));
    let setup = README.split("## Set up").nth(1).unwrap();
    let first_line = setup
        .lines()
        .find(|line| line.starts_with("cargo "))
        .unwrap();
    assert!(
        first_line.starts_with("cargo run --example quickstart "),
        "{first_line}"
    );
    let source = include_str!("../examples/quickstart.rs");
    for line in source.lines().filter(|line| line.starts_with("use ")) {
        let krate = line["use ".len()..].split("::").next().unwrap();
        assert!(
            ["credgate", "std", "http", "serde_json"].contains(&krate),
            "quickstart uses {krate}: keep it to credgate, http and serde_json"
        );
    }
    // Crates named by path without a `use`.
    for krate in ["tokio", "reqwest", "axum", "hyper", "ureq", "tiny_http"] {
        assert!(
            !source.contains(&format!("{krate}::")),
            "quickstart uses {krate}"
        );
    }
}

/// The snippet of the README holding `marker`.
fn block_with(marker: &str) -> &'static str {
    rust_blocks()
        .into_iter()
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("no README snippet holds {marker}"))
}

/// Issue #15's "Done means": at most 5 lines beyond building the client and the
/// connection (reqwest), or beyond the router (axum).
#[test]
fn the_newcomer_snippets_take_at_most_five_lines() {
    let reqwest: Vec<String> = code_lines(block_with("ClientExt"))
        .into_iter()
        .filter(|line| !line.contains(".connect_live("))
        .collect();
    assert!(reqwest.len() <= 5, "{reqwest:#?}");
    let example = include_str!("../examples/oauth2_client_credentials.rs");
    for line in reqwest.iter().filter(|line| line.contains(".authorized(")) {
        assert!(
            example.contains(line.as_str()),
            "the example does not run {line}"
        );
    }

    let axum: Vec<String> = code_lines(block_with("VerifyWebhookLayer"))
        .into_iter()
        .filter(|line| !line.starts_with("let app = Router::new()") && !line.starts_with(".route("))
        .collect();
    assert!(axum.len() <= 5, "{axum:#?}");
    let example = include_str!("../examples/webhook_receiver.rs");
    assert!(example.contains("VerifyWebhookLayer::from_preset("));
    assert!(example.contains("hook: Webhook"));
}

#[test]
fn numbers_and_versions_agree_with_the_code() {
    let presets = credgate::webhook::Preset::ALL.len();
    assert!(
        README.contains(&format!("{presets} provider presets")),
        "the README does not say {presets} presets"
    );
    // The `[dependencies]` lines the README tells users to add pull the versions credgate
    // is built against (one `http`, one reqwest).
    for (krate, version) in [("http", "1"), ("reqwest", "0.13"), ("axum", "0.8")] {
        assert!(
            CARGO_TOML.contains(&format!("\n{krate} = {{ version = \"{version}\""))
                || CARGO_TOML.contains(&format!("\n{krate} = \"{version}\"")),
            "Cargo.toml does not use {krate} {version}"
        );
        assert!(
            README.contains(&format!("{krate} = \"{version}\"")),
            "the README does not tell users to add {krate} = \"{version}\""
        );
    }
}
