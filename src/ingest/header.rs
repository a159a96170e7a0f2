//! Which column holds what: header names as the tools people use write them.

use serde::{Deserialize, Serialize};

use super::grid::Line;
use super::report::{Check, Finding};

/// How far down a header is looked for (ConfigMgr and hand-made sheets put titles above it).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The columns the dashboard's own downloads add beside the device columns (the failed rows,
/// the full report). A downloaded file uploaded again reads them silently as ignored.
pub const REPORT_COLUMNS: [&str; 4] = ["Row", "Status", "Error code", "Explanation"];

/// The columns a device export adds beside the device columns (where each device is, and
/// what it has). An export uploaded again reads them silently as ignored.
pub const EXPORT_COLUMNS: [&str; 5] = [
    "Customer",
    "Batch",
    "Autopilot profile",
    "Uploaded",
    "Device id",
];

/// A column of the dashboard's own downloads or exports, which a device list read back
/// ignores without a word.
pub fn is_report_column(name: &str) -> bool {
    REPORT_COLUMNS
        .iter()
        .chain(EXPORT_COLUMNS.iter())
        .any(|column| column.eq_ignore_ascii_case(name.trim()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    SerialNumber,
    ProductKey,
    HardwareHash,
    Manufacturer,
    Model,
    GroupTag,
    AssignedUser,
}

impl Field {
    /// The column names Partner Center's own upload uses, for messages and downloads.
    pub fn label(self) -> &'static str {
        match self {
            Field::SerialNumber => "Device Serial Number",
            Field::ProductKey => "Windows Product ID",
            Field::HardwareHash => "Hardware Hash",
            Field::Manufacturer => "Manufacturer name",
            Field::Model => "Device model",
            Field::GroupTag => "Group Tag",
            Field::AssignedUser => "Assigned User",
        }
    }

    /// Get-WindowsAutopilotInfo's column order, used for files without a header.
    pub const HEADERLESS_ORDER: [Field; 5] = [
        Field::SerialNumber,
        Field::ProductKey,
        Field::HardwareHash,
        Field::GroupTag,
        Field::AssignedUser,
    ];

    /// Matches a header cell, ignoring case, spaces, `_`, `-` and `.`: Get-WindowsAutopilotInfo
    /// and Intune (`Device Serial Number`, `Windows Product ID`, `Hardware Hash`, `Group Tag`,
    /// `Assigned User`), Partner Center (`Manufacturer name`, `Device model`), the API
    /// (`serialNumber`, `productKey`, `hardwareHash`, `oemManufacturerName`, `modelName`),
    /// Graph (`hardwareIdentifier`, `groupTag`, `assignedUserPrincipalName`, `orderIdentifier`)
    /// and the short forms people type.
    pub fn from_header(name: &str) -> Option<Field> {
        let key: String = name
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match key.as_str() {
            "deviceserialnumber" | "serialnumber" | "serial" | "serialno" | "sn" => {
                Field::SerialNumber
            }
            "windowsproductid" | "productid" | "productkey" | "pkid" | "productkeyid" => {
                Field::ProductKey
            }
            "hardwarehash" | "hardwareidentifier" | "hash" | "hwhash" | "4khh" => {
                Field::HardwareHash
            }
            "manufacturername"
            | "manufacturer"
            | "oemmanufacturername"
            | "oemmanufacturer"
            | "make" => Field::Manufacturer,
            "devicemodel" | "model" | "modelname" => Field::Model,
            "grouptag" | "orderid" | "orderidentifier" => Field::GroupTag,
            "assigneduser" | "assigneduserprincipalname" | "userprincipalname" => {
                Field::AssignedUser
            }
            _ => return None,
        })
    }
}

/// One column of the input and what it was taken for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// 0-based position.
    pub index: usize,
    /// The header as written, or the assumed name when the file has no header.
    pub header: String,
    /// `None`: not used (unknown, or a repeat of an earlier column).
    pub field: Option<Field>,
}

/// Where the data starts and what each column means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Index into the lines of the first data line.
    pub first_data: usize,
    /// The header's row number, `None` for a file without a header.
    pub header_row: Option<u32>,
    pub columns: Vec<Column>,
}

impl Layout {
    pub fn index_of(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .find(|c| c.field == Some(field))
            .map(|c| c.index)
    }

    pub fn header_of(&self, field: Field) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.field == Some(field))
            .map(|c| c.header.as_str())
    }
}

/// Finds the header among the first rows: the first row in which at least one cell names a
/// known column and at least half of the non-empty cells do. Without one, a first row whose
/// third cell looks like a hardware hash is read in Get-WindowsAutopilotInfo's order.
pub fn locate(lines: &[Line]) -> Result<(Layout, Vec<Finding>), String> {
    let mut findings = Vec::new();
    let header_at = lines.iter().take(HEADER_SEARCH_ROWS).position(|line| {
        let filled = line
            .cells
            .iter()
            .filter(|c| !c.text.trim().is_empty() && !is_report_column(&c.text))
            .count();
        let known = line
            .cells
            .iter()
            .filter(|c| Field::from_header(c.text.trim()).is_some())
            .count();
        known >= 1 && known * 2 >= filled
    });
    let Some(at) = header_at else {
        return headerless(lines);
    };
    let header = &lines[at];
    if at > 0 {
        let rows = &lines[..at];
        let message = match (rows.first(), rows.last()) {
            (Some(first), Some(last)) if first.row != last.row => format!(
                "Rows {}–{} above the header (row {}) were skipped as titles.",
                first.row, last.row, header.row
            ),
            _ => format!(
                "Row {} above the header (row {}) was skipped as a title.",
                rows[0].row, header.row
            ),
        };
        findings.push(Finding::warning(
            Some(rows[0].row),
            None,
            Check::TitleRowsSkipped,
            message,
        ));
    }
    let mut columns = Vec::with_capacity(header.cells.len());
    for (index, cell) in header.cells.iter().enumerate() {
        let name = cell.text.trim().to_string();
        let mut field = Field::from_header(&name);
        if let Some(wanted) = field {
            if let Some(first) = columns.iter().find(|c: &&Column| c.field == Some(wanted)) {
                findings.push(Finding::warning(
                    Some(header.row),
                    Some(&name),
                    Check::RepeatedColumn,
                    format!(
                        "Column “{name}” repeats “{}” ({}); only the first one is read.",
                        first.header,
                        wanted.label()
                    ),
                ));
                field = None;
            }
        } else if !name.is_empty() && !is_report_column(&name) {
            findings.push(Finding::warning(
                Some(header.row),
                Some(&name),
                Check::UnknownColumn,
                format!(
                    "Column “{name}” is not a device field Partner Center takes; it was ignored."
                ),
            ));
        }
        columns.push(Column {
            index,
            header: name,
            field,
        });
    }
    Ok((
        Layout {
            first_data: at + 1,
            header_row: Some(header.row),
            columns,
        },
        findings,
    ))
}

fn headerless(lines: &[Line]) -> Result<(Layout, Vec<Finding>), String> {
    let first = lines
        .iter()
        .find(|l| !l.is_blank())
        .ok_or_else(|| "The file has no rows.".to_string())?;
    let third_is_hash = first.cell(2).map(|c| c.text.trim()).is_some_and(|t| {
        t.len() >= 64
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    });
    if !third_is_hash || first.cells.len() > Field::HEADERLESS_ORDER.len() {
        return Err(format!(
            "No header row was found in the first {HEADER_SEARCH_ROWS} rows. Put the column \
             names in the first row, for example: Device Serial Number,Windows Product ID,\
             Hardware Hash (Get-WindowsAutopilotInfo) or Device Serial Number,Windows Product \
             ID,Hardware Hash,Manufacturer name,Device model (Partner Center)."
        ));
    }
    let columns = Field::HEADERLESS_ORDER
        .iter()
        .enumerate()
        .map(|(index, field)| Column {
            index,
            header: field.label().to_string(),
            field: Some(*field),
        })
        .collect();
    let finding = Finding::warning(
        None,
        None,
        Check::NoHeaderRow,
        "The file has no header row; its columns were read in Get-WindowsAutopilotInfo's order: \
         Device Serial Number, Windows Product ID, Hardware Hash, Group Tag, Assigned User."
            .to_string(),
    );
    Ok((
        Layout {
            first_data: 0,
            header_row: None,
            columns,
        },
        vec![finding],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::grid::Cell;

    fn line<'a>(row: u32, cells: &[&'a str]) -> Line<'a> {
        Line {
            row,
            cells: cells.iter().map(|c| Cell::text(*c)).collect(),
        }
    }

    fn fields(layout: &Layout) -> Vec<Option<Field>> {
        layout.columns.iter().map(|c| c.field).collect()
    }

    #[test]
    fn every_known_spelling_is_matched() {
        use Field::*;
        let cases = [
            ("Device Serial Number", SerialNumber),
            ("serialNumber", SerialNumber),
            ("SERIAL NUMBER", SerialNumber),
            ("Windows Product ID", ProductKey),
            ("productKey", ProductKey),
            ("Product ID", ProductKey),
            ("Hardware Hash", HardwareHash),
            ("hardwareIdentifier", HardwareHash),
            ("Manufacturer name", Manufacturer),
            ("Manufacturer Name", Manufacturer),
            ("oemManufacturerName", Manufacturer),
            ("Manufacturer", Manufacturer),
            ("Device model", Model),
            ("Device Model", Model),
            ("modelName", Model),
            ("Model", Model),
            ("Group Tag", GroupTag),
            ("OrderID", GroupTag),
            ("Assigned User", AssignedUser),
        ];
        for (name, field) in cases {
            assert_eq!(Field::from_header(name), Some(field), "{name}");
        }
        assert_eq!(Field::from_header("Notes"), None);
    }

    #[test]
    fn title_rows_are_skipped_and_reported() {
        let lines = [
            line(1, &["Windows Autopilot devices"]),
            line(2, &["Exported 2026-11-20"]),
            line(4, &["Serial Number", "Manufacturer", "Model"]),
            line(5, &["S1", "Dell Inc.", "Latitude"]),
        ];
        let (layout, findings) = locate(&lines).unwrap();
        assert_eq!(layout.first_data, 3);
        assert_eq!(layout.header_row, Some(4));
        assert_eq!(findings[0].check, Check::TitleRowsSkipped);
        assert!(findings[0]
            .message
            .starts_with("Rows 1–2 above the header (row 4)"));
    }

    #[test]
    fn unknown_and_repeated_columns_are_ignored_with_a_warning() {
        let lines = [line(
            1,
            &["Serial", "Notes", "Serial Number", "Hardware Hash"],
        )];
        let (layout, findings) = locate(&lines).unwrap();
        use Field::*;
        assert_eq!(
            fields(&layout),
            vec![Some(SerialNumber), None, None, Some(HardwareHash)]
        );
        let checks: Vec<_> = findings.iter().map(|f| f.check).collect();
        assert_eq!(checks, vec![Check::UnknownColumn, Check::RepeatedColumn]);
    }

    #[test]
    fn a_headerless_autopilot_export_is_read_in_its_column_order() {
        let hash = "Q".repeat(100);
        let lines = [line(1, &["PF0ABC12", "", &hash])];
        let (layout, findings) = locate(&lines).unwrap();
        assert_eq!(layout.first_data, 0);
        assert_eq!(layout.index_of(Field::HardwareHash), Some(2));
        assert_eq!(findings[0].check, Check::NoHeaderRow);
    }

    #[test]
    fn a_file_without_header_or_hash_is_refused_with_examples() {
        let lines = [line(1, &["a", "b"]), line(2, &["c", "d"])];
        let message = locate(&lines).unwrap_err();
        assert!(message.contains("Device Serial Number,Windows Product ID,Hardware Hash"));
    }
}
