//! Tables keyed by two neighbouring stems, built once and read for every
//! message: the intent model's pair features and the vocabulary's terms
//! that start with two given words. Nearly every pair a message holds is in
//! no table, so a lookup must say "no" at once: open addressing, with one
//! byte of each slot's hash kept apart in an array small enough to stay in
//! the cache, so that a missing pair is settled without reading the slots.

use super::lexicon::StemId;

#[derive(Debug, Clone)]
pub struct PairTable<V> {
    /// `(first << 32 | second, value)`. The length is a power of two, at
    /// least four times the pairs.
    slots: Vec<(u64, V)>,
    /// Per slot: 0 when empty, else a byte of the key's hash with its high
    /// bit set.
    tags: Vec<u8>,
    shift: u32,
}

impl<V> Default for PairTable<V> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            tags: Vec::new(),
            shift: 0,
        }
    }
}

impl<V: Copy + Default> PairTable<V> {
    /// A table of `entries`; for a pair given twice, the first value counts.
    pub fn new(entries: &[(StemId, StemId, V)]) -> Self {
        let capacity = (entries.len() * 4).next_power_of_two().max(16);
        let mut table = Self {
            slots: vec![(0, V::default()); capacity],
            tags: vec![0; capacity],
            shift: 64 - capacity.trailing_zeros(),
        };
        for &(a, b, value) in entries {
            if table.get(a, b).is_some() {
                continue;
            }
            let key = key(a, b);
            let (mut index, tag) = table.home(key);
            while table.tags[index] != 0 {
                index = (index + 1) & (capacity - 1);
            }
            table.slots[index] = (key, value);
            table.tags[index] = tag;
        }
        table
    }

    /// Where a key's probe starts, and its tag.
    #[inline]
    fn home(&self, key: u64) -> (usize, u8) {
        let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ((hash >> self.shift) as usize, (hash >> 24) as u8 | 0x80)
    }

    #[inline]
    pub fn get(&self, a: StemId, b: StemId) -> Option<V> {
        if self.slots.is_empty() {
            return None;
        }
        let key = key(a, b);
        let mask = self.slots.len() - 1;
        let (mut index, tag) = self.home(key);
        loop {
            let here = self.tags[index];
            if here == tag && self.slots[index].0 == key {
                return Some(self.slots[index].1);
            }
            if here == 0 {
                return None;
            }
            index = (index + 1) & mask;
        }
    }
}

fn key(a: StemId, b: StemId) -> u64 {
    u64::from(a) << 32 | u64::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_found_in_their_order_and_others_are_not() {
        let entries: Vec<(StemId, StemId, u32)> = (0..500).map(|i| (i, i * 7 + 1, i)).collect();
        let table = PairTable::new(&entries);
        for &(a, b, value) in &entries {
            assert_eq!(table.get(a, b), Some(value));
            assert_eq!(table.get(b, a), None, "({b}, {a}) is not a pair");
        }
        assert_eq!(table.get(3, 3), None);
        assert_eq!(PairTable::<u32>::default().get(1, 2), None);
    }

    #[test]
    fn the_first_value_given_for_a_pair_counts() {
        let table = PairTable::new(&[(1, 2, 10u32), (1, 2, 20)]);
        assert_eq!(table.get(1, 2), Some(10));
    }
}
