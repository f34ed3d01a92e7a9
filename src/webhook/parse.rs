//! Parsing presented signature values and timestamps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::VerifyError;
use crate::model::hmac::{SignatureFormat, TimeUnit, TimestampRule};

/// The most elements a signature list may have.
pub(super) const MAX_LIST_ELEMENTS: usize = 32;

/// How many elements of a list [`Presented`] keeps: lists are rarely longer (Stripe's
/// `t=...,v1=...`, a rotation's second signature), and longer ones are split again when
/// read.
const CACHED: usize = 4;

/// A presented signature value, checked and split once: its first few elements are kept
/// inline (a longer list is split again when read), so a verification neither allocates
/// nor fills and moves a large inline list.
#[derive(Debug, Clone, Copy)]
pub(super) struct Presented<'a> {
    value: &'a str,
    shape: Shape<'a>,
    cache: [(&'a str, &'a str); CACHED],
    /// How many elements the list has (all of them cached when at most [`CACHED`]).
    count: usize,
}

/// How a checked value splits into elements.
#[derive(Debug, Clone, Copy)]
enum Shape<'a> {
    /// `key=value` elements separated by `separator`; `key` is the trusted signature key.
    KeyValue { separator: char, key: &'a str },
    /// `version,signature` elements separated by spaces.
    Versioned { version: &'a str },
    /// The one signature, after its prefix.
    Single(&'a str),
}

impl<'a> Presented<'a> {
    /// Calls `each` with every `(key, value)` element of a key/value or versioned list
    /// (none for a single signature), in order, until it returns `false`. Internal
    /// iteration: no iterator state to build or move.
    pub(super) fn for_each_element(&self, mut each: impl FnMut(&'a str, &'a str) -> bool) {
        match self.cache.get(..self.count) {
            Some(cached) => {
                for &(key, value) in cached {
                    if !each(key, value) {
                        return;
                    }
                }
            }
            None => {
                for (key, value) in split_list(self.value, self.shape) {
                    if !each(key, value) {
                        return;
                    }
                }
            }
        }
    }

    /// Calls `each` with the index and text of every signature of the trusted version or
    /// key, in order.
    pub(super) fn for_each_signature(&self, mut each: impl FnMut(usize, &'a str)) {
        let trusted = match self.shape {
            Shape::KeyValue { key, .. } => key,
            Shape::Versioned { version } => version,
            Shape::Single(signature) => {
                each(0, signature);
                return;
            }
        };
        let mut index = 0;
        self.for_each_element(|key, value| {
            if key == trusted {
                each(index, value);
                index += 1;
            }
            true
        });
    }

    /// The value of the only element named `key`: `Ok(None)` if there is none, `Err` if
    /// there are several.
    pub(super) fn single(&self, key: &str) -> Result<Option<&'a str>, ()> {
        let mut found = None;
        let mut repeated = false;
        self.for_each_element(|element_key, value| {
            if element_key == key {
                repeated = found.replace(value).is_some();
            }
            !repeated
        });
        if repeated { Err(()) } else { Ok(found) }
    }
}

/// The elements of a checked list, split again.
fn split_list<'a>(value: &'a str, shape: Shape<'a>) -> impl Iterator<Item = (&'a str, &'a str)> {
    let (separator, pair, skip_empty) = match shape {
        Shape::KeyValue { separator, .. } => (separator, b'=', false),
        Shape::Versioned { .. } => (' ', b',', true),
        // Not a list: nothing is split off.
        Shape::Single(_) => (' ', b',', true),
    };
    let value = match shape {
        Shape::Single(_) => "",
        _ => value,
    };
    value
        .split(separator)
        .filter(move |element| !(skip_empty && element.is_empty()))
        .filter_map(move |element| {
            if pair == b'=' {
                split_once_byte(trim(element), b'=')
            } else {
                split_once_byte(element, pair)
            }
        })
}

/// `text` split at the first `byte` (ASCII), without the generic pattern machinery.
fn split_once_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// [`str::trim`], answering at once when the text starts and ends with a visible ASCII
/// byte (every well-formed element).
pub(super) fn trim(text: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if visible(text.as_bytes().first()) && visible(text.as_bytes().last()) {
        text
    } else {
        text.trim()
    }
}

/// Checks `value` against `format`: every element well formed, at most
/// [`MAX_LIST_ELEMENTS`] of them, at least one of the trusted version.
///
/// # Errors
///
/// [`VerifyError::Malformed`] for a missing prefix, a list element without its separator
/// or a list that is too long; [`VerifyError::NoTrustedSignature`] for a list without an
/// element of the trusted version.
pub(super) fn parse<'a>(
    format: &'a SignatureFormat,
    value: &'a str,
) -> Result<Presented<'a>, VerifyError> {
    let malformed = |reason| Err(VerifyError::Malformed { reason });
    let mut count = 0;
    let mut cache = [("", ""); CACHED];
    let mut trusted = false;
    let shape = match format {
        SignatureFormat::KeyValueList {
            separator,
            signature_key,
        } => {
            for element in value.split(*separator) {
                let Some((key, value)) = split_once_byte(trim(element), b'=') else {
                    return malformed("a signature list element has no =");
                };
                // A well-formed element is `token=value`: a value holding another list
                // separator, a space or an inner `=` means the header is in some other
                // format (Paddle's `;` list sent to a Stripe verifier, or the reverse),
                // which is a malformed header, not a missing trusted signature.
                if !is_list_key(key) || !is_list_value(value) {
                    return malformed(
                        "the signature header is not a key=value list with the expected separator",
                    );
                }
                if let Some(slot) = cache.get_mut(count) {
                    *slot = (key, value);
                }
                count += 1;
                if count > MAX_LIST_ELEMENTS {
                    return malformed("the signature list is too long");
                }
                trusted |= key == signature_key;
            }
            Shape::KeyValue {
                separator: *separator,
                key: signature_key,
            }
        }
        SignatureFormat::VersionedList { version } => {
            for element in value.split(' ').filter(|element| !element.is_empty()) {
                let Some((element_version, signature)) = split_once_byte(element, b',') else {
                    return malformed("a signature list element has no version");
                };
                if let Some(slot) = cache.get_mut(count) {
                    *slot = (element_version, signature);
                }
                count += 1;
                if count > MAX_LIST_ELEMENTS {
                    return malformed("the signature list is too long");
                }
                trusted |= element_version == version;
            }
            Shape::Versioned { version }
        }
        SignatureFormat::Single { prefix } => match value.strip_prefix(prefix.as_str()) {
            Some(signature) => {
                trusted = true;
                Shape::Single(signature)
            }
            None => return malformed("the signature does not start with the expected prefix"),
        },
    };
    if !trusted {
        return Err(VerifyError::NoTrustedSignature);
    }
    Ok(Presented {
        value,
        shape,
        cache,
        count,
    })
}

/// A list key: a non-empty run of ASCII letters, digits, `-` and `_`.
fn is_list_key(key: &str) -> bool {
    !key.is_empty()
        && key.bytes().fold(true, |ok, b| {
            ok & (b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_'))
        })
}

/// A list value: visible ASCII without `,` `;` or spaces, and `=` only as trailing base64
/// padding. Every byte is checked without an early exit (no branch per byte: the check of
/// a 64-digit MAC compiles to a few vector instructions).
fn is_list_value(value: &str) -> bool {
    let unpadded = value.trim_end_matches('=');
    unpadded.bytes().fold(true, |ok, b| {
        ok & (b.is_ascii_graphic() & (b != b',') & (b != b';') & (b != b'='))
    })
}

/// A timestamp as a plain decimal integer: ASCII digits only, no sign, no spaces.
pub(super) fn parse_timestamp(text: &str) -> Result<u64, VerifyError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::BadTimestamp);
    }
    text.parse().map_err(|_| VerifyError::BadTimestamp)
}

/// Checks `timestamp` (in the rule's unit) against `now`, both boundaries inclusive.
pub(super) fn check_window(
    rule: &TimestampRule,
    timestamp: u64,
    now: SystemTime,
) -> Result<(), VerifyError> {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let (now, per_second) = match rule.unit {
        TimeUnit::Milliseconds => (
            u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX),
            1000,
        ),
        _ => (since_epoch.as_secs(), 1),
    };
    if now > timestamp && now - timestamp > rule.past_tolerance.saturating_mul(per_second) {
        return Err(VerifyError::TooOld {
            tolerance_seconds: rule.past_tolerance,
        });
    }
    if timestamp > now && timestamp - now > rule.future_tolerance.saturating_mul(per_second) {
        return Err(VerifyError::TooNew {
            tolerance_seconds: rule.future_tolerance,
        });
    }
    Ok(())
}

/// `now` as a timestamp string in `unit`, for signing.
pub(super) fn format_timestamp(unit: TimeUnit, now: SystemTime) -> String {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    match unit {
        TimeUnit::Milliseconds => since_epoch.as_millis().to_string(),
        _ => since_epoch.as_secs().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe() -> SignatureFormat {
        SignatureFormat::KeyValueList {
            separator: ',',
            signature_key: "v1".to_owned(),
        }
    }

    #[test]
    fn key_value_lists_keep_trusted_signatures_and_every_element() -> Result<(), VerifyError> {
        let format = stripe();
        for (value, first) in [
            ("t=12,v1=aa, v0=bb,v1=cc,x=", "t"),
            ("t=12,v1=aa,v1=cc", "t"),
        ] {
            let presented = parse(&format, value)?;
            let mut signatures = Vec::new();
            presented.for_each_signature(|i, text| signatures.push((i, text)));
            assert_eq!(signatures, [(0, "aa"), (1, "cc")]);
            assert_eq!(presented.single(first), Ok(Some("12")));
            assert_eq!(presented.single("v1"), Err(()));
            assert_eq!(presented.single("v9"), Ok(None));
        }
        let presented = parse(&format, "t=12,v1=aa, v0=bb,v1=cc,x=")?;
        let mut list = Vec::new();
        presented.for_each_element(|key, value| {
            list.push((key, value));
            true
        });
        assert_eq!(
            list,
            [
                ("t", "12"),
                ("v1", "aa"),
                ("v0", "bb"),
                ("v1", "cc"),
                ("x", "")
            ]
        );
        Ok(())
    }

    #[test]
    fn lists_fail_closed() {
        assert_eq!(
            parse(&stripe(), "t=12,v0=bb").unwrap_err(),
            VerifyError::NoTrustedSignature
        );
        assert!(matches!(
            parse(&stripe(), "t=12,v1"),
            Err(VerifyError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&stripe(), "t=1,,v1=a"),
            Err(VerifyError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&stripe(), &vec!["v1=a"; 40].join(",")),
            Err(VerifyError::Malformed { .. })
        ));
        let versioned = SignatureFormat::VersionedList {
            version: "v1".to_owned(),
        };
        assert_eq!(
            parse(&versioned, "v2,abc v1a,xyz").unwrap_err(),
            VerifyError::NoTrustedSignature
        );
        assert!(matches!(
            parse(&versioned, "v1abc"),
            Err(VerifyError::Malformed { .. })
        ));
        let single = SignatureFormat::Single {
            prefix: "sha256=".to_owned(),
        };
        assert!(matches!(
            parse(&single, "sha1=ab"),
            Err(VerifyError::Malformed { .. })
        ));
    }

    #[test]
    fn timestamps_are_plain_decimal() {
        assert_eq!(parse_timestamp("1531420618"), Ok(1_531_420_618));
        for bad in [
            "",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "0x1",
            "99999999999999999999",
            "١",
        ] {
            assert_eq!(
                parse_timestamp(bad),
                Err(VerifyError::BadTimestamp),
                "{bad:?}"
            );
        }
    }
}
