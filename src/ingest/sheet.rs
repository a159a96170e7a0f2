//! XLSX, XLS and ODS workbooks (calamine) → lines of cells, with the zip container checked
//! first so that a small file cannot unpack into gigabytes.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Sheets, Xlsx, XlsxCellReader};

use super::grid::{Cell, CellKind, Line, MAX_COLUMNS};
use super::{Limits, ReadError};

/// XLSX is read cell by cell as it streams, so a sheet whose cells sit far apart (A1 and
/// XFD1048576) costs what its cells cost, not what its rectangle would. XLS and ODS go
/// through calamine's whole-sheet range.
/// The bytes are borrowed: a 50 MB upload is not copied to be read.
pub enum Workbook<'a> {
    Xlsx(Xlsx<Cursor<&'a [u8]>>),
    Other(Sheets<Cursor<&'a [u8]>>),
}

impl<'a> Workbook<'a> {
    pub fn open(
        bytes: &'a [u8],
        xlsx: bool,
        zipped: bool,
        limits: &Limits,
    ) -> Result<Self, ReadError> {
        if zipped {
            check_container(bytes, limits)?;
        } else {
            check_xls_dimensions(bytes, limits)?;
        }
        let book = if xlsx {
            Workbook::Xlsx(Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e.into()))?)
        } else {
            Workbook::Other(
                calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
                    .map_err(|e| unreadable(&e))?,
            )
        };
        let count = book.names().len();
        if count > limits.max_sheets {
            return Err(ReadError::TooManySheets {
                count,
                limit: limits.max_sheets,
            });
        }
        Ok(book)
    }

    pub fn names(&self) -> Vec<String> {
        match self {
            Workbook::Xlsx(book) => book.sheet_names(),
            Workbook::Other(book) => book.sheet_names(),
        }
    }

    /// The sheet's rows, numbered as Excel shows them; empty rows dropped; at most
    /// [`MAX_COLUMNS`] + 1 cells a row (the reader reports wider rows). An XLSX sheet's rows
    /// come as its cells are read, their text borrowed from the workbook's shared strings.
    pub fn lines(&mut self, name: &str, max_rows: usize) -> Result<Lines<'_, 'a>, ReadError> {
        match self {
            Workbook::Xlsx(book) => Ok(Lines::Xlsx(Box::new(XlsxLines {
                cells: book
                    .worksheet_cells_reader(name)
                    .map_err(|e| unreadable(&e.into()))?,
                next: None,
                read: 0,
                max_rows,
                done: false,
            }))),
            Workbook::Other(book) => {
                Ok(Lines::Range(range_lines(book, name, max_rows)?.into_iter()))
            }
        }
    }
}

/// A sheet's rows, as [`Workbook::lines`] gives them: their text lives as long as `'s`, the
/// workbook's read of the upload's bytes (`'b`).
pub enum Lines<'s, 'b> {
    Xlsx(Box<XlsxLines<'s, 'b>>),
    Range(std::vec::IntoIter<Line<'static>>),
}

impl<'s> Iterator for Lines<'s, '_> {
    type Item = Result<Line<'s>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Lines::Xlsx(lines) => lines.next(),
            Lines::Range(lines) => lines.next().map(Ok),
        }
    }
}

/// An XLSX sheet's rows, each put together from its cells as the sheet's XML is read. Each
/// row is validated as it comes, while its text is still in the cache, and a sheet is never
/// held whole beside its devices.
pub struct XlsxLines<'s, 'b> {
    cells: XlsxCellReader<'s, Cursor<&'b [u8]>>,
    /// The first cell of the row after the one last given.
    next: Option<Placed<'s>>,
    read: usize,
    max_rows: usize,
    /// After the sheet's last cell or an error: the reader must not be asked again (the
    /// row being put together is still given).
    done: bool,
}

/// A cell with the row (as Excel numbers it) and the column it stands in.
type Placed<'s> = (u32, usize, Cell<'s>);

impl<'s> XlsxLines<'s, '_> {
    /// The next non-empty cell within [`MAX_COLUMNS`] + 1.
    fn next_cell(&mut self) -> Result<Option<Placed<'s>>, ReadError> {
        while let Some(found) = self.cells.next_cell().map_err(|e| unreadable(&e.into()))? {
            let (row, column) = found.get_position();
            let column = column as usize;
            if column > MAX_COLUMNS {
                continue;
            }
            let value = match found.get_value() {
                DataRef::SharedString(text) => Cell::text(*text),
                other => cell(Data::from(other.clone())),
            };
            if !value.text.trim().is_empty() {
                return Ok(Some((row + 1, column, value)));
            }
        }
        self.done = true;
        Ok(None)
    }

    fn next_line(&mut self) -> Result<Option<Line<'s>>, ReadError> {
        let first = match self.next.take() {
            Some(placed) => placed,
            None => match self.next_cell()? {
                Some(placed) => placed,
                None => return Ok(None),
            },
        };
        self.read += 1;
        if self.read > self.max_rows + HEADER_ALLOWANCE {
            return Err(ReadError::TooManyRows {
                limit: self.max_rows,
            });
        }
        let (row, column, value) = first;
        let mut line = Line {
            row,
            cells: Vec::new(),
        };
        put(&mut line, column, value);
        while let Some((row, column, value)) = self.next_cell()? {
            if row != line.row {
                self.next = Some((row, column, value));
                break;
            }
            put(&mut line, column, value);
        }
        Ok(Some(line))
    }
}

impl<'s> Iterator for XlsxLines<'s, '_> {
    type Item = Result<Line<'s>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_line().transpose();
        self.done |= !matches!(next, Some(Ok(_)));
        next
    }
}

/// Puts a cell in its column, with empty cells before it where the sheet had none.
fn put<'s>(line: &mut Line<'s>, column: usize, value: Cell<'s>) {
    if line.cells.len() <= column {
        line.cells.resize(column + 1, Cell::text(""));
    }
    line.cells[column] = value;
}

fn range_lines(
    book: &mut Sheets<Cursor<&[u8]>>,
    name: &str,
    max_rows: usize,
) -> Result<Vec<Line<'static>>, ReadError> {
    let range = book.worksheet_range(name).map_err(|e| unreadable(&e))?;
    let Some((first_row, _)) = range.start() else {
        return Ok(Vec::new());
    };
    if range.height() > max_rows + HEADER_ALLOWANCE {
        let filled = range
            .rows()
            .filter(|r| r.iter().any(|c| !matches!(c, Data::Empty)))
            .count();
        if filled > max_rows + HEADER_ALLOWANCE {
            return Err(ReadError::TooManyRows { limit: max_rows });
        }
    }
    let mut lines = Vec::with_capacity(range.height().min(max_rows + HEADER_ALLOWANCE));
    for (offset, row) in range.rows().enumerate() {
        let mut cells: Vec<Cell> = row
            .iter()
            .take(MAX_COLUMNS + 1)
            .map(|d| cell(d.clone()))
            .collect();
        while cells.last().is_some_and(|c| c.text.trim().is_empty()) {
            cells.pop();
        }
        if !cells.is_empty() {
            lines.push(Line {
                row: first_row + offset as u32 + 1,
                cells,
            });
        }
    }
    Ok(lines)
}

/// Title rows and the header come on top of the data rows the limit counts.
pub(super) const HEADER_ALLOWANCE: usize = 25;

/// A cell as text. Numbers are written as Excel would show them in a General cell (no
/// exponent for whole numbers that fit), and marked so the rules can warn about lost zeros.
fn cell(data: Data) -> Cell<'static> {
    match data {
        Data::Empty => Cell::text(""),
        Data::String(s) => Cell::text(s),
        Data::Int(i) => Cell {
            text: i.to_string().into(),
            kind: CellKind::Number,
        },
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Cell {
            text: format!("{f:.0}").into(),
            kind: CellKind::Number,
        },
        Data::Float(f) if f.abs() >= 1e15 => Cell {
            text: format!("{f:E}").replace('E', "E+").into(),
            kind: CellKind::Number,
        },
        Data::Float(f) => Cell {
            text: f.to_string().into(),
            kind: CellKind::Number,
        },
        Data::Error(e) => Cell {
            text: e.to_string().into(),
            kind: CellKind::ExcelError,
        },
        other => Cell::text(other.to_string()),
    }
}

fn unreadable(error: &calamine::Error) -> ReadError {
    let text = error.to_string();
    if text.to_ascii_lowercase().contains("password")
        || text.to_ascii_lowercase().contains("encrypt")
    {
        return ReadError::Encrypted;
    }
    ReadError::Unreadable(format!("the workbook could not be read ({text})"))
}

/// Refuses zip containers whose entries would unpack beyond the limit or that hold more
/// entries than any real workbook, before calamine inflates anything. The sizes are the
/// ones the central directory declares; the zip reader stops at them, so a lying entry
/// cannot inflate further.
fn check_container(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        ReadError::Unreadable(format!(
            "the file looks like a workbook but is damaged ({e})"
        ))
    })?;
    if archive.len() > limits.max_zip_entries {
        return Err(ReadError::TooManySheets {
            count: archive.len(),
            limit: limits.max_sheets,
        });
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| ReadError::Unreadable(format!("the workbook is damaged ({e})")))?;
        total = total.saturating_add(entry.size());
    }
    if total > limits.max_unpacked_bytes {
        return Err(ReadError::UnpacksTooLarge {
            limit: limits.max_unpacked_bytes,
        });
    }
    let shared_strings: Vec<usize> = (0..archive.len())
        .filter(|&index| {
            archive
                .name_for_index(index)
                .and_then(|name| name.ok())
                .is_some_and(|name| name.to_ascii_lowercase().ends_with("sharedstrings.xml"))
        })
        .collect();
    for index in shared_strings {
        check_shared_strings(&mut archive, index, limits)?;
    }
    if let Some(index) = archive.index_for_name("content.xml") {
        check_ods_cells(&mut archive, index, limits)?;
    }
    Ok(())
}

/// The most columns calamine makes of one ODS row, and the most rows of one table.
const ODS_MAX_COLUMNS: u64 = 16_384;
const ODS_MAX_ROWS: u64 = 1_048_576;

/// Refuses an ODS whose tables calamine would make into more cells than a device list could
/// use ([`Limits::max_shared_strings`]), before it reads them. calamine builds each row's
/// cells as it reads (a cell's `number-columns-repeated` copies included, up to 16,384 a row,
/// and any number of rows), then copies the table into one rectangle from its first to its
/// last row with a value, rows repeated by `number-rows-repeated` included, up to its own cap
/// of 100 million cells, twice over (values and formulas). Each is counted here from
/// `content.xml` as it unpacks, in constant memory, as calamine will count it or more (a cell
/// is taken for a value when it has any value attribute, a formula or content).
fn check_ods_cells(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limits: &Limits,
) -> Result<(), ReadError> {
    use quick_xml::events::Event;
    let damaged = |e: &dyn std::fmt::Display| {
        ReadError::Unreadable(format!("the spreadsheet is damaged ({e})"))
    };
    let limit = limits.max_shared_strings();
    let too_large = ReadError::SheetTooLarge {
        rows: limits.max_rows,
    };
    let entry = archive.by_index(index).map_err(|e| damaged(&e))?;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(entry));
    let mut buffer = Vec::new();
    let mut table = OdsTable::default();
    let mut read_cells: u64 = 0;
    let mut row: Option<OdsRow> = None;
    // Inside a cell's children (its text): nothing there changes the count.
    let mut depth_in_cell = 0_u32;
    loop {
        let event = xml.read_event_into(&mut buffer).map_err(|e| damaged(&e))?;
        match &event {
            Event::Eof => break,
            Event::Start(_) | Event::Empty(_) if depth_in_cell > 0 => {
                if matches!(event, Event::Start(_)) {
                    depth_in_cell += 1;
                }
            }
            Event::End(_) if depth_in_cell > 0 => depth_in_cell -= 1,
            Event::Start(e) | Event::Empty(e) => {
                let closed = matches!(event, Event::Empty(_));
                match e.name().as_ref() {
                    "table:table" => table = OdsTable::default(),
                    "table:table-row" => {
                        let repeats = repeat_count(e, "table:number-rows-repeated");
                        row = Some(OdsRow::new(repeats));
                        if closed {
                            if let Some(done) = row.take() {
                                read_cells = read_cells.saturating_add(table.add(done));
                            }
                        }
                    }
                    "table:table-cell" | "table:covered-table-cell" => {
                        let repeats = repeat_count(e, "table:number-columns-repeated");
                        let valued = !closed
                            || e.attributes().flatten().any(|a| {
                                let key = a.key.as_ref();
                                key.starts_with("office:") || key == "table:formula"
                            });
                        if let Some(row) = row.as_mut() {
                            row.cell(repeats, valued);
                        }
                        if !closed {
                            depth_in_cell = 1;
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(done) = row.take() {
                    read_cells = read_cells.saturating_add(table.add(done));
                }
            }
            _ => {}
        }
        if read_cells > limit || table.rectangle() > limit {
            return Err(too_large);
        }
        buffer.clear();
    }
    Ok(())
}

/// A `number-…-repeated` attribute (1 when absent; unreadable: as many as can be).
fn repeat_count(element: &quick_xml::events::BytesStart<'_>, name: &str) -> u64 {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map_or(1, |a| a.value.trim().parse::<u64>().unwrap_or(u64::MAX))
}

/// One row as calamine builds it: empty cells are kept only when a value follows them.
struct OdsRow {
    repeats: u64,
    cells: u64,
    empty_run: u64,
}

impl OdsRow {
    fn new(repeats: u64) -> OdsRow {
        OdsRow {
            repeats,
            cells: 0,
            empty_run: 0,
        }
    }

    fn cell(&mut self, repeats: u64, valued: bool) {
        if valued {
            let run = self.empty_run.saturating_add(repeats);
            self.cells = self.cells.saturating_add(run).min(ODS_MAX_COLUMNS);
            self.empty_run = 0;
        } else {
            self.empty_run = self.empty_run.saturating_add(repeats);
        }
    }
}

/// A table's rows so far: its rectangle runs from the first row with a value to the last.
#[derive(Default)]
struct OdsTable {
    rows: u64,
    /// Rows from the first with a value to the last, repeats included.
    spanned: u64,
    /// Empty rows since the last with a value (they count once a value follows).
    empty_run: u64,
    widest: u64,
}

impl OdsTable {
    /// Adds a row; returns the cells calamine builds while reading it.
    fn add(&mut self, row: OdsRow) -> u64 {
        let repeats = row.repeats.min(ODS_MAX_ROWS.saturating_sub(self.rows));
        self.rows = self.rows.saturating_add(repeats);
        if row.cells == 0 {
            if self.spanned > 0 {
                self.empty_run = self.empty_run.saturating_add(repeats);
            }
        } else {
            self.spanned = self
                .spanned
                .saturating_add(self.empty_run)
                .saturating_add(repeats);
            self.empty_run = 0;
            self.widest = self.widest.max(row.cells);
        }
        row.cells
    }

    fn rectangle(&self) -> u64 {
        self.spanned.saturating_mul(self.widest)
    }
}

/// Refuses an XLS whose sheets declare (in their `DIMENSIONS` record) more cells than a
/// device list could use, before calamine reads a sheet: it reserves room for every cell of
/// that rectangle at once, whatever the file holds, so a 6 KB file claiming a million rows of
/// 256 columns asked for 10 GB, and a rectangle whose last row comes before its first wrapped
/// round to billions. The same bound as shared strings: [`Limits::max_shared_strings`].
///
/// The records are read from the workbook stream one at a time (a few bytes each kept); a
/// file that is not a readable compound file is left for calamine to refuse in its words.
fn check_xls_dimensions(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    use std::io::Read;
    const DIMENSIONS: u16 = 0x0200;
    /// After it the records are encrypted: calamine refuses the workbook as protected.
    const FILEPASS: u16 = 0x002F;
    let Ok(mut file) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return Ok(());
    };
    let stream = ["/Workbook", "/Book"]
        .into_iter()
        .find_map(|name| file.open_stream(name).ok());
    let Some(stream) = stream else {
        return Ok(());
    };
    let mut records = std::io::BufReader::new(stream);
    let limit = limits.max_shared_strings();
    let mut head = [0u8; 4];
    while records.read_exact(&mut head).is_ok() {
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = u64::from(u16::from_le_bytes([head[2], head[3]]));
        if kind == FILEPASS {
            return Ok(());
        }
        if kind != DIMENSIONS {
            if std::io::copy(&mut (&mut records).take(len), &mut std::io::sink()).ok() != Some(len)
            {
                return Ok(());
            }
            continue;
        }
        let mut data = vec![0u8; len as usize];
        if records.read_exact(&mut data).is_err() {
            return Ok(());
        }
        if dimensions_cells(&data).is_some_and(|cells| cells > limit) {
            return Err(ReadError::SheetTooLarge {
                rows: limits.max_rows,
            });
        }
    }
    Ok(())
}

/// The cells of the rectangle a `DIMENSIONS` record declares, as calamine will size it
/// (`u64::MAX` for one that would wrap round); `None` for a record it does not read.
fn dimensions_cells(data: &[u8]) -> Option<u64> {
    let u16_at = |at: usize| u64::from(u16::from_le_bytes([data[at], data[at + 1]]));
    let u32_at = |at: usize| {
        u64::from(u32::from_le_bytes([
            data[at],
            data[at + 1],
            data[at + 2],
            data[at + 3],
        ]))
    };
    let (first_row, row_after, mut first_column, column_after) = match data.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
        _ => return None,
    };
    if first_column > 0xFF || column_after < first_column {
        first_column = 0;
    }
    if row_after == 0 || column_after == 0 {
        return Some(1);
    }
    // calamine: (last - first + 1) in u32, the last being `after - 1`.
    let rows = row_after.checked_sub(first_row).filter(|rows| *rows > 0);
    let columns = column_after.checked_sub(first_column).filter(|c| *c > 0);
    match (rows, columns) {
        (Some(rows), Some(columns)) => Some(rows.saturating_mul(columns)),
        _ => Some(u64::MAX),
    }
}

/// The fewest bytes one shared string takes that a reader keeps (`<si></si>`, or
/// `<si><t/></si>`): a part of `n` bytes holds at most `n / 9` of them.
const SMALLEST_STRING_ITEM: u64 = 9;

/// Refuses an XLSX's shared strings that would take more memory than any device list needs,
/// before calamine loads them (it holds them all at once, and reserves room for as many as the
/// part's `uniqueCount` claims, a number the file chooses). The count is bounded by
/// [`Limits::max_shared_strings`]:
/// - the `uniqueCount` the part declares is read from its first bytes;
/// - a part too small to hold more strings than that (as nearly every real workbook's is)
///   needs nothing more; a larger one is counted as it unpacks, in constant memory, and
///   refused as soon as the count passes the limit.
fn check_shared_strings(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limits: &Limits,
) -> Result<(), ReadError> {
    let limit = limits.max_shared_strings();
    let too_many = ReadError::TooManyStrings {
        limit,
        rows: limits.max_rows,
    };
    let damaged =
        |e: &dyn std::fmt::Display| ReadError::Unreadable(format!("the workbook is damaged ({e})"));
    let mut entry = archive.by_index(index).map_err(|e| damaged(&e))?;
    let large = entry.size() / SMALLEST_STRING_ITEM > limit;
    let mut counter = StringItems::default();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut kept = 0;
    loop {
        let read = std::io::Read::read(&mut entry, &mut buffer[kept..]).map_err(|e| damaged(&e))?;
        if read == 0 {
            return Ok(());
        }
        let filled = kept + read;
        let consumed = counter.scan(&buffer[..filled]);
        if counter.declared.is_some_and(|declared| declared > limit) || counter.items > limit {
            return Err(too_many);
        }
        if !large && counter.seen_table {
            // The declared count is known and the part is too small to hold too many.
            return Ok(());
        }
        buffer.copy_within(consumed..filled, 0);
        kept = filled - consumed;
        if kept == buffer.len() {
            // A tag name longer than the buffer: no shared-strings part has one.
            return Err(damaged(&"a tag of the shared strings never ends"));
        }
    }
}

/// Counts the `<si>` items of a shared-strings part (any namespace prefix) and reads the
/// `uniqueCount` its `<sst>` element declares, from pieces of the part in order.
#[derive(Default)]
struct StringItems {
    items: u64,
    declared: Option<u64>,
    seen_table: bool,
}

impl StringItems {
    /// Scans `data`; returns how many of its bytes are done with: the rest (a tag cut off at
    /// the end) must come again at the front of the next piece.
    fn scan(&mut self, data: &[u8]) -> usize {
        for start in memchr::memchr_iter(b'<', data) {
            let tag = &data[start + 1..];
            let Some(end) = tag.iter().position(|b| b" \t\r\n>/".contains(b)) else {
                return start;
            };
            let name = &tag[..end];
            let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
            if local == b"si" && tag[end] != b'/' {
                self.items += 1;
            } else if local == b"sst" && !self.seen_table {
                let Some(close) = memchr::memchr(b'>', tag) else {
                    return start;
                };
                self.declared = unique_count(&tag[..close]);
                self.seen_table = true;
            }
        }
        data.len()
    }
}

/// The `uniqueCount="…"` of an `<sst …>` start tag, if it has one (an unreadable number counts
/// as too many).
fn unique_count(tag: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(tag, b"uniqueCount=")?;
    let value = &tag[at + b"uniqueCount=".len()..];
    let quote = *value.first()?;
    let value = &value[1..];
    let close = memchr::memchr(quote, value)?;
    Some(
        std::str::from_utf8(&value[..close])
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(u64::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned(pieces: &[&[u8]]) -> StringItems {
        let mut counter = StringItems::default();
        let mut carried: Vec<u8> = Vec::new();
        for piece in pieces {
            carried.extend_from_slice(piece);
            let done = counter.scan(&carried);
            carried.drain(..done);
        }
        counter
    }

    #[test]
    fn an_ods_table_is_counted_as_the_reader_builds_it() {
        let mut table = OdsTable::default();
        // Leading empty rows, a header, a gap, a repeated row, then LibreOffice's trailing
        // empty rows: only the span with values counts.
        let mut empty = OdsRow::new(5);
        empty.cell(1024, false);
        assert_eq!(table.add(empty), 0);
        let mut header = OdsRow::new(1);
        header.cell(3, false);
        header.cell(2, true);
        assert_eq!(table.add(header), 5, "empty cells before a value are built");
        let mut gap = OdsRow::new(10);
        gap.cell(1024, false);
        table.add(gap);
        let mut repeated = OdsRow::new(4);
        repeated.cell(1, true);
        table.add(repeated);
        let mut trailing = OdsRow::new(1_048_000);
        trailing.cell(1024, false);
        table.add(trailing);
        assert_eq!(table.rectangle(), (1 + 10 + 4) * 5);
        let mut wide = OdsRow::new(1);
        wide.cell(u64::MAX, true);
        assert_eq!(wide.cells, ODS_MAX_COLUMNS);
    }

    #[test]
    fn a_dimensions_record_is_sized_as_the_reader_sizes_it() {
        let biff8 = |first: u32, after: u32, first_col: u16, col_after: u16| {
            let mut data = Vec::new();
            data.extend(first.to_le_bytes());
            data.extend(after.to_le_bytes());
            data.extend(first_col.to_le_bytes());
            data.extend(col_after.to_le_bytes());
            data.extend([0, 0]);
            data
        };
        assert_eq!(dimensions_cells(&biff8(0, 6, 0, 5)), Some(30));
        assert_eq!(
            dimensions_cells(&biff8(0, 1_000_000, 0, 256)),
            Some(256_000_000)
        );
        assert_eq!(
            dimensions_cells(&biff8(10, 5, 0, 5)),
            Some(u64::MAX),
            "wraps"
        );
        assert_eq!(dimensions_cells(&biff8(0, 0, 0, 0)), Some(1));
        assert_eq!(dimensions_cells(&[0; 12]), None);
    }

    #[test]
    fn string_items_are_counted_across_pieces_and_the_declared_count_is_read() {
        let part = br#"<?xml version="1.0"?><x:sst xmlns:x="a" count="9" uniqueCount='3'><x:si><x:t>a</x:t></x:si><si><t>b</t></si><si/><si ><t>c</t></si><sig/></x:sst>"#;
        for cut in 1..part.len() {
            let counter = scanned(&[&part[..cut], &part[cut..]]);
            assert_eq!(counter.items, 3, "cut at {cut}");
            assert_eq!(counter.declared, Some(3), "cut at {cut}");
        }
        assert_eq!(
            unique_count(br#"sst uniqueCount="4000000000""#),
            Some(4_000_000_000)
        );
        assert_eq!(unique_count(br#"sst uniqueCount="-1""#), Some(u64::MAX));
        assert_eq!(unique_count(br#"sst count="5""#), None);
    }
}
