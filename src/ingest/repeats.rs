//! Whether a row is a device already in the upload: by its hardware hash, its product key, or
//! its serial number with manufacturer and model, as rows arrive.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};
use xxhash_rust::xxh3::{xxh3_128_with_seed, Xxh3};

use super::report::{Check, Finding};
use super::validate::{DeviceRow, Values};

/// The ways two rows can be the same device.
#[derive(Clone, Copy)]
enum Identity {
    Hash,
    ProductKey,
    SerialManufacturerModel,
}

impl Identity {
    const ALL: [Identity; 3] = [
        Identity::Hash,
        Identity::ProductKey,
        Identity::SerialManufacturerModel,
    ];

    fn of<'v>(self, device: &'v Values) -> Option<(&'v str, &'v str, &'v str)> {
        match self {
            Identity::Hash => device.hardware_hash.as_deref().map(|h| (h, "", "")),
            Identity::ProductKey => device.product_key.as_deref().map(|k| (k, "", "")),
            Identity::SerialManufacturerModel => {
                match (&device.serial_number, &device.manufacturer, &device.model) {
                    (Some(s), Some(m), Some(mo)) => Some((s, m, mo)),
                    _ => None,
                }
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Identity::Hash => "hardware hash",
            Identity::ProductKey => "product key",
            Identity::SerialManufacturerModel => "serial number, manufacturer and model",
        }
    }
}

/// Every identity seen so far, as a digest of it and the row that had it first: a digest, not
/// the text, so that what the check holds does not grow with the hashes (4,000 characters
/// each) and the devices need not be kept for it. A 128-bit xxh3 of the identity, seeded per
/// process, in one pass over the text: two different identities having the same digest would
/// take far more rows than any file has, and a crafted file cannot aim at a seed it does not
/// know (the table's own hashing is seeded too, so it cannot be made to pile up).
pub(super) struct Repeats {
    seen: HashTable<(u128, u32)>,
    seed: u64,
}

impl Default for Repeats {
    fn default() -> Self {
        Repeats {
            seen: HashTable::new(),
            seed: DefaultHashBuilder::default().hash_one(PER_PROCESS_SEED_INPUT),
        }
    }
}

/// Hashed by a randomly seeded hasher into the seed of the digests.
const PER_PROCESS_SEED_INPUT: &str = "repeats";

impl Repeats {
    /// The digest of one identity, seeded apart per kind so that a product key never matches a
    /// hash. The parts of a serial + manufacturer + model are each ended by a byte no text
    /// holds (0xFF is never UTF-8), so that no two different triples give the same bytes.
    fn digest(&self, identity: Identity, (a, b, c): (&str, &str, &str)) -> u128 {
        let seed = self.seed ^ identity as u64;
        match identity {
            Identity::Hash | Identity::ProductKey => xxh3_128_with_seed(a.as_bytes(), seed),
            Identity::SerialManufacturerModel => {
                let mut hasher = Xxh3::with_seed(seed);
                for part in [a, b, c] {
                    hasher.update(part.as_bytes());
                    hasher.update(&[0xFF]);
                }
                hasher.digest128()
            }
        }
    }

    /// A device may appear once per upload: a repeat is an error that names the first row.
    /// All of the device's identities are remembered.
    pub(super) fn check(&mut self, device: &Values) -> Option<Finding> {
        let mut finding = None;
        for identity in Identity::ALL {
            let Some(value) = identity.of(device) else {
                continue;
            };
            let digest = self.digest(identity, value);
            let first = self
                .seen
                .find(digest as u64, |&(d, _)| d == digest)
                .map(|&(_, row)| row);
            match first {
                Some(first) if finding.is_none() => {
                    finding = Some(Finding::error(
                        Some(device.row),
                        None,
                        Check::DuplicateInUpload,
                        format!(
                            "Same {} as row {first}: a device can be uploaded once. Remove one \
                             of the two rows.",
                            identity.name()
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    self.seen
                        .insert_unique(digest as u64, (digest, device.row), |&(d, _)| d as u64);
                }
            }
        }
        finding
    }
}

/// The repeats among `devices` (in row order), for checking again after rows were removed.
pub fn duplicate_findings(devices: &[DeviceRow]) -> Vec<Finding> {
    let mut repeats = Repeats::default();
    devices
        .iter()
        .filter_map(|device| repeats.check(&Values::of(device)))
        .collect()
}
