//! What an upload is as the dashboard holds it: the upload (an operation with what only an
//! upload has), what the reader said of its input, its rows with their findings and
//! outcomes, and which rows a page asks for. The tables they are read from and written to are
//! [`super::store`]'s.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::ingest::{DeviceRow, Finding};
use crate::model::uploads::{BatchTarget, RowOutcome, UploadSource};
use crate::server::operations::Operation;

/// Read back from its JSON column: a value that does not decode is a damaged row, said
/// loudly.
impl TryFrom<String> for InputReport {
    type Error = serde_json::Error;

    fn try_from(text: String) -> Result<Self, serde_json::Error> {
        serde_json::from_str(&text)
    }
}

impl InputReport {
    /// As its JSON column holds it.
    pub(super) fn to_column(&self) -> String {
        serde_json::to_string(self).expect("an input report is plain data, always written")
    }
}

/// What the reader said about the input as a whole, kept with the upload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputReport {
    /// [`Ingested::description`](crate::ingest::Ingested::description).
    #[serde(default)]
    pub description: String,
    pub format: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub header_row: Option<u32>,
    /// (header as written, field it was read as; `None` = ignored)
    pub columns: Vec<(String, Option<String>)>,
    /// Findings about the whole input (no row).
    pub findings: Vec<Finding>,
}

impl InputReport {
    /// A workbook with sheets besides the one read: the preview offers to read another, from
    /// the file kept with the draft.
    pub fn has_other_sheets(&self) -> bool {
        self.sheets.len() > 1
    }
}

/// An upload: the operation it is, and what only an upload has.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Upload {
    #[sqlx(flatten)]
    pub operation: Operation,
    pub source: UploadSource,
    pub file_name: Option<String>,
    pub target: BatchTarget,
    pub batch_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub report: InputReport,
}

/// A row as stored, with what was found about it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub device: DeviceRow,
    pub findings: Vec<Finding>,
    pub has_error: bool,
    pub excluded: bool,
    /// The part of the submission it was sent in.
    pub chunk: Option<i64>,
    /// What Partner Center did with the device, once it has finished with it.
    pub outcome: Option<DeviceOutcome>,
}

impl StoredRow {
    /// The error code Partner Center failed the device with, once it has.
    pub fn failed_with(&self) -> Option<&str> {
        self.outcome
            .as_ref()
            .filter(|o| !o.registered)
            .and_then(|o| o.error_code.as_deref())
    }
}

/// Partner Center's last word on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceOutcome {
    pub registered: bool,
    /// A ZTD error number such as `808`, or a name such as `ZtdDeviceDuplicated`.
    pub error_code: Option<String>,
    pub error_description: Option<String>,
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RowCounts {
    pub total: i64,
    pub excluded: i64,
    /// Included rows with an error: while non-zero, the upload cannot be submitted.
    pub errors: i64,
    pub warnings: i64,
}

impl RowCounts {
    /// Rows that would be sent.
    pub fn included(&self) -> i64 {
        self.total - self.excluded
    }
}

/// Which rows a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFilter {
    All,
    WithFindings,
    /// The rows sent (or to be sent): not removed in the preview.
    Included,
    Failed,
    /// Failed, but not as already registered: what a retry as it is can fix.
    Retryable,
    Registered,
}

impl RowFilter {
    /// The SQL that picks these rows of an upload's (`AND …`, or nothing).
    pub(super) fn condition(self) -> &'static str {
        match self {
            RowFilter::All => "",
            RowFilter::WithFindings => "AND findings <> '[]'",
            RowFilter::Included => "AND excluded = 0",
            RowFilter::Failed => "AND outcome = 'failed'",
            // outcomes::ALREADY_REGISTERED, negated (a condition here is a constant).
            RowFilter::Retryable => {
                "AND outcome = 'failed' AND COALESCE(error_code, '') NOT IN ('806', '808')"
            }
            RowFilter::Registered => "AND outcome = 'registered'",
        }
    }
}

/// By hand, not derived: the device's columns make ingest's `DeviceRow`, which knows no
/// database, and the outcome's columns are one optional group (all there once Partner Center
/// has finished with the device).
impl sqlx::FromRow<'_, sqlx::any::AnyRow> for StoredRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        let findings: String = row.try_get("findings")?;
        Ok(StoredRow {
            device: DeviceRow {
                row: row.try_get::<i64, _>("row_number")? as u32,
                serial_number: row.try_get("serial_number")?,
                product_key: row.try_get("product_key")?,
                hardware_hash: row.try_get("hardware_hash")?,
                manufacturer: row.try_get("manufacturer")?,
                model: row.try_get("model")?,
                group_tag: row.try_get("group_tag")?,
            },
            // A value that does not decode is a damaged row, said loudly.
            findings: serde_json::from_str(&findings).map_err(|e| sqlx::Error::ColumnDecode {
                index: "findings".into(),
                source: Box::new(e),
            })?,
            has_error: row.try_get::<i64, _>("has_error")? != 0,
            excluded: row.try_get::<i64, _>("excluded")? != 0,
            chunk: row.try_get("chunk")?,
            outcome: row
                .try_get::<Option<RowOutcome>, _>("outcome")?
                .map(|outcome| {
                    Ok::<_, sqlx::Error>(DeviceOutcome {
                        registered: outcome == RowOutcome::Registered,
                        error_code: row.try_get("error_code")?,
                        error_description: row.try_get("error_description")?,
                        device_id: row.try_get("device_id")?,
                    })
                })
                .transpose()?,
        })
    }
}
