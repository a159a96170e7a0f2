//! Lines → header → devices, the part every input shares: a sheet's rows or a text's lines
//! are handed over one at a time ([`Table::push`]), so that a text read in blocks never has
//! to be held whole, and a file is never held as cells and devices at once.

use super::grid::{Line, MAX_COLUMNS};
use super::header::{self, Field, Layout, HEADER_SEARCH_ROWS};
use super::report::{Check, Finding};
use super::validate::{Keep, Reader};
use super::{Format, Ingested, ReadError};

/// One table being read: its top lines until the header is found among them, then its
/// devices.
pub struct Table {
    max_rows: usize,
    keep: Keep,
    /// The rows cut at [`MAX_COLUMNS`] cells.
    wide: Vec<u32>,
    /// The first lines, kept until there are enough of them to look for the header.
    top: Vec<Line<'static>>,
    judged: Option<Judged>,
}

/// Once the header is found: where the columns are, and the devices read below it.
struct Judged {
    layout: Layout,
    reader: Reader,
    findings: Vec<Finding>,
}

impl Table {
    pub fn new(max_rows: usize, keep: Keep) -> Self {
        Self {
            max_rows,
            keep,
            wide: Vec::new(),
            top: Vec::new(),
            judged: None,
        }
    }

    /// The next line of the table.
    pub fn push(&mut self, mut line: Line<'_>) -> Result<(), ReadError> {
        if line.cells.len() > MAX_COLUMNS {
            line.cells.truncate(MAX_COLUMNS);
            self.wide.push(line.row);
        }
        match &mut self.judged {
            Some(judged) => judged.read(line, self.max_rows),
            None => {
                self.top.push(line.into_owned());
                if self.top.len() == HEADER_SEARCH_ROWS {
                    self.find_header()?;
                }
                Ok(())
            }
        }
    }

    fn find_header(&mut self) -> Result<&mut Judged, ReadError> {
        let top = std::mem::take(&mut self.top);
        let (layout, findings) = header::locate(&top).map_err(ReadError::NoHeader)?;
        let reader = Reader::new(&layout, self.keep);
        let first_data = layout.first_data;
        let judged = self.judged.insert(Judged {
            layout,
            reader,
            findings,
        });
        for line in top.into_iter().skip(first_data) {
            judged.read(line, self.max_rows)?;
        }
        Ok(judged)
    }

    /// The table read: its devices (unless only findings were kept) and every finding,
    /// file-level first, then by row.
    pub fn finish(mut self, format: Format) -> Result<Ingested, ReadError> {
        if self.judged.is_none() {
            self.find_header()?;
        }
        let Judged {
            layout,
            reader,
            mut findings,
        } = self.judged.expect("the header was found above");
        if let Some(first) = self.wide.first() {
            findings.push(Finding::warning(
                Some(*first),
                None,
                Check::TooManyColumns,
                format!(
                    "{} row(s), the first being row {first}, have more than {MAX_COLUMNS} cells; \
                     only the first {MAX_COLUMNS} were read.",
                    self.wide.len()
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
        let rows = reader.len();
        let devices = reader.finish(&mut findings);
        if rows == 0 {
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
            rows,
            devices,
            findings,
        })
    }
}

impl Judged {
    fn read(&mut self, line: Line<'_>, max_rows: usize) -> Result<(), ReadError> {
        if self.reader.len() == max_rows {
            return Err(ReadError::TooManyRows { limit: max_rows });
        }
        self.reader.push(line, &mut self.findings);
        Ok(())
    }
}

/// Reads every line of one table (a sheet, or typed rows); a line that cannot be read ends
/// the reading with its error.
pub fn read<'a>(
    lines: impl IntoIterator<Item = Result<Line<'a>, ReadError>>,
    format: Format,
    max_rows: usize,
    keep: Keep,
) -> Result<Ingested, ReadError> {
    let mut table = Table::new(max_rows, keep);
    for line in lines {
        table.push(line?)?;
    }
    table.finish(format)
}
