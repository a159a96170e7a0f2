//! The PostgreSQL server the benchmarks measure on (`scripts/postgres.sh`), and the line a
//! table gets when none answers.

use std::process::Command;

use crate::lines::Line;

/// The server's address, when one answers.
pub fn url() -> Option<String> {
    Command::new("bash")
        .args(["scripts/postgres.sh", "url"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|url| !url.is_empty())
}

/// `what` was not measured on PostgreSQL: a missed line, so that the table says so.
pub fn not_measured(what: &str, budget: &str) -> Line {
    Line {
        measurement: format!("{what} on PostgreSQL"),
        compared_with: "—".into(),
        value: "not measured: no PostgreSQL server answers (`scripts/postgres.sh start`)".into(),
        budget: budget.into(),
        met: Some(false),
    }
}
