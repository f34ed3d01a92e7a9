//! Placeholders: what a template says about each `{name}` in its URLs.
//!
//! Data only: this file declares what a per-connection value may be; expansion and the
//! checks live in [`crate::url_template`].

use serde::{Deserialize, Serialize};

/// What a template says about one `{name}` placeholder of its URLs, in
/// [`ConnectionTemplate::placeholders`](crate::ConnectionTemplate::placeholders).
///
/// JSON: `{"hostPatterns": ["eu.api.example.com", "us.api.example.com"], "enum": ["eu", "us"],
/// "description": "..."}`, every field optional.
///
/// - `hostPatterns`: the hosts a value of this placeholder may produce, each an exact host
///   (`eu.api.example.com`), `*.` and a domain (`*.zendesk.com`: exactly one more label) or
///   `**.` and a domain (`**.example.com`: one or more labels); lowercase ASCII. The pattern
///   `**` alone admits any DNS name of two or more labels (not an IP literal, not
///   `localhost`): for self-hosted software whose host is the customer's own
///   (`https://{hostname}/api`); the template's secrets then go wherever the value says. Listing
///   them is how a template opts in to a placeholder that sets part of the host: a value
///   producing a host outside the list is refused when the connection is built
///   ([`BuildError::HostNotAllowed`](crate::BuildError::HostNotAllowed)), never sent.
///   Empty, the placeholder may not change the host at all. See
///   [`crate::url_template::expand_with`].
/// - `enum`: the values it may take (an `OpenAPI` server variable's `enum`); enforced when
///   the connection is built.
/// - `description`: free text for whoever fills the value in.
///
/// # Example
///
/// ```
/// use credgate::Placeholder;
///
/// let placeholder: Placeholder = serde_json::from_str(
///     r#"{"hostPatterns": ["*.zendesk.com"], "description": "your zendesk subdomain"}"#,
/// )?;
/// assert_eq!(placeholder, Placeholder::new()
///     .with_host_patterns(["*.zendesk.com"])
///     .with_description("your zendesk subdomain"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Placeholder {
    /// The hosts a value may produce: exact hosts, `*.domain` (one label more) or
    /// `**.domain` (one or more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_patterns: Vec<String>,
    /// The values it may take (JSON `enum`); empty, any.
    #[serde(default, rename = "enum", skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl Placeholder {
    /// A placeholder with no host patterns, values or description.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hosts a value may produce (exact hosts, or `*.suffix`).
    #[must_use]
    pub fn with_host_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.host_patterns = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// The values the template documents.
    #[must_use]
    pub fn with_enum_values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.enum_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// Free text for whoever fills the value in.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

// Errors never print a value (see `model::safe`).
crate::model::safe::safe_document!(Placeholder);
