//! Loading documents without printing their values.
//!
//! Promise: an error from deserialising any credgate document (through credgate's loaders
//! or `serde_json::from_str` on the public types) names the field path and what was
//! expected, never the value found. serde's own messages print it (`invalid type: string
//! "sk_live_…", expected a sequence`, ``unknown variant `sk_live_…` ``), and any field may
//! hold a secret when a document is written wrongly, so every document is first read into a
//! `serde_json::Value` (whose syntax errors carry only a line and column) and then decoded
//! through [`Safe`], a deserializer whose error type [`SafeError`] describes the kind of the
//! unexpected value only.
//!
//! Cost: one extra `Value` per document (and per nested document type) at load time; none
//! at request time. Does not cover `custom` messages of foreign types, which credgate's
//! documents do not contain.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserializer, Expected, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};

/// A serde error that never holds the value it complains about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SafeError {
    message: String,
    /// The error is about a key nobody expected: the field path's last segment is that
    /// key, and is not printed either.
    unknown_key: bool,
}

impl SafeError {
    fn new(message: String) -> Self {
        Self {
            message,
            unknown_key: false,
        }
    }
}

impl fmt::Display for SafeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SafeError {}

/// The kind of an unexpected value, in serde's words, without the value itself.
fn kind(unexp: &Unexpected<'_>) -> &'static str {
    match unexp {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "an integer",
        Unexpected::Float(_) => "a floating point number",
        Unexpected::Char(_) => "a character",
        Unexpected::Str(_) => "a string",
        Unexpected::Bytes(_) => "a byte array",
        Unexpected::Unit => "null",
        Unexpected::Option => "an optional value",
        Unexpected::NewtypeStruct => "a newtype struct",
        Unexpected::Seq => "a sequence",
        Unexpected::Map => "a map",
        Unexpected::Enum => "an enum",
        Unexpected::UnitVariant
        | Unexpected::NewtypeVariant
        | Unexpected::TupleVariant
        | Unexpected::StructVariant => "an enum variant",
        Unexpected::Other(_) => "another kind of value",
    }
}

impl de::Error for SafeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Self::new(format!("invalid type: {}, expected {exp}", kind(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Self::new(format!("invalid value: {}, expected {exp}", kind(&unexp)))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(format!(
            "unknown variant, expected {}{}",
            OneOf(expected),
            DidYouMean(variant, expected)
        ))
    }

    /// The name is not printed: a document written wrongly may hold a secret as a key
    /// (`{"sk_live_…": …}`) as well as a value. A close expected name is suggested instead.
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self {
            message: format!(
                "unknown field, expected {}{}",
                OneOf(expected),
                DidYouMean(field, expected)
            ),
            unknown_key: true,
        }
    }
}

/// `; did you mean `name`?` when one expected name is a likely misspelling of the name
/// found (at most two edits apart, ignoring case), else nothing. Only the expected name is
/// printed.
struct DidYouMean<'a>(&'a str, &'static [&'static str]);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(found, expected) = *self;
        let closest = expected
            .iter()
            .filter_map(|name| Some((edit_distance(found, name, 2)?, *name)))
            .min();
        match closest {
            Some((_, name)) => write!(f, "; did you mean `{name}`?"),
            None => Ok(()),
        }
    }
}

/// The Levenshtein distance between `a` and `b` (ASCII letters compared without case) if
/// it is at most `max`.
fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > max || a.len() > 64 {
        return None;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(!x.eq_ignore_ascii_case(y));
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[b.len()];
    (distance <= max).then_some(distance)
}

/// `` `a`, `b` or `c` `` as serde writes its lists of names.
struct OneOf(&'static [&'static str]);

impl fmt::Display for OneOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => f.write_str("no variant"),
            [only] => write!(f, "`{only}`"),
            names => {
                f.write_str("one of ")?;
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{name}`")?;
                }
                Ok(())
            }
        }
    }
}

/// A `serde_json::Value` as a deserializer whose errors are [`SafeError`]s.
pub(crate) struct Safe(pub(crate) Value);

impl<'de> IntoDeserializer<'de, SafeError> for Safe {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Safe {
    type Error = SafeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SafeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Safe));
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Object(object) => {
                let mut map = MapDeserializer::new(object.into_iter().map(|(k, v)| (k, Safe(v))));
                let out = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SafeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Safe(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SafeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SafeError> {
        match self.0 {
            Value::String(s) => {
                visitor.visit_enum(IntoDeserializer::<SafeError>::into_deserializer(s))
            }
            Value::Object(object) if object.len() == 1 => {
                visitor.visit_enum(MapAccessDeserializer::new(MapDeserializer::new(
                    object.into_iter().map(|(k, v)| (k, Safe(v))),
                )))
            }
            other => Err(de::Error::invalid_type(unexpected(&other), &"an enum")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SafeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn unexpected(value: &Value) -> Unexpected<'static> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(_) => Unexpected::Bool(false),
        Value::Number(_) => Unexpected::Unsigned(0),
        Value::String(_) => Unexpected::Str(""),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// Decodes `value` with `decode`, reporting the field path: `field `a.b[0]`: invalid type:
/// a string, expected a sequence`.
pub(crate) fn decode_value<T>(
    value: Value,
    decode: impl FnOnce(serde_path_to_error::Deserializer<'_, '_, Safe>) -> Result<T, SafeError>,
) -> Result<T, SafeError> {
    let mut track = serde_path_to_error::Track::new();
    let result = decode(serde_path_to_error::Deserializer::new(
        Safe(value),
        &mut track,
    ));
    result.map_err(|err| {
        let path = shown_path(&track.path(), &err);
        if path == "." {
            err
        } else {
            SafeError::new(format!("field `{path}`: {err}"))
        }
    })
}

/// `path` as `serde_path_to_error` writes it (`a.b[0]`, `.` when empty), without its last
/// segment when `err` is about that segment's key (an unknown field is not named).
pub(crate) fn shown_path(path: &Path, err: &SafeError) -> String {
    let mut segments: Vec<&Segment> = path.iter().collect();
    if err.unknown_key {
        segments.pop();
    }
    if segments.is_empty() {
        return ".".to_owned();
    }
    let mut shown = String::new();
    for segment in segments {
        if !shown.is_empty() && !matches!(segment, Segment::Seq { .. }) {
            shown.push('.');
        }
        shown.push_str(&segment.to_string());
    }
    shown
}

/// The `Deserialize` body of a document type: read a `Value`, decode it safely.
pub(crate) fn deserialize_document<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    decode: impl FnOnce(serde_path_to_error::Deserializer<'_, '_, Safe>) -> Result<T, SafeError>,
) -> Result<T, D::Error> {
    let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
    decode_value(value, decode).map_err(de::Error::custom)
}

/// Gives a type declared with `#[serde(remote = "Self")]` its `Serialize` and `Deserialize`
/// impls, the latter through [`deserialize_document`] so that no error prints a value.
macro_rules! safe_document {
    ($($ty:ty),+ $(,)?) => {$(
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::model::safe::deserialize_document(deserializer, |de| <$ty>::deserialize(de))
            }
        }
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$ty>::serialize(self, serializer)
            }
        }
    )+};
}
pub(crate) use safe_document;
