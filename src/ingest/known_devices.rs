//! Rows checked against devices already registered, which the reader alone cannot know:
//! the customer's own devices as Partner Center lists them and as the dashboard's index holds
//! them (806 before it is answered), and the devices the index finds with the partner's other
//! customers (808).

use std::collections::{HashMap, HashSet};

use super::identity::RowKeys;
use super::report::{Check, Finding};
use super::validate::DeviceRow;

/// A device already in one of the customer's batches, as Partner Center lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExistingDevice {
    pub batch: String,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

/// Flags rows whose device is already in one of the customer's batches: Partner Center
/// would answer 806 for them, so the user can drop them first. Partner Center does not list
/// hardware hashes, so a product key or serial + manufacturer + model match surely; a serial
/// number alone (a row of serial + hash, or another spelling of the model) only probably,
/// and the finding says so, naming the listed device's manufacturer and model.
pub fn already_registered(devices: &[DeviceRow], existing: &[ExistingDevice]) -> Vec<Finding> {
    let mut by_key: HashMap<&str, &str> = HashMap::new();
    let mut by_tuple: HashMap<(&str, &str, &str), &str> = HashMap::new();
    let mut by_serial: HashMap<String, &ExistingDevice> = HashMap::new();
    for device in existing {
        if let Some(key) = &device.product_key {
            by_key.insert(key, &device.batch);
        }
        if let Some(serial) = &device.serial_number {
            by_serial.insert(serial.to_ascii_uppercase(), device);
        }
        if let (Some(s), Some(m), Some(mo)) =
            (&device.serial_number, &device.manufacturer, &device.model)
        {
            by_tuple.insert((s, m, mo), &device.batch);
        }
    }
    devices
        .iter()
        .filter_map(|device| {
            let by_product_key = device.product_key.as_deref().and_then(|k| by_key.get(k));
            let by_whole_tuple = match (&device.serial_number, &device.manufacturer, &device.model)
            {
                (Some(s), Some(m), Some(mo)) => {
                    by_tuple.get(&(s.as_str(), m.as_str(), mo.as_str()))
                }
                _ => None,
            };
            if let Some(batch) = by_product_key.or(by_whole_tuple) {
                return Some(in_this_customer(device.row, "This device is", batch));
            }
            let serial = device.serial_number.as_deref()?;
            let listed = by_serial.get(&serial.to_ascii_uppercase())?;
            let what = probably_this_one(&listed.manufacturer, &listed.model);
            Some(in_this_customer(device.row, &what, &listed.batch))
        })
        .collect()
}

/// The start of a finding about a device matched by its serial number alone: only probably
/// the same device, so the listed one's manufacturer and model are named when known.
fn probably_this_one(manufacturer: &Option<String>, model: &Option<String>) -> String {
    match (manufacturer, model) {
        (Some(m), Some(model)) => {
            format!("A device with this serial number ({m} {model}), probably this one, is")
        }
        _ => "A device with this serial number, probably this one, is".to_string(),
    }
}

fn in_this_customer(row: u32, what: &str, batch: &str) -> Finding {
    Finding::warning(
        Some(row),
        None,
        Check::AlreadyRegistered,
        format!(
            "{what} already in this customer's batch “{batch}”; Partner Center would refuse it \
             (806). Remove the row unless you mean to re-upload it."
        ),
    )
}

/// Rows whose device the index finds with this very customer, and that the listing above did
/// not flag (`flagged`): a hash the dashboard uploaded (Partner Center lists none), a customer
/// too large to list for the preview, or the same serial number with another manufacturer or
/// model spelling, which is only probably the same device (its manufacturer and model named).
pub fn registered_here(
    rows: &[RowKeys],
    indexed: &[IndexedMatch],
    flagged: &HashSet<u32>,
) -> Vec<Finding> {
    let here: Vec<&IndexedMatch> = indexed.iter().filter(|m| m.this_customer).collect();
    rows.iter()
        .filter(|keys| !flagged.contains(&keys.row))
        .filter_map(|keys| {
            let (found, surely) = matching(keys, here.iter().copied())?;
            let what = match surely {
                true => "This device is".to_string(),
                false => probably_this_one(&found.manufacturer, &found.model),
            };
            Some(in_this_customer(keys.row, &what, &found.batch))
        })
        .collect()
}

/// A device the dashboard's index of the partner's devices holds, found by an identifier of
/// an uploaded row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexedMatch {
    /// It is registered with the customer the upload is for.
    pub this_customer: bool,
    /// The customer's name; `None` when the person uploading cannot open that customer.
    pub customer: Option<String>,
    pub customer_id: String,
    pub batch: String,
    pub device_id: String,
    /// As [`identity`](super::identity) keys them.
    pub serial_key: Option<String>,
    pub product_key: Option<String>,
    pub hash_digest: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

/// Rows whose device the index finds with another of the partner's customers: by its hash or
/// product key (the same device), or by its serial number (probably the same; its
/// manufacturer and model are named so the person can tell). Flagged with where it is, so it
/// is moved before Partner Center refuses it (808).
pub fn registered_elsewhere(rows: &[RowKeys], indexed: &[IndexedMatch]) -> Vec<Finding> {
    let others: Vec<&IndexedMatch> = indexed.iter().filter(|m| !m.this_customer).collect();
    rows.iter()
        .filter_map(|keys| {
            let (found, surely) = matching(keys, others.iter().copied())?;
            let customer = found.customer.as_deref().map_or_else(
                || "another of your organisation's customers (one you cannot open)".to_string(),
                |name| format!("your customer {name}"),
            );
            let what = match (&found.manufacturer, &found.model, surely) {
                (_, _, true) => "This device is".to_string(),
                (Some(m), Some(model), false) => {
                    format!("A device with this serial number ({m} {model}) is")
                }
                _ => "A device with this serial number is".to_string(),
            };
            Some(Finding::warning(
                Some(keys.row),
                None,
                Check::RegisteredWithAnotherCustomer,
                format!(
                    "{what} registered with {customer}, in the batch “{}”; Partner Center would \
                     refuse it here (808). Delete it from that customer first, or remove this row.",
                    found.batch
                ),
            ))
        })
        .collect()
}

/// The first of `indexed` that is the row's device: the same hash, product key, or serial
/// number with the same manufacturer and model (surely the same device: `true`), else the
/// same serial number alone (probably: `false`).
pub fn matching<'a>(
    keys: &RowKeys,
    indexed: impl Iterator<Item = &'a IndexedMatch> + Clone,
) -> Option<(&'a IndexedMatch, bool)> {
    let (digest, key, serial) = (&keys.hash_digest, &keys.product_key, &keys.serial);
    let same_maker = |m: &IndexedMatch| match (&keys.maker, &m.manufacturer, &m.model) {
        (Some(maker), Some(manufacturer), Some(model)) => {
            *maker == super::identity::maker_key(manufacturer, model)
        }
        _ => false,
    };
    let same = |m: &&IndexedMatch| {
        (digest.is_some() && m.hash_digest == *digest)
            || (key.is_some() && m.product_key == *key)
            || (serial.is_some() && m.serial_key == *serial && same_maker(m))
    };
    match indexed.clone().find(same) {
        Some(found) => Some((found, true)),
        None => indexed
            .into_iter()
            .find(|m| serial.is_some() && m.serial_key == *serial)
            .map(|found| (found, false)),
    }
}

/// The rows no check could look up, said once for the upload: a row known only by its
/// hardware hash, when the index knows no device with that hash. Partner Center gives out no
/// hashes, so only hashes the dashboard uploaded itself can be recognised.
pub fn not_checked(rows: &[RowKeys], indexed: &[IndexedMatch]) -> Option<Finding> {
    let known: HashSet<&str> = indexed
        .iter()
        .filter_map(|m| m.hash_digest.as_deref())
        .collect();
    let rows: Vec<u32> = rows
        .iter()
        .filter(|k| k.serial.is_none() && k.product_key.is_none())
        .filter(|k| {
            k.hash_digest
                .as_deref()
                .is_none_or(|digest| !known.contains(digest))
        })
        .map(|k| k.row)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let shown: Vec<String> = rows.iter().take(20).map(u32::to_string).collect();
    let more = match rows.len() {
        n if n > 20 => format!(" and {} more", n - 20),
        _ => String::new(),
    };
    let (count, verb) = match rows.len() {
        1 => ("1 row".to_string(), "was"),
        n => (format!("{n} rows"), "were"),
    };
    Some(Finding::warning(
        None,
        None,
        Check::NotChecked,
        format!(
            "{count} (row {}{more}) {verb} not checked for an earlier registration: they have \
             no serial number or product key, and Partner Center gives out no hardware hashes, \
             so the dashboard recognises only hashes it uploaded itself. Partner Center will \
             say after submitting if one is registered already (806 or 808).",
            shown.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with only a serial number, and one with only a hardware hash.
    fn by_serial(row: u32, serial: &str) -> DeviceRow {
        DeviceRow {
            row,
            serial_number: Some(serial.into()),
            ..Default::default()
        }
    }

    fn by_hash(row: u32, hash: &str) -> DeviceRow {
        DeviceRow {
            row,
            hardware_hash: Some(hash.into()),
            ..Default::default()
        }
    }

    /// A hardware hash of 80 bytes `byte`, in base64.
    fn hash_of(byte: u8) -> String {
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [byte; 80])
    }

    #[test]
    fn a_device_registered_with_another_customer_is_flagged_with_where_it_is() {
        let hash = hash_of(9);
        let rows = [
            by_serial(2, "abc123"),
            by_hash(3, &hash),
            by_serial(4, "MINE"),
            by_hash(5, &hash_of(1)),
        ];
        let indexed = [
            IndexedMatch {
                customer: Some("Fabrikam".into()),
                batch: "Fleet".into(),
                serial_key: Some("abc123".into()),
                manufacturer: Some("Contoso".into()),
                model: Some("Laptop 5".into()),
                ..Default::default()
            },
            IndexedMatch {
                customer: None,
                batch: "Theirs".into(),
                hash_digest: super::super::identity::hash_digest(&hash),
                ..Default::default()
            },
            IndexedMatch {
                this_customer: true,
                batch: "Ours".into(),
                serial_key: Some("mine".into()),
                ..Default::default()
            },
        ];
        let rows: Vec<RowKeys> = rows.iter().map(RowKeys::of).collect();
        let found = registered_elsewhere(&rows, &indexed);
        let words: Vec<(u32, &str)> = found
            .iter()
            .map(|f| (f.row.unwrap(), f.message.as_str()))
            .collect();
        assert_eq!(words.len(), 2, "{words:?}");
        assert!(words[0].1.starts_with("A device with this serial number (Contoso Laptop 5) is registered with your customer Fabrikam, in the batch “Fleet”"), "{words:?}");
        assert!(words[0].1.contains("(808)"));
        assert!(words[1].1.starts_with("This device is registered with another of your organisation's customers (one you cannot open)"), "{words:?}");
        // Row 5: a hash the index does not know, and nothing else to look it up by.
        let unchecked = not_checked(&rows, &indexed).unwrap();
        assert!(
            unchecked
                .message
                .starts_with("1 row (row 5) was not checked"),
            "{}",
            unchecked.message
        );
        assert_eq!(unchecked.row, None);
    }

    #[test]
    fn a_device_the_index_finds_in_this_customer_is_flagged_unless_the_listing_did() {
        let hash = hash_of(4);
        let rows = [
            by_serial(2, "Ser-1"),
            by_hash(3, &hash),
            by_serial(4, "SER-2"),
        ];
        let ours = |serial: Option<&str>, digest: Option<String>| IndexedMatch {
            this_customer: true,
            batch: "Ours".into(),
            serial_key: serial.map(Into::into),
            hash_digest: digest,
            manufacturer: Some("HP".into()),
            model: Some("EliteBook".into()),
            ..Default::default()
        };
        let indexed = [
            ours(Some("ser-1"), None),
            ours(None, super::super::identity::hash_digest(&hash)),
            ours(Some("ser-2"), None),
        ];
        let rows: Vec<RowKeys> = rows.iter().map(RowKeys::of).collect();
        let flagged: HashSet<u32> = [4].into();
        let found = registered_here(&rows, &indexed, &flagged);
        let words: Vec<(u32, &str)> = found
            .iter()
            .map(|f| (f.row.unwrap(), f.message.as_str()))
            .collect();
        assert_eq!(words.len(), 2, "{words:?}");
        assert!(words[0].1.starts_with("A device with this serial number (HP EliteBook), probably this one, is already in this customer's batch “Ours”"), "{words:?}");
        assert!(
            words[1]
                .1
                .starts_with("This device is already in this customer's batch “Ours”"),
            "{words:?}"
        );
        assert!(found.iter().all(|f| f.check == Check::AlreadyRegistered));
        // Another customer's device is not this customer's.
        let theirs = [IndexedMatch {
            this_customer: false,
            ..indexed[0].clone()
        }];
        assert!(registered_here(&rows, &theirs, &HashSet::new()).is_empty());
    }
}
