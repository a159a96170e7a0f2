//! The common shape every input is turned into before headers are matched: rows of cells,
//! each row with the number a person sees beside it.
//!
//! Cells borrow from the decoded text where they can (a 40 MB CSV is mostly hashes, and
//! copying them costs as much as reading the file); XLSX cells borrow from the workbook's
//! shared strings; other spreadsheet cells own their text.

use std::borrow::Cow;

/// Cells read per row. Device lists have a handful of columns; a line far wider than this
/// is not one, and its cells are not all kept (the reader says so).
pub const MAX_COLUMNS: usize = 256;

/// How a spreadsheet stored a cell. Text files only have `Text`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CellKind {
    #[default]
    Text,
    /// Stored as a number: Excel may already have dropped leading zeros or digits.
    Number,
    /// An Excel error value such as `#N/A`.
    ExcelError,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell<'a> {
    pub text: Cow<'a, str>,
    pub kind: CellKind,
}

impl<'a> Cell<'a> {
    pub fn text(text: impl Into<Cow<'a, str>>) -> Self {
        Self {
            text: text.into(),
            kind: CellKind::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based: the line in a text editor, the row in Excel.
    pub row: u32,
    pub cells: Vec<Cell<'a>>,
}

impl<'a> Line<'a> {
    /// Whether every cell is empty after trimming (blank lines and `,,,` lines).
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.text.trim().is_empty())
    }

    pub fn cell(&self, index: usize) -> Option<&Cell<'a>> {
        self.cells.get(index)
    }

    /// The same line owning its text, to outlive what it was read from.
    pub fn into_owned(self) -> Line<'static> {
        let cells = self.cells.into_iter();
        Line {
            row: self.row,
            cells: cells
                .map(|cell| Cell {
                    text: Cow::Owned(cell.text.into_owned()),
                    kind: cell.kind,
                })
                .collect(),
        }
    }

    /// Moves a cell out (an empty one if the line is shorter), for the rules to keep its text.
    pub fn take(&mut self, index: usize) -> Cell<'a> {
        self.cells
            .get_mut(index)
            .map(std::mem::take)
            .unwrap_or_default()
    }
}
