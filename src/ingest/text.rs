//! Delimited text (CSV and its cousins, and rows pasted from Excel) → lines of cells.

use super::grid::{Cell, Line, MAX_COLUMNS};
use super::ReadError;

const CANDIDATES: [u8; 3] = [b'\t', b';', b','];
const SAMPLE_LINES: usize = 20;

/// Splits `text` into lines of cells with the delimiter [`detect_delimiter`] picks. Blank
/// lines are dropped (their numbers are kept by the others); trailing empty cells too.
pub fn read(text: &str, max_rows: usize) -> Result<(Vec<Line>, u8), ReadError> {
    let delimiter = detect_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    // The csv crate's own line numbers lag behind blank lines and CRLF endings, so lines are
    // counted here: from where the record's bytes begin, past the line breaks before it.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1u32);
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            ReadError::Unreadable(format!("the text could not be split into rows: {e}"))
        })?;
        if !more {
            break;
        }
        let mut start = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .max(counted_to);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += bytes[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u32;
        counted_to = start;
        let row = line;
        let mut cells: Vec<Cell> = record
            .iter()
            .take(MAX_COLUMNS + 1)
            .map(Cell::text)
            .collect();
        while cells.last().is_some_and(|c| c.text.trim().is_empty()) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        if lines.len() == max_rows + 1 {
            return Err(ReadError::TooManyRows { limit: max_rows });
        }
        lines.push(Line { row, cells });
    }
    Ok((lines, delimiter))
}

/// The candidate (tab, semicolon, comma) that splits the most of the first lines into the
/// same number of cells; a comma when none splits anything (a one-column file). Counting
/// ignores delimiters inside double quotes.
pub fn detect_delimiter(text: &str) -> u8 {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SAMPLE_LINES)
        .collect();
    let mut best = (0usize, 0usize, b',');
    for candidate in CANDIDATES {
        let counts: Vec<usize> = sample
            .iter()
            .map(|l| count_outside_quotes(l, candidate))
            .collect();
        // The most frequent non-zero count, and how many lines have it.
        let mut mode = (0usize, 0usize);
        for &count in counts.iter().filter(|c| **c > 0) {
            let lines = counts.iter().filter(|c| **c == count).count();
            if (lines, count) > mode {
                mode = (lines, count);
            }
        }
        if (mode.0, mode.1) > (best.0, best.1) {
            best = (mode.0, mode.1, candidate);
        }
    }
    best.2
}

fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    line.bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == delimiter && !quoted
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<(u32, Vec<&str>)> {
        lines
            .iter()
            .map(|l| (l.row, l.cells.iter().map(|c| c.text.as_str()).collect()))
            .collect()
    }

    #[test]
    fn comma_semicolon_and_tab_are_detected() {
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(detect_delimiter("Hardware Hash\nQUJD\n"), b',');
    }

    #[test]
    fn commas_inside_quotes_do_not_fool_the_detection() {
        let text = "\"Dell Inc., Ltd\";Latitude\n\"HP, Inc.\";EliteBook\n";
        assert_eq!(detect_delimiter(text), b';');
    }

    #[test]
    fn a_title_line_above_the_header_does_not_change_the_delimiter() {
        let text = "Autopilot devices\nSerial;Model;Manufacturer\n1;2;3\n";
        assert_eq!(detect_delimiter(text), b';');
    }

    #[test]
    fn rows_keep_the_numbers_a_text_editor_shows() {
        let text = "Serial,Hash\r\n\r\nA1,QUJD\r\n\"B,2\",\"multi\nline\"\r\nC3,X,,\r\n,,\r\n\r\n";
        let (lines, delimiter) = read(text, 100).unwrap();
        assert_eq!(delimiter, b',');
        assert_eq!(
            texts(&lines),
            vec![
                (1, vec!["Serial", "Hash"]),
                (3, vec!["A1", "QUJD"]),
                (4, vec!["B,2", "multi\nline"]),
                (6, vec!["C3", "X"]),
            ]
        );
    }

    #[test]
    fn too_many_rows_is_refused() {
        let text = "Serial\n1\n2\n3\n";
        assert!(read(text, 3).is_ok());
        assert_eq!(
            read(text, 2).unwrap_err(),
            ReadError::TooManyRows { limit: 2 }
        );
    }
}
