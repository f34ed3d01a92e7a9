//! The base URL a connection sends to: where relative request URIs resolve, and the only
//! origin that ever receives its credentials.

use std::fmt;

use http::header::HOST;
use http::uri::Authority;
use http::{HeaderMap, Uri};

use crate::error::{AuthError, BuildError};
use crate::model::Connection;
use crate::url_template;

/// A validated `http`/`https` base URL: origin plus an optional path prefix such as `/v2`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    https: bool,
    /// Lowercase; IPv6 addresses keep their brackets.
    host: String,
    port: u16,
    /// `scheme://host[:port]`, the port only when it is not the scheme's default.
    origin: String,
    /// `origin` followed by the path prefix without its trailing `/`.
    prefix: String,
    /// The authorities that name this origin exactly (`host`, and `host:443` for the default
    /// port), for the common case that needs no parsing.
    authorities: Vec<String>,
}

impl BaseUrl {
    /// Parses a base URL; `https://` is assumed when the scheme is missing, as the platform
    /// does.
    pub(crate) fn parse(input: &str) -> Result<Self, BuildError> {
        refuse_controls(input)?;
        let input = input.trim();
        if input.is_empty() {
            return Err(BuildError::MissingBaseUrl);
        }
        let with_scheme;
        let input = if input.contains("://") {
            input
        } else {
            with_scheme = format!("https://{input}");
            &with_scheme
        };
        let url = url::Url::parse(input).map_err(|_| BuildError::InvalidBaseUrl {
            reason: "is not a valid URL",
        })?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => {
                return Err(BuildError::InvalidBaseUrl {
                    reason: "must use http or https",
                });
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BuildError::InvalidBaseUrl {
                reason: "must not contain a username or password",
            });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(BuildError::InvalidBaseUrl {
                reason: "must not have a query or fragment",
            });
        }
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or(BuildError::InvalidBaseUrl {
                reason: "has no host",
            })?
            .to_ascii_lowercase();
        let default_port = if https { 443 } else { 80 };
        let port = url.port().unwrap_or(default_port);
        let scheme = if https { "https" } else { "http" };
        let origin = if port == default_port {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{port}")
        };
        let prefix = format!("{origin}{}", url.path().trim_end_matches('/'));
        // The prefix must itself be a valid request URI for joins to succeed.
        Uri::try_from(prefix.as_str()).map_err(|_| BuildError::InvalidBaseUrl {
            reason: "is not a valid request URI",
        })?;
        let mut authorities = Vec::with_capacity(2);
        if port == default_port {
            authorities.push(host.clone());
        }
        authorities.push(format!("{host}:{port}"));
        Ok(Self {
            https,
            host,
            port,
            origin,
            prefix,
            authorities,
        })
    }

    /// The base URL of `connection`: its template's (`template_url`, with the connection's
    /// [`values`](Connection::values) expanded), or, when the connection has its own
    /// `baseUrl`, that URL's scheme, host and port followed by the template's path prefix.
    ///
    /// Placeholders are expanded under the template's `placeholders` (a placeholder in the
    /// host needs `hostPatterns`; see [`url_template::expand_with`]).
    ///
    /// Unless `any_host` is set (the template's `allowAnyBaseUrl`), an override must keep
    /// the template's `https` and stay on its domain: the template host's parent domain
    /// when it has three labels or more and that parent is not a public suffix of either
    /// section of the list (`eu.api.example.com` under `api.example.com`, but not
    /// `evil.herokuapp.com` under `myapp.herokuapp.com`), else the host itself and its
    /// subdomains. A connection may come from an end user,
    /// who must not be able to point the integration's requests at a host of their choice.
    ///
    /// Unless `insecure_http` is set (the template's `allowInsecureHttp`), the result must
    /// use `https` or name a loopback host: credentials must not cross the network in clear.
    pub(crate) fn for_connection(
        template_url: Option<&str>,
        connection: &Connection,
        placeholders: &std::collections::BTreeMap<String, crate::model::Placeholder>,
        any_host: bool,
        insecure_http: bool,
    ) -> Result<Self, BuildError> {
        let base =
            Self::for_connection_any_scheme(template_url, connection, placeholders, any_host)?;
        if !base.https && !insecure_http && !is_loopback(&base.host) {
            return Err(BuildError::InvalidBaseUrl {
                reason: "uses clear-text http to a host that is not loopback; use https, or set the template's allowInsecureHttp",
            });
        }
        Ok(base)
    }

    fn for_connection_any_scheme(
        template_url: Option<&str>,
        connection: &Connection,
        placeholders: &std::collections::BTreeMap<String, crate::model::Placeholder>,
        any_host: bool,
    ) -> Result<Self, BuildError> {
        let template = template_url
            .filter(|url| is_given(url))
            .map(|url| {
                refuse_controls(url)?;
                Self::parse(&url_template::expand_with(
                    url,
                    &connection.values,
                    placeholders,
                )?)
            })
            .transpose()?;
        let own = connection.base_url.as_deref().filter(|url| is_given(url));
        match (own, template) {
            (Some(own), template) => {
                let own = Self::parse_origin(own)?;
                if let Some(template) = &template
                    && !any_host
                    && !template.admits_override(&own)
                {
                    return Err(BuildError::InvalidBaseUrl {
                        reason: "override must keep the template's https and stay on its domain",
                    });
                }
                let path = template.as_ref().map_or("", Self::path);
                Ok(Self {
                    prefix: format!("{}{path}", own.origin),
                    ..own
                })
            }
            (None, Some(template)) => Ok(template),
            (None, None) => Err(BuildError::MissingBaseUrl),
        }
    }

    /// `scheme://host[:port]` of `url` as normalised, whatever follows them.
    pub(crate) fn origin_of(url: &str) -> Result<String, BuildError> {
        Self::parse_origin(url).map(|parsed| parsed.origin)
    }

    /// The scheme, host and port of `url`, whatever follows them.
    fn parse_origin(url: &str) -> Result<Self, BuildError> {
        refuse_controls(url)?;
        let url = url.trim();
        let host_start = url.find("://").map_or(0, |i| i + 3);
        let host_end = url[host_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| host_start + i);
        Self::parse(&url[..host_end])
    }

    /// Whether `own`, a credential's own endpoint URL, stays where `configured`, the
    /// scheme's, points, by the rule for a base URL override (see [`Self::for_connection`]).
    /// Both have their placeholders expanded.
    pub(crate) fn admits_endpoint(configured: &str, own: &str) -> Result<bool, BuildError> {
        Ok(Self::parse_origin(configured)?.admits_override(&Self::parse_origin(own)?))
    }

    /// Whether `other` may stand in for this base URL as a connection's override: no
    /// downgrade from https, and a host on this one's domain (see [`Self::for_connection`]).
    fn admits_override(&self, other: &Self) -> bool {
        if self.https && !other.https {
            return false;
        }
        // `example.com.` is `example.com`: a trailing dot must not add a label.
        let host = self.host.trim_end_matches('.');
        let other_host = other.host.trim_end_matches('.');
        // `x..example.com` or `.example.com` is no name on the domain: an empty label is
        // refused whatever follows (only a trailing dot, trimmed above, is allowed).
        if other_host.split('.').any(str::is_empty) {
            return false;
        }
        if other_host == host {
            return true;
        }
        // IP addresses (`[v6]`, dotted digits) admit no other host.
        let is_name =
            !host.starts_with('[') && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let labels = host.split('.').count();
        let domain = match host.split_once('.') {
            Some((_, parent)) if is_name && labels >= 3 && !is_public_suffix(parent) => parent,
            // mutants: equivalent because the guard `true` makes an IP address its own
            // domain, and no host ends in `.` + an IP address: `x.10.1.2.3` is no valid
            // IPv4 address (the URL parser refuses it) and nothing follows `]`.
            _ if is_name => host,
            _ => return false,
        };
        // mutants: equivalent because `sub.len() > 1` → `>= 1` only admits `sub == "."`,
        // an empty label already refused above (the guard stays as a second fence).
        other_host == domain
            || other_host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
    }

    /// The path prefix, without its trailing `/` (empty for none).
    pub(crate) fn path(&self) -> &str {
        &self.prefix[self.origin.len()..]
    }

    /// `scheme://host[:port]`.
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// The base URL as normalised (origin and path prefix, no trailing `/`).
    pub(crate) fn as_str(&self) -> &str {
        &self.prefix
    }

    /// Whether `uri` is absolute and spells this origin exactly as normalised (lowercase
    /// host, default port absent or explicit): the common case, checked without parsing.
    // mutants: equivalent because `false` only sends every URI to the full comparison in
    // `resolve`, which admits the same ones (a fast path, no rule).
    #[inline]
    pub(crate) fn is_exact_origin(&self, uri: &Uri) -> bool {
        // Constant strings let the compiler compare the scheme without a call.
        let scheme_matches = match uri.scheme_str() {
            Some(scheme) if self.https => scheme == "https",
            Some(scheme) => scheme == "http",
            None => false,
        };
        scheme_matches
            && uri.authority().is_some_and(|authority| {
                let authority = authority.as_str().as_bytes();
                self.authorities
                    .iter()
                    .any(|known| short_eq(authority, known.as_bytes()))
            })
    }

    /// Whether the request's `Host` header, if it has one, names this origin: a single
    /// header, its host in any case, the default port written or not. A `Host` without a
    /// port names the scheme's default port (RFC 9110 §7.2), so for a base on another port
    /// the port must be written. HTTP clients send a
    /// `Host` header they are given as it is, and servers and CDNs route by it, so another
    /// name there could take the credentials to another site.
    #[inline]
    pub(crate) fn admits_host_header(&self, headers: &HeaderMap) -> bool {
        // Most requests have none and few headers: a scan of the names costs a fraction of
        // a hashed lookup, which the hot path would feel.
        headers.keys().all(|name| *name != HOST) || self.admits_host_headers(headers)
    }

    fn admits_host_headers(&self, headers: &HeaderMap) -> bool {
        let mut hosts = headers.get_all(HOST).iter();
        let Some(host) = hosts.next() else {
            return true;
        };
        if hosts.next().is_some() {
            return false;
        }
        let host = host.as_bytes();
        self.authorities
            .iter()
            .any(|known| short_eq(host, known.as_bytes()))
            || Authority::try_from(host).is_ok_and(|authority| {
                !authority.as_str().contains('@')
                    && has_plain_port(&authority)
                    && authority
                        .port_u16()
                        .unwrap_or(if self.https { 443 } else { 80 })
                        == self.port
                    && authority.host().eq_ignore_ascii_case(&self.host)
            })
    }

    /// [`AuthError::ForeignOrigin`] unless [`admits_host_header`](Self::admits_host_header).
    pub(crate) fn check_host_header(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        if self.admits_host_header(headers) {
            return Ok(());
        }
        let named: Vec<String> = headers
            .get_all(HOST)
            .iter()
            .map(|host| String::from_utf8_lossy(host.as_bytes()).into_owned())
            .collect();
        Err(AuthError::ForeignOrigin {
            request_origin: format!("Host: {}", named.join(", ")),
            connection_origin: self.origin().to_owned(),
        })
    }

    /// The URI the request should have: `None` when `uri` is already absolute and on this
    /// origin, the joined URI when it is relative (`/path?query`, appended to the path
    /// prefix).
    ///
    /// # Errors
    ///
    /// [`AuthError::ForeignOrigin`] for another scheme, host or port;
    /// [`AuthError::UnsupportedUri`] for URIs that are neither absolute nor origin-form.
    pub(crate) fn resolve(&self, uri: &Uri) -> Result<Option<Uri>, AuthError> {
        if self.is_exact_origin(uri) {
            return Ok(None);
        }
        match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => {
                if authority.as_str().contains('@') {
                    return Err(AuthError::UnsupportedUri {
                        reason: "must not contain a username or password",
                    });
                }
                if !has_plain_port(authority) {
                    return Err(AuthError::UnsupportedUri {
                        reason: "has a port that is not a number from 0 to 65535",
                    });
                }
                let https = scheme.eq_ignore_ascii_case("https");
                let known = https || scheme.eq_ignore_ascii_case("http");
                let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
                if known
                    && https == self.https
                    && port == self.port
                    && authority.host().eq_ignore_ascii_case(&self.host)
                {
                    Ok(None)
                } else {
                    Err(AuthError::ForeignOrigin {
                        request_origin: origin_of(scheme, authority.host(), uri.port_u16()),
                        connection_origin: self.origin().to_owned(),
                    })
                }
            }
            (None, None) => {
                let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
                if !path_and_query.starts_with('/') {
                    return Err(AuthError::UnsupportedUri {
                        reason: "must be absolute or start with /",
                    });
                }
                // Clients and servers remove dot segments (`%2e` too), which would take a
                // relative URI out of the base path.
                if has_dot_segment(uri.path()) {
                    return Err(AuthError::UnsupportedUri {
                        reason: "has a `.` or `..` path segment, which would leave the base path",
                    });
                }
                let mut joined = String::with_capacity(self.prefix.len() + path_and_query.len());
                joined.push_str(&self.prefix);
                joined.push_str(path_and_query);
                Uri::try_from(joined)
                    .map(Some)
                    .map_err(|_| AuthError::UnsupportedUri {
                        reason: "cannot be joined to the base URL",
                    })
            }
            _ => Err(AuthError::UnsupportedUri {
                reason: "has a host but no scheme",
            }),
        }
    }
}

/// Whether `authority`'s port is empty or plain digits that fit: `http` reads `:+443` as
/// 443 and an out-of-range port as none at all (RFC 3986 §3.2.3 allows only digits).
fn has_plain_port(authority: &Authority) -> bool {
    let port_text = authority
        .as_str()
        .strip_prefix(authority.host())
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or_default();
    port_text.bytes().all(|b| b.is_ascii_digit())
        && (port_text.is_empty() || authority.port_u16().is_some())
}

/// Whether `host` (lowercase, IPv6 in brackets) is loopback: `localhost`, `127.0.0.0/8` or
/// `::1`, where clear-text `http` never crosses the network.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The URL parser silently drops tabs and newlines anywhere and trims controls at the ends,
/// so `https://api.example.com/\r\nx` would become `/x`: a base URL holding a control
/// character (raw, in any position) is refused, not cleaned.
fn refuse_controls(url: &str) -> Result<(), BuildError> {
    if url.chars().any(char::is_control) {
        return Err(BuildError::InvalidBaseUrl {
            reason: "contains a control character (such as CR, LF or tab); remove it",
        });
    }
    Ok(())
}

/// Whether a base URL field is set: blank means unset, but one holding a control character
/// is set (and then refused).
fn is_given(url: &str) -> bool {
    !url.trim().is_empty() || url.chars().any(char::is_control)
}

/// Whether `path` has a `.` or `..` segment once separators are read as WHATWG clients and
/// many servers read them: `\` is `/`, and `%5c` and `%2f` may be decoded to one. Only a
/// path holding `\` or `%` takes the allocating route.
fn has_dot_segment(path: &str) -> bool {
    // mutants: equivalent because `==` → `!=` in this guard only sends more paths down the
    // allocating route, which gives the same answer for a path without `\` or `%`.
    if !path.bytes().any(|b| b == b'\\' || b == b'%') {
        return path.split('/').any(is_dot_segment);
    }
    let separated = path
        .to_ascii_lowercase()
        .replace("%5c", "/")
        .replace("%2f", "/")
        .replace('\\', "/");
    separated.split('/').any(is_dot_segment)
}

/// `.` or `..`, also spelled with `%2e` (at most `%2e%2e`, six bytes).
fn is_dot_segment(segment: &str) -> bool {
    // mutants: equivalent because `||` → `&&` only decodes every segment: an empty one
    // or one over six bytes never decodes to `.` or `..` (the guard saves the allocation).
    if segment.is_empty() || segment.len() > 6 {
        return false;
    }
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

fn origin_of(scheme: &str, host: &str, port: Option<u16>) -> String {
    match port {
        Some(port) => format!(
            "{}://{}:{port}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        ),
        None => format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        ),
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BaseUrl").field(&self.prefix).finish()
    }
}

/// Whether `domain` (lowercase) is itself a public suffix, in either section of the list:
/// ICANN's (`co.uk`) or the private one (`herokuapp.com`, `github.io`, `myshopify.com`),
/// whose subdomains belong to different owners too. "Same site" decisions (a base URL
/// override, a credential's own token URL) treat both alike; a template that means a
/// provider's per-customer subdomains says so with host placeholders.
pub(crate) fn is_public_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes()).is_some_and(|suffix| suffix.as_bytes() == domain.as_bytes())
}

/// Whether `domain` (lowercase) is itself a public suffix under ICANN's rules (`co.uk`,
/// `com.au`), under which names belong to unrelated owners: a host pattern may not put a
/// wildcard right under one, while `*.myshopify.com` is a template's explicit choice.
pub(crate) fn is_icann_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes()).is_some_and(|suffix| {
        suffix.as_bytes() == domain.as_bytes() && suffix.typ() == Some(psl::Type::Icann)
    })
}

/// `a == b`, comparing strings of 8 to 16 bytes (most authorities) as two overlapping words
/// rather than through a call to `memcmp`: this runs on every authorized request.
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match (a.first_chunk::<8>(), a.last_chunk::<8>()) {
        // mutants: equivalent because the guard `false` compares every length with
        // `a == b`, the same answer by a slower route.
        (Some(a_head), Some(a_tail)) if a.len() <= 16 => {
            b.first_chunk::<8>() == Some(a_head) && b.last_chunk::<8>() == Some(a_tail)
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(input: &str) -> BaseUrl {
        BaseUrl::parse(input).unwrap_or_else(|err| panic!("{input}: {err}"))
    }

    fn uri(input: &str) -> Uri {
        Uri::try_from(input).unwrap_or_else(|err| panic!("{input}: {err}"))
    }

    #[test]
    fn normalises_and_adds_https() {
        assert_eq!(
            base("API.Example.com/v2/").as_str(),
            "https://api.example.com/v2"
        );
        assert_eq!(
            base("https://test.myshopify.com/").as_str(),
            "https://test.myshopify.com"
        );
        assert_eq!(
            base("http://127.0.0.1:8080").origin(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(base("https://[::1]:443/x").as_str(), "https://[::1]/x");
    }

    #[test]
    fn rejects_what_cannot_be_a_base() {
        for bad in [
            "",
            "ftp://example.com",
            "https://user:pw@example.com",
            "https://example.com/?a=1",
            "https://example.com/#x",
            "https://",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn joins_relative_uris_under_the_prefix() -> Result<(), AuthError> {
        let b = base("https://api.example.com/v2");
        assert_eq!(
            b.resolve(&uri("/users?x=1"))?,
            Some(uri("https://api.example.com/v2/users?x=1"))
        );
        assert_eq!(
            b.resolve(&uri("/"))?,
            Some(uri("https://api.example.com/v2/"))
        );
        Ok(())
    }

    #[test]
    fn accepts_the_same_origin_in_any_case_and_with_explicit_default_port() -> Result<(), AuthError>
    {
        let b = base("https://api.example.com/v2");
        assert_eq!(b.resolve(&uri("HTTPS://API.example.com:443/other"))?, None);
        Ok(())
    }

    #[test]
    fn refuses_other_origins() {
        let b = base("https://api.example.com");
        for foreign in [
            "http://api.example.com/",
            "https://api.example.com:8443/",
            "https://api.example.com.evil.com/",
            "https://evil.com/",
            "wss://api.example.com/",
        ] {
            assert!(
                matches!(
                    b.resolve(&uri(foreign)),
                    Err(AuthError::ForeignOrigin { .. })
                ),
                "{foreign}"
            );
        }
        assert!(matches!(
            b.resolve(&uri("https://user@api.example.com/")),
            Err(AuthError::UnsupportedUri { .. })
        ));
        assert!(matches!(
            b.resolve(&uri("*")),
            Err(AuthError::UnsupportedUri { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn short_eq_is_byte_equality(
            a in proptest::collection::vec(proptest::num::u8::ANY, 0..24),
            flip in proptest::option::of((0usize..24, 1u8..=255)),
        ) {
            // Equal strings, and strings that differ in one byte anywhere (the overlapping
            // words must not miss a byte in the middle).
            let mut b = a.clone();
            if let Some((at, xor)) = flip && at < b.len() {
                b[at] ^= xor;
            }
            proptest::prop_assert_eq!(short_eq(&a, &b), a == b);
            proptest::prop_assert!(!short_eq(&a, &a[..a.len().saturating_sub(1)]) || a.is_empty());
        }
    }
}
