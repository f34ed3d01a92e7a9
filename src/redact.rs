//! Redacted views of requests, for logs and display.

use std::fmt;

use http::Request;
use http::header::{AUTHORIZATION, COOKIE, HeaderName, PROXY_AUTHORIZATION, SET_COOKIE};

use crate::encoding;
use crate::secret::REDACTED;

/// Headers that carry credentials whether or not they were marked sensitive.
const CREDENTIAL_HEADERS: [HeaderName; 4] =
    [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, SET_COOKIE];

/// A request written for humans with its credentials replaced by `******`: the method and
/// URI on the first line (userinfo and credential query parameters redacted), then one
/// `name: value` line per header (sensitive and credential headers redacted). The body is
/// not written.
///
/// Made by [`crate::LiveConnection::redacted`].
pub struct RedactedRequest<'a, B> {
    request: &'a Request<B>,
    secret_query_names: &'a [String],
}

impl<'a, B> RedactedRequest<'a, B> {
    pub(crate) fn new(request: &'a Request<B>, secret_query_names: &'a [String]) -> Self {
        Self {
            request,
            secret_query_names,
        }
    }
}

impl<B> fmt::Display for RedactedRequest<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uri = self.request.uri();
        write!(f, "{} ", self.request.method())?;
        if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
            let host_port = authority
                .as_str()
                .rsplit_once('@')
                .map_or(authority.as_str(), |(_, hp)| hp);
            let userinfo = if authority.as_str().contains('@') {
                "******@"
            } else {
                ""
            };
            write!(f, "{scheme}://{userinfo}{host_port}")?;
        }
        f.write_str(uri.path())?;
        if let Some(query) = uri.query() {
            f.write_str("?")?;
            for (i, segment) in query.split('&').enumerate() {
                if i > 0 {
                    f.write_str("&")?;
                }
                match segment.split_once('=') {
                    Some((name, _))
                        if self
                            .secret_query_names
                            .iter()
                            .any(|secret| encoding::names_match(name, secret)) =>
                    {
                        write!(f, "{name}={REDACTED}")?;
                    }
                    _ => f.write_str(segment)?,
                }
            }
        }
        writeln!(f)?;
        for (name, value) in self.request.headers() {
            if value.is_sensitive() || CREDENTIAL_HEADERS.contains(name) {
                writeln!(f, "{name}: {REDACTED}")?;
            } else {
                writeln!(f, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
            }
        }
        Ok(())
    }
}

impl<B> fmt::Debug for RedactedRequest<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
