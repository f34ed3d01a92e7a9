//! Verification, buffered or streaming: one code path, the buffered form feeding the whole
//! body as a single chunk.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::VerifyError;
use super::engine::{Engine, MacState, Tag};
use super::message::{self, Inputs, View};
use super::parse;
use crate::model::hmac::{MessagePart, TimeUnit};

/// Proof that a delivery's signature was verified. Only credgate constructs it.
///
/// It carries what a handler may want next: which configured secret matched (to retire
/// old ones after a rotation), the signed timestamp and the delivery id (to deduplicate
/// within the replay window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    secret_index: usize,
    timestamp: Option<SystemTime>,
    id: Option<String>,
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
        self.id.as_deref()
    }

    /// Whether the signature covers [`id`](Self::id): there is an id, and it is part of
    /// the signed message or a field of the signed JSON body. Only then does remembering
    /// seen ids stop replays within the timestamp window.
    pub fn id_is_signed(&self) -> bool {
        self.id_signed
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
    id: Option<String>,
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

impl Engine {
    /// Checks everything but the MAC (signature presence and format, timestamp window, id)
    /// and starts one MAC per secret (and URL variant) with the message bytes before the
    /// body.
    pub(super) fn begin(
        &self,
        view: &View<'_>,
        now: SystemTime,
    ) -> Result<StreamingVerification, VerifyError> {
        let raw = view.read(&self.signature_from, &[])?;
        let presented = parse::parse(&self.scheme.format, &raw)?;
        let mut timestamp = None;
        if let Some(rule) = &self.scheme.timestamp {
            let text = view.read(&rule.from, &presented.list)?;
            let value = parse::parse_timestamp(&text)?;
            parse::check_window(rule, value, now)?;
            timestamp = Some((text, value, rule.unit));
        }
        let id = match &self.scheme.id_from {
            None => None,
            Some(source) => match view.read(source, &presented.list) {
                Ok(id) => Some(id),
                Err(VerifyError::MissingHeader { .. } | VerifyError::MissingField { .. })
                    if !self.message.contains(&MessagePart::Id) =>
                {
                    None
                }
                Err(err) => return Err(err),
            },
        };
        let signatures: Vec<Tag> = presented
            .signatures
            .iter()
            .filter_map(|text| self.decode_signature(text.trim()))
            .collect();
        if signatures.is_empty() {
            return Err(VerifyError::Malformed {
                reason: "the signature is not a MAC in the expected encoding",
            });
        }
        let urls: Vec<Option<Cow<'_, str>>> = if !self.needs_url {
            vec![None]
        } else if self.scheme.url_port_variants {
            message::port_variants(&view.url(self.signature_query())?)
                .into_iter()
                .map(|url| Some(Cow::Owned(url)))
                .collect()
        } else {
            vec![Some(view.url(self.signature_query())?)]
        };
        let mut candidates = Vec::with_capacity(urls.len() * self.keys.len());
        for url in &urls {
            let resolved = message::resolve(
                &self.message,
                &Inputs {
                    method: view.method.as_str(),
                    url: url.as_deref(),
                    body: view.body,
                    timestamp: timestamp.as_ref().map(|(text, _, _)| &**text),
                    id: id.as_deref(),
                },
            )?;
            for (secret_index, key) in self.keys.iter().enumerate() {
                let mut mac = key.start();
                for part in &resolved.before {
                    mac.update(part);
                }
                candidates.push(Candidate {
                    secret_index,
                    mac,
                    after: resolved.after.clone(),
                });
            }
        }
        Ok(StreamingVerification {
            candidates,
            signatures,
            feeds_body: self.feeds_body,
            received: 0,
            limit: self.max_body_bytes,
            timestamp: timestamp.map(|(_, value, unit)| to_time(value, unit)),
            id_signed: self.signs_id && id.is_some(),
            id: id.map(Cow::into_owned),
        })
    }
}

fn to_time(value: u64, unit: TimeUnit) -> SystemTime {
    let since_epoch = match unit {
        TimeUnit::Milliseconds => Duration::from_millis(value),
        _ => Duration::from_secs(value),
    };
    UNIX_EPOCH.checked_add(since_epoch).unwrap_or(UNIX_EPOCH)
}
