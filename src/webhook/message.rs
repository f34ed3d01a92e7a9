//! Reading a delivery: fields from headers, query, cookies or a JSON body; the signed URL;
//! and the signed message, part by part.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use http::header::AsHeaderName;
use http::{HeaderMap, Method, Uri};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::VerifyError;
use super::engine::{Field, decode_hex};
use super::parse::Presented;
use crate::encoding;
use crate::model::hmac::{FieldSource, MessagePart};

/// The parts of a request a scheme may read.
pub(super) struct View<'a> {
    pub(super) method: &'a Method,
    pub(super) uri: &'a Uri,
    /// The URL the sender signed, when given explicitly.
    pub(super) signed_url: Option<&'a str>,
    pub(super) headers: &'a HeaderMap,
    /// `None` while streaming.
    pub(super) body: Option<&'a [u8]>,
    json: OnceCell<Option<Value>>,
}

impl<'a> View<'a> {
    pub(super) fn new(
        method: &'a Method,
        uri: &'a Uri,
        signed_url: Option<&'a str>,
        headers: &'a HeaderMap,
        body: Option<&'a [u8]>,
    ) -> Self {
        Self {
            method,
            uri,
            signed_url,
            headers,
            body,
            json: OnceCell::new(),
        }
    }

    /// Reads `source`, with `list` the parsed key/value signature list if there is one.
    /// Absent, duplicated and unreadable values are errors.
    pub(super) fn read(
        &self,
        source: &FieldSource,
        list: Option<&Presented<'a>>,
    ) -> Result<Cow<'a, str>, VerifyError> {
        self.read_optional(source, list)?
            .ok_or_else(|| missing(source))
    }

    /// [`read`](Self::read) of a compiled field: a header is looked up by its parsed name.
    pub(super) fn read_field(
        &self,
        field: &Field,
        list: Option<&Presented<'a>>,
    ) -> Result<Cow<'a, str>, VerifyError> {
        self.read_field_optional(field, list)?
            .ok_or_else(|| missing(&field.source))
    }

    /// [`read_optional`](Self::read_optional) of a compiled field.
    pub(super) fn read_field_optional(
        &self,
        field: &Field,
        list: Option<&Presented<'a>>,
    ) -> Result<Option<Cow<'a, str>>, VerifyError> {
        match &field.source {
            FieldSource::Header(name) => match field.headers.first() {
                Some(header) => self.header_value(header, name),
                // Not compiled (cannot happen: names are validated): looked up by text.
                None => self.read_optional(&field.source, list),
            },
            FieldSource::AnyHeader(_) if field.headers.is_empty() => {
                self.read_optional(&field.source, list)
            }
            FieldSource::AnyHeader(names) => {
                for (header, name) in field.headers.iter().zip(names) {
                    if let Some(value) = self.header_value(header, name)? {
                        return Ok(Some(value));
                    }
                }
                Ok(None)
            }
            _ => self.read_optional(&field.source, list),
        }
    }

    /// [`read`](Self::read), with an absent value as `None`: an optional field's absence
    /// costs no error value (and no allocation).
    pub(super) fn read_optional(
        &self,
        source: &FieldSource,
        list: Option<&Presented<'a>>,
    ) -> Result<Option<Cow<'a, str>>, VerifyError> {
        match source {
            FieldSource::Header(name) => self.header(name),
            FieldSource::AnyHeader(names) => {
                for name in names {
                    if let Some(value) = self.header(name)? {
                        return Ok(Some(value));
                    }
                }
                Ok(None)
            }
            FieldSource::Form(name) => {
                let body = self.body.ok_or(VerifyError::NotStreamable)?;
                // Every field must decode: a body that is not a clean form is malformed.
                let mut found = None;
                for field in form_fields(body) {
                    let (key, value) = field?;
                    if key == *name && found.replace(value).is_some() {
                        return Err(VerifyError::Malformed {
                            reason: "a field appears more than once",
                        });
                    }
                }
                Ok(found.map(Cow::Owned))
            }
            FieldSource::Query(name) => {
                let query = self.uri.query().unwrap_or_default();
                Ok(single(
                    url::form_urlencoded::parse(query.as_bytes())
                        .filter(|(key, _)| key == name)
                        .map(|(_, value)| value),
                )?
                .map(|value| Cow::Owned(value.into_owned())))
            }
            FieldSource::Cookie(name) => Ok(single(
                self.headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .flat_map(|value| value.as_bytes().split(|&b| b == b';'))
                    .filter_map(|cookie| {
                        let (key, value) =
                            std::str::from_utf8(cookie).ok()?.trim().split_once('=')?;
                        (key == name).then_some(value)
                    }),
            )?
            .map(Cow::Borrowed)),
            FieldSource::Json(pointer) => {
                let json = self.json.get_or_init(|| {
                    serde_json::from_slice::<Value>(self.body.unwrap_or_default()).ok()
                });
                let json = json.as_ref().ok_or(VerifyError::Malformed {
                    reason: "the body is not JSON",
                })?;
                match json.pointer(pointer) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(text)) => Ok(Some(Cow::Owned(text.clone()))),
                    Some(value) => value
                        .as_u64()
                        .map(|n| Some(Cow::Owned(n.to_string())))
                        .ok_or(VerifyError::Malformed {
                            reason: "a JSON field is neither a string nor a non-negative integer",
                        }),
                }
            }
            FieldSource::List(key) => match list.map(|list| list.single(key)) {
                None | Some(Ok(None)) => Ok(None),
                Some(Ok(Some(value))) => Ok(Some(Cow::Borrowed(value))),
                Some(Err(())) => Err(VerifyError::Malformed {
                    reason: "a field appears more than once",
                }),
            },
        }
    }

    /// The single value of header `name`, as visible ASCII.
    fn header(&self, name: &str) -> Result<Option<Cow<'a, str>>, VerifyError> {
        self.header_value(name, name)
    }

    /// The single value of header `header` (configured as `name`), as visible ASCII.
    fn header_value<K: AsHeaderName>(
        &self,
        header: K,
        name: &str,
    ) -> Result<Option<Cow<'a, str>>, VerifyError> {
        let mut values = self.headers.get_all(header).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(VerifyError::DuplicateHeader {
                name: name.to_owned(),
            });
        }
        value
            .to_str()
            .map(|text| Some(Cow::Borrowed(text)))
            .map_err(|_| VerifyError::Malformed {
                reason: "a header value is not visible ASCII",
            })
    }

    /// The URL the sender signed: the explicit one, or the request URI if it is absolute;
    /// without the query parameter `strip` when the signature travels in it (it cannot
    /// have been signed).
    pub(super) fn url(&self, strip: Option<&str>) -> Result<Cow<'a, str>, VerifyError> {
        let url = match self.signed_url {
            Some(url) => Cow::Borrowed(url),
            None if self.uri.scheme().is_some() => Cow::Owned(self.uri.to_string()),
            None => return Err(VerifyError::MissingUrl),
        };
        Ok(match strip {
            Some(name) => Cow::Owned(strip_query_param(&url, name)),
            None => url,
        })
    }
}

/// `url` without the query parameters named `name`; the other parameters keep their
/// order and bytes, and a query left empty is dropped with its `?`.
fn strip_query_param(url: &str, name: &str) -> String {
    let (url, fragment) = url
        .split_once('#')
        .map_or((url, None), |(u, f)| (u, Some(f)));
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|segment| {
            let segment_name = segment.split_once('=').map_or(*segment, |(n, _)| n);
            !segment.is_empty() && !encoding::names_match(segment_name, name)
        })
        .collect();
    let mut out = base.to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The error for an absent value read from `source`.
fn missing(source: &FieldSource) -> VerifyError {
    match source {
        FieldSource::Header(name) => VerifyError::MissingHeader { name: name.clone() },
        FieldSource::Query(name)
        | FieldSource::Cookie(name)
        | FieldSource::Json(name)
        | FieldSource::List(name)
        | FieldSource::Form(name) => VerifyError::MissingField { name: name.clone() },
        FieldSource::AnyHeader(names) => VerifyError::MissingHeader {
            name: names.join(" or "),
        },
    }
}

/// The only item of `items`: `None` if there is none, an error if there are several.
fn single<T>(mut items: impl Iterator<Item = T>) -> Result<Option<T>, VerifyError> {
    let first = items.next();
    if items.next().is_some() {
        return Err(VerifyError::Malformed {
            reason: "a field appears more than once",
        });
    }
    Ok(first)
}

/// What the signed message is made of, apart from the body itself.
pub(super) struct Inputs<'a> {
    pub(super) method: &'a str,
    pub(super) url: Option<&'a str>,
    pub(super) body: Option<&'a [u8]>,
    pub(super) timestamp: Option<&'a str>,
    pub(super) id: Option<&'a str>,
}

/// The parts of a message that must be computed rather than borrowed (HubSpot's decoded
/// URL, Twilio's parameter string): computed once per URL, then fed to every secret's MAC.
/// Empty, and allocation-free, for every other scheme.
#[derive(Default)]
pub(super) struct Computed {
    hubspot_url: Option<String>,
    twilio_params: Option<Vec<u8>>,
}

impl Computed {
    pub(super) fn new(message: &[MessagePart], inputs: &Inputs<'_>) -> Result<Self, VerifyError> {
        let mut computed = Self::default();
        for part in message {
            match part {
                MessagePart::HubspotUrl if computed.hubspot_url.is_none() => {
                    computed.hubspot_url = Some(hubspot_decode(required(inputs.url)?));
                }
                MessagePart::TwilioParams if computed.twilio_params.is_none() => {
                    computed.twilio_params = Some(twilio_params(
                        required(inputs.url)?,
                        inputs.body.ok_or(VerifyError::NotStreamable)?,
                    )?);
                }
                _ => {}
            }
        }
        Ok(computed)
    }
}

/// Calls `feed` with the bytes of every part of `message` in order, and with `None` where
/// the body goes (the caller feeds or streams it). Borrows only: nothing is allocated.
pub(super) fn for_each_part(
    message: &[MessagePart],
    inputs: &Inputs<'_>,
    computed: &Computed,
    mut feed: impl FnMut(Option<&[u8]>),
) -> Result<(), VerifyError> {
    for part in message {
        let bytes: &[u8] = match part {
            MessagePart::Body => {
                feed(None);
                continue;
            }
            MessagePart::Literal(text) => text.as_bytes(),
            MessagePart::Timestamp => required(inputs.timestamp)?.as_bytes(),
            MessagePart::Id => required(inputs.id)?.as_bytes(),
            MessagePart::Method => inputs.method.as_bytes(),
            MessagePart::Url => required(inputs.url)?.as_bytes(),
            MessagePart::HubspotUrl => required(computed.hubspot_url.as_deref())?.as_bytes(),
            MessagePart::TwilioParams => computed
                .twilio_params
                .as_deref()
                .ok_or(VerifyError::NotStreamable)?,
        };
        feed(Some(bytes));
    }
    Ok(())
}

/// Inputs the scheme's validation guarantees; absent only through a bug, reported as a
/// missing field rather than a panic.
fn required(value: Option<&str>) -> Result<&str, VerifyError> {
    value.ok_or_else(|| VerifyError::MissingField {
        name: "message input".to_owned(),
    })
}

/// HubSpot v3's URL: `%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B` decoded (either
/// case), every other escape kept.
pub(super) fn hubspot_decode(url: &str) -> String {
    const DECODED: &[u8] = b":/?@!$'()*,;";
    let bytes = url.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let mut byte = [0u8; 1];
        if bytes[i] == b'%'
            && let Some(pair) = url.get(i + 1..i + 3)
            && decode_hex(pair, &mut byte) == Some(1)
            && DECODED.contains(&byte[0])
        {
            out.push(byte[0]);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    // Only ASCII escapes were replaced by ASCII bytes, so the result is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| url.to_owned())
}

/// Twilio's parameter string: with `bodySHA256` in the URL, the body's hash is checked and
/// nothing is appended; otherwise the form parameters of the body, each name then each of
/// its distinct values in code-point order, concatenated.
fn twilio_params(url: &str, body: &[u8]) -> Result<Vec<u8>, VerifyError> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    if let Some((_, expected)) =
        url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "bodySHA256")
    {
        let mut presented = [0u8; 32];
        let actual = Sha256::digest(body);
        let matches = decode_hex(&expected, &mut presented) == Some(32)
            && bool::from(presented.ct_eq(actual.as_slice()));
        return if matches {
            Ok(Vec::new())
        } else {
            Err(VerifyError::BodyHashMismatch)
        };
    }
    let mut params: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for field in form_fields(body) {
        let (name, value) = field?;
        params.entry(name).or_default().insert(value);
    }
    let mut out = Vec::new();
    for (name, values) in &params {
        for value in values {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(value.as_bytes());
        }
    }
    Ok(out)
}

/// The fields of a form-encoded body, each name and value decoded strictly (an error
/// for a field that is not UTF-8 once decoded).
fn form_fields(body: &[u8]) -> impl Iterator<Item = Result<(String, String), VerifyError>> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let name = form_decode(halves.next().unwrap_or_default())?;
            let value = form_decode(halves.next().unwrap_or_default())?;
            Ok((name, value))
        })
}

/// One form-encoded name or value: `+` is a space, `%XX` a byte, and the result must be
/// UTF-8 (a lossy decoding would let two different bodies sign alike).
fn form_decode(bytes: &[u8]) -> Result<String, VerifyError> {
    let plus_as_space: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    String::from_utf8(percent_encoding::percent_decode(&plus_as_space).collect()).map_err(|_| {
        VerifyError::Malformed {
            reason: "a form parameter is not UTF-8",
        }
    })
}

/// `url` as an [`http::Uri`] prints it, but with the scheme as written, when that
/// differs: an `http` or `https` URL without a path gets `/` (`https://h.example?a=1` is
/// `https://h.example/?a=1`), a fragment (never sent) is dropped. They name the same
/// resource (RFC 3986 §6.2.3), and it is the spelling a [`crate::webhook::Signer`] signs
/// for a request sent to `url`. The scheme's case is kept: a given URL's scheme is used
/// byte for byte (see [`upper_scheme`]).
pub(super) fn uri_spelling(url: &str) -> Option<String> {
    let spelled = url.parse::<http::Uri>().ok()?.to_string();
    let (scheme, _) = url.split_once("://")?;
    let (_, rest) = spelled.split_once("://")?;
    let spelled = format!("{scheme}://{rest}");
    (spelled != url).then_some(spelled)
}

/// `url` with an `http` or `https` scheme written in upper case (`HTTP://`, `HTTPS://`);
/// `None` for any other scheme, or when it already is.
pub(super) fn upper_scheme(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let upper = scheme.to_ascii_uppercase();
    (matches!(upper.as_str(), "HTTP" | "HTTPS") && upper != scheme)
        .then(|| format!("{upper}://{rest}"))
}

/// Twilio's URL variants: without a port, and with one (the default port added when there
/// is none), in that order, without repeats.
pub(super) fn port_variants(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_owned()];
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &authority[host_start..];
    let port_at = match host_port.rfind(':') {
        Some(colon) if !host_port[colon..].contains(']') => Some(host_start + colon),
        _ => None,
    };
    let (without, with) = match port_at {
        Some(colon) => (
            format!("{scheme}://{}{tail}", &authority[..colon]),
            url.to_owned(),
        ),
        None => {
            let default = match scheme.to_ascii_lowercase().as_str() {
                "https" => Some("443"),
                "http" => Some("80"),
                _ => None,
            };
            let with = default.map_or_else(
                || url.to_owned(),
                |port| format!("{scheme}://{authority}:{port}{tail}"),
            );
            (url.to_owned(), with)
        }
    };
    if without == with {
        vec![without]
    } else {
        vec![without, with]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubspot_decodes_only_its_twelve_escapes() {
        assert_eq!(
            hubspot_decode(
                "https://h.example/p%3Aa%2fb%3F%40%21%24%27%28%29%2A%2C%3b?q=a%20b%26c%25"
            ),
            "https://h.example/p:a/b?@!$'()*,;?q=a%20b%26c%25"
        );
        assert_eq!(hubspot_decode("%3"), "%3");
        assert_eq!(hubspot_decode("%é%3A"), "%é:");
    }

    #[test]
    fn a_query_signature_is_not_part_of_the_signed_url() {
        assert_eq!(
            strip_query_param("https://h/p?a=1&sig=x&b=%20", "sig"),
            "https://h/p?a=1&b=%20"
        );
        assert_eq!(
            strip_query_param("https://h/p?sig=x&si%67=y#f", "sig"),
            "https://h/p#f"
        );
        assert_eq!(strip_query_param("https://h/p", "sig"), "https://h/p");
        assert_eq!(
            strip_query_param("https://h/p?signature=1", "sig"),
            "https://h/p?signature=1"
        );
    }

    #[test]
    fn uri_spelling_adds_the_empty_path_and_keeps_the_scheme() {
        assert_eq!(
            uri_spelling("https://ho,v1=00").as_deref(),
            Some("https://ho,v1=00/")
        );
        assert_eq!(
            uri_spelling("HTTP://h.example?a=1").as_deref(),
            Some("HTTP://h.example/?a=1")
        );
        assert_eq!(uri_spelling("HTTPS://h.example/p"), None);
        assert_eq!(uri_spelling("https://h.example/p?a=1"), None);
        assert_eq!(
            uri_spelling("https://h.example/p#f").as_deref(),
            Some("https://h.example/p")
        );
        assert_eq!(uri_spelling("not a url"), None);
    }

    #[test]
    fn twilio_urls_with_and_without_port() {
        assert_eq!(
            port_variants("https://u:p@mycompany.com/myapp.php?foo=1"),
            [
                "https://u:p@mycompany.com/myapp.php?foo=1",
                "https://u:p@mycompany.com:443/myapp.php?foo=1"
            ]
        );
        assert_eq!(
            port_variants("http://example.com:8080/x"),
            ["http://example.com/x", "http://example.com:8080/x"]
        );
        assert_eq!(
            port_variants("https://[::1]/x"),
            ["https://[::1]/x", "https://[::1]:443/x"]
        );
        assert_eq!(port_variants("ftp://example.com"), ["ftp://example.com"]);
        assert_eq!(port_variants("not a url"), ["not a url"]);
    }

    #[test]
    fn twilio_params_sort_by_name_then_value() -> Result<(), VerifyError> {
        let body = b"To=%2B1&b=2&From=x+y&b=1&b=2&%C3%A9=e";
        assert_eq!(
            twilio_params("https://x.example/", body)?,
            "Fromx yTo+1b1b2\u{e9}e".as_bytes()
        );
        assert!(matches!(
            twilio_params("https://x.example/", b"a=%FF"),
            Err(VerifyError::Malformed { .. })
        ));
        assert!(twilio_params("https://x.example/", b"a=\xff").is_err());
        Ok(())
    }
}
