//! One line of `make bench`'s table. The `pages` benchmark prints the table and writes it to
//! `BENCHMARKS.md`; a benchmark run before it leaves its lines in
//! `target/criterion/<name>.lines.json` for it to take in, so that the run ends in one table.

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct Line {
    pub measurement: String,
    pub compared_with: String,
    pub value: String,
    pub budget: String,
    /// `None`: reported, with no budget.
    pub met: Option<bool>,
}

fn path(name: &str) -> String {
    format!("target/criterion/{name}.lines.json")
}

/// Leaves `lines` for the `pages` benchmark's table.
#[allow(dead_code)]
pub fn save(name: &str, lines: &[Line]) {
    let _ = std::fs::create_dir_all("target/criterion");
    let text = serde_json::to_string_pretty(lines).expect("lines are JSON");
    std::fs::write(path(name), text).expect("the lines can be written");
}

/// The lines benchmark `name` left; one missed line saying so when it left none.
#[allow(dead_code)]
pub fn load(name: &str) -> Vec<Line> {
    load_measured_by(name, &format!("cargo bench --bench {name}"))
}

/// The lines `command` left under `name`; one missed line saying so when it left none.
#[allow(dead_code)]
pub fn load_measured_by(name: &str, command: &str) -> Vec<Line> {
    std::fs::read_to_string(path(name))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| {
            vec![Line {
                measurement: format!("the {name} measurement"),
                compared_with: "—".into(),
                value: format!("not measured (run `{command}` first)"),
                budget: "—".into(),
                met: Some(false),
            }]
        })
}
