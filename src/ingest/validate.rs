//! Rows → devices: each cell through its rule, then the checks that need the whole row
//! (identifier combinations) or the whole upload (duplicates, group tags).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::grid::{Cell, Line};
use super::header::{Field, Layout};
use super::repeats::Repeats;
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

/// Whether the devices read are kept, or only judged: `ztd-dashboard check` reports on a file
/// without holding its devices, so what it holds does not grow with the file (only a digest
/// per row for the repeat check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Devices,
    FindingsOnly,
}

/// Turns data lines into devices one at a time, checking each cell, each row, and each row
/// against the rows before it. One line at a time, so that a 4,000-character hash is
/// checked, copied and hashed for the repeat check while it is still in the CPU's cache.
pub struct Reader {
    serial: Option<(usize, String)>,
    key: Option<(usize, String)>,
    hash: Option<(usize, String)>,
    manufacturer: Option<(usize, String)>,
    model: Option<(usize, String)>,
    group_tag: Option<usize>,
    repeats: Repeats,
    keep: Keep,
    devices: Vec<DeviceRow>,
    /// Devices read, kept or not.
    read: usize,
    group_tags: BTreeMap<String, usize>,
}

impl Reader {
    pub fn new(layout: &Layout, keep: Keep) -> Self {
        let column = |field: Field| {
            layout.index_of(field).map(|i| {
                let name = layout.header_of(field).unwrap_or(field.label());
                (i, name.to_string())
            })
        };
        Self {
            serial: column(Field::SerialNumber),
            key: column(Field::ProductKey),
            hash: column(Field::HardwareHash),
            manufacturer: column(Field::Manufacturer),
            model: column(Field::Model),
            group_tag: layout.index_of(Field::GroupTag),
            repeats: Repeats::default(),
            keep,
            devices: Vec::new(),
            read: 0,
            group_tags: BTreeMap::new(),
        }
    }

    /// Devices read so far, kept or not.
    pub fn len(&self) -> usize {
        self.read
    }

    pub fn is_empty(&self) -> bool {
        self.read == 0
    }

    /// Reads one data line; its cells' text moves into the device.
    pub fn push(&mut self, mut line: Line, findings: &mut Vec<Finding>) {
        if line.is_blank() {
            return;
        }
        let row = line.row;
        let mut read = |field: &Option<(usize, String)>,
                        rule: fn(Cell, At, &mut Vec<Finding>) -> Option<String>,
                        findings: &mut Vec<Finding>| {
            field.as_ref().and_then(|(index, column)| {
                let at = At {
                    row,
                    column: column.as_str(),
                };
                rule(line.take(*index), at, findings).map(Cow::Owned)
            })
        };
        let serial_number = read(&self.serial, rules::serial_number, findings);
        let product_key = read(&self.key, rules::product_key, findings);
        let manufacturer = read(&self.manufacturer, rules::text, findings);
        let model = read(&self.model, rules::text, findings);
        let hardware_hash = self.hash.as_ref().and_then(|(index, column)| {
            let at = At {
                row,
                column: column.as_str(),
            };
            rules::hardware_hash(line.take(*index), at, findings)
        });
        let values = Values {
            row,
            serial_number,
            product_key,
            hardware_hash,
            manufacturer,
            model,
        };
        combination(&values, findings);
        findings.extend(self.repeats.check(&values));
        let group_tag = self.group_tag.and_then(|i| rules::group_tag(line.take(i)));
        if let Some(tag) = &group_tag {
            *self.group_tags.entry(tag.clone()).or_insert(0) += 1;
        }
        self.read += 1;
        if self.keep == Keep::Devices {
            self.devices.push(values.into_device(group_tag));
        }
    }

    /// The devices (none when only findings were kept), after the checks that need all of
    /// them.
    pub fn finish(self, findings: &mut Vec<Finding>) -> Vec<DeviceRow> {
        group_tags(&self.group_tags, findings);
        self.devices
    }
}

/// One row's values as the checks see them, borrowed from the line where they can be: a
/// device is made of them only when devices are kept ([`Keep`]).
pub(super) struct Values<'a> {
    pub(super) row: u32,
    pub(super) serial_number: Option<Cow<'a, str>>,
    pub(super) product_key: Option<Cow<'a, str>>,
    pub(super) hardware_hash: Option<Cow<'a, str>>,
    pub(super) manufacturer: Option<Cow<'a, str>>,
    pub(super) model: Option<Cow<'a, str>>,
}

impl<'a> Values<'a> {
    fn into_device(self, group_tag: Option<String>) -> DeviceRow {
        DeviceRow {
            row: self.row,
            serial_number: self.serial_number.map(Cow::into_owned),
            product_key: self.product_key.map(Cow::into_owned),
            hardware_hash: self.hardware_hash.map(Cow::into_owned),
            manufacturer: self.manufacturer.map(Cow::into_owned),
            model: self.model.map(Cow::into_owned),
            group_tag,
        }
    }

    pub(super) fn of(device: &'a DeviceRow) -> Self {
        let borrowed = |value: &'a Option<String>| value.as_deref().map(Cow::Borrowed);
        Values {
            row: device.row,
            serial_number: borrowed(&device.serial_number),
            product_key: borrowed(&device.product_key),
            hardware_hash: borrowed(&device.hardware_hash),
            manufacturer: borrowed(&device.manufacturer),
            model: borrowed(&device.model),
        }
    }
}

/// Partner Center takes a hash (with or without product key and serial), a product key
/// alone, or serial + manufacturer + model. Manufacturer and model only count together.
fn combination(device: &Values, findings: &mut Vec<Finding>) {
    let has = |v: &Option<Cow<str>>| v.is_some();
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

/// Partner Center's batch name becomes the group tag of every device in it, so a per-row
/// group tag cannot be honoured: say so once, with the tags and their counts.
fn group_tags(tags: &BTreeMap<String, usize>, findings: &mut Vec<Finding>) {
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
        let mut reader = Reader::new(&layout, Keep::Devices);
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
