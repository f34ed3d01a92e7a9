//! [`Preset`]: 22 presets, the schemes of 17 real providers and their legacy variants,
//! written as data.
//!
//! Each preset is an [`HmacScheme`]; a new provider needs a scheme document, not code.
//! Sources: the providers' documentation and official SDKs (see `webhooks.md` in the
//! project's design notes).

use serde::{Deserialize, Serialize};

use crate::model::KeyLocation;
use crate::model::hmac::{
    FieldSource, HmacAlgorithm, HmacScheme, MessagePart, SecretDecoding, SignatureEncoding,
    SignatureFormat, TimeUnit, TimestampRule,
};

/// A provider's webhook signature scheme. In JSON, its kebab-case name (`"stripe"`,
/// `"hubspot-v3"`).
///
/// Legacy schemes and formats are separate presets, used only when named: `github-sha1`,
/// `square-sha1`, `mailgun-form`, and `hubspot-v1` / `hubspot-v2`, which are plain SHA-256
/// hashes rather than HMACs.
///
/// # Example
///
/// ```
/// use credgate::webhook::Preset;
///
/// let preset: Preset = serde_json::from_str(r#""standard-webhooks""#)?;
/// assert_eq!(preset.scheme().name, "webhook-signature");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Preset {
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body.
    Github,
    /// GitHub legacy: `X-Hub-Signature: sha1=<hex>` (HMAC-SHA1).
    GithubSha1,
    /// Stripe: `Stripe-Signature: t=<s>,v1=<hex>`, message `t.body`, 300 s window.
    Stripe,
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body.
    Shopify,
    /// Slack: `X-Slack-Signature: v0=<hex>`, message `v0:ts:body`, 300 s window.
    Slack,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64>`,
    /// message `id.ts.body`, secret `whsec_` + base64, 300 s window.
    StandardWebhooks,
    /// Svix: Standard Webhooks read from the `svix-*` headers or, when absent, the
    /// `webhook-*` headers white-labelled Svix sends, so one verifier takes both
    /// ([`FieldSource::AnyHeader`]); signing writes `svix-*`.
    Svix,
    /// Twilio: `X-Twilio-Signature: <base64>` HMAC-SHA1 over the URL and the sorted form
    /// parameters (or `bodySHA256`), trying the URL with and without its port.
    Twilio,
    /// Square: `x-square-hmacsha256-signature: <base64>` over `notification URL ‖ body`.
    Square,
    /// Square legacy: `x-square-signature: <base64>` HMAC-SHA1.
    SquareSha1,
    /// Zoom: `x-zm-signature: v0=<hex>`, message `v0:ts:body`, 300 s window (Zoom documents
    /// none).
    Zoom,
    /// Intercom: `X-Hub-Signature: sha1=<hex>` HMAC-SHA1 over the body.
    Intercom,
    /// Linear: `Linear-Signature: <hex>` over the body, `webhookTimestamp` (ms) in the
    /// body, 60 s window.
    Linear,
    /// Paddle Billing: `Paddle-Signature: ts=<s>;h1=<hex>`, message `ts:body`, 5 s window.
    Paddle,
    /// WooCommerce: `X-WC-Webhook-Signature: <base64>` over the body, secret HTML-entity
    /// decoded.
    Woocommerce,
    /// HubSpot v3: `X-HubSpot-Signature-v3: <base64>` over `METHOD ‖ URL ‖ body ‖ ts`
    /// (ms), 300 s window.
    HubspotV3,
    /// HubSpot v1 (dangerous, opt-in): `X-HubSpot-Signature: hex(sha256(secret ‖ body))`.
    HubspotV1,
    /// HubSpot v2 (dangerous, opt-in): `hex(sha256(secret ‖ METHOD ‖ URL ‖ body))`.
    HubspotV2,
    /// Mailgun: `signature.{timestamp, token, signature}` in the JSON body, message
    /// `timestamp ‖ token` (the event itself is NOT signed), 300 s window.
    Mailgun,
    /// Mailgun's legacy form-encoded deliveries: `timestamp`, `token` and `signature` as
    /// fields of an `application/x-www-form-urlencoded` body ([`FieldSource::Form`]),
    /// message `timestamp ‖ token` (the rest of the body is NOT signed), 300 s window.
    MailgunForm,
    /// Calendly: `Calendly-Webhook-Signature: t=<s>,v1=<hex>`, message `t.body`, 180 s.
    Calendly,
    /// Typeform: `Typeform-Signature: sha256=<base64>` over the body.
    Typeform,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 22] = [
        Self::Github,
        Self::GithubSha1,
        Self::Stripe,
        Self::Shopify,
        Self::Slack,
        Self::StandardWebhooks,
        Self::Svix,
        Self::Twilio,
        Self::Square,
        Self::SquareSha1,
        Self::Zoom,
        Self::Intercom,
        Self::Linear,
        Self::Paddle,
        Self::Woocommerce,
        Self::HubspotV3,
        Self::HubspotV1,
        Self::HubspotV2,
        Self::Mailgun,
        Self::MailgunForm,
        Self::Calendly,
        Self::Typeform,
    ];

    /// The preset's scheme, as data.
    pub fn scheme(self) -> HmacScheme {
        use HmacAlgorithm::{Sha1, Sha256};
        use MessagePart::{Body, HubspotUrl, Id, Method, Timestamp, TwilioParams, Url};
        use SignatureEncoding::{Base64, Hex};

        let header = |algorithm, encoding, name: &str| {
            HmacScheme::new(algorithm, encoding, KeyLocation::Header, name)
        };
        let prefixed = |mut scheme: HmacScheme, prefix: &str| {
            scheme.format = SignatureFormat::Single {
                prefix: prefix.to_owned(),
            };
            scheme
        };
        let lit = |text: &str| MessagePart::Literal(text.to_owned());
        let ts_header = |name: &str, unit, tolerance| {
            Some(
                TimestampRule::new(FieldSource::Header(name.to_owned()), unit)
                    .with_tolerance(tolerance),
            )
        };
        let key_value = |separator, signature_key: &str| SignatureFormat::KeyValueList {
            separator,
            signature_key: signature_key.to_owned(),
        };
        let ts_list = |key: &str, tolerance| {
            Some(
                TimestampRule::new(FieldSource::List(key.to_owned()), TimeUnit::Seconds)
                    .with_tolerance(tolerance),
            )
        };
        // The Standard Webhooks headers under each prefix, the first present one read.
        let standard = |prefixes: &[&str]| {
            let source = |field: &str| match prefixes {
                [prefix] => FieldSource::Header(format!("{prefix}-{field}")),
                _ => FieldSource::AnyHeader(
                    prefixes
                        .iter()
                        .map(|prefix| format!("{prefix}-{field}"))
                        .collect(),
                ),
            };
            let mut s = header(Sha256, Base64, &format!("{}-signature", prefixes[0]));
            if prefixes.len() > 1 {
                s.signature_from = Some(source("signature"));
            }
            s.format = SignatureFormat::VersionedList {
                version: "v1".to_owned(),
            };
            s.message = Some(vec![Id, lit("."), Timestamp, lit("."), Body]);
            s.id_from = Some(source("id"));
            s.timestamp = Some(
                TimestampRule::new(source("timestamp"), TimeUnit::Seconds).with_tolerance(300),
            );
            s.secret_decoding = SecretDecoding::PrefixedBase64("whsec_".to_owned());
            s
        };
        let v0_colon = |signature: &str, timestamp: &str| {
            let mut s = prefixed(header(Sha256, Hex, signature), "v0=");
            s.message = Some(vec![lit("v0:"), Timestamp, lit(":"), Body]);
            s.timestamp = ts_header(timestamp, TimeUnit::Seconds, 300);
            s
        };

        let mut scheme = match self {
            Self::Github => {
                let mut s = prefixed(header(Sha256, Hex, "X-Hub-Signature-256"), "sha256=");
                s.id_from = Some(FieldSource::Header("X-GitHub-Delivery".to_owned()));
                s
            }
            Self::GithubSha1 => {
                let mut s = prefixed(header(Sha1, Hex, "X-Hub-Signature"), "sha1=");
                s.id_from = Some(FieldSource::Header("X-GitHub-Delivery".to_owned()));
                s
            }
            Self::Stripe | Self::Calendly => {
                let (name, tolerance) = if self == Self::Stripe {
                    ("Stripe-Signature", 300)
                } else {
                    ("Calendly-Webhook-Signature", 180)
                };
                let mut s = header(Sha256, Hex, name);
                s.format = key_value(',', "v1");
                s.message = Some(vec![Timestamp, lit("."), Body]);
                s.timestamp = ts_list("t", tolerance);
                s
            }
            Self::Shopify => {
                let mut s = header(Sha256, Base64, "X-Shopify-Hmac-Sha256");
                s.id_from = Some(FieldSource::Header("X-Shopify-Webhook-Id".to_owned()));
                s
            }
            Self::Slack => v0_colon("X-Slack-Signature", "X-Slack-Request-Timestamp"),
            Self::StandardWebhooks => standard(&["webhook"]),
            Self::Svix => standard(&["svix", "webhook"]),
            Self::Twilio => {
                let mut s = header(Sha1, Base64, "X-Twilio-Signature");
                s.message = Some(vec![Url, TwilioParams]);
                s.url_port_variants = true;
                s
            }
            Self::Square | Self::SquareSha1 => {
                let mut s = if self == Self::Square {
                    header(Sha256, Base64, "x-square-hmacsha256-signature")
                } else {
                    header(Sha1, Base64, "x-square-signature")
                };
                s.message = Some(vec![Url, Body]);
                s
            }
            Self::Zoom => v0_colon("x-zm-signature", "x-zm-request-timestamp"),
            Self::Intercom => prefixed(header(Sha1, Hex, "X-Hub-Signature"), "sha1="),
            Self::Linear => {
                let mut s = header(Sha256, Hex, "Linear-Signature");
                s.timestamp = Some(
                    TimestampRule::new(
                        FieldSource::Json("/webhookTimestamp".to_owned()),
                        TimeUnit::Milliseconds,
                    )
                    .with_tolerance(60),
                );
                s
            }
            Self::Paddle => {
                let mut s = header(Sha256, Hex, "Paddle-Signature");
                s.format = key_value(';', "h1");
                s.message = Some(vec![Timestamp, lit(":"), Body]);
                s.timestamp = ts_list("ts", 5);
                s
            }
            Self::Woocommerce => {
                let mut s = header(Sha256, Base64, "X-WC-Webhook-Signature");
                s.secret_decoding = SecretDecoding::HtmlEntities;
                s.id_from = Some(FieldSource::Header("X-WC-Webhook-Delivery-ID".to_owned()));
                s
            }
            Self::HubspotV3 => {
                let mut s = header(Sha256, Base64, "X-HubSpot-Signature-v3");
                s.message = Some(vec![Method, HubspotUrl, Body, Timestamp]);
                s.timestamp = ts_header("X-HubSpot-Request-Timestamp", TimeUnit::Milliseconds, 300);
                s
            }
            Self::HubspotV1 | Self::HubspotV2 => {
                let mut s = header(Sha256, Hex, "X-HubSpot-Signature");
                s.danger_plain_hash = true;
                if self == Self::HubspotV2 {
                    s.message = Some(vec![Method, Url, Body]);
                }
                s
            }
            Self::Mailgun | Self::MailgunForm => {
                let field = |name: &str| {
                    if self == Self::Mailgun {
                        FieldSource::Json(format!("/signature/{name}"))
                    } else {
                        FieldSource::Form(name.to_owned())
                    }
                };
                let mut s = header(Sha256, Hex, "");
                s.signature_from = Some(field("signature"));
                s.message = Some(vec![Timestamp, Id]);
                s.id_from = Some(field("token"));
                s.timestamp = Some(TimestampRule::new(field("timestamp"), TimeUnit::Seconds));
                s
            }
            Self::Typeform => prefixed(header(Sha256, Base64, "Typeform-Signature"), "sha256="),
        };
        scheme.id = self.name().to_owned();
        scheme
    }

    /// The preset's name, as in JSON (`hubspot-v3`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::GithubSha1 => "github-sha1",
            Self::Stripe => "stripe",
            Self::Shopify => "shopify",
            Self::Slack => "slack",
            Self::StandardWebhooks => "standard-webhooks",
            Self::Svix => "svix",
            Self::Twilio => "twilio",
            Self::Square => "square",
            Self::SquareSha1 => "square-sha1",
            Self::Zoom => "zoom",
            Self::Intercom => "intercom",
            Self::Linear => "linear",
            Self::Paddle => "paddle",
            Self::Woocommerce => "woocommerce",
            Self::HubspotV3 => "hubspot-v3",
            Self::HubspotV1 => "hubspot-v1",
            Self::HubspotV2 => "hubspot-v2",
            Self::Mailgun => "mailgun",
            Self::MailgunForm => "mailgun-form",
            Self::Calendly => "calendly",
            Self::Typeform => "typeform",
        }
    }
}

crate::model::safe::safe_document!(Preset);
