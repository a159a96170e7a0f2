//! `ztd-dashboard check FILE... [--json]`: the upload's reader and validator, without
//! signing in, so OEMs and technicians can test a file before sending it.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use crate::ingest::{self, Ingested, Keep, Limits, ReadError, Severity};

/// Exit status: 0 every row valid, 1 some row has an error, 2 some file unreadable.
pub fn run(paths: &[impl AsRef<Path>], as_json: bool) -> (String, u8) {
    let limits = Limits::default();
    let results: Vec<(String, Result<Ingested, ReadError>)> = paths
        .iter()
        .map(|path| {
            let path = path.as_ref();
            let name = path.display().to_string();
            // Read as the web upload reads it, but only the findings kept: a text file is
            // read in blocks, so what is held does not grow with the file.
            let result = std::fs::File::open(path)
                .map_err(|e| ReadError::Unreadable(e.to_string()))
                .and_then(|mut file| {
                    ingest::read_from(&mut file, None, &limits, Keep::FindingsOnly)
                });
            (name, result)
        })
        .collect();
    let status = results
        .iter()
        .map(|(_, r)| match r {
            Err(_) => 2,
            Ok(ingested) if ingested.has_errors() => 1,
            Ok(_) => 0,
        })
        .max()
        .unwrap_or(0);
    let output = if as_json {
        let files: Vec<Value> = results.iter().map(|(name, r)| to_json(name, r)).collect();
        serde_json::to_string_pretty(&json!({ "files": files })).unwrap_or_default() + "\n"
    } else {
        results.iter().map(|(name, r)| to_text(name, r)).collect()
    };
    (output, status)
}

fn to_json(name: &str, result: &Result<Ingested, ReadError>) -> Value {
    match result {
        Err(error) => json!({ "file": name, "error": error.to_string() }),
        Ok(ingested) => json!({
            "file": name,
            "format": ingested.format,
            "encoding": ingested.encoding,
            "delimiter": ingested.delimiter,
            "sheet": ingested.sheet,
            "headerRow": ingested.header_row,
            "header": ingested.columns,
            "rows": ingested.rows,
            "valid": ingested.valid_rows(),
            "invalid": ingested.invalid_rows(),
            "issues": ingested.findings,
        }),
    }
}

fn to_text(name: &str, result: &Result<Ingested, ReadError>) -> String {
    let mut out = String::new();
    let ingested = match result {
        Err(error) => {
            let _ = writeln!(out, "{name}: cannot be read. {error}\n");
            return out;
        }
        Ok(ingested) => ingested,
    };
    let _ = writeln!(out, "{name}: {}", ingested.description());
    let columns: Vec<String> = ingested
        .columns
        .iter()
        .filter(|c| !c.header.is_empty())
        .map(|c| match c.field {
            Some(field) => format!("{} → {}", c.header, field.label()),
            None => format!("{} (ignored)", c.header),
        })
        .collect();
    let _ = writeln!(out, "  columns: {}", columns.join("; "));
    let (rows, invalid) = (ingested.rows, ingested.invalid_rows());
    let _ = writeln!(
        out,
        "  {rows} device row(s): {} valid, {invalid} with errors",
        rows - invalid
    );
    for finding in &ingested.findings {
        let place = match (finding.row, &finding.column) {
            (Some(row), Some(column)) => format!("row {row}, {column}"),
            (Some(row), None) => format!("row {row}"),
            (None, _) => "file".to_string(),
        };
        let severity = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "  {place}: {severity}: {} [{}]",
            finding.message,
            finding.check.code()
        );
    }
    out.push('\n');
    out
}
