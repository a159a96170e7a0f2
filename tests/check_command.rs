//! `ztd-dashboard check`: the real binary on real files, its report and its exit status.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;

fn write(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn check(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ztd-dashboard"))
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

fn hash() -> String {
    base64::engine::general_purpose::STANDARD.encode([9u8; 4000])
}

#[test]
fn a_clean_file_exits_0_with_a_readable_report() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        &dir,
        "good.csv",
        format!(
            "Device Serial Number,Windows Product ID,Hardware Hash\nPF1,,{}\n",
            hash()
        )
        .as_bytes(),
    );
    let (status, report) = check(&[good.as_os_str()]);
    assert_eq!(status, 0, "{report}");
    assert!(
        report.contains("good.csv: delimited text, UTF-8, comma-separated, header on row 1"),
        "{report}"
    );
    assert!(report.contains("Hardware Hash → Hardware Hash"), "{report}");
    assert!(
        report.contains("1 device row(s): 1 valid, 0 with errors"),
        "{report}"
    );
}

#[test]
fn row_errors_exit_1_and_the_json_lists_every_issue() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        &dir,
        "bad.csv",
        b"Serial Number,Manufacturer,Model,Notes\nS1,HP,\nS2,HP,ProBook,x\n",
    );
    let (status, output) = check(&[bad.as_os_str(), "--json".as_ref()]);
    assert_eq!(status, 1, "{output}");
    let json: serde_json::Value = serde_json::from_str(&output).unwrap();
    let file = &json["files"][0];
    assert_eq!(file["format"], "text");
    assert_eq!(file["encoding"], "UTF-8");
    assert_eq!(file["delimiter"], "comma");
    assert_eq!(
        (
            file["rows"].as_u64(),
            file["valid"].as_u64(),
            file["invalid"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(file["header"][0]["field"], "serialNumber");
    assert_eq!(file["header"][3]["field"], serde_json::Value::Null);
    let issues: Vec<(serde_json::Value, String, String)> = file["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["row"].clone(),
                i["severity"].as_str().unwrap().into(),
                i["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        issues,
        vec![
            (1.into(), "warning".into(), "unknown-column".into()),
            (2.into(), "error".into(), "incomplete-tuple".into()),
        ]
    );
}

#[test]
fn an_unreadable_file_exits_2_even_beside_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        &dir,
        "good.csv",
        format!("Hardware Hash\n{}\n", hash()).as_bytes(),
    );
    let pdf = write(&dir, "scan.csv", b"%PDF-1.4 ...");
    let missing = dir.path().join("missing.csv");
    let (status, report) = check(&[good.as_os_str(), pdf.as_os_str(), missing.as_os_str()]);
    assert_eq!(status, 2, "{report}");
    assert!(
        report.contains(
            "scan.csv: cannot be read. This is not a device list: it looks like a PDF document."
        ),
        "{report}"
    );
    assert!(report.contains("missing.csv: cannot be read."), "{report}");
}
