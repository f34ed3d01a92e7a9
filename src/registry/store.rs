//! The end users' connections, sharded by environment and external id so that resolution
//! never waits on activations of other users and each write section is one table operation.
//!
//! Laid out for a million users: a table slot is one cache line holding the user's id
//! inline (when short), the environment shared with every other user's, and the first
//! template and live connection, so resolving touches the shard's lock and table header,
//! the slot its hash points at (or the next few) and the live connection's reference
//! count, and little else. The documents kept for export sit behind a box, their schemes
//! shared with the template's.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use foldhash::SharedSeed;
use foldhash::fast::FoldHasher;

use super::table::Table;
use crate::live::LiveConnection;
use crate::model::{AuthSchemeConfig, Connection, ConnectionCredential, Credential};

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
/// memory than the table's slot.
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

/// One user's activation in one environment, as a table slot of exactly one cache line:
/// resolution compares the id inline, the environment and the first template's name
/// (shared with every other user's, so always in cache) and clones the first live
/// connection, without following any other pointer of this user's. The rest (the
/// documents kept for export, further templates) sits behind the box.
#[derive(Debug)]
#[repr(align(64))]
struct Slot {
    user: UserId,
    environment: Arc<str>,
    first: Option<(Arc<TemplateKey>, Arc<LiveConnection>)>,
    activation: Box<UserActivation>,
}

// One slot, one cache line: resolution reads no second line of the user's slot.
const _: () = assert!(std::mem::size_of::<Slot>() == 64);

impl Slot {
    fn new(environment: Arc<str>, user: &str, activation: UserActivation) -> Self {
        Self {
            user: UserId::new(user),
            environment,
            first: activation
                .connections
                .first()
                .map(|c| (Arc::clone(&c.template), Arc::clone(&c.live))),
            activation: Box::new(activation),
        }
    }

    fn is(&self, environment: &str, user: &str) -> bool {
        self.user.as_bytes() == user.as_bytes() && *self.environment == *environment
    }

    /// Takes the place of `old`, keeping its key, and returns its activation.
    fn replace(old: &mut Self, activation: UserActivation) -> UserActivation {
        let environment = Arc::clone(&old.environment);
        let new = Self::new(environment, old.user.to_str(), activation);
        *std::mem::replace(old, new).activation
    }
}

/// Enough shards that two threads resolving different users rarely take the same shard's
/// read lock (whose lock word every reader writes), and that a shard's table stays small
/// (about 60 users at a million) so its resize is a short write.
const SHARDS: usize = 16_384;

/// A cache line of its own per shard (lock and table header), so that locking one shard
/// does not slow another. One line rather than two keeps the shards to 1 MiB, 256 pages:
/// fewer misses in the TLB, which is what a million users cost (two threads on
/// 128-byte shards showed no difference beyond the noise).
#[derive(Debug, Default)]
#[repr(align(64))]
struct Shard(RwLock<Table<Slot>>);

/// The sharded table from environment and external user id to the user's activation.
///
/// Keys are hashed with foldhash, keyed per registry from the standard library's randomly
/// keyed `SipHash`: external ids come from outside, and a key they cannot see keeps them
/// from piling users into one shard or one probe sequence. foldhash costs about a tenth
/// of `SipHash`'s instructions here, which is most of a resolution's.
pub(super) struct Activations {
    seed: u64,
    shared_seed: SharedSeed,
    shards: Box<[Shard]>,
}

impl Default for Activations {
    fn default() -> Self {
        let keys = RandomState::new();
        Self {
            seed: keys.hash_one(0_u8),
            shared_seed: SharedSeed::from_u64(keys.hash_one(1_u8)),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }
}

/// Leaves out the hash key, which is what keeps external ids from being chosen to collide.
impl fmt::Debug for Activations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Activations")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

impl Activations {
    fn hash(&self, environment: &str, user: &str) -> u64 {
        let mut hasher = FoldHasher::with_seed(self.seed, &self.shared_seed);
        (environment, user).hash(&mut hasher);
        hasher.finish()
    }

    /// The shard takes bits 40 to 53 of the hash and the shard's table the low bits, so the
    /// two stay independent.
    fn shard(&self, hash: u64) -> &RwLock<Table<Slot>> {
        #[allow(clippy::cast_possible_truncation)] // masked to 14 bits
        let index = (hash >> 40) as usize & (SHARDS - 1);
        &self.shards[index].0
    }

    /// A poisoned lock only means a panic elsewhere; every write leaves the table whole.
    fn read(&self, hash: u64) -> RwLockReadGuard<'_, Table<Slot>> {
        self.shard(hash)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, hash: u64) -> RwLockWriteGuard<'_, Table<Slot>> {
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
        let hash = self.hash(environment, user);
        let table = self.read(hash);
        let slot = table.find(hash, |slot| slot.is(environment, user))?;
        if let Some((key, live)) = &slot.first
            && *key.name == *template
        {
            return Some(Arc::clone(live));
        }
        slot.activation
            .connections
            .iter()
            .find(|c| &*c.template.name == template)
            .map(|c| Arc::clone(&c.live))
    }

    /// A copy of the user's activation in `environment`.
    pub(super) fn get_activation(&self, environment: &str, user: &str) -> Option<UserActivation> {
        let hash = self.hash(environment, user);
        let table = self.read(hash);
        table
            .find(hash, |slot| slot.is(environment, user))
            .map(|slot| UserActivation::clone(&slot.activation))
    }

    /// Puts `activation` in place of the user's activation in `environment`, if any, and
    /// returns the one replaced (to be dropped outside the lock).
    pub(super) fn insert(
        &self,
        environment: Arc<str>,
        user: &str,
        activation: UserActivation,
    ) -> Option<UserActivation> {
        let hash = self.hash(&environment, user);
        let slot = Slot::new(environment, user, activation);
        let rehash = |old: &Slot| self.hash(&old.environment, old.user.to_str());
        let mut table = self.write(hash);
        slot.activation.count_users(true);
        let old = match table.find_index(hash, |old| old.is(&slot.environment, user)) {
            Some(index) => table.get_mut(index).map(|old| {
                let old = std::mem::replace(old, slot);
                old.activation.count_users(false);
                *old.activation
            }),
            None => {
                table.insert_new(hash, slot, rehash);
                None
            }
        };
        drop(table);
        old
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
        let hash = self.hash(environment, user);
        let mut table = self.write(hash);
        let index = table.find_index(hash, |slot| slot.is(environment, user));
        match index.and_then(|index| table.get_mut(index)) {
            Some(slot) if still(&slot.activation) => {
                activation.count_users(true);
                slot.activation.count_users(false);
                let old = Slot::replace(slot, activation);
                drop(table);
                Ok(old)
            }
            _ => Err(activation),
        }
    }

    /// Removes the user's activation in `environment`.
    pub(super) fn remove(&self, environment: &str, user: &str) -> Option<UserActivation> {
        let hash = self.hash(environment, user);
        let rehash = |slot: &Slot| self.hash(&slot.environment, slot.user.to_str());
        let mut table = self.write(hash);
        let index = table.find_index(hash, |slot| slot.is(environment, user))?;
        let removed = table.remove(index, rehash)?;
        removed.activation.count_users(false);
        drop(table);
        Some(*removed.activation)
    }

    /// Calls `f` on every activation with its environment and user, one shard at a time.
    pub(super) fn for_each(&self, mut f: impl FnMut(&str, &str, &UserActivation)) {
        for shard in &self.shards {
            let table = shard.0.read().unwrap_or_else(PoisonError::into_inner);
            for slot in table.iter() {
                f(&slot.environment, slot.user.to_str(), &slot.activation);
            }
        }
    }
}
