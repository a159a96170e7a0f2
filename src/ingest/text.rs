//! Delimited text (CSV and its cousins, and rows pasted from Excel) → lines of cells.
//!
//! The splitter is our own rather than the csv crate's: cells borrow from the text instead of
//! being copied into a record, and `memchr` finds the end of a 4,000-character hash at
//! memory speed. It reads what Excel and RFC 4180 write: fields in double quotes may hold
//! delimiters, line breaks and doubled quotes; a quote inside an unquoted field is text.

use std::borrow::Cow;

use memchr::{memchr, memchr3};

use super::grid::{Cell, Line, MAX_COLUMNS};

const CANDIDATES: [u8; 3] = [b'\t', b';', b','];
const SAMPLE_LINES: usize = 20;

/// The lines of cells in `text`, split with the delimiter [`detect_delimiter`] picks (also
/// returned). Blank lines are dropped (their numbers are kept by the others), and trailing
/// empty cells too. Lazy: the caller checks each line as it comes.
pub fn lines(text: &str) -> (Splitter<'_>, u8) {
    let delimiter = detect_delimiter(text);
    (Splitter::new(text, delimiter), delimiter)
}

/// What ended a field.
#[derive(PartialEq)]
enum End {
    Delimiter,
    Line,
    Text,
}

/// The lines of a text, one at a time. Rows are numbered as a text editor numbers lines,
/// counting the breaks inside quoted fields and the blank lines that are skipped.
pub struct Splitter<'a> {
    text: &'a str,
    delimiter: u8,
    /// Where the next field starts.
    at: usize,
    /// The line `at` is on.
    line: u32,
    /// Whether the text ends where `text` does; if not, a line it cuts off is left for later.
    last: bool,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, delimiter: u8) -> Self {
        Self::resume(text, delimiter, 1, true)
    }

    /// Splits `text`, what is left of a longer text read in blocks, whose first line is line
    /// `line`. Unless `last` (nothing follows `text`), the line `text` ends in is not given:
    /// it is split again from its start once more of the text is there ([`Self::position`]).
    pub fn resume(text: &'a str, delimiter: u8, line: u32, last: bool) -> Self {
        Self {
            text,
            delimiter,
            at: 0,
            line,
            last,
        }
    }

    /// Where the lines given so far end in the text, and the number of the line there.
    pub fn position(&self) -> (usize, u32) {
        (self.at, self.line)
    }

    fn field(&mut self) -> (Cow<'a, str>, End) {
        if self.text.as_bytes().get(self.at) != Some(&b'"') {
            return self.unquoted();
        }
        let bytes = self.text.as_bytes();
        let mut from = self.at + 1;
        let mut unescaped = String::new();
        loop {
            let Some(quote) = memchr(b'"', &bytes[from..]).map(|i| from + i) else {
                // An unclosed quote runs to the end of the text, as in Excel.
                let piece = &self.text[from..];
                self.line += count_breaks(piece);
                self.at = self.text.len();
                return (joined(unescaped, piece, Cow::Borrowed("")), End::Text);
            };
            let piece = &self.text[from..quote];
            self.line += count_breaks(piece);
            if bytes.get(quote + 1) == Some(&b'"') {
                unescaped.push_str(piece);
                unescaped.push('"');
                from = quote + 2;
                continue;
            }
            // Whatever follows the closing quote up to the delimiter belongs to the field.
            self.at = quote + 1;
            let (rest, end) = self.unquoted();
            return (joined(unescaped, piece, rest), end);
        }
    }

    fn unquoted(&mut self) -> (Cow<'a, str>, End) {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let Some(stop) = memchr3(self.delimiter, b'\n', b'\r', &bytes[start..]).map(|i| start + i)
        else {
            self.at = bytes.len();
            return (Cow::Borrowed(&self.text[start..]), End::Text);
        };
        let field = Cow::Borrowed(&self.text[start..stop]);
        self.at = stop + 1;
        if bytes[stop] == self.delimiter {
            return (field, End::Delimiter);
        }
        if bytes[stop] == b'\r' && bytes.get(stop + 1) == Some(&b'\n') {
            self.at += 1;
        }
        self.line += 1;
        (field, End::Line)
    }
}

impl<'a> Iterator for Splitter<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        while self.at < self.text.len() {
            let (start, row) = (self.at, self.line);
            let mut cells = Vec::new();
            let mut cut_off = false;
            loop {
                let (text, end) = self.field();
                // One cell past the limit is kept, so the reader can say the row was cut.
                if cells.len() <= MAX_COLUMNS {
                    cells.push(Cell::text(text));
                }
                cut_off |= end == End::Text;
                if end != End::Delimiter {
                    break;
                }
            }
            // The text stops inside this line, or right after a CR whose LF may follow.
            let ends_in_cr = self.at == self.text.len() && self.text.ends_with('\r');
            if !self.last && (cut_off || ends_in_cr) {
                (self.at, self.line) = (start, row);
                return None;
            }
            while cells.last().is_some_and(|c| c.text.trim().is_empty()) {
                cells.pop();
            }
            if !cells.is_empty() {
                return Some(Line { row, cells });
            }
        }
        None
    }
}

/// A quoted field: the parts before doubled quotes (if any), the last quoted part, and what
/// followed the closing quote. Borrowed when there is only the one part.
fn joined<'a>(mut unescaped: String, piece: &'a str, rest: Cow<'a, str>) -> Cow<'a, str> {
    if unescaped.is_empty() && rest.is_empty() {
        return Cow::Borrowed(piece);
    }
    unescaped.push_str(piece);
    unescaped.push_str(&rest);
    Cow::Owned(unescaped)
}

/// Line breaks inside a quoted field: LF, CRLF, or a lone CR.
fn count_breaks(piece: &str) -> u32 {
    let bytes = piece.as_bytes();
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u32
}

/// Watches a text grow, block by block, until its start holds the lines [`detect_delimiter`]
/// looks at, whole: with them, it picks the delimiter it would pick from the whole text. Each
/// byte is looked at once however the text comes (a file of blank lines, which never gives
/// the sample, is not scanned again at every block).
#[derive(Debug, Default)]
pub struct Sample {
    /// Where the unfinished line starts: everything before is counted.
    looked_at: usize,
    lines: usize,
}

impl Sample {
    /// Whether `text`, the text of the last call grown at its end, holds the sample.
    pub fn is_whole(&mut self, text: &str) -> bool {
        while self.lines < SAMPLE_LINES {
            let Some(end) = memchr(b'\n', &text.as_bytes()[self.looked_at..]) else {
                break;
            };
            let line = &text[self.looked_at..=self.looked_at + end];
            if !line.trim().is_empty() {
                self.lines += 1;
            }
            self.looked_at += end + 1;
        }
        self.lines == SAMPLE_LINES
    }
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

    fn read(text: &str) -> (Vec<Line<'_>>, u8) {
        let (lines, delimiter) = lines(text);
        (lines.collect(), delimiter)
    }

    fn texts<'a>(lines: &'a [Line<'_>]) -> Vec<(u32, Vec<&'a str>)> {
        lines
            .iter()
            .map(|l| (l.row, l.cells.iter().map(|c| c.text.as_ref()).collect()))
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
        let (lines, delimiter) = read(text);
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
    fn quoted_fields_keep_delimiters_doubled_quotes_and_what_follows_them() {
        let text =
            "a;b;c\n\"x;y\";\"say \"\"hi\"\"\";\"q\"tail\nplain \"quote\";\"open\nto the end";
        let (lines, delimiter) = read(text);
        assert_eq!(delimiter, b';');
        assert_eq!(
            texts(&lines),
            vec![
                (1, vec!["a", "b", "c"]),
                (2, vec!["x;y", "say \"hi\"", "qtail"]),
                (3, vec!["plain \"quote\"", "open\nto the end"]),
            ]
        );
        // Only the fields that needed unescaping are copies.
        assert!(matches!(lines[2].cells[0].text, Cow::Borrowed(_)));
        assert!(matches!(lines[1].cells[1].text, Cow::Owned(_)));
    }

    #[test]
    fn old_mac_line_breaks_count_as_lines() {
        let (lines, _) = read("Serial,Hash\rA1,QUJD\r\rB2,\"x\ry\"\rC3,Z");
        assert_eq!(
            texts(&lines),
            vec![
                (1, vec!["Serial", "Hash"]),
                (2, vec!["A1", "QUJD"]),
                (4, vec!["B2", "x\ry"]),
                (6, vec!["C3", "Z"]),
            ]
        );
    }

    #[test]
    fn a_text_split_in_blocks_anywhere_gives_the_same_lines() {
        let text = "Serial,Hash\r\n\r\nA1,QUJD\r\n\"B,2\",\"multi\nline\"\r\nC3,X,,\rD4,\"say \"\"hi\"\"\"\n,,\r\n\r\nE5,\"open";
        let whole: Vec<(u32, Vec<String>)> = Splitter::new(text, b',')
            .map(|l| (l.row, l.cells.iter().map(|c| c.text.to_string()).collect()))
            .collect();
        for block in 1..=text.len() {
            let (mut lines, mut left, mut line) = (Vec::new(), String::new(), 1);
            let mut rest = text;
            while !rest.is_empty() {
                let mut cut = block.min(rest.len());
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                left.push_str(&rest[..cut]);
                rest = &rest[cut..];
                let mut splitter = Splitter::resume(&left, b',', line, rest.is_empty());
                for l in splitter.by_ref() {
                    lines.push((l.row, l.cells.iter().map(|c| c.text.to_string()).collect()));
                }
                let (at, next) = splitter.position();
                line = next;
                left.drain(..at);
            }
            assert_eq!(lines, whole, "in blocks of {block} bytes");
        }
    }

    #[test]
    fn the_sample_is_there_once_twenty_lines_are_whole_however_the_text_grows() {
        let lines = format!("\n \r\n{}", "a,b\n".repeat(SAMPLE_LINES));
        for block in 1..=lines.len() {
            let mut sample = Sample::default();
            let mut whole_at = None;
            for end in (block..lines.len() + block).step_by(block) {
                let end = end.min(lines.len());
                if sample.is_whole(&lines[..end]) {
                    whole_at.get_or_insert(end);
                }
            }
            // Only once the twentieth line's end is there: the end of the text.
            assert_eq!(whole_at, Some(lines.len()), "blocks of {block}");
        }
        let mut sample = Sample::default();
        assert!(
            !sample.is_whole(&lines[..lines.len() - 1]),
            "the last line unfinished"
        );
        assert!(
            !Sample::default().is_whole(&"\n".repeat(1000)),
            "blank lines"
        );
    }

    #[test]
    fn a_row_wider_than_the_limit_keeps_one_cell_past_it() {
        let text = format!("Serial,Hash\n{}\n", "x,".repeat(MAX_COLUMNS + 10));
        let (lines, _) = read(&text);
        assert_eq!(lines[1].cells.len(), MAX_COLUMNS + 1);
    }
}
