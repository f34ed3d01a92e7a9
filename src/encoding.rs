//! Percent-encoding and query-string helpers shared by the schemes.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str};

/// Everything but RFC 3986's unreserved characters (`ALPHA / DIGIT / - . _ ~`): the set
/// RFC 5849 §3.6 requires, and the safe choice for a query parameter's name and value.
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `input` with [`UNRESERVED`].
pub(crate) fn encode(input: &str) -> String {
    percent_encoding::utf8_percent_encode(input, UNRESERVED).to_string()
}

/// Appends to `out` the `query` with every parameter whose decoded name is `name` removed
/// and `pair` (already encoded `name=value`) appended. Other parameters keep their order
/// and bytes.
pub(crate) fn push_replaced_query(out: &mut String, query: Option<&str>, name: &str, pair: &str) {
    for segment in query.unwrap_or_default().split('&') {
        let segment_name = segment.split_once('=').map_or(segment, |(n, _)| n);
        if segment.is_empty() || names_match(segment_name, name) {
            continue;
        }
        out.push_str(segment);
        out.push('&');
    }
    out.push_str(pair);
}

/// Whether an encoded query parameter name decodes to `name` (`+` read as a space, as
/// forms write it). Bytes that are not UTF-8 simply do not match.
pub(crate) fn names_match(encoded: &str, name: &str) -> bool {
    // Without an escape or a `+` the name is its own decoding; with one, the raw text is
    // not the name (`a+b` is `a b`).
    if !encoded.contains(['%', '+']) {
        return encoded == name;
    }
    let plus_as_space = encoded.replace('+', " ");
    percent_decode_str(&plus_as_space).eq(name.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(
            encode("a b+c/d~e-f_g.h=é"),
            "a%20b%2Bc%2Fd~e-f_g.h%3D%C3%A9"
        );
    }

    fn replace_query_param(query: Option<&str>, name: &str, pair: &str) -> String {
        let mut out = String::new();
        push_replaced_query(&mut out, query, name, pair);
        out
    }

    #[test]
    fn replaces_every_copy_of_a_parameter_and_keeps_the_rest() {
        assert_eq!(replace_query_param(None, "key", "key=1"), "key=1");
        assert_eq!(
            replace_query_param(Some("a=1&key=old&b=%FF&key"), "key", "key=new"),
            "a=1&b=%FF&key=new"
        );
        assert_eq!(
            replace_query_param(Some("api%5Fkey=old&x=1"), "api_key", "api_key=new"),
            "x=1&api_key=new"
        );
        assert_eq!(
            replace_query_param(Some("api+key=old&api%20key=old&apikey=1"), "api key", "k"),
            "apikey=1&k"
        );
        assert_eq!(replace_query_param(Some("&&a=1&"), "k", "k=v"), "a=1&k=v");
        // A name holding a literal `+` is written `%2B`; a raw `a+b` is another name.
        assert_eq!(
            replace_query_param(Some("a+b=keep&x=1&a%2Bb=old"), "a+b", "a%2Bb=new"),
            "a+b=keep&x=1&a%2Bb=new"
        );
    }
}
