//! Per-connection values in templated URLs and parameters: `https://{subdomain}.zendesk.com`,
//! `{loginHost|login.salesforce.com}`, `audience={audience}`.
//!
//! About a third of API providers put a per-connection value in the base, token or authorize
//! URL (a Zendesk subdomain, a Shopify shop, a Salesforce instance). A value comes from the
//! connection, that is from an end user, so it must not be able to send credentials
//! elsewhere. The contract:
//!
//! - A placeholder in the path or query takes only plain values (letters, digits, `-`, `_`,
//!   `.`, `~`, no `..`): it cannot leave its segment.
//! - A placeholder that sets any part of the host (`{subdomain}.zendesk.com`, `{domain}`,
//!   `api.amazon.{tld}`, a whole base URL `{instanceUrl}`) is refused unless the template
//!   declares it with [`Placeholder::host_patterns`]; the host a value produces must then
//!   match one of them, checked here, when the connection is built, never at send time.
//!   Nothing is assumed from the public suffix list: `{shop}.myshopify.com` needs
//!   `"hostPatterns": ["*.myshopify.com"]` like any other.
//! - A placeholder with an `enum` takes only one of those values.
//! - `{name|default}` uses `default` when the connection has no (or a blank) value.
//! - `a || b` (alternative URLs, as the Nango catalog writes them:
//!   `https://{hostname}/oauth_token.do || https://{subdomain}.service-now.com/oauth_token.do`)
//!   takes the first alternative whose placeholders all have a value or a default, else
//!   the last (which names the value it misses). Each alternative follows every rule above;
//!   one that has its values but breaks a rule is an error, never a reason to try the next.
//!
//! Pure string work, no I/O; it runs once per connection build, not per request.

use std::collections::BTreeMap;

use crate::error::BuildError;
use crate::model::Placeholder;

/// Expands every `{name}` (or `{name|default}`) in `template` with `values[name]`, with no
/// placeholder declared: a placeholder may not set any part of the host. See
/// [`expand_with`] for templates whose placeholders declare host patterns.
///
/// # Errors
///
/// As [`expand_with`]; in particular [`BuildError::HostPlaceholderNotDeclared`] for a
/// placeholder in the host.
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
/// use credgate::{BuildError, url_template};
///
/// let values = BTreeMap::from([("tenant".to_owned(), "t-1".to_owned())]);
/// let url = url_template::expand("https://api.example.com/{tenant}/{version|v2}", &values)?;
/// assert_eq!(url, "https://api.example.com/t-1/v2");
///
/// // A placeholder in the host must be declared with host patterns (see `expand_with`).
/// let err = url_template::expand("https://{tenant}.example.com", &values).unwrap_err();
/// assert!(matches!(err, BuildError::HostPlaceholderNotDeclared { .. }));
/// # Ok::<(), BuildError>(())
/// ```
pub fn expand(template: &str, values: &BTreeMap<String, String>) -> Result<String, BuildError> {
    expand_with(template, values, &BTreeMap::new())
}

/// Expands every `{name}` (or `{name|default}`) in `template` with `values[name]` (or the
/// default when the value is missing or blank), under the template's `placeholders`.
///
/// The template is an `http` or `https` URL (`https://` is assumed when the scheme is
/// missing, as for base URLs). A placeholder standing first and alone before the path
/// (`{instanceUrl}/services/data`) is a whole base URL: its value may be
/// `https://host[/path]` or `host[/path]`. A template without placeholders is returned as
/// is; values it does not use are ignored.
///
/// Host patterns: an exact host (`login.salesforce.com`), `*.` and a domain (`*.zendesk.com`:
/// exactly one more label), or `**.` and a domain (`**.example.com`: one or more labels).
/// The domain of a wildcard must have two labels at least and must not be an ICANN public
/// suffix (`*.com`, `*.co.uk` are refused); a private one (`*.myshopify.com`) is the
/// template's explicit choice. Hosts compare in lowercase ASCII; a host with a trailing dot
/// matches no pattern.
///
/// # Errors
///
/// [`BuildError::InvalidUrlTemplate`] for a template that is not a URL, has an unclosed or
/// empty placeholder, a placeholder in its scheme, or expands to a URL whose host the URL
/// parser reads differently; [`BuildError::HostPlaceholderNotDeclared`] for a placeholder in
/// the host without host patterns; [`BuildError::InvalidHostPattern`] for a malformed or
/// too broad pattern; [`BuildError::MissingUrlValue`] for a placeholder without a value or
/// default; [`BuildError::InvalidUrlValue`] for a value that is empty, contains `..`, holds
/// a character its position does not allow (in the host only letters, digits, `-` and `.`;
/// elsewhere also `_` and `~`; never `/` outside a whole base URL, `@`, `#`, `?`, `:`, `%`,
/// `\` or whitespace), or is not one of the placeholder's `enum`;
/// [`BuildError::HostNotAllowed`] for a host no pattern of the placeholder allows;
/// [`BuildError::Redacted`] for the listing placeholder `******`.
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
/// use credgate::{BuildError, Placeholder, url_template};
///
/// let placeholders = BTreeMap::from([(
///     "subdomain".to_owned(),
///     Placeholder::new().with_host_patterns(["*.zendesk.com"]),
/// )]);
/// let mut values = BTreeMap::from([("subdomain".to_owned(), "acme".to_owned())]);
/// let url = url_template::expand_with("https://{subdomain}.zendesk.com/api/v2", &values, &placeholders)?;
/// assert_eq!(url, "https://acme.zendesk.com/api/v2");
///
/// values.insert("subdomain".to_owned(), "a.b".to_owned());
/// let err = url_template::expand_with("https://{subdomain}.zendesk.com", &values, &placeholders);
/// assert!(matches!(err, Err(BuildError::HostNotAllowed { .. })));
/// # Ok::<(), BuildError>(())
/// ```
pub fn expand_with(
    template: &str,
    values: &BTreeMap<String, String>,
    placeholders: &BTreeMap<String, Placeholder>,
) -> Result<String, BuildError> {
    Expansion::new(values, placeholders).url(template)
}

/// Expands every `{name}` (or `{name|default}`) in a form-encoded parameter string
/// (`additionalAuthorizeParams`, `additionalTokenParams`: `audience={audience}&x=1`), the
/// value form-encoded. Braces that do not hold a placeholder name (letters, digits, `_`,
/// `-`, `.`) are left as they are. `field` names the parameters in errors.
///
/// # Errors
///
/// [`BuildError::MissingParamValue`] for a placeholder without a value or default;
/// [`BuildError::InvalidUrlValue`] for a value outside the placeholder's `enum`;
/// [`BuildError::Redacted`] for the listing placeholder `******`.
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
/// use credgate::url_template;
///
/// let values = BTreeMap::from([("audience".to_owned(), "https://api.acme.test/".to_owned())]);
/// let params = url_template::expand_params(
///     "audience={audience}&prompt={prompt|consent}", &values, &BTreeMap::new(), "additional authorize parameters")?;
/// assert_eq!(params, "audience=https%3A%2F%2Fapi.acme.test%2F&prompt=consent");
/// # Ok::<(), credgate::BuildError>(())
/// ```
pub fn expand_params(
    params: &str,
    values: &BTreeMap<String, String>,
    placeholders: &BTreeMap<String, Placeholder>,
    field: &'static str,
) -> Result<String, BuildError> {
    Expansion::new(values, placeholders).params(params, field)
}

/// One expansion's inputs: the connection's values and the template's placeholders, or
/// stand-ins (for checks that run before the values are known, such as loading a template:
/// every rule is checked except the produced host and the `enum`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expansion<'a> {
    values: &'a BTreeMap<String, String>,
    placeholders: &'a BTreeMap<String, Placeholder>,
    stand_in: bool,
}

/// Where a placeholder stands in a URL, which decides what its value may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spot {
    /// Anywhere in the authority.
    Host,
    /// First, before the path: the scheme (optional) and host, maybe a path.
    WholeUrl,
    /// Path or query.
    Rest,
}

impl<'a> Expansion<'a> {
    pub(crate) fn new(
        values: &'a BTreeMap<String, String>,
        placeholders: &'a BTreeMap<String, Placeholder>,
    ) -> Self {
        Self {
            values,
            placeholders,
            stand_in: false,
        }
    }

    /// Stand-in values in place of the connection's.
    pub(crate) fn stand_ins(placeholders: &'a BTreeMap<String, Placeholder>) -> Self {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        Self {
            values: &NONE,
            placeholders,
            stand_in: true,
        }
    }

    /// See [`expand_with`]. `a || b`: the first alternative whose placeholders all have a
    /// value (or a default), else the last, which then names its missing value; with
    /// stand-ins every alternative is checked.
    pub(crate) fn url(&self, template: &str) -> Result<String, BuildError> {
        let alternatives = alternatives(template);
        let [.., last] = alternatives.as_slice() else {
            return self.one_url(template);
        };
        if self.stand_in {
            let mut first = None;
            for alternative in &alternatives {
                let expanded = self.one_url(alternative)?;
                first.get_or_insert(expanded);
            }
            return Ok(first.unwrap_or_default());
        }
        let chosen = alternatives
            .iter()
            .find(|alternative| self.has_every_value(alternative))
            .unwrap_or(last);
        self.one_url(chosen)
    }

    /// Whether every placeholder of `template` has a non-blank value or a default.
    fn has_every_value(&self, template: &str) -> bool {
        template
            .split('{')
            .skip(1)
            .filter_map(|after| after.split_once('}').map(|(token, _)| token))
            .all(|token| {
                let (name, default) = split_token(token);
                default.is_some()
                    || self
                        .values
                        .get(name)
                        .is_some_and(|value| !value.trim().is_empty())
            })
    }

    /// One URL template, without alternatives.
    fn one_url(&self, template: &str) -> Result<String, BuildError> {
        let template = template.trim();
        if !template.contains(['{', '}']) {
            return Ok(template.to_owned());
        }
        let (scheme, rest, whole_url) = match find_outside_braces(template, "://") {
            Some(at) if !template[..at].contains(['{', '}']) => {
                (&template[..at], &template[at + 3..], false)
            }
            Some(_) => {
                return Err(invalid_template(
                    "must not have a placeholder in its scheme",
                ));
            }
            // `{instanceUrl}` or `{instanceUrl}/path`: the placeholder is the whole origin.
            None if template.starts_with('{') => {
                let after = template.find('}').map_or("", |end| &template[end + 1..]);
                let whole = after.is_empty() || after.starts_with(['/', '?', '#']);
                ("https", template, whole)
            }
            None => ("https", template, false),
        };
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            return Err(invalid_template("must be an http or https URL"));
        }
        let authority_end = outside_braces_find(rest, |c| matches!(c, '/' | '?' | '#'));
        let (authority, tail) = rest.split_at(authority_end);
        // With no host (`https:///{host}/api`) a value in the path would become one.
        if authority.is_empty() {
            return Err(invalid_template("has no host"));
        }

        let mut expanded = String::with_capacity(template.len() + 32);
        let mut host_setters = Vec::new();
        if whole_url {
            // The scheme comes with the value, or is `https`.
            substitute(
                authority,
                Spot::WholeUrl,
                &mut expanded,
                &mut host_setters,
                self,
            )?;
        } else {
            expanded.push_str(scheme);
            expanded.push_str("://");
            substitute(
                authority,
                Spot::Host,
                &mut expanded,
                &mut host_setters,
                self,
            )?;
        }
        substitute(tail, Spot::Rest, &mut expanded, &mut host_setters, self)?;
        self.check_result(&expanded, &host_setters, !authority.contains(['{', '}']))?;
        Ok(expanded)
    }

    /// The whole expanded URL: parsed the way clients parse it, its host must be the text
    /// between `://` and the path (no parser differential), and, when placeholders set it,
    /// match the patterns of every one of them.
    fn check_result(
        &self,
        expanded: &str,
        host_setters: &[&str],
        literal_authority: bool,
    ) -> Result<(), BuildError> {
        let on_own_host = || invalid_template("does not expand to a URL on its own host");
        let url = url::Url::parse(expanded)
            .map_err(|_| invalid_template("does not expand to a valid URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid_template("must be an http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(on_own_host());
        }
        let rest = expanded
            .split_once("://")
            .map(|(_, rest)| rest)
            .ok_or_else(on_own_host)?;
        let authority = &rest[..rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len())];
        let (host_text, port_text) = split_authority(authority);
        let host = url.host_str().ok_or_else(on_own_host)?;
        if host.is_empty() || !host_text.eq_ignore_ascii_case(host) {
            return Err(on_own_host());
        }
        let port_ok = match port_text {
            None => url.port().is_none(),
            Some(text) => {
                text.bytes().all(|b| b.is_ascii_digit())
                    && text.parse::<u16>().ok() == url.port_or_known_default()
            }
        };
        if !port_ok {
            return Err(on_own_host());
        }
        if literal_authority || self.stand_in {
            return Ok(());
        }
        let host = host.to_ascii_lowercase();
        for name in host_setters {
            let patterns = self
                .placeholders
                .get(*name)
                .map_or(&[][..], |p| p.host_patterns.as_slice());
            if !patterns.iter().any(|pattern| host_matches(pattern, &host)) {
                return Err(BuildError::HostNotAllowed {
                    name: (*name).to_owned(),
                    host,
                });
            }
        }
        Ok(())
    }

    /// See [`expand_params`].
    pub(crate) fn params(&self, params: &str, field: &'static str) -> Result<String, BuildError> {
        if !params.contains('{') {
            return Ok(params.to_owned());
        }
        let mut out = String::with_capacity(params.len() + 16);
        let mut rest = params;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let token = after
                .find('}')
                .map(|close| &after[..close])
                .filter(|inner| is_name(inner.split_once('|').map_or(*inner, |(n, _)| n)));
            let Some(token) = token else {
                out.push('{');
                rest = after;
                continue;
            };
            let (name, default) = split_token(token);
            let value = self.value(name, default).map_err(|err| match err {
                BuildError::MissingUrlValue { name } => {
                    BuildError::MissingParamValue { name, field }
                }
                other => other,
            })?;
            out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
            rest = &after[token.len() + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The value of `name` (the default when the connection has none), checked against the
    /// placeholder's `enum`.
    fn value<'s>(&'s self, name: &str, default: Option<&'s str>) -> Result<&'s str, BuildError> {
        let placeholder = self.placeholders.get(name);
        let value = if self.stand_in {
            default
                .or_else(|| placeholder.and_then(|p| p.enum_values.first().map(String::as_str)))
                .unwrap_or("placeholder")
        } else {
            self.values
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
                .or(default)
                .ok_or_else(|| BuildError::MissingUrlValue {
                    name: name.to_owned(),
                })?
        };
        // A listing's placeholder is named as such, not as a bad character.
        if value == crate::secret::REDACTED {
            return Err(BuildError::Redacted { field: "URL value" });
        }
        if !self.stand_in
            && let Some(placeholder) = placeholder
            && !placeholder.enum_values.is_empty()
            && !placeholder
                .enum_values
                .iter()
                .any(|allowed| allowed == value)
        {
            return Err(BuildError::InvalidUrlValue {
                name: name.to_owned(),
                reason: "is not one of the placeholder's enum values",
            });
        }
        Ok(value)
    }

    /// A placeholder that sets the host must be declared with valid host patterns.
    fn check_declared(&self, name: &str) -> Result<(), BuildError> {
        let patterns = self
            .placeholders
            .get(name)
            .map(|p| p.host_patterns.as_slice())
            .filter(|patterns| !patterns.is_empty())
            .ok_or_else(|| BuildError::HostPlaceholderNotDeclared {
                name: name.to_owned(),
            })?;
        for pattern in patterns {
            check_pattern(pattern).map_err(|reason| BuildError::InvalidHostPattern {
                name: name.to_owned(),
                reason,
            })?;
        }
        Ok(())
    }
}

/// Appends `part` to `out` with each `{name}` replaced by its checked value; the names of
/// placeholders in the host go to `host_setters`.
fn substitute<'t>(
    mut part: &'t str,
    spot: Spot,
    out: &mut String,
    host_setters: &mut Vec<&'t str>,
    expansion: &Expansion<'_>,
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
        let (name, default) = split_token(&after[..close]);
        if name.is_empty() || name.contains('{') || default.is_some_and(|d| d.contains('{')) {
            return Err(invalid_template("has an empty or nested placeholder"));
        }
        if spot != Spot::Rest {
            expansion.check_declared(name)?;
            host_setters.push(name);
        }
        let value = expansion.value(name, default)?;
        match spot {
            Spot::Rest => check_value(name, value, false)?,
            Spot::Host => check_value(name, value, true)?,
            Spot::WholeUrl => {
                let (scheme, rest) = match value.split_once("://") {
                    Some((scheme, rest)) => (Some(scheme), rest),
                    None => (None, value),
                };
                let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                check_value(name, host, true)?;
                let plain_path = path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~/".contains(&b))
                    && !path.contains("//")
                    && !path
                        .split('/')
                        .any(|segment| segment == "." || segment == "..");
                if !plain_path {
                    return Err(invalid_value(
                        name,
                        "may contain only an origin and a plain path (letters, digits, \"-\", \"_\", \".\", \"~\", single \"/\", no dot segments)",
                    ));
                }
                match scheme {
                    Some(s)
                        if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http") =>
                    {
                        out.push_str(&s.to_ascii_lowercase());
                    }
                    Some(_) => return Err(invalid_value(name, "must be an http or https URL")),
                    None => out.push_str("https"),
                }
                out.push_str("://");
                out.push_str(rest.trim_end_matches('/'));
                part = &after[close + 1..];
                continue;
            }
        }
        out.push_str(value);
        part = &after[close + 1..];
    }
    out.push_str(part);
    Ok(())
}

/// The host and port text of an authority (`[v6]:443`, `host:443`, `host`).
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        let end = authority.find(']').map_or(authority.len(), |i| i + 1);
        let (host, rest) = authority.split_at(end);
        return (host, rest.strip_prefix(':'));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// The index of `needle` in `text` outside braces.
fn find_outside_braces(text: &str, needle: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 && text[at..].starts_with(needle) => return Some(at),
            _ => {}
        }
    }
    None
}

/// The alternatives of `a || b` (Nango's syntax, `||` outside braces), trimmed; one for a
/// template without.
fn alternatives(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(at) = find_outside_braces(rest, "||") {
        out.push(rest[..at].trim());
        rest = &rest[at + 2..];
    }
    out.push(rest.trim());
    out
}

/// The name of the first placeholder of `url` without a default (`{subdomain}`), if any:
/// one a connection's value was meant to fill. With alternatives (`a || b`), none when one
/// alternative needs no value, else the first alternative's.
pub(crate) fn unfilled(url: &str) -> Option<&str> {
    fn first_unfilled(alternative: &str) -> Option<&str> {
        alternative
            .split('{')
            .skip(1)
            .filter_map(|after| after.split_once('}').map(|(token, _)| token))
            .find(|token| !token.is_empty() && !token.contains('|'))
    }
    let alternatives = alternatives(url);
    if alternatives.iter().any(|a| first_unfilled(a).is_none()) {
        return None;
    }
    alternatives.first().and_then(|a| first_unfilled(a))
}

/// `name` and the default of `name|default`.
fn split_token(token: &str) -> (&str, Option<&str>) {
    match token.split_once('|') {
        Some((name, default)) => (name, Some(default)),
        None => (token, None),
    }
}

/// A placeholder name in a parameter string: letters, digits, `_`, `-`, `.`.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// The index of the first character of `text` outside braces for which `hit` holds.
fn outside_braces_find(text: &str, hit: impl Fn(char) -> bool) -> usize {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            c if depth == 0 && hit(c) => return at,
            _ => {}
        }
    }
    text.len()
}

/// A value may hold only URL-unreserved characters, and no `..`; in the host, only
/// letters, digits, `-` and `.`.
fn check_value(name: &str, value: &str, in_host: bool) -> Result<(), BuildError> {
    let reason = if value.is_empty() {
        "is empty"
    } else if value.contains("..") {
        "must not contain \"..\""
    } else if value.starts_with('.') || value.ends_with('.') {
        "must not start or end with \".\""
    } else if in_host
        && !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        "may contain only letters, digits, \"-\" and \".\" in a host (no \"/\", \"@\", \"#\", \"?\", \":\", \"%\", \"\\\", non-ASCII or whitespace)"
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
    {
        "may contain only letters, digits, \"-\", \"_\", \".\" and \"~\" (no \"/\", \"@\", \"#\", \"?\", \":\", \"%\" or whitespace)"
    } else {
        return Ok(());
    };
    Err(invalid_value(name, reason))
}

/// Whether a host pattern is well formed and not too broad; the rule broken if not.
fn check_pattern(pattern: &str) -> Result<(), &'static str> {
    if pattern == ANY_HOST {
        return Ok(());
    }
    let domain = pattern
        .strip_prefix("**.")
        .or_else(|| pattern.strip_prefix("*."))
        .unwrap_or(pattern);
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if !labels_ok {
        return Err(
            "must be a lowercase host, \"*.\" and a domain, or \"**.\" and a domain (letters, digits, \"-\", no empty label or trailing dot)",
        );
    }
    if domain.len() != pattern.len()
        && (!domain.contains('.') || crate::base_url::is_icann_suffix(domain))
    {
        return Err("must not put a wildcard directly under a public suffix such as com or co.uk");
    }
    Ok(())
}

/// The pattern by which a template says a placeholder may name any host (self-hosted
/// software: `https://{hostname}/api`), written out so that no pattern says it by accident.
const ANY_HOST: &str = "**";

/// A DNS name of two or more labels that is neither an IP literal nor `localhost`: what
/// [`ANY_HOST`] admits. Loopback and private addresses would turn a template's own secrets
/// (`additionalTokenParams`, the client secret) toward the service's internal network.
fn is_public_dns_name(host: &str) -> bool {
    let mut labels = host.split('.');
    let last = labels.next_back().unwrap_or("");
    host.contains('.')
        && host
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && !last.bytes().all(|b| b.is_ascii_digit())
        && last != "localhost"
}

/// Whether `host` (lowercase) matches `pattern`: exact, `*.domain` (one more label) or
/// `**.domain` (one or more).
fn host_matches(pattern: &str, host: &str) -> bool {
    if check_pattern(pattern).is_err() || host.ends_with('.') {
        return false;
    }
    if pattern == ANY_HOST {
        return is_public_dns_name(host);
    }
    let (domain, many) = match pattern.strip_prefix("**.") {
        Some(domain) => (domain, true),
        None => match pattern.strip_prefix("*.") {
            Some(domain) => (domain, false),
            None => return host == pattern,
        },
    };
    host.strip_suffix(domain)
        .and_then(|sub| sub.strip_suffix('.'))
        .is_some_and(|sub| {
            !sub.is_empty() && sub.split('.').all(|l| !l.is_empty()) && (many || !sub.contains('.'))
        })
}

fn invalid_template(reason: &'static str) -> BuildError {
    BuildError::InvalidUrlTemplate { reason }
}

fn invalid_value(name: &str, reason: &'static str) -> BuildError {
    BuildError::InvalidUrlValue {
        name: name.to_owned(),
        reason,
    }
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

    fn hosts(name: &str, patterns: &[&str]) -> BTreeMap<String, Placeholder> {
        BTreeMap::from([(
            name.to_owned(),
            Placeholder::new().with_host_patterns(patterns.iter().copied()),
        )])
    }

    #[test]
    fn expands_host_path_and_port() -> Result<(), BuildError> {
        let v = values(&[("sub", "acme"), ("tenant", "t-1")]);
        let zendesk = hosts("sub", &["*.zendesk.com"]);
        assert_eq!(
            expand_with("https://{sub}.zendesk.com/api/{tenant}/x", &v, &zendesk)?,
            "https://acme.zendesk.com/api/t-1/x"
        );
        assert_eq!(
            expand_with(
                "{sub}.example.com:8443/oauth/token",
                &v,
                &hosts("sub", &["*.example.com"])
            )?,
            "https://acme.example.com:8443/oauth/token"
        );
        assert_eq!(
            expand_with(
                "https://eu.{sub}.example.com",
                &values(&[("sub", "a.b")]),
                &hosts("sub", &["**.example.com"])
            )?,
            "https://eu.a.b.example.com"
        );
        assert_eq!(
            expand("https://example.com/x", &v)?,
            "https://example.com/x"
        );
        assert_eq!(
            expand("https://example.com/{v|v2}", &v)?,
            "https://example.com/v2"
        );
        assert_eq!(
            expand_with(
                "{sub}/services",
                &values(&[("sub", "https://acme.my.salesforce.com/")]),
                &hosts("sub", &["*.my.salesforce.com"])
            )?,
            "https://acme.my.salesforce.com/services"
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
            "a_b",
        ] {
            let err = expand_with(
                "https://{sub}.zendesk.com",
                &values(&[("sub", bad)]),
                &hosts("sub", &["*.zendesk.com"]),
            );
            assert!(
                matches!(
                    err,
                    Err(BuildError::InvalidUrlValue { .. } | BuildError::MissingUrlValue { .. })
                ),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn patterns_match_labels_exactly() {
        for (pattern, host, ok) in [
            ("*.zendesk.com", "acme.zendesk.com", true),
            ("*.zendesk.com", "a.b.zendesk.com", false),
            ("*.zendesk.com", "zendesk.com", false),
            ("*.zendesk.com", "evilzendesk.com", false),
            ("*.zendesk.com", "acme.zendesk.com.", false),
            ("**.zendesk.com", "a.b.zendesk.com", true),
            ("**.zendesk.com", ".zendesk.com", false),
            ("api.example.com", "api.example.com", true),
            ("api.example.com", "xapi.example.com", false),
            ("*.com", "evil.com", false),
            ("*.co.uk", "evil.co.uk", false),
            ("*.Zendesk.com", "acme.zendesk.com", false),
        ] {
            assert_eq!(host_matches(pattern, host), ok, "{pattern} {host}");
        }
    }

    #[test]
    fn rejects_templates_a_value_could_take_over() {
        let v = values(&[("host", "acme")]);
        for bad in [
            "ftp://{host}.example.com",
            "https://{host.example.com",
            "https://host}.example.com",
            "https://{}.example.com",
            "{scheme}://api.example.com",
            "https:///{host}/api",
            "//{host}/api",
            "https://\t/{host}",
            "https://@/{host}",
        ] {
            assert!(
                matches!(expand(bad, &v), Err(BuildError::InvalidUrlTemplate { .. })),
                "{bad}"
            );
        }
        // Undeclared, a placeholder may set no part of the host.
        for bad in [
            "https://{host}",
            "https://{host}/x",
            "https://api.{host}",
            "https://{host}.zendesk.com",
            "https://{host}.myshopify.com",
            "{host}",
        ] {
            assert!(
                matches!(
                    expand(bad, &v),
                    Err(BuildError::HostPlaceholderNotDeclared { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_a_missing_value() {
        assert_eq!(
            expand("https://api.example.com/{sub}", &BTreeMap::new()),
            Err(BuildError::MissingUrlValue {
                name: "sub".to_owned()
            })
        );
    }
}
