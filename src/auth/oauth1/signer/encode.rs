//! Percent-encoding for RFC 5849 §3.6 at the speed signing needs: table look-ups over
//! whole runs of unreserved bytes, the second encoding of the base string eight bytes at
//! a time, form decoding, and the small formatters a signing uses.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The unreserved bytes of RFC 5849 §3.6, as a table: encoding is a table look-up per
/// byte and a copy per run of unreserved bytes, not a branch chain and a push per byte.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// The classes of [`FORM_CLASS`].
const PLAIN: u8 = 0;
pub(super) const AMPERSAND: u8 = 1;
pub(super) const EQUALS: u8 = 2;
const OTHER: u8 = 3;

/// Each byte of a form-encoded string: unreserved (its own normalisation), `&`, `=`, or
/// another byte (the component needs normalising).
pub(super) static FORM_CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        if UNRESERVED[b] {
            table[b] = PLAIN;
        }
        b += 1;
    }
    table[b'&' as usize] = AMPERSAND;
    table[b'=' as usize] = EQUALS;
    table
};

/// The length of the run of unreserved bytes that `bytes` starts with.
pub(super) fn unreserved_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| !UNRESERVED[usize::from(b)])
        .unwrap_or(bytes.len())
}

/// `b` as `%XX` with upper-case hex.
fn escaped(b: u8) -> [u8; 3] {
    [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]
}

/// Appends `b` encoded per RFC 5849 §3.6: unreserved bytes as they are, all others `%XX`
/// with upper-case hex.
pub(super) fn push_encoded(out: &mut Vec<u8>, b: u8) {
    if UNRESERVED[usize::from(b)] {
        out.push(b);
    } else {
        out.extend_from_slice(&escaped(b));
    }
}

/// Appends `bytes` encoded per §3.6, copying whole runs of unreserved bytes.
pub(super) fn encode_into(out: &mut Vec<u8>, mut bytes: &[u8]) {
    out.reserve(bytes.len());
    loop {
        let run = unreserved_run(bytes);
        out.extend_from_slice(&bytes[..run]);
        let Some((&b, rest)) = bytes[run..].split_first() else {
            return;
        };
        out.extend_from_slice(&escaped(b));
        bytes = rest;
    }
}

/// `bytes` encoded per §3.6 into `buf`, which holds three bytes for each of the first 44
/// bytes of `bytes`; callers pass at most 44 (a MAC in base64).
pub(super) fn encode_to_buf<'b>(bytes: &[u8], buf: &'b mut [u8; 44 * 3]) -> &'b str {
    let mut at = 0;
    for &b in bytes.iter().take(44) {
        if UNRESERVED[usize::from(b)] {
            buf[at] = b;
            at += 1;
        } else {
            buf[at..at + 3].copy_from_slice(&escaped(b));
            at += 3;
        }
    }
    // Only ASCII was written.
    std::str::from_utf8(&buf[..at]).unwrap_or_default()
}

/// Encodes text already encoded per §3.6 (unreserved bytes and `%XX`) a second time: only
/// `%` changes, so the runs between them are copied whole. Eight bytes at a time are
/// checked for a `%` at once (a SWAR zero-byte test), so a run costs a few instructions per
/// word rather than a branch per byte.
pub(super) fn encode_encoded_into(out: &mut Vec<u8>, encoded: &[u8]) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const PERCENTS: u64 = 0x2525_2525_2525_2525;
    // The start of the bytes not yet copied.
    let mut start = 0;
    let mut at = 0;
    let escape = |out: &mut Vec<u8>, start: &mut usize, from: usize, to: usize| {
        for (offset, &b) in encoded[from..to].iter().enumerate() {
            if b == b'%' {
                out.extend_from_slice(&encoded[*start..from + offset]);
                out.extend_from_slice(b"%25");
                *start = from + offset + 1;
            }
        }
    };
    for word in encoded.chunks_exact(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes) ^ PERCENTS;
        if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
            escape(out, &mut start, at, at + 8);
        }
        at += 8;
    }
    escape(out, &mut start, at, encoded.len());
    out.extend_from_slice(&encoded[start..]);
}

/// Decodes one form-encoded component (`%XX` exactly once, `+` as a space), handing each
/// decoded byte to `push`.
fn decode_form_component(raw: &[u8], mut push: impl FnMut(u8)) -> Result<(), &'static str> {
    const INVALID_ESCAPE: &str = "has a % that is not followed by two hex digits";
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or(INVALID_ESCAPE)?;
                let high = hex_value(hex[0]).ok_or(INVALID_ESCAPE)?;
                let low = hex_value(hex[1]).ok_or(INVALID_ESCAPE)?;
                push(high << 4 | low);
                i += 3;
            }
            b'+' => {
                push(b' ');
                i += 1;
            }
            b => {
                push(b);
                i += 1;
            }
        }
    }
    Ok(())
}

/// Splits a form into its raw `(name, value)` components (a pair without `=` has an empty
/// value; empty pairs are skipped).
fn form_pairs(form: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    form.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &b""[..]),
        })
}

/// Decodes one form component and appends it encoded per §3.6: bytes that are not UTF-8
/// stay `%XX`. Runs of unreserved bytes, which decoding and encoding leave as they are,
/// are copied whole; the rest goes through the decoder one escape at a time.
pub(super) fn normalise_into(out: &mut Vec<u8>, mut raw: &[u8]) -> Result<(), &'static str> {
    loop {
        let run = unreserved_run(raw);
        out.extend_from_slice(&raw[..run]);
        raw = &raw[run..];
        let Some(&first) = raw.first() else {
            return Ok(());
        };
        // One escape (`%XX`, checked by the decoder) or one other byte.
        let end = if first == b'%' { raw.len().min(3) } else { 1 };
        decode_form_component(&raw[..end], |b| push_encoded(out, b))?;
        raw = &raw[end..];
    }
}

/// Parses a form-encoded response body into decoded pairs.
pub(crate) fn parse_form(form: &[u8]) -> Result<Vec<(String, String)>, &'static str> {
    let decode = |raw: &[u8]| -> Result<String, &'static str> {
        let mut bytes = Vec::with_capacity(raw.len());
        decode_form_component(raw, |b| bytes.push(b))?;
        String::from_utf8(bytes).map_err(|_| "is not UTF-8 once decoded")
    };
    form_pairs(form.trim_ascii())
        .map(|(name, value)| Ok((decode(name)?, decode(value)?)))
        .collect()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `n` in decimal, written into the end of `buf`.
pub(super) fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
}

/// `bytes` in standard base64, written into `buf` (44 bytes hold a SHA-256 MAC).
pub(super) fn base64<'b>(bytes: &[u8], buf: &'b mut [u8; 44]) -> &'b str {
    let written = STANDARD.encode_slice(bytes, buf).unwrap_or_default();
    std::str::from_utf8(&buf[..written]).unwrap_or_default()
}
