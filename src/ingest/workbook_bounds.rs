//! What a workbook may make the reader hold, checked before calamine loads any of it: the
//! zip container's entries and sizes, an XLSX's shared strings, an XLS's declared
//! dimensions and an ODS table's cells. Each bound is the cells the reader could use,
//! `(upload_max_rows + 25) × 256`, so a real workbook passes and a small hostile one cannot
//! make the server allocate gigabytes.

use std::io::Cursor;

use super::{Limits, ReadError};

/// Refuses zip containers whose entries would unpack beyond the limit or that hold more
/// entries than any real workbook, before calamine inflates anything. The sizes are the
/// ones the central directory declares; the zip reader stops at them, so a lying entry
/// cannot inflate further.
pub(super) fn check_container(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
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
pub(super) fn check_xls_dimensions(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
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
