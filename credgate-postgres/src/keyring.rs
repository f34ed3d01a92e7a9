//! Encryption at rest: AES-256-GCM keys by id, one of them current for sealing.
//!
//! * **Sealing** uses the current key and a fresh random 96-bit nonce from the operating
//!   system (`getrandom`) for every credential; the row stores the key id beside
//!   `nonce ‖ ciphertext ‖ tag`.
//! * **Associated data** binds a sealed credential to its token owner and version: a row
//!   copied onto another owner, or an old row replayed under a newer version, fails to
//!   open ([`StoreError::Tampered`]) instead of handing out the wrong credential.
//! * **Rotation**: build the keyring with the new key current and the old ones
//!   [`with_old_key`](Keyring::with_old_key); rows sealed under an old key stay readable,
//!   and each is sealed under the new key the next time a new credential is published for
//!   its owner. A row whose key id the keyring does not hold fails with
//!   [`StoreError::UnknownKeyId`] naming the id, never with garbage.
//! * **Key material** lives only inside the ciphers, whose round keys and GHASH key are
//!   zeroized on drop; `Debug` shows key ids only.
//!
//! Cost: one AES-GCM pass over a few hundred bytes per publication and per read of a new
//! version; nothing on the cached-token path.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use crate::error::{KeyringError, StoreError};

const NONCE_LEN: usize = 12;
const AD_CONTEXT: &[u8] = b"credgate-postgres token v1\0";

/// AES-256-GCM keys by id; the current one seals, all of them open.
///
/// # Example
///
/// ```
/// use credgate_postgres::Keyring;
///
/// // 32 bytes from your secret manager; the id is stored beside every sealed row.
/// let keyring = Keyring::new("2026-12", &[7u8; 32])?
///     .with_old_key("2026-06", &[9u8; 32])?;
/// assert_eq!(keyring.current_key_id(), "2026-12");
/// # Ok::<(), credgate_postgres::KeyringError>(())
/// ```
pub struct Keyring {
    /// The current key is the first.
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Keyring")
            .field("current", &self.current_key_id())
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

/// A credential sealed under a key.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Sealed {
    pub(crate) key_id: String,
    /// `nonce ‖ ciphertext ‖ tag`.
    pub(crate) bytes: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .field("len", &self.bytes.len())
            .finish()
    }
}

fn check_id(key_id: &str) -> Result<(), KeyringError> {
    let usable =
        !key_id.is_empty() && key_id.len() <= 64 && key_id.bytes().all(|b| b.is_ascii_graphic());
    if usable {
        Ok(())
    } else {
        Err(KeyringError::InvalidKeyId {
            key_id: key_id.chars().take(80).collect(),
        })
    }
}

fn cipher(key_id: &str, key: &[u8]) -> Result<Aes256Gcm, KeyringError> {
    check_id(key_id)?;
    Aes256Gcm::new_from_slice(key).map_err(|_| KeyringError::KeyLength {
        key_id: key_id.to_owned(),
        len: key.len(),
    })
}

/// `context ‖ len(owner) ‖ owner ‖ version`, all lengths and numbers big-endian.
fn associated_data(owner: &str, version: u64) -> Vec<u8> {
    let mut ad = Vec::with_capacity(AD_CONTEXT.len() + 16 + owner.len());
    ad.extend_from_slice(AD_CONTEXT);
    ad.extend_from_slice(&(owner.len() as u64).to_be_bytes());
    ad.extend_from_slice(owner.as_bytes());
    ad.extend_from_slice(&version.to_be_bytes());
    ad
}

impl Keyring {
    /// A keyring whose current (sealing) key is `key` under `key_id`.
    ///
    /// Pass the key from a buffer you zeroize; the keyring keeps no copy of it outside the
    /// cipher's key schedule.
    ///
    /// # Errors
    /// [`KeyringError::KeyLength`] unless the key is 32 bytes;
    /// [`KeyringError::InvalidKeyId`] unless the id is 1 to 64 printable ASCII characters
    /// without spaces.
    ///
    /// # Example
    ///
    /// ```
    /// let keyring = credgate_postgres::Keyring::new("k1", &[1u8; 32])?;
    /// assert!(credgate_postgres::Keyring::new("k1", &[1u8; 16]).is_err());
    /// # Ok::<(), credgate_postgres::KeyringError>(())
    /// ```
    pub fn new(key_id: impl Into<String>, key: &[u8]) -> Result<Self, KeyringError> {
        let key_id = key_id.into();
        let cipher = cipher(&key_id, key)?;
        Ok(Keyring {
            keys: vec![(key_id, cipher)],
        })
    }

    /// Adds a key that opens rows sealed under `key_id` but seals nothing (a rotated-out
    /// key).
    ///
    /// # Errors
    /// As [`Keyring::new`], and [`KeyringError::DuplicateKeyId`] if the id is already in
    /// the keyring.
    ///
    /// # Example
    ///
    /// ```
    /// let keyring = credgate_postgres::Keyring::new("new", &[1u8; 32])?
    ///     .with_old_key("old", &[2u8; 32])?;
    /// assert!(keyring.has_key("old"));
    /// # Ok::<(), credgate_postgres::KeyringError>(())
    /// ```
    pub fn with_old_key(
        mut self,
        key_id: impl Into<String>,
        key: &[u8],
    ) -> Result<Self, KeyringError> {
        let key_id = key_id.into();
        if self.has_key(&key_id) {
            return Err(KeyringError::DuplicateKeyId { key_id });
        }
        let cipher = cipher(&key_id, key)?;
        self.keys.push((key_id, cipher));
        Ok(self)
    }

    /// The id of the key that seals new rows.
    pub fn current_key_id(&self) -> &str {
        self.keys.first().map_or("", |(id, _)| id.as_str())
    }

    /// Whether the keyring holds a key with this id.
    pub fn has_key(&self, key_id: &str) -> bool {
        self.keys.iter().any(|(id, _)| id == key_id)
    }

    /// Seals `plaintext` for `owner` at `version` under the current key.
    pub(crate) fn seal(
        &self,
        owner: &str,
        version: u64,
        plaintext: &[u8],
    ) -> Result<Sealed, StoreError> {
        let Some((key_id, cipher)) = self.keys.first() else {
            // `new` always puts a key first.
            return Err(StoreError::UnknownKeyId {
                owner: owner.to_owned(),
                key_id: String::new(),
            });
        };
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).map_err(|e| StoreError::Corrupt {
            owner: owner.to_owned(),
            reason: format!("the operating system gave no random nonce: {e}"),
        })?;
        let ad = associated_data(owner, version);
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &ad,
                },
            )
            .map_err(|_| StoreError::Corrupt {
                owner: owner.to_owned(),
                reason: "the credential is too long to seal".to_owned(),
            })?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: key_id.clone(),
            bytes,
        })
    }

    /// Opens a row's sealed credential.
    pub(crate) fn open(
        &self,
        owner: &str,
        version: u64,
        key_id: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let Some((_, cipher)) = self.keys.iter().find(|(id, _)| id == key_id) else {
            return Err(StoreError::UnknownKeyId {
                owner: owner.to_owned(),
                key_id: key_id.to_owned(),
            });
        };
        let tampered = || StoreError::Tampered {
            owner: owner.to_owned(),
            key_id: key_id.to_owned(),
        };
        if sealed.len() < NONCE_LEN {
            return Err(tampered());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let ad = associated_data(owner, version);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &ad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| tampered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_bindings() {
        let keyring = Keyring::new("k1", &[3u8; 32]).unwrap();
        let sealed = keyring.seal("conn-a", 4, b"secret token").unwrap();
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.bytes.windows(6).any(|w| w == b"secret"));
        let opened = keyring.open("conn-a", 4, "k1", &sealed.bytes).unwrap();
        assert_eq!(opened.as_slice(), b"secret token");
        // Another owner, another version, a flipped bit: all refused.
        assert!(matches!(
            keyring.open("conn-b", 4, "k1", &sealed.bytes),
            Err(StoreError::Tampered { .. })
        ));
        assert!(matches!(
            keyring.open("conn-a", 5, "k1", &sealed.bytes),
            Err(StoreError::Tampered { .. })
        ));
        let mut flipped = sealed.bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            keyring.open("conn-a", 4, "k1", &flipped),
            Err(StoreError::Tampered { .. })
        ));
        assert!(matches!(
            keyring.open("conn-a", 4, "k1", &flipped[..5]),
            Err(StoreError::Tampered { .. })
        ));
    }

    #[test]
    fn nonces_differ_between_seals() {
        let keyring = Keyring::new("k1", &[3u8; 32]).unwrap();
        let a = keyring.seal("o", 1, b"same").unwrap();
        let b = keyring.seal("o", 1, b"same").unwrap();
        assert_ne!(a.bytes[..NONCE_LEN], b.bytes[..NONCE_LEN]);
        assert_ne!(a.bytes, b.bytes);
    }

    #[test]
    fn owner_boundary_is_unambiguous() {
        // "ab" at version v and "a" + "b..." cannot collide: the owner is length-prefixed.
        assert_ne!(associated_data("ab", 1), associated_data("a", 1));
        assert_ne!(associated_data("", 0x6200), associated_data("b", 0));
    }

    #[test]
    fn unknown_key_id_is_named() {
        let old = Keyring::new("old", &[1u8; 32]).unwrap();
        let sealed = old.seal("o", 1, b"x").unwrap();
        let new = Keyring::new("new", &[2u8; 32]).unwrap();
        let err = new.open("o", 1, &sealed.key_id, &sealed.bytes).unwrap_err();
        assert!(matches!(err, StoreError::UnknownKeyId { ref key_id, .. } if key_id == "old"));
        assert!(err.to_string().contains("`old`"), "{err}");
    }

    #[test]
    fn builder_errors_and_debug() {
        assert!(matches!(
            Keyring::new("k", &[0u8; 31]),
            Err(KeyringError::KeyLength { len: 31, .. })
        ));
        for bad in ["", "has space", &"x".repeat(65), "é"] {
            assert!(matches!(
                Keyring::new(bad, &[0u8; 32]),
                Err(KeyringError::InvalidKeyId { .. })
            ));
        }
        let keyring = Keyring::new("a", &[0xAB; 32]).unwrap();
        assert!(matches!(
            keyring.with_old_key("a", &[1; 32]),
            Err(KeyringError::DuplicateKeyId { .. })
        ));
        let keyring = Keyring::new("a", &[0xAB; 32])
            .unwrap()
            .with_old_key("b", &[0xCD; 32])
            .unwrap();
        let debug = format!("{keyring:?}");
        assert!(
            debug.contains("\"a\"") && debug.contains("\"b\""),
            "{debug}"
        );
        assert!(
            !debug.contains("171") && !debug.to_lowercase().contains("ab, "),
            "{debug}"
        );
    }
}
