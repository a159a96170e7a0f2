//! Reading device lists the way people send them: bytes in, devices and findings out.
//!
//! Pure: no I/O, no clock, no network. The web upload, the paste box, the manual-entry form
//! and `ztd-dashboard check` all go through [`read_file`] (or [`read_pasted`] /
//! [`read_typed`]), so a file is judged the same everywhere.
//!
//! The steps: recognise the container by its first bytes ([`Format`]); turn it into lines of
//! cells ([`decode`] + [`text`], or [`sheet`]); find the header ([`header`]); check every cell
//! and row ([`rules`], [`validate`]).

mod blocks;
pub mod decode;
pub mod grid;
pub mod header;
pub mod identity;
pub mod known_devices;
mod repeats;
pub mod report;
pub mod rules;
pub mod sheet;
mod table;
pub mod text;
pub mod validate;
mod workbook_bounds;

use serde::{Deserialize, Serialize};

pub use header::{Column, Field};
pub use known_devices::{
    already_registered, not_checked, registered_elsewhere, ExistingDevice, IndexedMatch,
};
pub use repeats::duplicate_findings;
pub use report::{Check, Finding, Severity};
pub use validate::{group_tag_counts, DeviceRow, Keep};

use std::io::{Cursor, Read, Seek, SeekFrom};

use grid::{Cell, Line};

/// What a file may cost to read. The defaults suit a partner's largest orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_rows: usize,
    pub max_sheets: usize,
    pub max_zip_entries: usize,
    pub max_unpacked_bytes: u64,
}

impl Limits {
    /// The most shared strings (distinct texts) an XLSX may hold: every cell the reader could
    /// use, that is [`grid::MAX_COLUMNS`] cells on each of the rows it reads (the data rows
    /// and the title and header rows above them). A reader holds every shared string in
    /// memory at once, so this is what bounds it, not the row limit.
    pub fn max_shared_strings(&self) -> u64 {
        ((self.max_rows + sheet::HEADER_ALLOWANCE) * grid::MAX_COLUMNS) as u64
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: 50_000,
            max_sheets: 100,
            max_zip_entries: 1_000,
            max_unpacked_bytes: 400 * 1024 * 1024,
        }
    }
}

/// Why a file could not be read at all (as opposed to rows with errors). Each message says
/// what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("The file is empty.")]
    Empty,
    #[error("This is not a device list: it looks like {0}. Upload a CSV or text file, or an Excel (XLSX, XLS) or OpenDocument (ODS) spreadsheet.")]
    NotADeviceList(&'static str),
    #[error("The workbook is password-protected. Remove the password in Excel (File › Info › Protect Workbook), or save the sheet as CSV, and upload it again.")]
    Encrypted,
    #[error("The file has more than {limit} device rows. Split it into several files.")]
    TooManyRows { limit: usize },
    #[error("The workbook has {count} sheets or parts; at most {limit} are read. Copy the device sheet into a new workbook.")]
    TooManySheets { count: usize, limit: usize },
    #[error("The workbook would unpack to more than {} MB, far more than a device list needs. Save the device sheet on its own as CSV and upload that.", limit / (1024 * 1024))]
    UnpacksTooLarge { limit: u64 },
    #[error("The workbook holds more than {limit} different texts (its shared strings), more than {rows} rows of 256 cells could use. Save the device sheet on its own as CSV or in a new workbook, and upload that.")]
    TooManyStrings { limit: u64, rows: usize },
    #[error("A sheet of the workbook claims more cells than {rows} rows of 256 cells, far more than a device list needs. Save the device sheet on its own as CSV or in a new workbook, and upload that.")]
    SheetTooLarge { rows: usize },
    #[error("The workbook has no sheet called “{0}”.")]
    NoSuchSheet(String),
    #[error("{0}")]
    NoHeader(String),
    #[error("The file has a header row but no device rows below it.")]
    NoDeviceRows,
    #[error("The file could not be read: {0}. Save it again as CSV (UTF-8) and upload that.")]
    Unreadable(String),
}

/// The container, recognised from the first bytes (never from the file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Xlsx,
    Xls,
    Ods,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Text => "delimited text",
            Format::Xlsx => "Excel workbook (XLSX)",
            Format::Xls => "Excel 97–2003 workbook (XLS)",
            Format::Ods => "OpenDocument spreadsheet (ODS)",
        }
    }
}

/// Everything a preview or a `check` report shows about one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ingested {
    pub format: Format,
    /// Text only.
    pub encoding: Option<String>,
    /// Text only: `comma`, `semicolon` or `tab`.
    pub delimiter: Option<String>,
    /// Spreadsheets only: the sheet read, and the workbook's sheets.
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub header_row: Option<u32>,
    pub columns: Vec<Column>,
    /// Device rows read (blank lines are not rows).
    pub rows: usize,
    /// Those devices, unless only the findings were kept ([`Keep::FindingsOnly`]).
    pub devices: Vec<DeviceRow>,
    /// File-level findings first, then by row.
    pub findings: Vec<Finding>,
}

impl Ingested {
    /// Rows with at least one error.
    pub fn invalid_rows(&self) -> usize {
        let mut rows: Vec<u32> = self
            .findings
            .iter()
            .filter(|f| f.is_error())
            .filter_map(|f| f.row)
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    }

    pub fn valid_rows(&self) -> usize {
        self.rows - self.invalid_rows()
    }

    /// How the input was read, in one line: "Excel workbook (XLSX), sheet “Devices”, header on
    /// row 2".
    pub fn description(&self) -> String {
        let mut how = vec![self.format.label().to_string()];
        how.extend(self.encoding.clone());
        how.extend(self.delimiter.as_ref().map(|d| format!("{d}-separated")));
        how.extend(self.sheet.as_ref().map(|s| format!("sheet “{s}”")));
        how.push(match self.header_row {
            Some(row) => format!("header on row {row}"),
            None => "no header row".to_string(),
        });
        how.join(", ")
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The findings about one row, for the preview table.
    pub fn findings_for(&self, row: u32) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.row == Some(row))
    }
}

/// Reads an uploaded file. `sheet` picks a workbook sheet; by default the first sheet with a
/// recognisable header is read.
pub fn read_file(
    bytes: &[u8],
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Ingested, ReadError> {
    read_from(&mut Cursor::new(bytes), sheet, limits, Keep::Devices)
}

/// Reads a file from its start, as [`read_file`] does: a workbook whole (its format needs
/// it), a text in blocks, so that with [`Keep::FindingsOnly`] what is held does not grow
/// with the file.
pub fn read_from(
    input: &mut (impl Read + Seek),
    sheet: Option<&str>,
    limits: &Limits,
    keep: Keep,
) -> Result<Ingested, ReadError> {
    let unreadable = |error: std::io::Error| ReadError::Unreadable(error.to_string());
    let mut start = Vec::new();
    input
        .by_ref()
        .take(MAGIC_BYTES as u64)
        .read_to_end(&mut start)
        .map_err(unreadable)?;
    input.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    if !is_workbook(&start) {
        if let Some(what) = not_a_device_list(&start) {
            return Err(ReadError::NotADeviceList(what));
        }
        return blocks::read_text(input, limits, keep);
    }
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(unreadable)?;
    let format = workbook_format(&bytes)?;
    read_workbook(&bytes, format, sheet, limits, keep)
}

/// Reads rows pasted into the text box (tab-separated when copied from Excel).
pub fn read_pasted(text: &str, limits: &Limits) -> Result<Ingested, ReadError> {
    read_file(text.as_bytes(), None, limits)
}

/// A device typed into the upload form (or a stored row sent again), in Partner Center's five
/// columns; an empty cell is an empty string, as in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedRow {
    pub serial_number: String,
    pub product_key: String,
    pub hardware_hash: String,
    pub manufacturer: String,
    pub model: String,
}

impl TypedRow {
    /// The cells, in the order of [`read_typed`]'s header.
    fn cells(&self) -> [&str; 5] {
        [
            &self.serial_number,
            &self.product_key,
            &self.hardware_hash,
            &self.manufacturer,
            &self.model,
        ]
    }

    /// Nothing typed in any cell.
    pub fn is_blank(&self) -> bool {
        self.cells().iter().all(|cell| cell.trim().is_empty())
    }

    /// The cell of the column at `index` in that order; `None` past the fifth.
    pub fn cell_mut(&mut self, index: usize) -> Option<&mut String> {
        match index {
            0 => Some(&mut self.serial_number),
            1 => Some(&mut self.product_key),
            2 => Some(&mut self.hardware_hash),
            3 => Some(&mut self.manufacturer),
            4 => Some(&mut self.model),
            _ => None,
        }
    }
}

impl From<DeviceRow> for TypedRow {
    fn from(row: DeviceRow) -> Self {
        TypedRow {
            serial_number: row.serial_number.unwrap_or_default(),
            product_key: row.product_key.unwrap_or_default(),
            hardware_hash: row.hardware_hash.unwrap_or_default(),
            manufacturer: row.manufacturer.unwrap_or_default(),
            model: row.model.unwrap_or_default(),
        }
    }
}

/// Typed rows, judged exactly like a file with Partner Center's five columns.
pub fn read_typed(rows: &[TypedRow]) -> Result<Ingested, ReadError> {
    let header = [
        Field::SerialNumber,
        Field::ProductKey,
        Field::HardwareHash,
        Field::Manufacturer,
        Field::Model,
    ];
    let mut lines = vec![Line {
        row: 1,
        cells: header.iter().map(|f| Cell::text(f.label())).collect(),
    }];
    lines.extend(rows.iter().enumerate().map(|(i, row)| Line {
        row: i as u32 + 2,
        cells: row.cells().into_iter().map(Cell::text).collect(),
    }));
    let mut ingested = table::read(
        lines.into_iter().map(Ok),
        Format::Text,
        rows.len(),
        Keep::Devices,
    )?;
    ingested.encoding = None;
    Ok(ingested)
}

fn read_workbook(
    bytes: &[u8],
    format: Format,
    wanted: Option<&str>,
    limits: &Limits,
    keep: Keep,
) -> Result<Ingested, ReadError> {
    let mut workbook =
        sheet::Workbook::open(bytes, format == Format::Xlsx, format != Format::Xls, limits)?;
    let names = workbook.names();
    let judged = match wanted {
        Some(name) => {
            let name = names
                .iter()
                .find(|n| n.as_str() == name)
                .ok_or_else(|| ReadError::NoSuchSheet(name.to_string()))?;
            Some((
                name,
                table::read(
                    workbook.lines(name, limits.max_rows)?,
                    format,
                    limits.max_rows,
                    keep,
                ),
            ))
        }
        // The first sheet with a header row, else the first sheet, whose top then says why
        // it has none. Only each sheet's top rows are read to find out.
        None => {
            let mut first_refusal = None;
            let mut found = None;
            for name in &names {
                let mut lines = workbook.lines(name, limits.max_rows)?;
                let top = lines
                    .by_ref()
                    .take(header::HEADER_SEARCH_ROWS)
                    .collect::<Result<Vec<_>, _>>()?;
                match header::locate(&top) {
                    Ok(_) => {
                        let lines = top.into_iter().map(Ok).chain(lines);
                        let judged = table::read(lines, format, limits.max_rows, keep);
                        found = Some((name, judged));
                        break;
                    }
                    Err(message) => {
                        first_refusal.get_or_insert((name, Err(ReadError::NoHeader(message))));
                    }
                }
            }
            found.or(first_refusal)
        }
    };
    let Some((name, judged)) = judged else {
        return Err(ReadError::NoHeader("The workbook has no sheets.".into()));
    };
    let name = name.clone();
    let mut ingested = judged.map_err(|e| match e {
        ReadError::NoHeader(message) if names.len() > 1 => {
            ReadError::NoHeader(format!("No sheet has a device header row. {message}"))
        }
        other => other,
    })?;
    let others = names.len() - 1;
    if others > 0 {
        ingested.findings.insert(
            0,
            Finding::warning(
                None,
                None,
                Check::OtherSheetsIgnored,
                format!("Sheet “{name}” was read; the workbook's {others} other sheet(s) were not. Pick another sheet if the devices are there."),
            ),
        );
    }
    ingested.sheet = Some(name);
    ingested.sheets = names;
    Ok(ingested)
}

/// The most bytes of a file's start that say what it is.
const MAGIC_BYTES: usize = 8;
const ZIP: &[u8] = b"PK\x03\x04";
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// A zip (XLSX, ODS) or an OLE compound file (XLS): a workbook, or refused as what it is.
fn is_workbook(start: &[u8]) -> bool {
    start.starts_with(ZIP) || start.starts_with(OLE)
}

/// Which workbook the container is, from what it holds (never from the file name).
fn workbook_format(bytes: &[u8]) -> Result<Format, ReadError> {
    if bytes.starts_with(ZIP) {
        let has = |name: &[u8]| memchr::memmem::find(bytes, name).is_some();
        return if has(b"xl/workbook") {
            Ok(Format::Xlsx)
        } else if has(b"opendocument.spreadsheet") || has(b"content.xml") {
            Ok(Format::Ods)
        } else if has(b"word/") {
            Err(ReadError::NotADeviceList("a Word document"))
        } else {
            Err(ReadError::NotADeviceList("a zip archive"))
        };
    }
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let encrypted = utf16("EncryptedPackage");
    if memchr::memmem::find(bytes, &encrypted).is_some() {
        return Err(ReadError::Encrypted);
    }
    Ok(Format::Xls)
}

/// What a file that is neither a workbook nor text is, from its first bytes; text is
/// anything else (UTF-16 has NULs, so it is left to the decoder).
fn not_a_device_list(start: &[u8]) -> Option<&'static str> {
    let magic: [(&[u8], &str); 4] = [
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"\x1F\x8B", "a gzip archive"),
    ];
    magic
        .iter()
        .find(|(m, _)| start.starts_with(m))
        .map(|(_, what)| *what)
}
