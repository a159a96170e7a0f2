//! XLSX, XLS and ODS workbooks (calamine) → lines of cells, with the zip container checked
//! first so that a small file cannot unpack into gigabytes.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Sheets, Xlsx, XlsxCellReader};

use super::grid::{Cell, CellKind, Line, MAX_COLUMNS};
use super::workbook_bounds::{check_container, check_xls_dimensions};
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
