//! A small open-addressing hash table with linear probing and no control bytes: a lookup
//! reads the table's header and then the slots themselves, from the slot the hash points
//! at onwards, so a hit costs one memory access fewer than a table that first reads a
//! separate array of control bytes (at a million users, each such access is likely a TLB
//! miss as well as a cache miss).
//!
//! The caller keeps the hashes: it passes the hash of what it looks for or inserts, and a
//! function that hashes a stored value again when the table grows or closes a gap.

/// At most this many values per four slots, so that a probe ends soon on an empty slot.
const MAX_LOAD_PER_4: usize = 3;

/// The smallest table that holds anything.
const MIN_SLOTS: usize = 4;

/// Values of type `T` at slots picked by their hash's low bits.
#[derive(Debug)]
pub(super) struct Table<T> {
    /// Empty, or a power of two long and never full.
    slots: Box<[Option<T>]>,
    len: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            slots: Box::default(),
            len: 0,
        }
    }
}

impl<T> Table<T> {
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    #[allow(clippy::cast_possible_truncation)] // only the low bits pick the slot
    fn home(&self, hash: u64) -> usize {
        hash as usize & self.mask()
    }

    /// The index of the value with `hash` that `eq` accepts.
    pub(super) fn find_index(&self, hash: u64, mut eq: impl FnMut(&T) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut index = self.home(hash);
        // Never full, so the probe ends on an empty slot at the latest.
        loop {
            match &self.slots[index] {
                None => return None,
                Some(value) if eq(value) => return Some(index),
                Some(_) => index = (index + 1) & mask,
            }
        }
    }

    /// The value with `hash` that `eq` accepts.
    pub(super) fn find(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<&T> {
        let index = self.find_index(hash, eq)?;
        self.slots[index].as_ref()
    }

    /// The value at `index`, as found by [`find_index`](Self::find_index).
    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.slots.get_mut(index)?.as_mut()
    }

    /// Adds `value`, which the table does not hold (the caller looked), with `hash`.
    pub(super) fn insert_new(&mut self, hash: u64, value: T, rehash: impl Fn(&T) -> u64) {
        if (self.len + 1) * 4 > self.slots.len() * MAX_LOAD_PER_4 {
            self.grow(&rehash);
        }
        self.place(hash, value);
        self.len += 1;
    }

    /// Puts `value` at the first empty slot from its home.
    fn place(&mut self, hash: u64, value: T) {
        let mask = self.mask();
        let mut index = self.home(hash);
        while self.slots[index].is_some() {
            index = (index + 1) & mask;
        }
        self.slots[index] = Some(value);
    }

    fn grow(&mut self, rehash: &impl Fn(&T) -> u64) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, (0..size).map(|_| None).collect());
        for value in old.into_vec().into_iter().flatten() {
            self.place(rehash(&value), value);
        }
    }

    /// Takes out the value at `index` and closes the gap: each value after it in the same
    /// run moves back into the gap if its home is not past the gap, so that every value
    /// stays reachable from its home without crossing an empty slot.
    pub(super) fn remove(&mut self, index: usize, rehash: impl Fn(&T) -> u64) -> Option<T> {
        let removed = self.slots.get_mut(index)?.take()?;
        self.len -= 1;
        let mask = self.mask();
        let mut gap = index;
        let mut next = (index + 1) & mask;
        while let Some(value) = &self.slots[next] {
            let home = self.home(rehash(value));
            // How far `next` is from its home, and from the gap: when its home is at or
            // before the gap on its way round, the gap is on its probe path.
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(gap) & mask {
                self.slots[gap] = self.slots[next].take();
                gap = next;
            }
            next = (next + 1) & mask;
        }
        Some(removed)
    }

    /// Every value, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    /// A deliberately poor hash, so that runs form, wrap round the end and overlap.
    fn hash(value: &u32) -> u64 {
        u64::from(value / 3)
    }

    fn find(table: &Table<u32>, value: u32) -> bool {
        table.find(hash(&value), |v| *v == value).is_some()
    }

    #[test]
    fn insert_find_and_remove_in_any_order_agree_with_a_set() {
        let mut table = Table::default();
        let mut set = std::collections::BTreeSet::new();
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            #[allow(clippy::cast_possible_truncation)]
            let value = (state % 300) as u32;
            match table.find_index(hash(&value), |v| *v == value) {
                Some(index) => {
                    assert!(set.remove(&value));
                    assert_eq!(table.remove(index, hash), Some(value));
                }
                None => {
                    assert!(set.insert(value));
                    table.insert_new(hash(&value), value, hash);
                }
            }
            assert_eq!(table.len, set.len());
        }
        for value in 0..300 {
            assert_eq!(find(&table, value), set.contains(&value), "{value}");
        }
        let mut all: Vec<u32> = table.iter().copied().collect();
        all.sort_unstable();
        assert_eq!(all, set.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn an_empty_table_finds_nothing_and_removes_nothing() {
        let mut table: Table<u32> = Table::default();
        assert!(!find(&table, 1));
        assert_eq!(table.remove(0, hash), None);
        assert_eq!(table.iter().count(), 0);
    }
}
