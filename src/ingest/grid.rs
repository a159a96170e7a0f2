//! The common shape every input is turned into before headers are matched: rows of cells,
//! each row with the number a person sees beside it.

/// Cells read per row. Device lists have a handful of columns; a line far wider than this
/// is not one, and its cells are not all kept (the reader says so).
pub const MAX_COLUMNS: usize = 256;

/// How a spreadsheet stored a cell. Text files only have `Text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Text,
    /// Stored as a number: Excel may already have dropped leading zeros or digits.
    Number,
    /// An Excel error value such as `#N/A`.
    ExcelError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub kind: CellKind,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kind: CellKind::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based: the line in a text editor, the row in Excel.
    pub row: u32,
    pub cells: Vec<Cell>,
}

impl Line {
    /// Whether every cell is empty after trimming (blank lines and `,,,` lines).
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.text.trim().is_empty())
    }

    pub fn cell(&self, index: usize) -> Option<&Cell> {
        self.cells.get(index)
    }
}
