//! Reading device lists the way people send them: bytes in, devices and findings out.
//!
//! Pure: no I/O, no clock, no network. The web upload, the paste box, the manual-entry form
//! and `ztd-dashboard check` all go through [`read_file`] (or [`read_pasted`] /
//! [`read_typed`]), so a file is judged the same everywhere.
//!
//! The steps: recognise the container by its first bytes ([`Format`]); turn it into lines of
//! cells ([`decode`] + [`text`], or [`sheet`]); find the header ([`header`]); check every cell
//! and row ([`rules`], [`validate`]).

pub mod decode;
pub mod grid;
pub mod header;
pub mod identity;
pub mod known_devices;
pub mod report;
pub mod rules;
pub mod sheet;
pub mod text;
pub mod validate;
mod workbook_bounds;

use serde::{Deserialize, Serialize};

pub use header::{Column, Field};
pub use known_devices::{
    already_registered, not_checked, registered_elsewhere, ExistingDevice, IndexedMatch,
};
pub use report::{Check, Finding, Severity};
pub use validate::{duplicate_findings, group_tag_counts, DeviceRow};

use grid::{Cell, Line, MAX_COLUMNS};

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
        self.devices.len() - self.invalid_rows()
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
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty);
    }
    match sniff(bytes)? {
        Format::Text => read_text(bytes, limits),
        format => read_workbook(bytes, format, sheet, limits),
    }
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
    let mut ingested = read_devices(lines.into_iter().map(Ok), Format::Text, rows.len())?;
    ingested.encoding = None;
    Ok(ingested)
}

/// How much of a text is looked at for the NUL bytes that mark a binary file.
const BINARY_SNIFF_BYTES: usize = 8_000;

fn read_text(bytes: &[u8], limits: &Limits) -> Result<Ingested, ReadError> {
    let decoded = decode::decode(bytes);
    // A NUL near the start is what binary files have and text never does (git's test). One
    // further in lands in a cell, where the rules report it as a control character.
    let start = &decoded.text.as_bytes()[..decoded.text.len().min(BINARY_SNIFF_BYTES)];
    if memchr::memchr(0, start).is_some() {
        return Err(ReadError::NotADeviceList("a binary file"));
    }
    let (lines, delimiter) = text::lines(&decoded.text);
    let mut ingested = read_devices(lines.map(Ok), Format::Text, limits.max_rows)?;
    ingested.encoding = Some(decoded.encoding.to_string());
    ingested.delimiter = Some(
        match delimiter {
            b'\t' => "tab",
            b';' => "semicolon",
            _ => "comma",
        }
        .to_string(),
    );
    if decoded.guessed {
        ingested.findings.insert(
            0,
            Finding::warning(
                None,
                None,
                Check::EncodingGuessed,
                format!(
                    "The file does not say its encoding; it was read as {}. If accented letters \
                     look wrong below, save it as “CSV UTF-8” and upload it again.",
                    decoded.encoding
                ),
            ),
        );
    }
    Ok(ingested)
}

fn read_workbook(
    bytes: &[u8],
    format: Format,
    wanted: Option<&str>,
    limits: &Limits,
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
                read_devices(
                    workbook.lines(name, limits.max_rows)?,
                    format,
                    limits.max_rows,
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
                        found = Some((name, read_devices(lines, format, limits.max_rows)));
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

/// Lines → header → devices, the part every input shares. The lines are read one at a
/// time after the header: a file is never held as cells and devices at once. A line that
/// cannot be read ends the reading with its error.
fn read_devices<'a>(
    lines: impl IntoIterator<Item = Result<Line<'a>, ReadError>>,
    format: Format,
    max_rows: usize,
) -> Result<Ingested, ReadError> {
    let mut wide = Vec::new();
    let mut cut = |mut line: Line<'a>| {
        if line.cells.len() > MAX_COLUMNS {
            line.cells.truncate(MAX_COLUMNS);
            wide.push(line.row);
        }
        line
    };
    let mut lines = lines.into_iter();
    let top: Vec<Line> = lines
        .by_ref()
        .take(header::HEADER_SEARCH_ROWS)
        .map(|line| line.map(&mut cut))
        .collect::<Result<_, _>>()?;
    let (layout, mut findings) = header::locate(&top).map_err(ReadError::NoHeader)?;
    let mut reader = validate::Reader::new(&layout);
    for line in top
        .into_iter()
        .skip(layout.first_data)
        .map(Ok)
        .chain(lines.map(|line| line.map(&mut cut)))
    {
        let line = line?;
        if reader.len() == max_rows {
            return Err(ReadError::TooManyRows { limit: max_rows });
        }
        reader.push(line, &mut findings);
    }
    if let Some(first) = wide.first() {
        findings.push(Finding::warning(
            Some(*first),
            None,
            Check::TooManyColumns,
            format!(
                "{} row(s), the first being row {first}, have more than {MAX_COLUMNS} cells; only \
                 the first {MAX_COLUMNS} were read.",
                wide.len()
            ),
        ));
    }
    if layout.index_of(Field::AssignedUser).is_some() {
        findings.push(Finding::warning(
            None,
            layout.header_of(Field::AssignedUser),
            Check::AssignedUserIgnored,
            "The Assigned User column is for Intune; Partner Center does not take it, so it is not sent.".into(),
        ));
    }
    let devices = reader.finish(&mut findings);
    if devices.is_empty() {
        return Err(ReadError::NoDeviceRows);
    }
    findings.sort_by_key(|f| (f.row.is_some(), f.row));
    Ok(Ingested {
        format,
        encoding: None,
        delimiter: None,
        sheet: None,
        sheets: Vec::new(),
        header_row: layout.header_row,
        columns: layout.columns,
        devices,
        findings,
    })
}

/// Recognises the container from its magic bytes; text is anything else without NULs
/// (UTF-16 has NULs, so it is left to the decoder).
fn sniff(bytes: &[u8]) -> Result<Format, ReadError> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
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
    if bytes.starts_with(OLE) {
        let utf16 = |s: &str| {
            s.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let encrypted = utf16("EncryptedPackage");
        if memchr::memmem::find(bytes, &encrypted).is_some() {
            return Err(ReadError::Encrypted);
        }
        return Ok(Format::Xls);
    }
    let magic: [(&[u8], &str); 4] = [
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"\x1F\x8B", "a gzip archive"),
    ];
    if let Some((_, what)) = magic.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Err(ReadError::NotADeviceList(what));
    }
    Ok(Format::Text)
}
