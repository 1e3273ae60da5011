//! Servers' built libraries kept in memory (see [`Shelves`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::engine::Shelf;
use crate::store::GuildId;

/// Servers' built libraries kept in memory, at most `kept`, the least recently used dropped
/// first. A server that uses the shipped library as it is holds only a pointer to it.
///
/// A build takes a [`Ticket`] before it reads the store; a change (`forget`, `clear`) makes
/// every earlier ticket for that server stale, and a build with a stale ticket is not kept, so
/// a library read before a change never replaces the changed one.
#[derive(Debug)]
pub struct Shelves {
    kept: usize,
    inner: Mutex<Kept>,
}

/// Taken before reading a server's library from the store (see [`Shelves`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    epoch: u64,
    generation: u64,
}

#[derive(Debug, Default)]
struct Kept {
    by_guild: HashMap<GuildId, (Arc<Shelf>, u64, std::time::Instant)>,
    /// Changes per server since the last `clear`.
    generations: HashMap<GuildId, u64>,
    /// Raised by `clear`.
    epoch: u64,
    tick: u64,
}

impl Shelves {
    /// Room for `kept` servers' libraries (at least one).
    pub fn new(kept: usize) -> Shelves {
        Shelves {
            kept: kept.max(1),
            inner: Mutex::new(Kept::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A server's library if it is in memory, and how long ago it was built or last checked
    /// against the store.
    pub fn get(&self, guild: GuildId) -> Option<(Arc<Shelf>, std::time::Duration)> {
        let mut k = self.lock();
        k.tick += 1;
        let tick = k.tick;
        k.by_guild.get_mut(&guild).map(|(shelf, used, checked)| {
            *used = tick;
            (shelf.clone(), checked.elapsed())
        })
    }

    /// Notes that a server's library was found current in the store just now.
    pub fn checked(&self, guild: GuildId) {
        if let Some(entry) = self.lock().by_guild.get_mut(&guild) {
            entry.2 = std::time::Instant::now();
        }
    }

    /// What a build of `guild`'s library must show to be kept.
    pub fn ticket(&self, guild: GuildId) -> Ticket {
        let k = self.lock();
        Ticket {
            epoch: k.epoch,
            generation: k.generations.get(&guild).copied().unwrap_or(0),
        }
    }

    /// Keeps a server's library built under `ticket`, unless the server's library changed
    /// since the ticket was taken (then it is dropped: the next question builds afresh).
    /// Returns whether it was kept.
    pub fn put(&self, guild: GuildId, shelf: Arc<Shelf>, ticket: Ticket) -> bool {
        let mut k = self.lock();
        let current = Ticket {
            epoch: k.epoch,
            generation: k.generations.get(&guild).copied().unwrap_or(0),
        };
        if current != ticket {
            return false;
        }
        k.tick += 1;
        let tick = k.tick;
        k.by_guild
            .insert(guild, (shelf, tick, std::time::Instant::now()));
        while k.by_guild.len() > self.kept {
            let Some(oldest) = k
                .by_guild
                .iter()
                .min_by_key(|(_, (_, used, _))| *used)
                .map(|(g, _)| *g)
            else {
                break;
            };
            k.by_guild.remove(&oldest);
        }
        true
    }

    /// Forgets a server's library (it changed: the next question builds it again, and builds
    /// under way are not kept).
    pub fn forget(&self, guild: GuildId) {
        let mut k = self.lock();
        k.by_guild.remove(&guild);
        *k.generations.entry(guild).or_default() += 1;
    }

    /// Forgets every server's library (the shipped library was reloaded).
    pub fn clear(&self) {
        let mut k = self.lock();
        k.by_guild.clear();
        k.generations.clear();
        k.epoch += 1;
    }

    /// How many servers' libraries are in memory.
    pub fn len(&self) -> usize {
        self.lock().by_guild.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Library;

    #[test]
    fn shelves_keep_the_most_recently_used_and_never_a_build_from_before_a_change() {
        let shelf = |v| Arc::new(Shelf::build(Library::default(), v).unwrap());
        let shelves = Shelves::new(2);
        assert!(shelves.put(1, shelf(1), shelves.ticket(1)));
        assert!(shelves.put(2, shelf(1), shelves.ticket(2)));
        assert!(shelves.get(1).is_some(), "1 is now the most recent");
        assert!(shelves.put(3, shelf(1), shelves.ticket(3)));
        assert!(shelves.get(2).is_none(), "2 was least recently used");
        assert_eq!(shelves.len(), 2);
        // A build that read the store before a change is not kept.
        let before = shelves.ticket(1);
        shelves.forget(1);
        assert!(!shelves.put(1, shelf(4), before));
        assert!(shelves.get(1).is_none());
        assert!(shelves.put(1, shelf(5), shelves.ticket(1)));
        assert_eq!(shelves.get(1).unwrap().0.version, 5);
        // Nor one from before a reload of the shipped library.
        let before = shelves.ticket(3);
        shelves.clear();
        assert!(!shelves.put(3, shelf(1), before));
        assert!(shelves.is_empty());
    }
}
