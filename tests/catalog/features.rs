//! Template fields the translator may emit, one switch each: a field added on a branch is
//! switched on when it lands, so the translator writes it and the floors in
//! `tests/catalog.rs` can be raised. Every field credgate has today is on.

/// Which template fields exist in credgate yet.
// A table of switches; the ones no translation reads yet are kept for the merger.
#[allow(clippy::struct_excessive_bools, dead_code)]
pub(crate) struct Features {
    /// OAuth 2.0 `clientAuthMethod: "basicRaw" | "basicAndBody"`.
    pub(crate) client_auth_raw: bool,
    /// OAuth 2.0 `grantType` (a non-standard `grant_type` value).
    pub(crate) grant_type: bool,
    /// OAuth 2.0 `tokenParamsLocation: "query"`.
    pub(crate) token_params_in_query: bool,
    /// OAuth 2.0 `refreshParams` (parameters sent on refresh only).
    pub(crate) refresh_params: bool,
    /// OAuth 2.0 `authorizeParamNames` (standard name → provider name).
    pub(crate) authorize_param_names: bool,
    /// OAuth 2.0 `responseType`.
    pub(crate) response_type: bool,
    /// OAuth 2.0 `callbackCodeParam`.
    pub(crate) callback_code_param: bool,
    /// OAuth 2.0 `accessTokenPath` (dotted).
    pub(crate) access_token_path: bool,
    /// OAuth 2.0 `expiresInUnit: "milliseconds"`.
    pub(crate) expires_in_unit: bool,
    /// OAuth 2.0 `tokenResponseValues` (field names kept as connection values).
    pub(crate) token_response_values: bool,
    /// OAuth 2.0 `baseUrlFromResponse` (a token response field that becomes the base URL).
    pub(crate) base_url_from_response: bool,
    /// Template `placeholders.<name>.hostPatterns` honoured for placeholders that set a host.
    pub(crate) host_patterns: bool,
    /// `{name|default}` placeholder defaults.
    pub(crate) placeholder_defaults: bool,
    /// Placeholders inside `additionalAuthorizeParams` / `additionalTokenParams`.
    pub(crate) placeholders_in_params: bool,
    /// A literal `+` scope separator, distinct from a space.
    pub(crate) plus_scope_separator: bool,
    /// Alternative URLs, `a || b`: the first whose placeholders all have values.
    pub(crate) url_alternatives: bool,
    /// A placeholder ending a host (`accounts.zoho.{extension}`) declared with the
    /// provider's documented suffixes: each host in `hostPatterns`, the values as `enum`.
    pub(crate) host_suffix_lists: bool,
}

/// Today's table: every field credgate has is ON.
pub(crate) const FEATURES: Features = Features {
    client_auth_raw: true,
    grant_type: true,
    token_params_in_query: true,
    refresh_params: true,
    authorize_param_names: true,
    response_type: true,
    callback_code_param: true,
    access_token_path: true,
    expires_in_unit: true,
    token_response_values: true,
    base_url_from_response: true,
    host_patterns: true,
    placeholder_defaults: true,
    placeholders_in_params: true,
    plus_scope_separator: true,
    url_alternatives: true,
    host_suffix_lists: true,
};
