//! Invariants shared by the fuzz targets. Everything goes through credgate's public API
//! only, so the targets survive changes inside the crate.
//!
//! The checks are stronger than "no panic":
//! * on `Err`, the request is unchanged ([`Snapshot`]);
//! * on `Ok`, the final URI's origin is the connection's base origin ([`assert_same_origin`]);
//! * no error, `Debug` or redacted rendering holds a secret ([`assert_no_secret`]): the
//!   secrets are the values that differ between `to_json_with_secrets` and the redacted
//!   serialisation ([`secrets_of`]) and hold the canary marker `CANARY`, so a secret that
//!   happens to spell an ordinary word is not reported;
//! * serde round trips are stable ([`assert_round_trip`]).

use credgate::{LiveConnection, to_json_with_secrets};
use http::{HeaderMap, Method, Request, Uri, Version};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use serde;

/// The marker a value must hold to be checked as a secret.
pub const CANARY: &str = "CANARY";

/// Splits a fuzz input into `N` fields at NUL bytes; missing fields are empty.
pub fn fields<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&[][..]; N];
    let mut rest = data;
    for (i, slot) in out.iter_mut().enumerate() {
        if i + 1 == N {
            *slot = rest;
            break;
        }
        match rest.iter().position(|b| *b == 0) {
            Some(at) => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *slot = rest;
                rest = &[];
            }
        }
    }
    out
}

/// A copy of everything `authorize` may change.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Snapshot {
    pub fn of(request: &Request<Vec<u8>>) -> Self {
        Self {
            method: request.method().clone(),
            uri: request.uri().clone(),
            version: request.version(),
            headers: request.headers().clone(),
            body: request.body().clone(),
        }
    }

    /// Panics unless `request` is exactly as it was.
    pub fn assert_unchanged(&self, request: &Request<Vec<u8>>, what: &str) {
        let now = Self::of(request);
        assert!(
            *self == now,
            "{what}: request changed on error\nbefore: {self:?}\nafter:  {now:?}"
        );
    }
}

/// An origin: scheme and host lower-cased, and the port as a number, the scheme's default
/// when none is written, so `https://a.example`, `https://a.example:443`,
/// `https://a.example:0443` and `https://a.example:` are one origin (RFC 3986 §6.2.3).
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

fn origin_of(uri: &Uri) -> Option<Origin> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    Some(Origin {
        host: authority.host().to_ascii_lowercase(),
        port: port_or_default(&scheme, authority),
        scheme,
    })
}

/// The authority's port, or the scheme's default (`None` for another scheme without one).
fn port_or_default(scheme: &str, authority: &http::uri::Authority) -> Option<u16> {
    authority.port_u16().or(match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })
}

/// Panics unless the authorized request goes to `live`'s base origin, and any `Host`
/// header names that origin's authority.
pub fn assert_same_origin(live: &LiveConnection, request: &Request<Vec<u8>>) {
    let base: Uri = live
        .base_url()
        .parse()
        .unwrap_or_else(|e| panic!("base_url() {:?} is not a URI: {e}", live.base_url()));
    let base = origin_of(&base).expect("base URL without an origin");
    let got = origin_of(request.uri());
    assert_eq!(
        got.as_ref(),
        Some(&base),
        "authorized request left the base origin: {} (base {})",
        request.uri(),
        live.base_url()
    );
    for host in request.headers().get_all(http::header::HOST) {
        let named = host
            .to_str()
            .ok()
            .and_then(|h| h.parse::<http::uri::Authority>().ok())
            // A Host header has no userinfo (RFC 9110 §7.2).
            .filter(|a| !a.as_str().contains('@'))
            .map(|a| {
                (
                    a.host().to_ascii_lowercase(),
                    port_or_default(&base.scheme, &a),
                )
            });
        assert_eq!(
            named,
            Some((base.host.clone(), base.port)),
            "authorized request carries a Host header naming another authority: {host:?} (base {})",
            live.base_url()
        );
    }
}

/// The secret values of `value`: where `to_json_with_secrets` and the redacted
/// serialisation differ, holding [`CANARY`], and not also written as a non-secret value.
pub fn secrets_of<T: Serialize + ?Sized>(value: &T) -> Vec<String> {
    let Ok(with) = to_json_with_secrets(value) else {
        return Vec::new();
    };
    let Ok(with) = serde_json::from_str::<Value>(&with) else {
        return Vec::new();
    };
    let Ok(redacted) = serde_json::to_value(value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    diff(&with, &redacted, &mut out);
    let redacted = redacted.to_string();
    out.retain(|s| s.contains(CANARY) && !redacted.contains(s.as_str()));
    out.sort();
    out.dedup();
    out
}

fn diff(with: &Value, redacted: &Value, out: &mut Vec<String>) {
    match (with, redacted) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => diff(v, w, out),
                    None => strings(v, out),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, v) in a.iter().enumerate() {
                match b.get(i) {
                    Some(w) => diff(v, w, out),
                    None => strings(v, out),
                }
            }
        }
        (a, b) if a != b => strings(a, out),
        _ => {}
    }
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Every string value (not object key, not a `type` tag) in `json` holding [`CANARY`]:
/// what an error about this document must never print.
pub fn canary_values(json: &[u8]) -> Vec<String> {
    // A JSON value with anything after it: serde reads the value (and may complain about
    // it) before it sees what follows, of which no error quotes a word.
    let mut stream = serde_json::Deserializer::from_slice(json).into_iter::<Value>();
    let Some(Ok(value)) = stream.next() else {
        return raw_canaries(json);
    };
    let mut out = Vec::new();
    values(&value, &mut out);
    out.retain(|s| s.contains(CANARY));
    out.sort();
    out.dedup();
    out
}

/// For input that is not JSON: the canary tokens in it (`CANARY` and the word characters
/// around it), so a parse error quoting raw input is still caught.
fn raw_canaries(json: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(json);
    let mut out = Vec::new();
    for (at, _) in text.match_indices(CANARY) {
        // After the last character that is not a word character, whatever its width (a
        // `\u{fffd}` from lossy decoding takes three bytes).
        let start = text[..at]
            .char_indices()
            .rfind(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = text[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(text.len(), |i| at + i);
        out.push(text[start..end].to_owned());
    }
    out
}

fn values(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| values(v, out)),
        Value::Object(o) => o
            .iter()
            .filter(|(k, _)| k.as_str() != "type")
            .for_each(|(_, v)| values(v, out)),
        _ => {}
    }
}

/// Panics if `rendering` holds any of `secrets`.
pub fn assert_no_secret(rendering: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !rendering.contains(secret.as_str()),
            "{what} leaks a secret value\nrendering: {rendering}"
        );
    }
}

/// Panics if the `Display` or `Debug` of `error` holds any of `secrets`.
pub fn assert_error_clean<E: std::fmt::Display + std::fmt::Debug>(
    error: &E,
    secrets: &[String],
    what: &str,
) {
    assert_no_secret(&error.to_string(), secrets, what);
    assert_no_secret(&format!("{error:?}"), secrets, what);
}

/// Loads `json` as `T`; on `Err` checks the error is clean of the input's canaries; on `Ok`
/// checks the round trip through `to_json_with_secrets` is stable and returns the value.
pub fn load<T>(json: &[u8], what: &str) -> Option<T>
where
    T: Serialize + DeserializeOwned + std::fmt::Debug,
{
    match serde_json::from_slice::<T>(json) {
        Ok(value) => {
            let secrets = secrets_of(&value);
            assert_no_secret(&format!("{value:?}"), &secrets, what);
            if let Ok(redacted) = serde_json::to_string(&value) {
                assert_no_secret(&redacted, &secrets, what);
            }
            assert_round_trip(&value, what);
            Some(value)
        }
        Err(error) => {
            assert_error_clean(&error, &canary_values(json), what);
            None
        }
    }
}

/// Loads `[first, second]` with [`load`] on each element. The pair (and a list) is this
/// harness's framing: a std type whose serde errors are serde's own (`invalid type: string
/// "…", expected a tuple of size 2`), outside credgate's promise, which covers its document
/// types.
pub fn load_pair<A, B>(json: &[u8], what: &str) -> Option<(A, B)>
where
    A: Serialize + DeserializeOwned + std::fmt::Debug,
    B: Serialize + DeserializeOwned + std::fmt::Debug,
{
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(json) else {
        return None;
    };
    let [first, second] = <[Value; 2]>::try_from(items).ok()?;
    Some((
        load(first.to_string().as_bytes(), what)?,
        load(second.to_string().as_bytes(), what)?,
    ))
}

/// Loads a JSON list with [`load`] on each element (see [`load_pair`]).
pub fn load_list<T>(json: &Value, what: &str) -> Option<Vec<T>>
where
    T: Serialize + DeserializeOwned + std::fmt::Debug,
{
    json.as_array()?
        .iter()
        .map(|item| load(item.to_string().as_bytes(), what))
        .collect()
}

/// Panics unless `value` written with its secrets loads again and writes the same JSON.
pub fn assert_round_trip<T>(value: &T, what: &str)
where
    T: Serialize + DeserializeOwned,
{
    let Ok(first) = to_json_with_secrets(value) else {
        return;
    };
    let again: T = serde_json::from_str(&first).unwrap_or_else(|e| {
        panic!("{what}: its own serialisation does not load: {e}\njson: {first}")
    });
    let second = to_json_with_secrets(&again).expect("serialises once, serialises twice");
    assert_eq!(first, second, "{what}: serde round trip is not stable");
}
