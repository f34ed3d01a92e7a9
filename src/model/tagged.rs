//! The platform's "tagged" JSON shape: `{"type": "api-key", "apiKey": {...}}`, and the
//! credential variant `{"type": "basic-auth", "data": {"basicAuth": {...}}}`.

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The camelCase field name the platform derives from a kebab-case type:
/// `basic-auth` → `basicAuth`, `oauth2-client` → `oauth2Client`.
pub(crate) fn field_name(type_name: &str) -> String {
    let mut out = String::with_capacity(type_name.len());
    let mut upper = false;
    for c in type_name.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `{"type": type_name, field: inner}`.
pub(crate) fn serialize_tagged<S: Serializer, T: Serialize + ?Sized>(
    serializer: S,
    type_name: &str,
    inner: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("type", type_name)?;
    map.serialize_entry(&field_name(type_name), inner)?;
    map.end()
}

/// Splits a tagged object into its type and the raw object: the caller picks the field.
pub(crate) fn split_tagged<E: serde::de::Error>(
    what: &str,
    value: Value,
) -> Result<(String, Map<String, Value>), E> {
    let Value::Object(mut object) = value else {
        return Err(E::custom(format_args!("{what} must be a JSON object")));
    };
    match object.remove("type") {
        Some(Value::String(type_name)) => Ok((type_name, object)),
        Some(_) => Err(E::custom(format_args!("{what} \"type\" must be a string"))),
        None => Err(E::custom(format_args!("{what} has no \"type\""))),
    }
}

/// Takes the field named after `type_name` out of `object` and deserialises it. A missing
/// field reads as an empty object, so `{"type": "none"}` loads.
pub(crate) fn take_inner<T: DeserializeOwned, E: serde::de::Error>(
    what: &str,
    type_name: &str,
    object: &mut Map<String, Value>,
) -> Result<T, E> {
    let field = field_name(type_name);
    let inner = match object.remove(&field) {
        Some(inner) => inner,
        None => {
            // Data under a misspelt key (`api_key` for `apiKey`) would otherwise read as
            // empty and fail on a missing field far from the cause.
            let wanted = crate::error::loose(&field);
            if let Some(key) = object.keys().find(|k| crate::error::loose(k) == wanted) {
                return Err(E::custom(format_args!(
                    "{what} of type \"{type_name}\": its data is under \"{key}\"; the expected key is \"{field}\""
                )));
            }
            Value::Object(Map::new())
        }
    };
    // Decoded through `Safe`, so that a wrong-typed secret is not printed (audit).
    serde_path_to_error::deserialize(crate::model::safe::Safe(inner)).map_err(|err| {
        // The path is "." when the data itself is wrong (a missing field names itself).
        let path = crate::model::safe::shown_path(err.path(), err.inner());
        let err = err.into_inner();
        if path == "." && err.to_string().starts_with("field `") {
            // A nested document type already named the field (see `safe::decode_value`).
            E::custom(format_args!("{what} of type \"{type_name}\", {err}"))
        } else if path == "." {
            E::custom(format_args!("{what} of type \"{type_name}\": {err}"))
        } else {
            E::custom(format_args!(
                "{what} of type \"{type_name}\", field `{path}`: {err}"
            ))
        }
    })
}

/// A copy of `value` with every string replaced by the redaction placeholder, except the
/// descriptive keys listed in `keep`: how documents of types credgate does not model are
/// shown, since any of their fields may be a secret.
pub(crate) fn redact_strings(value: &Value, keep: &[&str]) -> Value {
    match value {
        Value::String(_) => Value::String(crate::secret::REDACTED.to_owned()),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| redact_strings(v, keep)).collect())
        }
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(key, v)| {
                    let v = if keep.contains(&key.as_str()) {
                        v.clone()
                    } else {
                        redact_strings(v, keep)
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether the current serialisation writes secrets in full (see
/// [`crate::export_with_secrets`]).
pub(crate) fn exporting_secrets() -> bool {
    crate::secret::exposing()
}

#[cfg(test)]
mod tests {
    use super::field_name;

    #[test]
    fn field_names_follow_the_platform() {
        assert_eq!(field_name("api-key"), "apiKey");
        assert_eq!(field_name("basic-auth"), "basicAuth");
        assert_eq!(field_name("oauth2-client"), "oauth2Client");
        assert_eq!(field_name("oauth1-token"), "oauth1Token");
        assert_eq!(field_name("jwt-bearer"), "jwtBearer");
        assert_eq!(field_name("none"), "none");
    }
}
