//! Giving freed memory back to the system. glibc's allocator keeps what a large request
//! freed for the next one: one 10,000-device upload (40 MB read, checked and stored, some
//! 180 MB at its peak) left the server at 150 MB for good, where it idles at 25 MB. A replica
//! is sized by what it holds between such requests, so:
//!
//! - a block of [`OWN_MAPPING`] or more always gets a mapping of its own, returned when freed
//!   (glibc raises that bar after each such free, up to 32 MB, which put an upload's
//!   buffers into the arenas the next time);
//! - at most [`ARENAS_PER_CORE`] arenas a core: a trim cannot return the free top of a
//!   thread's arena, so each arena may keep an upload's worth (PostgreSQL: 77 MB after six
//!   uploads with glibc's 8 a core, 35 MB with 2). One arena for all cost 30% of the pages'
//!   throughput under 200 people browsing; 2 a core cost nothing measurable;
//! - [`give_back`] asks the allocator to return the free pages of its arenas (`malloc_trim`)
//!   once the resident memory not in use has grown by [`KEEP`] since it last did (measured
//!   every [`EVERY`]).
//!
//! Why by hand: glibc's own trim threshold (`M_TRIM_THRESHOLD`) returns only the top of the
//! main heap, not the arenas tokio's worker threads allocate from. mimalloc, tried in its
//! place, kept even more (232 MB after the same uploads). Other C libraries are not glibc,
//! and this does nothing there.

use std::time::Duration;

/// How often the resident memory not in use is measured.
pub const EVERY: Duration = Duration::from_secs(1);

/// Freed memory the allocator may keep for the next requests, unreturned.
pub const KEEP: usize = 8 << 20;

/// The size from which a block gets a mapping of its own.
pub const OWN_MAPPING: usize = 256 << 10;

/// Arenas the allocator may keep, per core (glibc's default: 8).
pub const ARENAS_PER_CORE: usize = 2;

/// Sets the allocator up for [`give_back`]; before the process starts its threads.
pub fn configure() {
    own_mappings_from(OWN_MAPPING);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    at_most_arenas(ARENAS_PER_CORE * cores);
}

/// Runs for the life of the process.
pub async fn give_back() {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut slack = 0;
    loop {
        every.tick().await;
        // A trim walks every arena and takes their locks: not on a worker thread.
        if let Ok(Some(now)) = tokio::task::spawn_blocking(move || trim_if_due(slack)).await {
            slack = now;
        }
    }
}

/// Trims when the resident memory not in use (the program's code and stacks, and pages freed
/// but kept) has grown by [`KEEP`] since `slack`, as measured after the last trim; the slack
/// to measure from next time. (A trim returns pages, yet the allocator still counts them as
/// freed: its own counters cannot tell when one is due.)
fn trim_if_due(slack: usize) -> Option<usize> {
    let now = unused_resident()?;
    if now <= slack + KEEP {
        // Less than before: the next trim is due from here.
        return Some(slack.min(now));
    }
    trim();
    unused_resident()
}

/// Resident memory not in use by the program's allocations, in bytes; `None` where it cannot
/// be read.
fn unused_resident() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some((pages * page_size()).saturating_sub(in_use()))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// What the program's allocations hold, in bytes: in the arenas and mapped of their own.
    pub fn in_use() -> usize {
        // SAFETY: mallinfo2 reads the allocator's counters; it has no preconditions.
        let info = unsafe { libc::mallinfo2() };
        info.uordblks + info.hblkhd
    }

    pub fn page_size() -> usize {
        // SAFETY: sysconf has no preconditions.
        usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
    }

    pub fn trim() {
        // SAFETY: malloc_trim has no preconditions; 0 keeps no padding at the heap's top.
        unsafe { libc::malloc_trim(0) };
    }

    pub fn at_most_arenas(count: usize) {
        let count = libc::c_int::try_from(count).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt has no preconditions.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, count) };
    }

    pub fn own_mappings_from(bytes: usize) {
        let bytes = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt has no preconditions; setting the threshold also stops glibc from
        // moving it.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) };
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod glibc {
    pub fn in_use() -> usize {
        0
    }
    pub fn page_size() -> usize {
        4096
    }
    pub fn trim() {}
    pub fn own_mappings_from(_: usize) {}
    pub fn at_most_arenas(_: usize) {}
}

use glibc::{at_most_arenas, in_use, own_mappings_from, page_size, trim};

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    #[test]
    fn freed_blocks_the_allocator_keeps_are_given_back() {
        trim();
        let slack = unused_resident().expect("/proc/self/statm is read");
        // 64 MB in blocks the size of a hardware hash, every eighth kept: the freed ones
        // cannot shrink the heap from its top, and glibc keeps their pages.
        let mut blocks: Vec<Vec<u8>> = (0..16_000).map(|n| vec![n as u8; 4_000]).collect();
        let mut n = 0;
        blocks.retain(|_| {
            n += 1;
            n % 8 == 0
        });
        let kept = unused_resident().unwrap();
        assert!(
            kept > slack + (40 << 20),
            "{kept} resident unused, {slack} before"
        );
        let after = trim_if_due(slack).unwrap();
        // What stays: the unused part of the pages the kept blocks lie on.
        assert!(
            after < slack + (kept - slack) / 4,
            "{after} resident unused after the trim, {kept} before it, {slack} at first"
        );
        // The blocks still in use are intact.
        assert!(blocks.iter().all(|b| b.len() == 4_000 && b[0] == b[3_999]));
    }
}
