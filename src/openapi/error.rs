//! Why a document could not be imported at all.

/// A document that is not an `OpenAPI` 3.0 or 3.1 document. Anything less severe is a
/// [`Warning`](super::Warning) of a successful [`Import`](super::Import).
///
/// Messages name the problem and the fix, never a value of the document beyond its version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenApiError {
    /// The text is not JSON (or, with `import_yaml` of the `openapi-yaml` feature, not YAML).
    #[error(
        "the document is not valid {format} (line {line}, column {column}); pass the specification's text unchanged"
    )]
    Syntax {
        /// `json` or `yaml`.
        format: &'static str,
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// 1-based column of the error (0 when unknown).
        column: usize,
    },
    /// The document is not a JSON object.
    #[error(
        "the document is not an object; an openapi document is an object with an `openapi` field"
    )]
    NotAnObject,
    /// A Swagger 2.0 document (`"swagger": "2.0"`).
    #[error(
        "swagger 2.0 documents are not supported; convert the document to openapi 3 first (for example with swagger2openapi)"
    )]
    Swagger2,
    /// No `openapi` field.
    #[error(
        "the document has no `openapi` version field; only openapi 3.0 and 3.1 documents can be imported"
    )]
    MissingVersion,
    /// An `openapi` field other than `3.0.x` or `3.1.x`.
    #[error(
        "openapi version {version:?} is not supported; only 3.0.x and 3.1.x documents can be imported"
    )]
    UnsupportedVersion {
        /// The version as read (at most 32 characters of it).
        version: String,
    },
}
