//! The listener's 4-tuple index: an open-addressing hash table of fixed
//! capacity, allocated once.
//!
//! Linear probing with backward-shift deletion (no tombstones, so a table
//! that sees millions of insertions and removals never degrades). The
//! capacity is at least twice the number of entries the listener can hold,
//! so probes stay short. Hashes are SipHash-2-4 under a secret key: an
//! attacker who picks addresses and ports cannot aim them at one bucket.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};

use crate::isn::SipHasher24;

/// Which connection a segment belongs to: our address (the listener may
/// be bound to any) and the remote end. The local port is the listener's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) local_ip: Ipv4Addr,
    pub(crate) remote: SocketAddrV4,
}

impl Key {
    fn bytes(&self) -> [u8; 10] {
        let [a, b, c, d] = self.local_ip.octets();
        let [e, f, g, h] = self.remote.ip().octets();
        let [p, q] = self.remote.port().to_be_bytes();
        [a, b, c, d, e, f, g, h, p, q]
    }
}

/// Where the state of a 4-tuple lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// An embryonic connection, by slot in the SYN queue.
    Embryo(u32),
    /// A completed connection not yet accepted, by slot in the accept queue.
    Ready(u32),
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    hash: u32,
    key: Key,
    entry: Entry,
}

#[derive(Debug)]
pub(crate) struct Table {
    hasher: SipHasher24,
    slots: Vec<Option<Slot>>,
    mask: usize,
    len: usize,
}

impl Table {
    /// A table for at most `entries` entries.
    pub(crate) fn new(hasher: SipHasher24, entries: usize) -> Self {
        let capacity = entries
            .saturating_mul(2)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX / 2 + 1)
            .max(8);
        let mut slots = Vec::with_capacity(capacity);
        slots.resize(capacity, None);
        Table {
            hasher,
            slots,
            mask: capacity - 1,
            len: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn hash(&self, key: &Key) -> u32 {
        self.hasher.hash(&key.bytes()) as u32
    }

    /// The slot index holding `key`, if any.
    fn position(&self, key: &Key) -> Option<usize> {
        let hash = self.hash(key);
        let mut i = hash as usize & self.mask;
        // At most every slot once: the table is never full, but do not
        // rely on it.
        for _ in 0..self.slots.len() {
            match self.slots.get(i)? {
                None => return None,
                Some(slot) if slot.hash == hash && slot.key == *key => return Some(i),
                Some(_) => i = (i + 1) & self.mask,
            }
        }
        None
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Entry> {
        let i = self.position(key)?;
        self.slots.get(i)?.map(|slot| slot.entry)
    }

    /// Inserts or replaces the entry for `key`; `false` when the table is
    /// full (it never is while the listener keeps its bounds).
    pub(crate) fn insert(&mut self, key: Key, entry: Entry) -> bool {
        let hash = self.hash(&key);
        let mut i = hash as usize & self.mask;
        let capacity = self.slots.len();
        for _ in 0..capacity {
            let Some(cell) = self.slots.get_mut(i) else {
                return false;
            };
            match cell {
                Some(slot) if slot.hash == hash && slot.key == key => {
                    slot.entry = entry;
                    return true;
                }
                Some(_) => i = (i + 1) & self.mask,
                None => {
                    // Keep one slot free so a probe always ends.
                    if self.len + 1 >= capacity {
                        return false;
                    }
                    *cell = Some(Slot { hash, key, entry });
                    self.len += 1;
                    return true;
                }
            }
        }
        false
    }

    /// Removes `key`; returns its entry.
    pub(crate) fn remove(&mut self, key: &Key) -> Option<Entry> {
        let mut hole = self.position(key)?;
        let removed = self.slots.get_mut(hole)?.take()?;
        self.len -= 1;
        // Backward shift: pull later members of the probe run into the
        // hole, unless that would move one before its home slot.
        let mut j = hole;
        loop {
            j = (j + 1) & self.mask;
            let Some(Some(slot)) = self.slots.get(j).copied() else {
                break;
            };
            let home = slot.hash as usize & self.mask;
            let from_home = j.wrapping_sub(home) & self.mask;
            let from_hole = j.wrapping_sub(hole) & self.mask;
            if from_home >= from_hole {
                if let Some(cell) = self.slots.get_mut(hole) {
                    *cell = Some(slot);
                }
                if let Some(cell) = self.slots.get_mut(j) {
                    *cell = None;
                }
                hole = j;
            }
        }
        Some(removed.entry)
    }

    /// Forgets every entry.
    pub(crate) fn clear(&mut self) {
        self.slots.iter_mut().for_each(|slot| *slot = None);
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use strata_core::rand::{RandomSource, SplitMix64};

    fn key(n: u32) -> Key {
        Key {
            local_ip: Ipv4Addr::new(198, 18, 0, 1),
            remote: SocketAddrV4::new(Ipv4Addr::from(n % 7), (n / 7) as u16),
        }
    }

    #[test]
    fn matches_a_hash_map_under_random_operations() {
        let mut rng = SplitMix64::new(5);
        let mut table = Table::new(SipHasher24::new([3; 16]), 40);
        let mut model = HashMap::new();
        for _ in 0..200_000 {
            let k = key(rng.below(120) as u32);
            match rng.below(3) {
                0 if model.len() < 80 => {
                    let entry = Entry::Embryo(rng.below(1000) as u32);
                    assert!(table.insert(k, entry));
                    model.insert(k, entry);
                }
                1 => assert_eq!(table.remove(&k), model.remove(&k)),
                _ => assert_eq!(table.get(&k), model.get(&k).copied()),
            }
            assert_eq!(table.len(), model.len());
        }
        for (k, v) in &model {
            assert_eq!(table.get(k), Some(*v));
        }
        table.clear();
        assert_eq!(table.len(), 0);
        assert_eq!(table.get(&key(1)), None);
    }

    #[test]
    fn refuses_to_fill_the_last_slot() {
        let mut table = Table::new(SipHasher24::new([1; 16]), 1);
        let inserted = (0..20)
            .filter(|&n| table.insert(key(n), Entry::Ready(n)))
            .count();
        assert_eq!(inserted, 7);
        assert_eq!(table.len(), 7);
    }
}
