//! Hardware hashes for the benchmarks' device lists: `bytes` bytes each (Get-WindowsAutopilotInfo
//! writes about 4,000 base64 characters, 3,000 bytes), different for each `n` (their first four
//! bytes), as base64.

use base64::Engine;

// Each benchmark that includes this file uses what it needs of it.
#[allow(dead_code)]
pub fn hash(n: u32, bytes: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(hash_bytes(n, bytes))
}

pub fn hash_bytes(n: u32, bytes: usize) -> Vec<u8> {
    let mut raw: Vec<u8> = (0..bytes)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).wrapping_add(n) as u8)
        .collect();
    raw[..4].copy_from_slice(&n.to_le_bytes());
    raw
}
