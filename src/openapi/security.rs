//! `security` requirements, top level and per operation → the document's alternatives.
//!
//! Each requirement object is one alternative (OR); the schemes inside it are required
//! together (AND). Alternatives are deduplicated by their set of schemes, the top level's
//! first, then the operations' in path order.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Warning;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One requirement: the schemes required together, each with its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub(crate) schemes: Vec<(String, Vec<String>)>,
}

/// The document's distinct requirements and the operations that need none.
#[derive(Debug, Default)]
pub(crate) struct Requirements {
    pub(crate) alternatives: Vec<Requirement>,
    pub(crate) unauthenticated: Vec<String>,
}

/// Reads a `security` value; `None` (with a warning) when it has another shape.
fn parse(value: &Value, location: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Requirement>> {
    let parsed = value.as_array().and_then(|requirements| {
        requirements
            .iter()
            .map(|requirement| {
                let requirement = requirement.as_object()?;
                let schemes = requirement
                    .iter()
                    .map(|(name, scopes)| {
                        let scopes = scopes
                            .as_array()?
                            .iter()
                            .map(|scope| scope.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()?;
                        Some((name.clone(), scopes))
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(Requirement { schemes })
            })
            .collect::<Option<Vec<_>>>()
    });
    if parsed.is_none() {
        warnings.push(Warning::InvalidSecurity {
            location: location.to_owned(),
        });
    }
    parsed
}

fn key(requirement: &Requirement) -> BTreeSet<String> {
    requirement
        .schemes
        .iter()
        .map(|(name, _)| name.clone())
        .collect()
}

/// Collects the alternatives. Scopes are kept from the top level only: an operation's
/// scopes are what that operation needs, not what a connection should ask for.
pub(crate) fn collect(document: &Value, warnings: &mut Vec<Warning>) -> Requirements {
    let mut found = Requirements::default();
    // Known scheme sets: a document with thousands of operations stays linear.
    let mut seen = BTreeSet::new();
    let mut add = |found: &mut Requirements, requirement: Requirement| {
        if seen.insert(key(&requirement)) {
            found.alternatives.push(requirement);
        }
    };
    let top = document
        .get("security")
        .and_then(|security| parse(security, "security", warnings));
    for requirement in top.iter().flatten() {
        add(&mut found, requirement.clone());
    }
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in METHODS {
            let Some(security) = item
                .get(method)
                .and_then(|operation| operation.get("security"))
            else {
                continue;
            };
            let location = format!("{} {path}", method.to_ascii_uppercase());
            let Some(requirements) = parse(security, &location, warnings) else {
                continue;
            };
            if requirements.is_empty() {
                found.unauthenticated.push(location);
            }
            for mut requirement in requirements {
                requirement
                    .schemes
                    .iter_mut()
                    .for_each(|(_, scopes)| scopes.clear());
                add(&mut found, requirement);
            }
        }
    }
    found
}
