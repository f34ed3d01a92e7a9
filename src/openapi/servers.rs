//! `servers[0]` → the base URL, its variables → `{name|default}` placeholders.
//!
//! A variable that sets part of the host gets the host patterns its values may produce:
//! each `enum` value substituted gives an exact host; without an `enum`, any host under the
//! fixed suffix after it (`*.suffix`), unless that suffix is empty or a public suffix, where
//! the variable gets none and a warning (the whole host would be the connection's choice).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Warning;
use crate::Placeholder;

/// At most this many explicit hosts are listed for one host; past it the variables get a
/// warning instead (each would be a host credentials may go to).
const MAX_HOSTS: usize = 256;

/// The base URL and its placeholders.
#[derive(Debug, Default)]
pub(crate) struct Server {
    pub(crate) base_url: String,
    pub(crate) placeholders: BTreeMap<String, Placeholder>,
}

/// A piece of a server URL: literal text or a `{name}`.
enum Piece<'a> {
    Text(&'a str),
    Variable(&'a str),
}

fn pieces(url: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + len];
        if name.is_empty() || name.contains('{') {
            out.push(Piece::Text(&rest[..open + len + 1]));
        } else {
            if open > 0 {
                out.push(Piece::Text(&rest[..open]));
            }
            out.push(Piece::Variable(name));
        }
        rest = &rest[open + len + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// A declared server variable.
struct Variable {
    default: Option<String>,
    enum_values: Vec<String>,
    description: String,
}

fn read_variable(name: &str, value: &Value, warnings: &mut Vec<Warning>) -> Variable {
    let problem = |problem| Warning::InvalidServerVariable {
        name: name.to_owned(),
        problem,
    };
    let mut variable = Variable {
        default: None,
        enum_values: Vec::new(),
        description: value
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    };
    match value.get("enum") {
        None => {}
        Some(Value::Array(values)) if values.iter().all(Value::is_string) => {
            variable.enum_values = values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        Some(_) => warnings.push(problem(
            "has an enum that is not a list of strings; it was ignored",
        )),
    }
    match value.get("default").and_then(Value::as_str) {
        None => warnings.push(problem(
            "has no string default, so every connection must supply it; give it a default",
        )),
        Some(default) if default.contains(['{', '}', '|']) => warnings.push(problem(
            "has a default holding {, } or |, which a placeholder cannot hold; every connection must supply it",
        )),
        Some(default) => {
            if !variable.enum_values.is_empty()
                && !variable.enum_values.iter().any(|value| value == default)
            {
                warnings.push(problem("has a default that is not one of its enum values"));
            }
            variable.default = Some(default.to_owned());
        }
    }
    variable
}

/// Where the host of a server URL is, as a byte range, when the URL is absolute.
fn host_range(url: &str) -> Option<(usize, usize)> {
    let scheme_end = url.find("://")?;
    if url[..scheme_end].contains(['/', '?', '#']) {
        return None;
    }
    let start = scheme_end + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    let host_start = authority.rfind('@').map_or(start, |i| start + i + 1);
    let host = &url[host_start..end];
    // A port follows the last `:` unless it is inside an IPv6 literal.
    let host_end = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => host_start + i,
        _ => end,
    };
    Some((host_start, host_end))
}

/// Whether `suffix` may follow `*.` in a host pattern: not empty and not itself a public
/// suffix (`com`, `co.uk`, an unknown TLD). A private suffix (`myshopify.com`) stated by
/// the document is allowed: that is the point of stating it.
fn is_safe_suffix(suffix: &str) -> bool {
    if suffix.is_empty() || suffix.starts_with('.') || suffix.contains("..") {
        return false;
    }
    !psl::suffix(suffix.as_bytes()).is_some_and(|found| {
        found.as_bytes() == suffix.as_bytes() && found.typ() != Some(psl::Type::Private)
    })
}

/// Every string `template` (host pieces) gives with each enum variable replaced by each of
/// its values, or `None` past [`MAX_HOSTS`].
fn substitute(
    template: &[Piece<'_>],
    variables: &BTreeMap<String, Variable>,
) -> Option<Vec<String>> {
    let mut hosts = vec![String::new()];
    for piece in template {
        match piece {
            Piece::Text(text) => hosts.iter_mut().for_each(|host| host.push_str(text)),
            Piece::Variable(name) => {
                let values = &variables.get(*name)?.enum_values;
                if values.is_empty() || hosts.len().saturating_mul(values.len()) > MAX_HOSTS {
                    return None;
                }
                hosts = hosts
                    .iter()
                    .flat_map(|host| values.iter().map(move |value| format!("{host}{value}")))
                    .collect();
            }
        }
    }
    Some(
        hosts
            .into_iter()
            .map(|host| host.to_ascii_lowercase())
            .collect(),
    )
}

/// The host patterns of a host made of `host` pieces, or `None` when a variable can choose
/// the whole host.
fn host_patterns(
    host: &[Piece<'_>],
    variables: &BTreeMap<String, Variable>,
) -> Option<Vec<String>> {
    let free = |piece: &Piece<'_>| match piece {
        Piece::Variable(name) => variables
            .get(*name)
            .is_none_or(|variable| variable.enum_values.is_empty()),
        Piece::Text(_) => false,
    };
    let Some(last_free) = host.iter().rposition(free) else {
        return substitute(host, variables);
    };
    // The fixed suffix starts after the label holding the last free variable.
    let mut suffix = Vec::new();
    let mut in_label = true;
    for piece in &host[last_free + 1..] {
        match piece {
            Piece::Text(text) if in_label => {
                if let Some(dot) = text.find('.') {
                    in_label = false;
                    suffix.push(Piece::Text(&text[dot + 1..]));
                }
            }
            Piece::Variable(_) if in_label => {}
            piece => suffix.push(match piece {
                Piece::Text(text) => Piece::Text(text),
                Piece::Variable(name) => Piece::Variable(name),
            }),
        }
    }
    if in_label {
        return None;
    }
    let suffixes = substitute(&suffix, variables)?;
    if !suffixes.iter().all(|suffix| is_safe_suffix(suffix)) {
        return None;
    }
    Some(
        suffixes
            .into_iter()
            .map(|suffix| format!("*.{suffix}"))
            .collect(),
    )
}

/// Reads `servers`; pushes a warning for whatever it cannot carry over.
pub(crate) fn import(document: &Value, warnings: &mut Vec<Warning>) -> Server {
    let servers = match document.get("servers") {
        Some(Value::Array(servers)) if !servers.is_empty() => servers,
        _ => {
            warnings.push(Warning::MissingServers);
            return Server::default();
        }
    };
    for other in &servers[1..] {
        if let Some(url) = other.get("url").and_then(Value::as_str) {
            warnings.push(Warning::ServerIgnored {
                url: url.to_owned(),
            });
        }
    }
    let Some(url) = servers[0].get("url").and_then(Value::as_str) else {
        warnings.push(Warning::MissingServers);
        return Server::default();
    };
    let whole_origin_variable = url.starts_with('{');
    let host = host_range(url);
    if host.is_none() && !whole_origin_variable {
        warnings.push(Warning::RelativeServerUrl {
            url: url.to_owned(),
        });
        return Server::default();
    }

    let mut variables = BTreeMap::new();
    if let Some(Value::Object(declared)) = servers[0].get("variables") {
        for (name, value) in declared {
            variables.insert(name.clone(), read_variable(name, value, warnings));
        }
    }

    let all = pieces(url);
    let mut used = BTreeSet::new();
    let mut base_url = String::with_capacity(url.len());
    let mut offset = 0;
    let mut host_pieces = Vec::new();
    let mut host_variables = BTreeSet::new();
    for piece in &all {
        let start = offset;
        match piece {
            Piece::Text(text) => {
                base_url.push_str(text);
                offset += text.len();
            }
            Piece::Variable(name) => {
                offset += name.len() + 2;
                used.insert(*name);
                base_url.push('{');
                base_url.push_str(name);
                match variables.get(*name) {
                    Some(Variable {
                        default: Some(default),
                        ..
                    }) => {
                        base_url.push('|');
                        base_url.push_str(default);
                    }
                    Some(_) => {}
                    None => {
                        if !used_before(&all, piece) {
                            warnings.push(Warning::UndeclaredServerVariable {
                                name: (*name).to_owned(),
                            });
                        }
                    }
                }
                base_url.push('}');
            }
        }
        // Pieces inside the host (text may straddle its edges: keep only the host's part).
        match host {
            Some((host_start, host_end)) if start < host_end && offset > host_start => {
                match piece {
                    Piece::Text(text) => {
                        let from = host_start.saturating_sub(start);
                        let to = (host_end - start).min(text.len());
                        host_pieces.push(Piece::Text(&text[from..to]));
                    }
                    Piece::Variable(name) => {
                        host_pieces.push(Piece::Variable(name));
                        host_variables.insert(*name);
                    }
                }
            }
            None if whole_origin_variable && start == 0 => {
                if let Piece::Variable(name) = piece {
                    host_variables.insert(*name);
                }
            }
            _ => {}
        }
    }

    let patterns = if host.is_some() && !host_variables.is_empty() {
        host_patterns(&host_pieces, &variables)
    } else {
        None
    };
    if patterns.is_none() {
        for name in &host_variables {
            warnings.push(Warning::HostUnrestricted {
                name: (*name).to_owned(),
            });
        }
    }

    let mut placeholders = BTreeMap::new();
    for (name, variable) in variables {
        if !used.contains(name.as_str()) {
            warnings.push(Warning::UnusedServerVariable { name });
            continue;
        }
        let mut placeholder = Placeholder::new()
            .with_enum_values(variable.enum_values)
            .with_description(variable.description);
        if let Some(patterns) = patterns
            .as_ref()
            .filter(|_| host_variables.contains(name.as_str()))
        {
            placeholder = placeholder.with_host_patterns(patterns.iter().cloned());
        }
        placeholders.insert(name, placeholder);
    }
    Server {
        base_url,
        placeholders,
    }
}

/// Whether the variable of `piece` already occurred earlier in the URL (warn once).
fn used_before(all: &[Piece<'_>], piece: &Piece<'_>) -> bool {
    let Piece::Variable(name) = piece else {
        return false;
    };
    all.iter()
        .take_while(|other| !std::ptr::eq(*other, piece))
        .any(|other| matches!(other, Piece::Variable(other) if other == name))
}
