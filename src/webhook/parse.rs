//! Parsing presented signature values and timestamps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::VerifyError;
use crate::model::hmac::{SignatureFormat, TimeUnit, TimestampRule};

/// The most elements a signature list may have.
pub(super) const MAX_LIST_ELEMENTS: usize = 32;

/// A list of at most [`MAX_LIST_ELEMENTS`] items kept inline: parsing a header allocates
/// nothing.
#[derive(Debug, Clone, Copy)]
pub(super) struct Few<T: Copy> {
    items: [T; MAX_LIST_ELEMENTS],
    len: usize,
}

impl<T: Copy> Few<T> {
    pub(super) fn new(fill: T) -> Self {
        Self {
            items: [fill; MAX_LIST_ELEMENTS],
            len: 0,
        }
    }

    /// Appends `item`; `false` (and nothing kept) when full.
    pub(super) fn push(&mut self, item: T) -> bool {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = item;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    pub(super) fn as_slice(&self) -> &[T] {
        &self.items[..self.len]
    }
}

/// A presented signature value, split: the signatures of the trusted version, and (for a
/// key/value list) every `key=value` element.
#[derive(Debug)]
pub(super) struct Presented<'a> {
    pub(super) signatures: Few<&'a str>,
    pub(super) list: Few<(&'a str, &'a str)>,
}

/// Splits `value` by `format`.
///
/// # Errors
///
/// [`VerifyError::Malformed`] for a missing prefix, a list element without its separator
/// or a list that is too long; [`VerifyError::NoTrustedSignature`] for a list without an
/// element of the trusted version.
pub(super) fn parse<'a>(
    format: &SignatureFormat,
    value: &'a str,
) -> Result<Presented<'a>, VerifyError> {
    let malformed = |reason| Err(VerifyError::Malformed { reason });
    let mut presented = Presented {
        signatures: Few::new(""),
        list: Few::new(("", "")),
    };
    match format {
        SignatureFormat::KeyValueList {
            separator,
            signature_key,
        } => {
            for element in value.split(*separator) {
                let Some((key, value)) = element.trim().split_once('=') else {
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
                if !presented.list.push((key, value)) {
                    return malformed("the signature list is too long");
                }
                if key == signature_key {
                    presented.signatures.push(value);
                }
            }
        }
        SignatureFormat::VersionedList { version } => {
            for element in value.split(' ').filter(|element| !element.is_empty()) {
                let Some((element_version, signature)) = element.split_once(',') else {
                    return malformed("a signature list element has no version");
                };
                if !presented.list.push((element_version, signature)) {
                    return malformed("the signature list is too long");
                }
                if element_version == version {
                    presented.signatures.push(signature);
                }
            }
        }
        SignatureFormat::Single { prefix } => match value.strip_prefix(prefix.as_str()) {
            Some(signature) => {
                presented.signatures.push(signature);
            }
            None => return malformed("the signature does not start with the expected prefix"),
        },
    }
    if presented.signatures.as_slice().is_empty() {
        return Err(VerifyError::NoTrustedSignature);
    }
    Ok(presented)
}

/// A list key: a non-empty run of ASCII letters, digits, `-` and `_`.
fn is_list_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A list value: visible ASCII without `,` `;` or spaces, and `=` only as trailing base64
/// padding.
fn is_list_value(value: &str) -> bool {
    let unpadded = value.trim_end_matches('=');
    unpadded
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b',' | b';' | b'='))
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
        let presented = parse(&stripe(), "t=12,v1=aa, v0=bb,v1=cc,x=")?;
        assert_eq!(presented.signatures.as_slice(), ["aa", "cc"]);
        assert_eq!(
            presented.list.as_slice(),
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
