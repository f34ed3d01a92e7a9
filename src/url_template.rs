//! Per-connection values in templated URLs: `https://{subdomain}.zendesk.com`.
//!
//! About a third of API providers put a per-connection value in the base, token or authorize
//! URL (a Zendesk subdomain, a Shopify shop). A value comes from the connection, that is from
//! an end user, so it must not be able to send credentials elsewhere: [`expand`] accepts only
//! plain values (letters, digits, `-`, `_`, `.`, `~`, no `..`) and checks that the expanded
//! URL keeps the template's scheme, port and fixed host suffix.

use std::collections::BTreeMap;

use crate::error::BuildError;

/// Expands every `{name}` in `template` with `values[name]`.
///
/// The template is an `http` or `https` URL (`https://` is assumed when the scheme is
/// missing, as for base URLs). A placeholder in the host must be followed by a fixed domain
/// of two labels at least, after the rest of its own label if any
/// (`{subdomain}.zendesk.com`, `{tenant}-api.example.com`, not `{host}` or `{host}.com`),
/// and the expanded host must still end with it.
/// A template without placeholders is returned as is; values it does not use are ignored.
///
/// # Errors
///
/// [`BuildError::InvalidUrlTemplate`] for a template that is not a URL, has an unclosed or
/// empty placeholder, or a host that a value could choose entirely;
/// [`BuildError::MissingUrlValue`] for a placeholder without a value;
/// [`BuildError::InvalidUrlValue`] for a value that is empty, contains `..`, or contains any
/// character other than ASCII letters, digits, `-`, `_`, `.` and `~` (so no `/`, `@`, `#`,
/// `?`, `:`, `%`-escapes or whitespace), or that would move the URL to another host.
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
/// use credgate::{BuildError, url_template};
///
/// let mut values = BTreeMap::new();
/// values.insert("subdomain".to_owned(), "acme".to_owned());
/// let url = url_template::expand("https://{subdomain}.zendesk.com/api/v2", &values)?;
/// assert_eq!(url, "https://acme.zendesk.com/api/v2");
///
/// values.insert("subdomain".to_owned(), "evil.com#".to_owned());
/// let err = url_template::expand("https://{subdomain}.zendesk.com", &values).unwrap_err();
/// assert!(matches!(err, BuildError::InvalidUrlValue { .. }));
/// # Ok::<(), BuildError>(())
/// ```
pub fn expand(template: &str, values: &BTreeMap<String, String>) -> Result<String, BuildError> {
    let template = template.trim();
    if !template.contains('{') && !template.contains('}') {
        return Ok(template.to_owned());
    }
    let (scheme, rest) = match template.split_once("://") {
        Some((scheme, rest)) => (scheme, rest),
        None => ("https", template),
    };
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return Err(invalid_template("must be an http or https URL"));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_end = authority
        .rfind(':')
        .filter(|&i| !authority[i..].contains('}'));
    let (host, port) = authority.split_at(host_end.unwrap_or(authority.len()));
    let fixed_suffix = match host.rfind('}') {
        None => None,
        Some(end) => {
            let suffix = &host[end + 1..];
            // The rest of the placeholder's label (`-api` in `{sub}-api.example.com`), then
            // at least two labels (`.zendesk.com`), so that a value never picks the whole
            // registrable domain under a bare top-level domain (`{host}.com`).
            let (label_rest, domain) = suffix.split_at(suffix.find('.').unwrap_or(suffix.len()));
            let labels = domain.split('.').skip(1);
            if !label_rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                || labels.clone().count() < 2
                || labels.clone().any(str::is_empty)
                || suffix.contains(['{', '@'])
                || crate::base_url::is_icann_suffix(&domain[1..].to_ascii_lowercase())
            {
                return Err(invalid_template(
                    "must follow a placeholder in the host with a fixed domain",
                ));
            }
            Some(suffix.to_ascii_lowercase())
        }
    };

    // A host without a placeholder must be the host the URL ends up with: with an empty one
    // (`https:///{host}/api`) a value in the path would become the host.
    let literal_host = match fixed_suffix {
        Some(_) => None,
        None => Some(
            url::Url::parse(&format!("{scheme}://{authority}"))
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .filter(|host| !host.is_empty())
                .ok_or_else(|| invalid_template("has no host"))?,
        ),
    };

    let mut expanded = String::with_capacity(template.len() + 16);
    expanded.push_str(scheme);
    expanded.push_str("://");
    substitute(host, values, &mut expanded)?;
    expanded.push_str(port);
    substitute(tail, values, &mut expanded)?;

    // Values were checked one by one; check the whole as well, in case a template's own
    // text combines with a value into something unexpected.
    let url = url::Url::parse(&expanded)
        .map_err(|_| invalid_template("does not expand to a valid URL"))?;
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let expected_port = port
        .strip_prefix(':')
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|&p| p != default_port);
    let host_ok = match (&fixed_suffix, url.host_str()) {
        (Some(suffix), Some(got)) => got.len() > suffix.len() && got.ends_with(suffix.as_str()),
        (None, got) => got.is_some() && got == literal_host.as_deref(),
        (Some(_), None) => false,
    };
    if !host_ok
        || url.port() != expected_port
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid_template("does not expand to a URL on its own host"));
    }
    Ok(expanded)
}

/// A valid value for each placeholder in `texts` (`{subdomain}` in
/// `https://{subdomain}.zendesk.com`), for checks that run before the values are known.
pub(crate) fn stand_in_values<'a>(
    texts: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    texts
        .into_iter()
        .flat_map(|text| text.split('{').skip(1))
        .filter_map(|after| after.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty())
        .map(|name| (name.to_owned(), "placeholder".to_owned()))
        .collect()
}

/// Appends `part` to `out` with each `{name}` replaced by its checked value.
fn substitute(
    mut part: &str,
    values: &BTreeMap<String, String>,
    out: &mut String,
) -> Result<(), BuildError> {
    while let Some(open) = part.find(['{', '}']) {
        if part.as_bytes()[open] == b'}' {
            return Err(invalid_template("has a } without a {"));
        }
        out.push_str(&part[..open]);
        let after = &part[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| invalid_template("has a { without a }"))?;
        let name = &after[..close];
        if name.is_empty() || name.contains('{') {
            return Err(invalid_template("has an empty or nested placeholder"));
        }
        let value = values
            .get(name)
            .ok_or_else(|| BuildError::MissingUrlValue {
                name: name.to_owned(),
            })?;
        // A listing's placeholder is named as such, not as a bad character.
        if value == crate::secret::REDACTED {
            return Err(BuildError::Redacted { field: "URL value" });
        }
        check_value(name, value)?;
        out.push_str(value);
        part = &after[close + 1..];
    }
    out.push_str(part);
    Ok(())
}

/// A value may hold only URL-unreserved characters, and no `..`.
fn check_value(name: &str, value: &str) -> Result<(), BuildError> {
    let reason = if value.is_empty() {
        "is empty"
    } else if value.contains("..") {
        "must not contain \"..\""
    } else if value.starts_with('.') || value.ends_with('.') {
        "must not start or end with \".\""
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
    {
        "may contain only letters, digits, \"-\", \"_\", \".\" and \"~\" (no \"/\", \"@\", \"#\", \"?\", \":\", \"%\" or whitespace)"
    } else {
        return Ok(());
    };
    Err(BuildError::InvalidUrlValue {
        name: name.to_owned(),
        reason,
    })
}

fn invalid_template(reason: &'static str) -> BuildError {
    BuildError::InvalidUrlTemplate { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn expands_host_path_and_port() -> Result<(), BuildError> {
        let v = values(&[("sub", "acme"), ("tenant", "t-1")]);
        assert_eq!(
            expand("https://{sub}.zendesk.com/api/{tenant}/x", &v)?,
            "https://acme.zendesk.com/api/t-1/x"
        );
        assert_eq!(
            expand("{sub}.example.com:8443/oauth/token", &v)?,
            "https://acme.example.com:8443/oauth/token"
        );
        assert_eq!(
            expand("https://eu.{sub}.example.com", &values(&[("sub", "a.b")]))?,
            "https://eu.a.b.example.com"
        );
        assert_eq!(
            expand("https://example.com/x", &v)?,
            "https://example.com/x"
        );
        // A private suffix is one provider's tenants.
        assert_eq!(
            expand("https://{sub}.myshopify.com", &v)?,
            "https://acme.myshopify.com"
        );
        // The placeholder may be part of a label.
        assert_eq!(
            expand("https://{sub}-api.example.com", &v)?,
            "https://acme-api.example.com"
        );
        Ok(())
    }

    #[test]
    fn rejects_values_that_could_change_the_host() {
        for bad in [
            "evil.com#",
            "evil.com/",
            "a@evil.com",
            "x?",
            "..",
            "a..b",
            ".a",
            "a.",
            "",
            "a b",
            "a%2f",
            "a:1",
            "a\\b",
            "é",
        ] {
            let err = expand("https://{sub}.zendesk.com", &values(&[("sub", bad)]));
            assert!(
                matches!(err, Err(BuildError::InvalidUrlValue { .. })),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn rejects_templates_a_value_could_take_over() {
        let v = values(&[("host", "acme")]);
        for bad in [
            "https://{host}",
            "https://{host}/x",
            "https://api.{host}",
            "ftp://{host}.example.com",
            "https://{host.example.com",
            "https://host}.example.com",
            "https://{}.example.com",
            "https://{host}.com",
            "https://{host}-api.com",
            "https://{host}x@evil.example.com",
            "https://{host}:x.example.com",
            "https:///{host}/api",
            "//{host}/api",
            "https://\t/{host}",
            "https://@/{host}",
            // A value would choose the owner of the name under a public suffix.
            "https://{host}.co.uk",
            "https://{host}.COM.au/x",
        ] {
            assert!(
                matches!(expand(bad, &v), Err(BuildError::InvalidUrlTemplate { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_a_missing_value() {
        assert_eq!(
            expand("https://{sub}.zendesk.com", &BTreeMap::new()),
            Err(BuildError::MissingUrlValue {
                name: "sub".to_owned()
            })
        );
    }
}
