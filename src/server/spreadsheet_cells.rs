//! Cells of the files the dashboard writes for spreadsheets (the failed rows and the report
//! of an upload, the device exports): every value a spreadsheet would run as a formula is
//! defused the one way, which the dashboard's own reader undoes when the file comes back.

use std::borrow::Cow;

/// A value a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return: OWASP's list) with an apostrophe in front; any other value as it is.
pub fn defused(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// One CSV cell: [`defused`], and quoted when it holds a comma, quote or line break.
pub fn cell(value: &str) -> String {
    let guarded = defused(value);
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded.into_owned()
    }
}

/// One CSV line of `cells`, ended the way spreadsheets expect (`\r\n`).
pub fn line(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|c| cell(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused_and_quoted_when_needed() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("\tcmd"), "'\tcmd");
        assert_eq!(cell("\rcmd"), "\"'\rcmd\"");
        assert_eq!(cell("PF0ABC12"), "PF0ABC12");
        assert_eq!(cell("HP, Inc."), "\"HP, Inc.\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(defused("=1+1"), "'=1+1");
    }
}
