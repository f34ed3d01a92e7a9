//! The end users' connections, sharded by environment and external id, each shard's table
//! kept twice so that resolution never waits for an activation or deactivation.
//!
//! Laid out for a million users: a table slot is one cache line holding the user's id
//! inline (when short), the environment shared with every other user's, and the first
//! template and live connection, so resolving touches the shard's lock and table header,
//! the slot its hash points at (or the next few) and the live connection's reference
//! count, and little else. The activation kept for export and further templates sits behind
//! an `Arc` that both copies of the table share, its schemes shared with the template's.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{
    Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError,
};

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
    /// For an OAuth 2.0 connection, where the connections it replaces send their tokens.
    pub(super) serving: Option<super::Serving>,
}

impl UserConnection {
    /// The document with the OAuth 2.0 tokens received since it was stored.
    pub(super) fn current(&self) -> Connection {
        let mut connection = self.connection.to_connection();
        self.live.put_latest_tokens(&mut connection);
        connection
    }
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
#[derive(Debug, Clone)]
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
/// documents kept for export, further templates) sits behind the `Arc`.
#[derive(Debug)]
#[repr(align(64))]
struct Slot {
    user: UserId,
    environment: Arc<str>,
    first: Option<(Arc<TemplateKey>, Arc<LiveConnection>)>,
    activation: Arc<UserActivation>,
}

// One slot, one cache line: resolution reads no second line of the user's slot.
const _: () = assert!(std::mem::size_of::<Slot>() == 64);

impl Slot {
    fn new(environment: Arc<str>, user: &str, activation: Arc<UserActivation>) -> Self {
        Self {
            user: UserId::new(user),
            environment,
            first: activation
                .connections
                .first()
                .map(|c| (Arc::clone(&c.template), Arc::clone(&c.live))),
            activation,
        }
    }

    /// The same slot for the table's other copy.
    fn twin(&self) -> Self {
        Self {
            user: self.user.clone(),
            environment: Arc::clone(&self.environment),
            first: self.first.clone(),
            activation: Arc::clone(&self.activation),
        }
    }

    fn is(&self, environment: &str, user: &str) -> bool {
        self.user.as_bytes() == user.as_bytes() && *self.environment == *environment
    }

    /// Takes the place of `old`, keeping its key, and returns its activation.
    fn replace(old: &mut Self, activation: Arc<UserActivation>) -> Arc<UserActivation> {
        let environment = Arc::clone(&old.environment);
        let new = Self::new(environment, old.user.to_str(), activation);
        std::mem::replace(old, new).activation
    }
}

/// Enough shards that two threads resolving different users rarely take the same shard's
/// read lock (whose lock word every reader writes), and that a shard's table stays small
/// (about 60 users at a million) so each write is short.
const SHARDS: usize = 16_384;

/// A cache line of its own per shard (lock and table header), so that locking one shard
/// does not slow another. One line rather than two keeps the shards to 1 MiB, 256 pages:
/// fewer misses in the TLB, which is what a million users cost (two threads on
/// 128-byte shards showed no difference beyond the noise).
#[derive(Debug, Default)]
#[repr(align(64))]
struct Shard(RwLock<Table<Slot>>);

/// The second copy of a shard's table, which readers use while the first is being written,
/// and the lock that lets one write at a time into the pair.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Spare {
    table: RwLock<Table<Slot>>,
    writer: Mutex<()>,
}

/// The sharded table from environment and external user id to the user's activation.
///
/// Each shard's table is kept twice, and a write changes one copy and then the other,
/// never holding both: a reader that finds the copy it reads first locked reads the other,
/// so resolution never waits for an activation or deactivation. Every other thread reads
/// the second copy first, so that two threads resolving users of one shard write
/// different lock words. A thread sees a write once the copy it reads has it and never
/// sees it undone; while the write is under way two threads may see it differently, and
/// once it returns every thread sees it.
///
/// Keys are hashed with foldhash, keyed per registry from the standard library's randomly
/// keyed `SipHash`: external ids come from outside, and a key they cannot see keeps them
/// from piling users into one shard or one probe sequence. foldhash costs about a tenth
/// of `SipHash`'s instructions here, which is most of a resolution's.
pub(super) struct Activations {
    seed: u64,
    shared_seed: SharedSeed,
    shards: Box<[Shard]>,
    spares: Box<[Spare]>,
}

impl Default for Activations {
    fn default() -> Self {
        let keys = RandomState::new();
        Self {
            seed: keys.hash_one(0_u8),
            shared_seed: SharedSeed::from_u64(keys.hash_one(1_u8)),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            spares: (0..SHARDS).map(|_| Spare::default()).collect(),
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

thread_local! {
    /// Which copy of a table this thread reads first, once it has read one.
    static READS_SPARE_FIRST: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Threads so far that read a table, for [`reads_spare_first`].
static READERS: AtomicUsize = AtomicUsize::new(0);

/// Whether this thread reads the spare copy of a table first: every other thread does, so
/// that two threads resolving users of one shard mostly write different lock words.
fn reads_spare_first() -> bool {
    READS_SPARE_FIRST
        .try_with(|spare_first| {
            spare_first.get().unwrap_or_else(|| {
                let odd = READERS.fetch_add(1, Ordering::Relaxed) % 2 == 1;
                spare_first.set(Some(odd));
                odd
            })
        })
        .unwrap_or(false)
}

/// A read guard on `lock` if it can be had without waiting. A poisoned lock only means a
/// panic elsewhere; every write leaves a table whole.
fn try_read<T>(lock: &RwLock<T>) -> Option<RwLockReadGuard<'_, T>> {
    match lock.try_read() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// The two copies of one shard's table, locked for writing one after the other.
struct Pair<'a> {
    _writer: MutexGuard<'a, ()>,
    first: &'a RwLock<Table<Slot>>,
    second: &'a RwLock<Table<Slot>>,
}

impl Pair<'_> {
    /// Runs `change` on the first copy and then on the second, returning the first's
    /// result; `change` must do the same to both, which hold the same slots.
    fn change<R>(&self, mut change: impl FnMut(&mut Table<Slot>) -> R) -> R {
        let result = change(&mut write(self.first));
        change(&mut write(self.second));
        result
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
    fn shard_index(hash: u64) -> usize {
        #[allow(clippy::cast_possible_truncation)] // masked to 14 bits
        let index = (hash >> 40) as usize & (SHARDS - 1);
        index
    }

    /// [`read_shard`](Self::read_shard) on the shard `hash` picks.
    fn read<R>(&self, hash: u64, f: impl FnOnce(&Table<Slot>) -> R) -> R {
        self.read_shard(Self::shard_index(hash), f)
    }

    /// Runs `f` on whichever copy of shard `index`'s table is not being written: the one
    /// this thread reads first unless a write holds it, then the other. A write holds one
    /// copy at a time and writes are one at a time, so this waits for no write; it only
    /// tries again when a write moved from one copy to the other between its two tries.
    fn read_shard<R>(&self, index: usize, f: impl FnOnce(&Table<Slot>) -> R) -> R {
        let (mut first, mut second) = (&self.shards[index].0, &self.spares[index].table);
        if reads_spare_first() {
            std::mem::swap(&mut first, &mut second);
        }
        loop {
            if let Some(table) = try_read(first).or_else(|| try_read(second)) {
                return f(&table);
            }
            std::hint::spin_loop();
        }
    }

    fn pair(&self, hash: u64) -> Pair<'_> {
        let index = Self::shard_index(hash);
        let spare = &self.spares[index];
        Pair {
            _writer: spare.writer.lock().unwrap_or_else(PoisonError::into_inner),
            first: &self.shards[index].0,
            second: &spare.table,
        }
    }

    /// The user's live connection for `template` in `environment`: the hot path.
    pub(super) fn get(
        &self,
        environment: &str,
        template: &str,
        user: &str,
    ) -> Option<Arc<LiveConnection>> {
        let hash = self.hash(environment, user);
        self.read(hash, |table| {
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
        })
    }

    /// The user's activation in `environment`.
    pub(super) fn get_activation(
        &self,
        environment: &str,
        user: &str,
    ) -> Option<Arc<UserActivation>> {
        let hash = self.hash(environment, user);
        self.read(hash, |table| {
            table
                .find(hash, |slot| slot.is(environment, user))
                .map(|slot| Arc::clone(&slot.activation))
        })
    }

    /// Puts `activation` in place of the user's activation in `environment`, if any, and
    /// returns the one replaced (to be dropped outside the lock).
    pub(super) fn insert(
        &self,
        environment: Arc<str>,
        user: &str,
        activation: UserActivation,
    ) -> Option<Arc<UserActivation>> {
        let hash = self.hash(&environment, user);
        let activation = Arc::new(activation);
        activation.count_users(true);
        let slot = Slot::new(environment, user, activation);
        let mut copies = [Some(slot.twin()), Some(slot)];
        let rehash = |old: &Slot| self.hash(&old.environment, old.user.to_str());
        let pair = self.pair(hash);
        let old = pair.change(|table| {
            let slot = copies.iter_mut().find_map(Option::take)?;
            match table.find_index(hash, |old| old.is(&slot.environment, user)) {
                Some(index) => table
                    .get_mut(index)
                    .map(|old| std::mem::replace(old, slot).activation),
                None => {
                    table.insert_new(hash, slot, rehash);
                    None
                }
            }
        });
        if let Some(old) = &old {
            old.count_users(false);
        }
        drop(pair);
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
    ) -> Result<Arc<UserActivation>, UserActivation> {
        let hash = self.hash(environment, user);
        let pair = self.pair(hash);
        // No other write can come between this read and the change: the pair is held.
        let current = self.read(hash, |table| {
            table
                .find(hash, |slot| slot.is(environment, user))
                .map(|slot| Arc::clone(&slot.activation))
        });
        match current {
            Some(current) if still(&current) => {
                let activation = Arc::new(activation);
                activation.count_users(true);
                pair.change(|table| {
                    let index = table.find_index(hash, |slot| slot.is(environment, user))?;
                    let slot = table.get_mut(index)?;
                    Some(Slot::replace(slot, Arc::clone(&activation)))
                });
                current.count_users(false);
                drop(pair);
                Ok(current)
            }
            _ => Err(activation),
        }
    }

    /// Removes the user's activation in `environment`.
    pub(super) fn remove(&self, environment: &str, user: &str) -> Option<Arc<UserActivation>> {
        let hash = self.hash(environment, user);
        let rehash = |slot: &Slot| self.hash(&slot.environment, slot.user.to_str());
        let pair = self.pair(hash);
        let removed = pair.change(|table| {
            let index = table.find_index(hash, |slot| slot.is(environment, user))?;
            table.remove(index, rehash).map(|slot| slot.activation)
        })?;
        removed.count_users(false);
        drop(pair);
        Some(removed)
    }

    /// Calls `f` on every activation with its environment and user, one shard at a time.
    pub(super) fn for_each(&self, mut f: impl FnMut(&str, &str, &UserActivation)) {
        for index in 0..SHARDS {
            self.read_shard(index, |table| {
                for slot in table.iter() {
                    f(&slot.environment, slot.user.to_str(), &slot.activation);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApiKeyScheme, KeyLocation};

    fn activation() -> UserActivation {
        let scheme = AuthSchemeConfig::ApiKey(ApiKeyScheme::new("k", "X-Key", KeyLocation::Header));
        let connection = Connection::new(vec![ConnectionCredential::new(
            scheme,
            Credential::api_key("k-1"),
        )]);
        let live = LiveConnection::builder(&connection)
            .base_url("https://api.example.com")
            .build()
            .expect("connection builds");
        UserActivation {
            id: "a1".to_owned(),
            display_name: None,
            connections: Box::new([UserConnection {
                template: TemplateKey::new("crm"),
                connection: Arc::new(StoredConnection::new(connection, &[])),
                live: Arc::new(live),
                serving: None,
            }]),
        }
    }

    #[test]
    fn a_reader_finds_the_user_while_either_copy_is_being_written() {
        let activations = Activations::default();
        activations.insert("production".into(), "user-1", activation());
        let index = Activations::shard_index(activations.hash("production", "user-1"));
        // A write holds one copy at a time; with either held, the user still resolves (a
        // blocking read here would never return).
        for copy in [
            &activations.shards[index].0,
            &activations.spares[index].table,
        ] {
            let writing = write(copy);
            assert!(activations.get("production", "crm", "user-1").is_some());
            assert!(activations.get("production", "crm", "user-2").is_none());
            drop(writing);
        }
    }

    #[test]
    fn both_copies_hold_the_same_users_after_every_write() {
        let activations = Activations::default();
        let users: Vec<String> = (0..2_000).map(|i| format!("user-{i}")).collect();
        for user in &users {
            activations.insert("production".into(), user, activation());
        }
        for user in users.iter().step_by(3) {
            assert!(activations.remove("production", user).is_some());
        }
        let listed = |copy: &RwLock<Table<Slot>>| -> Vec<String> {
            let table = try_read(copy).expect("nothing writes");
            let mut users: Vec<String> = table
                .iter()
                .map(|slot| slot.user.to_str().to_owned())
                .collect();
            users.sort();
            users
        };
        for index in 0..SHARDS {
            assert_eq!(
                listed(&activations.shards[index].0),
                listed(&activations.spares[index].table),
                "shard {index}"
            );
        }
        let mut remaining = 0;
        activations.for_each(|_, _, _| remaining += 1);
        assert_eq!(remaining, 2_000 - 667);
    }
}
