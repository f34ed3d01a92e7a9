//! The end users' connections, sharded by environment and external id so that resolution
//! never waits on activations of other users and each write section is one map operation.
//!
//! Laid out for a million users: a map bucket holds the user's id inline (when short), the
//! environment shared with every other user's, and the first template and live connection,
//! so resolving touches the bucket and the live connection's reference count and little
//! else. The documents kept for export sit behind a box, their schemes shared with the
//! template's.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::live::LiveConnection;
use crate::model::{AuthSchemeConfig, Connection, ConnectionCredential, Credential};

/// Enough shards that two threads rarely meet on one lock, and that a shard's map stays
/// small (about 1,000 users at a million) so its occasional resize is a short write.
const SHARDS: usize = 1024;

/// What every activation of a template shares: its name and how many users it has.
#[derive(Debug)]
pub(super) struct TemplateKey {
    pub(super) name: Box<str>,
    pub(super) users: AtomicUsize,
}

impl TemplateKey {
    pub(super) fn new(name: &str) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            users: AtomicUsize::new(0),
        })
    }
}

/// A connection document as stored: its schemes shared with the template's when equal.
#[derive(Debug, Clone)]
pub(super) struct StoredConnection {
    id: String,
    name: String,
    connection_template_id: String,
    base_url: Option<String>,
    values: BTreeMap<String, String>,
    credentials: Box<[(Arc<AuthSchemeConfig>, Credential)]>,
}

impl StoredConnection {
    /// Stores `connection`, reusing the `shared` scheme equal to each of its own.
    pub(super) fn new(connection: Connection, shared: &[Arc<AuthSchemeConfig>]) -> Self {
        let credentials = connection
            .credentials
            .into_iter()
            .map(|pair| {
                let scheme = shared
                    .iter()
                    .find(|s| ***s == pair.auth_scheme_config)
                    .map_or_else(|| Arc::new(pair.auth_scheme_config), Arc::clone);
                (scheme, pair.credential)
            })
            .collect();
        Self {
            id: connection.id,
            name: connection.name,
            connection_template_id: connection.connection_template_id,
            base_url: connection.base_url,
            values: connection.values,
            credentials,
        }
    }

    /// The document again.
    pub(super) fn to_connection(&self) -> Connection {
        let mut connection = Connection::new(
            self.credentials
                .iter()
                .map(|(scheme, credential)| {
                    ConnectionCredential::new(AuthSchemeConfig::clone(scheme), credential.clone())
                })
                .collect(),
        );
        connection.id.clone_from(&self.id);
        connection.name.clone_from(&self.name);
        connection
            .connection_template_id
            .clone_from(&self.connection_template_id);
        connection.base_url.clone_from(&self.base_url);
        connection.values.clone_from(&self.values);
        connection
    }
}

/// One end user's connection for one embedded template.
#[derive(Debug, Clone)]
pub(super) struct UserConnection {
    pub(super) template: Arc<TemplateKey>,
    pub(super) connection: Arc<StoredConnection>,
    pub(super) live: Arc<LiveConnection>,
}

/// One end user's activation in one environment.
#[derive(Debug, Clone)]
pub(super) struct UserActivation {
    pub(super) id: String,
    pub(super) display_name: Option<String>,
    pub(super) connections: Box<[UserConnection]>,
}

impl UserActivation {
    fn count_users(&self, add: bool) {
        for connection in &self.connections {
            if add {
                connection.template.users.fetch_add(1, Ordering::Relaxed);
            } else {
                connection.template.users.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

/// An external id, inline when it is short (most are) so that comparing it reads no other
/// memory than the map's bucket.
#[derive(Debug)]
enum UserId {
    Inline { len: u8, bytes: [u8; 22] },
    Heap(Box<str>),
}

impl UserId {
    fn new(id: &str) -> Self {
        let mut bytes = [0; 22];
        match (bytes.get_mut(..id.len()), u8::try_from(id.len())) {
            (Some(prefix), Ok(len)) => {
                prefix.copy_from_slice(id.as_bytes());
                Self::Inline { len, bytes }
            }
            _ => Self::Heap(id.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Heap(id) => id.as_bytes(),
        }
    }

    fn to_str(&self) -> &str {
        // Always the bytes of a whole `&str`, so this never fails.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// The map key: environment and external id, with their keyed hash computed once.
#[derive(Debug)]
struct Key {
    hash: u64,
    environment: Arc<str>,
    user: UserId,
}

/// A key as asked for.
struct Lookup<'a> {
    hash: u64,
    environment: &'a str,
    user: &'a str,
}

/// A key as stored or as asked for, hashed and compared the same way.
trait KeyView {
    fn hash(&self) -> u64;
    fn parts(&self) -> (&str, &[u8]);
}

impl KeyView for Key {
    fn hash(&self) -> u64 {
        self.hash
    }
    fn parts(&self) -> (&str, &[u8]) {
        (&self.environment, self.user.as_bytes())
    }
}

impl KeyView for Lookup<'_> {
    fn hash(&self) -> u64 {
        self.hash
    }
    fn parts(&self) -> (&str, &[u8]) {
        (self.environment, self.user.as_bytes())
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(KeyView::hash(self));
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        KeyView::hash(self) == KeyView::hash(other) && self.parts() == other.parts()
    }
}

impl Eq for dyn KeyView + '_ {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        (self as &dyn KeyView) == (other as &dyn KeyView)
    }
}

impl Eq for Key {}

impl<'a> Borrow<dyn KeyView + 'a> for Key {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

/// A map value: the first connection where resolution finds it without a pointer chase,
/// everything in the box.
#[derive(Debug)]
struct Entry {
    first: Option<(Arc<TemplateKey>, Arc<LiveConnection>)>,
    activation: Box<UserActivation>,
}

impl Entry {
    fn new(activation: UserActivation) -> Self {
        Self {
            first: activation
                .connections
                .first()
                .map(|c| (Arc::clone(&c.template), Arc::clone(&c.live))),
            activation: Box::new(activation),
        }
    }
}

/// The maps hash a key's precomputed (keyed `SipHash`) hash as is: one hash per lookup
/// picks both the shard and the bucket.
#[derive(Debug, Default)]
struct PrecomputedHash(u64);

impl Hasher for PrecomputedHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is ever called; fold anything else in rather than lose it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

type Map = HashMap<Key, Entry, BuildHasherDefault<PrecomputedHash>>;

/// A cache line of its own per shard, so that locking one shard does not slow another.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(RwLock<Map>);

/// The sharded map from environment and external user id to the user's activation.
#[derive(Debug)]
pub(super) struct Activations {
    hasher: RandomState,
    shards: Box<[Shard]>,
}

impl Default for Activations {
    fn default() -> Self {
        Self {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }
}

impl Activations {
    fn lookup<'a>(&self, environment: &'a str, user: &'a str) -> Lookup<'a> {
        Lookup {
            hash: self.hasher.hash_one((environment, user)),
            environment,
            user,
        }
    }

    /// The shard takes bits 40 to 49 of the hash: the map's buckets use the low bits and
    /// its control bytes the top 7, so all three stay independent.
    fn shard(&self, hash: u64) -> &RwLock<Map> {
        #[allow(clippy::cast_possible_truncation)] // masked to 10 bits
        let index = (hash >> 40) as usize & (SHARDS - 1);
        &self.shards[index].0
    }

    /// A poisoned lock only means a panic elsewhere; every write leaves the map whole.
    fn read(&self, hash: u64) -> RwLockReadGuard<'_, Map> {
        self.shard(hash)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, hash: u64) -> RwLockWriteGuard<'_, Map> {
        self.shard(hash)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The user's live connection for `template` in `environment`: the hot path.
    pub(super) fn get(
        &self,
        environment: &str,
        template: &str,
        user: &str,
    ) -> Option<Arc<LiveConnection>> {
        let lookup = self.lookup(environment, user);
        let map = self.read(lookup.hash);
        let entry = map.get(&lookup as &dyn KeyView)?;
        if let Some((key, live)) = &entry.first
            && &*key.name == template
        {
            return Some(Arc::clone(live));
        }
        entry
            .activation
            .connections
            .iter()
            .find(|c| &*c.template.name == template)
            .map(|c| Arc::clone(&c.live))
    }

    /// A copy of the user's activation in `environment`.
    pub(super) fn get_activation(&self, environment: &str, user: &str) -> Option<UserActivation> {
        let lookup = self.lookup(environment, user);
        let map = self.read(lookup.hash);
        map.get(&lookup as &dyn KeyView)
            .map(|entry| UserActivation::clone(&entry.activation))
    }

    /// Puts `activation` in place of the user's activation in `environment`, if any, and
    /// returns the one replaced (to be dropped outside the lock).
    pub(super) fn insert(
        &self,
        environment: Arc<str>,
        user: &str,
        activation: UserActivation,
    ) -> Option<UserActivation> {
        let key = Key {
            hash: self.lookup(&environment, user).hash,
            environment,
            user: UserId::new(user),
        };
        let entry = Entry::new(activation);
        let mut map = self.write(key.hash);
        entry.activation.count_users(true);
        let old = map.insert(key, entry)?;
        old.activation.count_users(false);
        drop(map);
        Some(*old.activation)
    }

    /// Replaces the user's activation in `environment` only if `still` says it is the one
    /// the caller read; returns the replaced one, or gives `activation` back.
    pub(super) fn replace_if(
        &self,
        environment: &str,
        user: &str,
        activation: UserActivation,
        still: impl FnOnce(&UserActivation) -> bool,
    ) -> Result<UserActivation, UserActivation> {
        let entry = Entry::new(activation);
        let lookup = self.lookup(environment, user);
        let mut map = self.write(lookup.hash);
        match map.get_mut(&lookup as &dyn KeyView) {
            Some(slot) if still(&slot.activation) => {
                entry.activation.count_users(true);
                slot.activation.count_users(false);
                let old = std::mem::replace(slot, entry);
                drop(map);
                Ok(*old.activation)
            }
            _ => Err(*entry.activation),
        }
    }

    /// Removes the user's activation in `environment`.
    pub(super) fn remove(&self, environment: &str, user: &str) -> Option<UserActivation> {
        let lookup = self.lookup(environment, user);
        let mut map = self.write(lookup.hash);
        let removed = map.remove(&lookup as &dyn KeyView)?;
        removed.activation.count_users(false);
        drop(map);
        Some(*removed.activation)
    }

    /// Calls `f` on every activation with its environment and user, one shard at a time.
    pub(super) fn for_each(&self, mut f: impl FnMut(&str, &str, &UserActivation)) {
        for shard in &self.shards {
            let map = shard.0.read().unwrap_or_else(PoisonError::into_inner);
            for (key, entry) in map.iter() {
                f(&key.environment, key.user.to_str(), &entry.activation);
            }
        }
    }
}
