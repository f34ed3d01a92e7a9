//! Verification, buffered or streaming: one code path, the buffered form feeding the whole
//! body as a single chunk.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::VerifyError;
use super::engine::{Engine, MacState, Tag};
use super::message::{self, Computed, Inputs, View};
use super::parse::{self, Presented};
use crate::model::hmac::TimeUnit;

/// Proof that a delivery's signature was verified. Only credgate constructs it.
///
/// It carries what a handler may want next: which configured secret matched (to retire
/// old ones after a rotation), the signed timestamp and the delivery id (to deduplicate
/// within the replay window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    secret_index: usize,
    timestamp: Option<SystemTime>,
    id: Option<DeliveryId>,
    id_signed: bool,
}

impl Verified {
    /// The position, in the configured list, of the secret that matched.
    pub fn secret_index(&self) -> usize {
        self.secret_index
    }

    /// The signed timestamp, if the scheme has one.
    pub fn timestamp(&self) -> Option<SystemTime> {
        self.timestamp
    }

    /// The delivery id (`webhook-id`, `X-GitHub-Delivery`, Mailgun's token, ...), if the
    /// scheme names one and the delivery has it.
    ///
    /// The signature may not cover it (GitHub, Shopify, WooCommerce): see
    /// [`id_is_signed`](Self::id_is_signed). An unsigned id only deduplicates honest
    /// retries; it does not stop a replay, since an attacker can resend a captured
    /// delivery with any id.
    pub fn id(&self) -> Option<&str> {
        self.id.as_ref().map(DeliveryId::as_str)
    }

    /// Whether the signature covers [`id`](Self::id): there is an id, and it is part of
    /// the signed message or a field of the signed JSON body. Only then does remembering
    /// seen ids stop replays within the timestamp window.
    pub fn id_is_signed(&self) -> bool {
        self.id_signed
    }
}

/// The longest delivery id kept inline; longer ones (rare: ids are UUIDs and short tokens)
/// go on the heap.
const INLINE_ID: usize = 64;

/// A delivery id, copied out of the request without a heap allocation when short.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DeliveryId {
    Inline { bytes: [u8; INLINE_ID], len: usize },
    Heap(String),
}

impl DeliveryId {
    fn new(text: &str) -> Self {
        let mut bytes = [0; INLINE_ID];
        match bytes.get_mut(..text.len()) {
            Some(prefix) => {
                prefix.copy_from_slice(text.as_bytes());
                Self::Inline {
                    bytes,
                    len: text.len(),
                }
            }
            None => Self::Heap(text.to_owned()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied whole from a `&str`, so always UTF-8; never empty-by-mistake either.
            Self::Inline { bytes, len } => std::str::from_utf8(&bytes[..*len]).unwrap_or_default(),
            Self::Heap(text) => text,
        }
    }
}

/// A verification in progress over a body that arrives in chunks, in constant memory:
/// every chunk goes straight into the MAC states and is never kept.
///
/// Made by [`Verifier::stream`](super::Verifier::stream), which has already checked the
/// headers and the timestamp.
pub struct StreamingVerification {
    candidates: Vec<Candidate>,
    signatures: Vec<Tag>,
    feeds_body: bool,
    received: u64,
    limit: u64,
    timestamp: Option<SystemTime>,
    id: Option<DeliveryId>,
    id_signed: bool,
}

/// One secret (and, for Twilio, one URL variant) being tried.
struct Candidate {
    secret_index: usize,
    mac: MacState,
    /// The message bytes after the body.
    after: Vec<u8>,
}

impl StreamingVerification {
    /// Feeds the next chunk of the body.
    ///
    /// # Errors
    ///
    /// [`VerifyError::BodyTooLarge`] once the body passes the cap; every later call and
    /// [`finish`](Self::finish) fail the same way.
    ///
    /// # Example
    ///
    /// See [`Verifier::stream`](super::Verifier::stream).
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), VerifyError> {
        let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        self.received = self.received.saturating_add(len);
        if self.received > self.limit {
            return Err(VerifyError::BodyTooLarge { limit: self.limit });
        }
        if self.feeds_body {
            for candidate in &mut self.candidates {
                candidate.mac.update(chunk);
            }
        }
        Ok(())
    }

    /// Completes the MACs and compares them with every presented signature, for every
    /// secret, without stopping at the first mismatch.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Mismatch`] if no signature matches; [`VerifyError::BodyTooLarge`]
    /// if the body passed the cap.
    ///
    /// # Example
    ///
    /// See [`Verifier::stream`](super::Verifier::stream).
    pub fn finish(self) -> Result<Verified, VerifyError> {
        if self.received > self.limit {
            return Err(VerifyError::BodyTooLarge { limit: self.limit });
        }
        let mut matched = None;
        for candidate in self.candidates {
            let mut mac = candidate.mac;
            mac.update(&candidate.after);
            let tag = mac.finalize();
            let mut hit = subtle::Choice::from(0);
            for signature in &self.signatures {
                hit |= tag.ct_eq(signature);
            }
            if matched.is_none() && bool::from(hit) {
                matched = Some(candidate.secret_index);
            }
        }
        let secret_index = matched.ok_or(VerifyError::Mismatch)?;
        Ok(Verified {
            secret_index,
            timestamp: self.timestamp,
            id: self.id,
            id_signed: self.id_signed,
        })
    }
}

impl std::fmt::Debug for StreamingVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingVerification")
            .field("candidates", &self.candidates.len())
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

/// What the headers say, checked: the presented signatures (the first that decodes,
/// decoded), the timestamp (text, value, unit) and the delivery id. A few words, kept
/// inline: nothing on the heap, nothing large to fill or move.
struct Checked<'a> {
    presented: Presented<'a>,
    /// The first trusted signature that decodes to a MAC of the right length.
    first: Tag,
    /// Bit `i`: the `i`-th trusted signature after that one decodes as well (decoded again
    /// when compared: rare, and cheaper than keeping room for 32 decoded MACs).
    others: u64,
    timestamp: Option<(Cow<'a, str>, u64, TimeUnit)>,
    id: Option<Cow<'a, str>>,
}

impl Engine {
    /// Calls `each` with every presented signature that decodes.
    fn for_each_signature(&self, checked: &Checked<'_>, mut each: impl FnMut(&Tag)) {
        each(&checked.first);
        if checked.others == 0 {
            return;
        }
        checked.presented.for_each_signature(|i, text| {
            // mutants: equivalent because `parse` keeps at most `MAX_LIST_ELEMENTS` (32)
            // elements, so `i` never reaches 64 and `i <= 64` is `i < 64`; the fence only
            // keeps the shift below from overflowing should that limit ever grow.
            if i < 64
                && checked.others & (1 << i) != 0
                && let Some(tag) = self.decode_signature(parse::trim(text))
            {
                each(&tag);
            }
        });
    }

    /// Checks everything but the MAC (signature presence and format, timestamp window, id)
    /// and hands the result to `then`: it borrows the header text, so it is not returned.
    fn check<R>(
        &self,
        view: &View<'_>,
        now: SystemTime,
        then: impl FnOnce(Checked<'_>) -> Result<R, VerifyError>,
    ) -> Result<R, VerifyError> {
        let raw = view.read_field(&self.signature_field, None)?;
        let presented = parse::parse(&self.scheme.format, &raw)?;
        let mut timestamp = None;
        if let (Some(rule), Some(field)) = (&self.scheme.timestamp, &self.timestamp_field) {
            let text = view.read_field(field, Some(&presented))?;
            let value = parse::parse_timestamp(&text)?;
            parse::check_window(rule, value, now)?;
            timestamp = Some((text, value, rule.unit));
        }
        let id = match &self.id_field {
            None => None,
            // An id the MAC does not cover is optional; a signed one is required.
            Some(field) if !self.signs_id_part => {
                view.read_field_optional(field, Some(&presented))?
            }
            Some(field) => Some(view.read_field(field, Some(&presented))?),
        };
        let mut first = None;
        let mut others = 0u64;
        presented.for_each_signature(|i, text| {
            if let Some(tag) = self.decode_signature(parse::trim(text)) {
                if first.is_none() {
                    first = Some(tag);
                // mutants: equivalent because `i` stays below 32 (`MAX_LIST_ELEMENTS`), so
                // `i <= 64` is `i < 64`; the fence keeps the shift from overflowing.
                } else if i < 64 {
                    others |= 1 << i;
                }
            }
        });
        let Some(first) = first else {
            return Err(VerifyError::Malformed {
                reason: "the signature is not a MAC in the expected encoding",
            });
        };
        then(Checked {
            presented,
            first,
            others,
            timestamp,
            id,
        })
    }

    /// Calls `each` with every URL the sender may have signed (none when the message holds
    /// no URL): the URL, and its spelling as an [`http::Uri`] when that differs (see
    /// [`message::uri_spelling`]); each with Twilio's port variants.
    fn for_each_url(
        &self,
        view: &View<'_>,
        mut each: impl FnMut(Option<&str>) -> Result<(), VerifyError>,
    ) -> Result<(), VerifyError> {
        if !self.needs_url {
            return each(None);
        }
        let url = view.url(self.signature_query())?;
        // A URL rebuilt from the parsed request URI has its `http`/`https` scheme in lower
        // case whatever the request said (`http::Uri` keeps no other spelling): the sender
        // may have signed `HTTP://` or `HTTPS://`, so that spelling is tried too. A given
        // URL is used byte for byte, and as an `http::Uri` spells it when that differs
        // (what a `Signer` signs for a request sent to it).
        let upper = view.signed_url.is_none() && message::upper_scheme(&url).is_some();
        let respelled = message::uri_spelling(&url);
        let mut one = |variant: &str| -> Result<(), VerifyError> {
            each(Some(variant))?;
            match message::upper_scheme(variant).filter(|_| upper) {
                Some(variant) => each(Some(&variant)),
                None => Ok(()),
            }
        };
        for spelling in std::iter::once(url.as_ref()).chain(respelled.as_deref()) {
            if self.scheme.url_port_variants {
                for variant in message::port_variants(spelling) {
                    one(&variant)?;
                }
            } else {
                one(spelling)?;
            }
        }
        Ok(())
    }

    /// Verifies a buffered delivery: one MAC per secret (and URL variant) over the whole
    /// message, compared with every presented signature, with no early exit. Allocates
    /// nothing for schemes whose message is made of headers, literals and the body.
    pub(super) fn verify_buffered(
        &self,
        view: &View<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        self.check(view, now, |checked| self.mac_buffered(view, body, &checked))
    }

    fn mac_buffered(
        &self,
        view: &View<'_>,
        body: &[u8],
        checked: &Checked<'_>,
    ) -> Result<Verified, VerifyError> {
        let mut matched = None;
        self.for_each_url(view, |url| {
            let inputs = self.inputs(view, url, checked);
            let computed = Computed::new(&self.message, &inputs)?;
            for (secret_index, key) in self.keys.iter().enumerate() {
                let tag = key.mac(|mac| {
                    message::for_each_part(&self.message, &inputs, &computed, |part| {
                        mac(part.unwrap_or(body));
                    })
                })?;
                let mut hit = subtle::Choice::from(0);
                self.for_each_signature(checked, |signature| hit |= tag.ct_eq(signature));
                if matched.is_none() && bool::from(hit) {
                    matched = Some(secret_index);
                }
            }
            Ok(())
        })?;
        let secret_index = matched.ok_or(VerifyError::Mismatch)?;
        Ok(Verified {
            secret_index,
            timestamp: checked
                .timestamp
                .as_ref()
                .map(|&(_, value, unit)| to_time(value, unit)),
            id_signed: self.signs_id && checked.id.is_some(),
            id: checked.id.as_deref().map(DeliveryId::new),
        })
    }

    /// Checks the headers and starts one MAC per secret (and URL variant) with the message
    /// bytes before the body.
    pub(super) fn begin(
        &self,
        view: &View<'_>,
        now: SystemTime,
    ) -> Result<StreamingVerification, VerifyError> {
        self.check(view, now, |checked| self.start_stream(view, checked))
    }

    fn start_stream(
        &self,
        view: &View<'_>,
        checked: Checked<'_>,
    ) -> Result<StreamingVerification, VerifyError> {
        let mut candidates = Vec::with_capacity(self.keys.len());
        self.for_each_url(view, |url| {
            let inputs = self.inputs(view, url, &checked);
            let computed = Computed::new(&self.message, &inputs)?;
            for (secret_index, key) in self.keys.iter().enumerate() {
                let mut mac = key.start();
                let mut after = Vec::new();
                let mut seen_body = false;
                message::for_each_part(&self.message, &inputs, &computed, |part| match part {
                    None => seen_body = true,
                    Some(bytes) if seen_body => after.extend_from_slice(bytes),
                    Some(bytes) => mac.update(bytes),
                })?;
                candidates.push(Candidate {
                    secret_index,
                    mac,
                    after,
                });
            }
            Ok(())
        })?;
        Ok(StreamingVerification {
            candidates,
            signatures: {
                let mut signatures = Vec::new();
                self.for_each_signature(&checked, |signature| signatures.push(*signature));
                signatures
            },
            feeds_body: self.feeds_body,
            received: 0,
            limit: self.max_body_bytes,
            timestamp: checked
                .timestamp
                .map(|(_, value, unit)| to_time(value, unit)),
            id_signed: self.signs_id && checked.id.is_some(),
            id: checked.id.as_deref().map(DeliveryId::new),
        })
    }

    fn inputs<'i>(
        &self,
        view: &'i View<'_>,
        url: Option<&'i str>,
        checked: &'i Checked<'_>,
    ) -> Inputs<'i> {
        Inputs {
            method: view.method.as_str(),
            url,
            body: view.body,
            timestamp: checked.timestamp.as_ref().map(|(text, _, _)| &**text),
            id: checked.id.as_deref(),
        }
    }
}

fn to_time(value: u64, unit: TimeUnit) -> SystemTime {
    let since_epoch = match unit {
        TimeUnit::Milliseconds => Duration::from_millis(value),
        _ => Duration::from_secs(value),
    };
    UNIX_EPOCH.checked_add(since_epoch).unwrap_or(UNIX_EPOCH)
}
