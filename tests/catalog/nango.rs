//! One Nango provider entry, the sample values a connection is built with, and Nango's
//! `${...}` substitution (the oracle's side: what the provider expects).

use std::collections::BTreeMap;

use serde_json::Value;

pub(crate) const API_KEY: &str = "sk_sample_Key1";
pub(crate) const USERNAME: &str = "user-1";
/// With `:`, `+`, `/`, `=` so a Basic encoding that differs shows.
pub(crate) const PASSWORD: &str = "pa:ss+1/=";
pub(crate) const CLIENT_ID: &str = "client-1";
/// With `+ / = %`: form-encoding it before Basic (RFC 6749 §2.3.1) gives another header.
pub(crate) const CLIENT_SECRET: &str = "se+cr/t=%1";
pub(crate) const ACCESS_TOKEN: &str = "at-sample-1";
pub(crate) const REFRESH_TOKEN: &str = "rt-sample-1";
pub(crate) const CODE: &str = "code-sample-1";
pub(crate) const REDIRECT: &str = "https://app.example/callback";
pub(crate) const VERIFIER: &str = "verifier-0123456789-0123456789-0123456789-abc";
pub(crate) const TOKEN_SECRET: &str = "ts-sample-1";

/// A credential placement as the catalog lists it.
pub(crate) struct Placement {
    pub(crate) location: String,
    pub(crate) name: String,
    pub(crate) template: String,
    pub(crate) kind: String,
}

impl Placement {
    /// Whether it carries a credential (the placement dimension); static, version and
    /// per-connection context headers are not credentials.
    pub(crate) fn is_credential(&self) -> bool {
        !matches!(self.kind.as_str(), "static" | "meta" | "context")
    }
}

/// The values a placeholder at the end of a host (`accounts.zoho.{extension}`,
/// `api.{siteParameter}`) takes, from each provider's own documentation of its data
/// centres: the catalog names no list, and a host suffix cannot be matched by pattern
/// without admitting every domain. `(provider name prefix, placeholder, values)`.
const HOST_SUFFIXES: [(&str, &str, &[&str]); 5] = [
    // Zoho's data centres (zoho.com/crm/developer/docs/api/v8/multi-dc.html).
    (
        "zoho",
        "extension",
        &[
            "com", "eu", "in", "com.au", "jp", "ca", "com.cn", "sa", "uk",
        ],
    ),
    // Login with Amazon's regional token endpoints (api.amazon.com / .co.uk / .co.jp).
    ("amazon", "extension", &["com", "co.uk", "co.jp"]),
    // Exact Online's countries (start.exactonline.nl, .be, .de, .co.uk, .com, .fr, .es).
    (
        "exact-online",
        "extension",
        &["nl", "be", "de", "co.uk", "com", "fr", "es"],
    ),
    // PingOne's regions (auth.pingone.com, .eu, .asia, .ca, .com.au).
    ("pingone", "tld", &["com", "eu", "asia", "ca", "com.au"]),
    // Datadog's sites (docs.datadoghq.com/getting_started/site).
    (
        "datadog",
        "siteParameter",
        &[
            "datadoghq.com",
            "us3.datadoghq.com",
            "us5.datadoghq.com",
            "datadoghq.eu",
            "ap1.datadoghq.com",
            "ddog-gov.com",
        ],
    ),
];

pub(crate) struct Provider<'a>(pub &'a Value);

impl Provider<'_> {
    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    pub(crate) fn name(&self) -> &str {
        self.str("name").unwrap_or("?")
    }

    pub(crate) fn mode(&self) -> &str {
        self.str("auth_mode").unwrap_or("")
    }

    pub(crate) fn is_oauth2(&self) -> bool {
        matches!(self.mode(), "OAUTH2" | "OAUTH2_CC")
    }

    /// An object of parameters (`token_params`, ...), values as strings.
    pub(crate) fn params(&self, key: &str) -> Vec<(String, String)> {
        let Some(Value::Object(map)) = self.0.get(key) else {
            return Vec::new();
        };
        map.iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect()
    }

    pub(crate) fn placements(&self) -> Vec<Placement> {
        let Some(Value::Array(list)) = self.0.get("placements") else {
            return Vec::new();
        };
        list.iter()
            .map(|p| {
                let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                Placement {
                    location: s("where"),
                    name: s("name").to_ascii_lowercase(),
                    template: s("template"),
                    kind: s("kind"),
                }
            })
            .collect()
    }

    /// The documented values of a placeholder that ends a host, if the provider has them.
    pub(crate) fn host_suffixes(&self, placeholder: &str) -> Option<&'static [&'static str]> {
        HOST_SUFFIXES
            .iter()
            .find(|(prefix, name, _)| self.name().starts_with(prefix) && *name == placeholder)
            .map(|(_, _, values)| *values)
    }

    pub(crate) fn default_scopes(&self) -> Vec<String> {
        match self.0.get("default_scopes") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) if !s.is_empty() => s.split(',').map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn scope_separator(&self) -> &str {
        self.str("scope_separator").unwrap_or(" ")
    }

    /// The scopes as the server decodes them. A `+` separator reaches the server raw (Nango
    /// skips encoding those providers' scopes, NangoHQ/nango#3062 Pennylane and #6577
    /// Attio: `%2B` is refused), and a form decoder reads a raw `+` as a space.
    pub(crate) fn scopes_as_decoded(&self) -> String {
        let separator = match self.scope_separator() {
            "+" => " ",
            other => other,
        };
        self.default_scopes().join(separator)
    }

    pub(crate) fn pkce(&self) -> bool {
        self.0.get("pkce").and_then(Value::as_bool) == Some(true)
    }

    /// `client_secret_basic`: Nango sends `Basic base64(id:secret)`, raw.
    pub(crate) fn client_basic(&self) -> bool {
        self.str("client_auth") == Some("client_secret_basic")
    }

    /// Every URL of the entry (base, authorize, token, refresh), for sample values.
    fn urls(&self) -> Vec<&str> {
        ["base_url", "authorization_url", "token_url", "refresh_url"]
            .iter()
            .filter_map(|k| self.str(k))
            .collect()
    }

    /// A sample value for each `${connectionConfig.x}`: a whole URL where one starts a
    /// URL, a host where one is the whole host, else a plain label.
    pub(crate) fn sample_values(&self) -> BTreeMap<String, String> {
        let mut values = BTreeMap::new();
        let mut texts: Vec<String> = self.urls().into_iter().map(str::to_owned).collect();
        for key in ["token_params", "authorization_params", "refresh_params"] {
            texts.extend(self.params(key).into_iter().map(|(_, v)| v));
        }
        texts.extend(self.placements().into_iter().map(|p| p.template));
        for text in &texts {
            for alternative in text.split("||") {
                let alternative = alternative.trim();
                let mut rest = alternative;
                while let Some(start) = rest.find("${connectionConfig.") {
                    let after = &rest[start + "${connectionConfig.".len()..];
                    let Some(end) = after.find('}') else { break };
                    let name = &after[..end];
                    let before = &rest[..start];
                    let follow = &after[end + 1..];
                    let whole_host = before.ends_with("://")
                        && (follow.is_empty() || follow.starts_with(['/', ':']));
                    let value = if let Some(values) = self.host_suffixes(name) {
                        values[0].to_owned()
                    } else if start == 0 && std::ptr::eq(rest, alternative) {
                        "https://acme.example.net".to_owned()
                    } else if whole_host {
                        "acme.example.net".to_owned()
                    } else {
                        "acme1".to_owned()
                    };
                    values.entry(name.to_owned()).or_insert(value);
                    rest = &after[end + 1..];
                }
            }
        }
        values
    }
}

/// Nango's substitution of `${...}` with the sample values; `a || b` takes `a` (every
/// value is set). `Err` names an expression the oracle does not know.
pub(crate) fn fill(template: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let template = template.split("||").next().unwrap_or("").trim();
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or("unclosed ${")?;
        let expr = &after[..end];
        let value = match expr {
            "apiKey" | "credentials.apiKey" => API_KEY.to_owned(),
            "accessToken" | "credentials.access_token" => ACCESS_TOKEN.to_owned(),
            "credentials.username" | "username" => USERNAME.to_owned(),
            "credentials.password" | "password" => PASSWORD.to_owned(),
            "clientId" | "client_id" => CLIENT_ID.to_owned(),
            other => match other.strip_prefix("connectionConfig.") {
                Some(name) => values
                    .get(name)
                    .cloned()
                    .ok_or_else(|| format!("no sample value for {name}"))?,
                None => return Err(format!("the oracle does not know `${{{other}}}`")),
            },
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
