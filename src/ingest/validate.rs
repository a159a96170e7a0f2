//! Rows → devices: each cell through its rule, then the checks that need the whole row
//! (identifier combinations) or the whole upload (duplicates, group tags).

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use serde::{Deserialize, Serialize};

use super::grid::{Cell, Line};
use super::header::{Field, Layout};
use super::report::{Check, Finding};
use super::rules::{self, At};

/// One device as read from one row, ready to upload once it has no errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRow {
    /// The row number a person sees.
    pub row: u32,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub hardware_hash: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    /// Kept only to report it: Partner Center takes no group tag per device.
    pub group_tag: Option<String>,
}

/// Turns data lines into devices one at a time, checking each cell, each row, and each row
/// against the rows before it. One line at a time, so that a 4,000-character hash is
/// checked, copied and hashed for the repeat check while it is still in the CPU's cache.
pub struct Reader<'h> {
    serial: Option<(usize, &'h str)>,
    key: Option<(usize, &'h str)>,
    hash: Option<(usize, &'h str)>,
    manufacturer: Option<(usize, &'h str)>,
    model: Option<(usize, &'h str)>,
    group_tag: Option<usize>,
    repeats: Repeats,
    devices: Vec<DeviceRow>,
}

impl<'h> Reader<'h> {
    pub fn new(layout: &'h Layout) -> Self {
        let column = |field: Field| {
            layout
                .index_of(field)
                .map(|i| (i, layout.header_of(field).unwrap_or(field.label())))
        };
        Self {
            serial: column(Field::SerialNumber),
            key: column(Field::ProductKey),
            hash: column(Field::HardwareHash),
            manufacturer: column(Field::Manufacturer),
            model: column(Field::Model),
            group_tag: layout.index_of(Field::GroupTag),
            repeats: Repeats::default(),
            devices: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// Reads one data line; its cells' text moves into the device.
    pub fn push(&mut self, mut line: Line, findings: &mut Vec<Finding>) {
        if line.is_blank() {
            return;
        }
        let row = line.row;
        let mut read = |field: Option<(usize, &str)>,
                        rule: fn(Cell, At, &mut Vec<Finding>) -> Option<String>,
                        findings: &mut Vec<Finding>| {
            field.and_then(|(index, column)| rule(line.take(index), At { row, column }, findings))
        };
        let device = DeviceRow {
            row,
            serial_number: read(self.serial, rules::serial_number, findings),
            product_key: read(self.key, rules::product_key, findings),
            hardware_hash: read(self.hash, rules::hardware_hash, findings),
            manufacturer: read(self.manufacturer, rules::text, findings),
            model: read(self.model, rules::text, findings),
            group_tag: self.group_tag.and_then(|i| rules::group_tag(line.take(i))),
        };
        combination(&device, findings);
        findings.extend(self.repeats.check(&self.devices, &device));
        self.devices.push(device);
    }

    /// The devices, after the checks that need all of them.
    pub fn finish(self, findings: &mut Vec<Finding>) -> Vec<DeviceRow> {
        group_tags(&self.devices, findings);
        self.devices
    }
}

/// Partner Center takes a hash (with or without product key and serial), a product key
/// alone, or serial + manufacturer + model. Manufacturer and model only count together.
fn combination(device: &DeviceRow, findings: &mut Vec<Finding>) {
    let has = |v: &Option<String>| v.is_some();
    let hash = has(&device.hardware_hash);
    let key = has(&device.product_key);
    let serial = has(&device.serial_number);
    let tuple = serial && has(&device.manufacturer) && has(&device.model);
    if hash || tuple || (key && !serial) {
        return;
    }
    let (check, message) = if serial && (has(&device.manufacturer) || has(&device.model)) {
        let missing = if has(&device.manufacturer) {
            "model"
        } else {
            "manufacturer"
        };
        (
            Check::IncompleteTuple,
            format!(
                "A serial number counts only with both manufacturer and model, and the {missing} \
                 is empty. Add the {missing} exactly as the device reports it, or the hardware hash."
            ),
        )
    } else if key && serial {
        (
            Check::MissingIdentifiers,
            "A product key with a serial number is not a combination Partner Center accepts: \
             remove the serial number, or add the manufacturer and model, or the hardware hash."
                .to_string(),
        )
    } else if serial {
        (
            Check::MissingIdentifiers,
            "A serial number alone does not identify a device: add the manufacturer and model \
             (as the device reports them), or the hardware hash."
                .to_string(),
        )
    } else {
        (
            Check::MissingIdentifiers,
            "This row has no hardware hash, product key or serial number. Each device needs a \
             hardware hash, a product key, or serial number + manufacturer + model."
                .to_string(),
        )
    };
    findings.push(Finding::error(Some(device.row), None, check, message));
}

/// The repeats among `devices` (in row order), for checking again after rows were removed.
pub fn duplicate_findings(devices: &[DeviceRow]) -> Vec<Finding> {
    let mut repeats = Repeats::default();
    devices
        .iter()
        .enumerate()
        .filter_map(|(i, device)| repeats.check(&devices[..i], device))
        .collect()
}

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

    fn of(self, device: &DeviceRow) -> Option<(&str, &str, &str)> {
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

/// Every identity seen so far, as (hash, index of the first device with it). The table holds
/// indices rather than the strings so that devices can keep arriving; foldhash is seeded per
/// process, so a crafted file cannot make every hash collide.
#[derive(Default)]
struct Repeats {
    seen: HashTable<(u64, u32)>,
    hasher: DefaultHashBuilder,
}

impl Repeats {
    /// A device may appear once per upload: a repeat is an error that names the first row.
    /// `device` comes right after `earlier`; all its identities are remembered.
    fn check(&mut self, earlier: &[DeviceRow], device: &DeviceRow) -> Option<Finding> {
        let mut finding = None;
        for identity in Identity::ALL {
            let Some(value) = identity.of(device) else {
                continue;
            };
            let hash = self.hasher.hash_one((identity as u8, value));
            let first = self
                .seen
                .find(hash, |&(h, i)| {
                    h == hash && identity.of(&earlier[i as usize]) == Some(value)
                })
                .map(|&(_, i)| earlier[i as usize].row);
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
                        .insert_unique(hash, (hash, earlier.len() as u32), |&(h, _)| h);
                }
            }
        }
        finding
    }
}

/// Partner Center's batch name becomes the group tag of every device in it, so a per-row
/// group tag cannot be honoured: say so once, with the tags and their counts.
fn group_tags(devices: &[DeviceRow], findings: &mut Vec<Finding>) {
    let tags = group_tag_counts(devices);
    if tags.is_empty() {
        return;
    }
    let list: Vec<String> = tags
        .iter()
        .map(|(tag, n)| format!("“{tag}” ({n})"))
        .collect();
    let advice = if tags.len() > 1 {
        "Split the upload into one batch per tag to keep them."
    } else {
        "Name the batch after the tag to keep it."
    };
    findings.push(Finding::warning(
        None,
        None,
        Check::GroupTagPerRow,
        format!(
            "The file sets a group tag per row: {}. Partner Center uses the batch name as every \
             device's group tag, so these are not sent. {advice}",
            list.join(", ")
        ),
    ));
}

/// Each group tag in the upload with its number of rows, in name order.
pub fn group_tag_counts(devices: &[DeviceRow]) -> BTreeMap<String, usize> {
    let mut tags = BTreeMap::new();
    for tag in devices.iter().filter_map(|d| d.group_tag.as_ref()) {
        *tags.entry(tag.clone()).or_insert(0) += 1;
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::header::locate;
    use crate::ingest::known_devices::{already_registered, ExistingDevice};

    fn lines<'a>(rows: &[&[&'a str]]) -> Vec<Line<'a>> {
        rows.iter()
            .enumerate()
            .map(|(i, cells)| Line {
                row: i as u32 + 1,
                cells: cells.iter().map(|c| Cell::text(*c)).collect(),
            })
            .collect()
    }

    fn read(rows: &[&[&str]]) -> (Vec<DeviceRow>, Vec<Finding>) {
        let lines = lines(rows);
        let (layout, mut findings) = locate(&lines).unwrap();
        let mut reader = Reader::new(&layout);
        for line in lines.into_iter().skip(layout.first_data) {
            reader.push(line, &mut findings);
        }
        (reader.finish(&mut findings), findings)
    }

    fn checks_of(findings: &[Finding], row: u32) -> Vec<Check> {
        findings
            .iter()
            .filter(|f| f.row == Some(row))
            .map(|f| f.check)
            .collect()
    }

    fn hash(n: u8) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(vec![n; 150])
    }

    const HEADER: &[&str] = &[
        "Device Serial Number",
        "Windows Product ID",
        "Hardware Hash",
        "Manufacturer name",
        "Device model",
    ];

    #[test]
    fn the_six_combinations_pass_and_the_others_are_explained() {
        let (h1, h2, h3, h4) = (hash(1), hash(2), hash(3), hash(4));
        let (_, findings) = read(&[
            HEADER,
            &["", "3305012345670", &h1, "", ""],
            &["S2", "", &h2, "", ""],
            &["S3", "3305012345673", &h3, "", ""],
            &["", "", &h4, "", ""],
            &["", "3305012345675", "", "", ""],
            &["S7", "", "", "Dell Inc.", "Latitude 5440"],
            &["S8", "", "", "Dell Inc.", ""],
            &["S9", "3305012345679", "", "", ""],
            &["S10", "", "", "", ""],
            &["", "", "", "Dell Inc.", "Latitude 5440"],
        ]);
        for row in 2..=7 {
            assert_eq!(checks_of(&findings, row), vec![], "row {row}");
        }
        assert_eq!(checks_of(&findings, 8), vec![Check::IncompleteTuple]);
        assert_eq!(checks_of(&findings, 9), vec![Check::MissingIdentifiers]);
        assert_eq!(checks_of(&findings, 10), vec![Check::MissingIdentifiers]);
        assert_eq!(checks_of(&findings, 11), vec![Check::MissingIdentifiers]);
    }

    #[test]
    fn each_repeat_names_the_first_row() {
        let h = hash(1);
        let (devices, findings) = read(&[
            HEADER,
            &["", "", &h, "", ""],
            &["A", "", "", "HP", "EliteBook"],
            &["", "", &h, "", ""],
            &["A", "", "", "HP", "EliteBook"],
            &["A", "", "", "HP", "elitebook"],
            &["", "", &h, "", ""],
        ]);
        assert_eq!(devices.len(), 6);
        let repeats: Vec<(u32, &str)> = findings
            .iter()
            .filter(|f| f.check == Check::DuplicateInUpload)
            .map(|f| (f.row.unwrap(), f.message.as_str()))
            .collect();
        assert_eq!(repeats.len(), 3, "{repeats:?}");
        assert!(repeats[0].0 == 4 && repeats[0].1.contains("hardware hash as row 2"));
        assert!(repeats[1].0 == 5 && repeats[1].1.contains("as row 3"));
        assert!(repeats[2].0 == 7 && repeats[2].1.contains("row 2"));
    }

    #[test]
    fn group_tags_are_counted_and_explained_once() {
        let (h1, h2, h3) = (hash(1), hash(2), hash(3));
        let (devices, findings) = read(&[
            &[
                "Device Serial Number",
                "Windows Product ID",
                "Hardware Hash",
                "Group Tag",
            ],
            &["A", "", &h1, "Sales"],
            &["B", "", &h2, "Sales"],
            &["C", "", &h3, "Lab"],
        ]);
        let counts = group_tag_counts(&devices);
        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            vec![("Lab".to_string(), 1), ("Sales".to_string(), 2)]
        );
        let notes: Vec<_> = findings
            .iter()
            .filter(|f| f.check == Check::GroupTagPerRow)
            .collect();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("“Lab” (1), “Sales” (2)"));
        assert!(notes[0].message.contains("one batch per tag"));
    }

    #[test]
    fn devices_already_in_a_batch_are_flagged_by_key_or_tuple_and_probably_by_serial() {
        let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 80]);
        let (devices, _) = read(&[
            HEADER,
            &["", "3305012345670", "", "", ""],
            &["S1", "", "", "Dell Inc.", "Latitude"],
            &["S1", "", "", "Dell Inc.", "Precision"],
            &["s1", "", &hash, "", ""],
            &["S2", "", &hash, "", ""],
        ]);
        let existing = [
            ExistingDevice {
                batch: "Old".into(),
                product_key: Some("3305012345670".into()),
                ..Default::default()
            },
            ExistingDevice {
                batch: "Laptops".into(),
                serial_number: Some("S1".into()),
                manufacturer: Some("Dell Inc.".into()),
                model: Some("Latitude".into()),
                ..Default::default()
            },
        ];
        let flagged = already_registered(&devices, &existing);
        let rows: Vec<_> = flagged
            .iter()
            .map(|f| (f.row.unwrap(), f.message.contains("“Old”")))
            .collect();
        assert_eq!(rows, vec![(2, true), (3, false), (4, false), (5, false)]);
        // The same serial number with another model, or with a hash (which Partner Center
        // does not list): probably the same device, named as listed.
        let probably = "A device with this serial number (Dell Inc. Latitude), probably this one, \
                        is already in this customer's batch “Laptops”";
        assert!(
            !flagged[1].message.contains("probably"),
            "{}",
            flagged[1].message
        );
        assert!(
            flagged[2].message.starts_with(probably),
            "{}",
            flagged[2].message
        );
        assert!(
            flagged[3].message.starts_with(probably),
            "{}",
            flagged[3].message
        );
    }
}
