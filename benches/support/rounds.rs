//! The ingest ratios are measured in rounds, the baseline then the real work in each, and
//! the table takes the median round's ratio. This virtual machine's speed drifts by a third
//! over a minute (the same bare calamine read took 45 ms in one run and 97 ms in the next);
//! two sides measured seconds apart drift alike, where one long window per side did not.
//! Shared by the `ingest` benchmark, which writes the rounds, and `pages`, which reads them.

/// Rounds per ratio: an odd number, so the median is a measured round.
pub const ROUNDS: u32 = 5;

/// The criterion name of the real work in each group; its baseline is named per group.
pub const WORK: &str = "read + validate";
