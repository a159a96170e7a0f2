//! The hostile corpus (`common/hostile.rs`) through `ztd-dashboard check` and through the real
//! upload route: every input gets a clear refusal or a preview with row errors; never a 500,
//! a panic, a hang, or more memory than a bounded amount.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::hostile::corpus;
use common::uploads::*;
use common::*;

/// Each file checked by the real binary under a 2 GiB address-space limit and a time limit.
#[test]
fn the_check_command_answers_every_hostile_input_within_bounds() {
    let cases = corpus();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        // Into files, not pipes: a long report must not block the child on a full pipe.
        let out = dir.path().join(format!("{name}.out"));
        let err = dir.path().join(format!("{name}.err"));
        let started = Instant::now();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2097152; exec \"$0\" check \"$1\"")
            .arg(env!("CARGO_BIN_EXE_ztd-dashboard"))
            .arg(&path)
            .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("{name}: no answer within 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = String::from_utf8_lossy(&std::fs::read(&out).unwrap()).into_owned();
        let stderr = String::from_utf8_lossy(&std::fs::read(&err).unwrap()).into_owned();
        assert!(
            matches!(status.code(), Some(0..=2)),
            "{name}: {status:?}\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains(name),
            "{name}: the report names the file\n{stdout}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

#[tokio::test]
async fn the_upload_route_answers_every_hostile_input_in_words() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    for (name, bytes) in corpus() {
        let started = Instant::now();
        let response = upload(
            &browser,
            NORTHWIND,
            to_new_batch(file_form(name, bytes), "Hostile"),
        )
        .await;
        let status = response.status().as_u16();
        match status {
            303 => {
                let preview = location(&response);
                let page = browser.page(&preview, 200).await;
                assert!(page.contains("Check the upload"), "{name}: {page}");
                assert!(
                    !page.contains("<script>alert"),
                    "{name}: markup must be text"
                );
            }
            400..=499 => {
                let page = response.text().await.unwrap();
                assert!(page.contains("role=\"alert\""), "{name}: {page}");
                assert!(
                    !page.contains("<script>alert"),
                    "{name}: markup must be text"
                );
            }
            _ => panic!(
                "{name}: {status} {}",
                response.text().await.unwrap_or_default()
            ),
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{name}: took {:?}",
            started.elapsed()
        );
    }
}

/// Checks `bytes` as `name` with the real binary under a 1 GiB address-space limit; returns
/// the exit code and the report, and how long it took.
fn check_within_one_gib(name: &str, bytes: &[u8]) -> (Option<i32>, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let started = Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576; exec \"$0\" check \"$1\"")
        .arg(env!("CARGO_BIN_EXE_ztd-dashboard"))
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), report, started.elapsed())
}

#[tokio::test]
async fn shared_strings_past_what_a_device_list_can_use_are_refused_before_they_are_loaded() {
    use common::hostile::shared_strings_bomb;
    // 20 million texts, declared honestly; and one text declared as four billion (the reader
    // would reserve room for all of them first).
    let many = shared_strings_bomb(20_000_000, 20_000_000);
    let lying = shared_strings_bomb(1, 4_000_000_000);
    for (name, bytes) in [("many-strings.xlsx", &many), ("lying-count.xlsx", &lying)] {
        let (code, report, took) = check_within_one_gib(name, bytes);
        assert_eq!(code, Some(2), "{name} ({took:?}): {report}");
        assert!(report.contains("shared strings"), "{name}: {report}");
        assert!(!report.contains("memory allocation"), "{name}: {report}");
        assert!(took < Duration::from_secs(60), "{name}: {took:?}");
    }
    // Through the web: refused in words, and the server still serves.
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    for (name, bytes) in [("many-strings.xlsx", many), ("lying-count.xlsx", lying)] {
        let response = upload(
            &browser,
            NORTHWIND,
            to_new_batch(file_form(name, bytes), "Strings"),
        )
        .await;
        assert_eq!(response.status(), 422, "{name}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("different texts (its shared strings)"),
            "{name}: {page}"
        );
    }
    browser.page("/uploads", 200).await;
    // A workbook within the limits is still read.
    let fine = shared_strings_bomb(3, 3);
    let (_, report, _) = check_within_one_gib("fine.xlsx", &fine);
    assert!(!report.contains("shared strings"), "{report}");
}

/// The fixture XLS with every sheet's `DIMENSIONS` record claiming `rows` rows (from
/// `first_row`) of 256 columns: the file stays 6 KB.
fn xls_claiming(first_row: u32, row_after: u32) -> Vec<u8> {
    let mut xls = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ingest/devices.xls"
    ))
    .unwrap();
    let mut patched = 0;
    for at in 0..xls.len() - 18 {
        if xls[at..at + 4] == [0x00, 0x02, 0x0E, 0x00] {
            xls[at + 4..at + 8].copy_from_slice(&first_row.to_le_bytes());
            xls[at + 8..at + 12].copy_from_slice(&row_after.to_le_bytes());
            xls[at + 12..at + 14].copy_from_slice(&0u16.to_le_bytes());
            xls[at + 14..at + 16].copy_from_slice(&256u16.to_le_bytes());
            patched += 1;
        }
    }
    assert!(patched > 0, "the fixture has DIMENSIONS records");
    xls
}

#[tokio::test]
async fn an_xls_sheet_claiming_more_cells_than_a_device_list_can_use_is_refused_before_it_is_read()
{
    for (name, bytes) in [
        ("million-rows.xls", xls_claiming(0, 1_000_000)),
        ("wrapping-rows.xls", xls_claiming(10, 5)),
    ] {
        let (code, report, took) = check_within_one_gib(name, &bytes);
        assert_eq!(code, Some(2), "{name} ({took:?}): {report}");
        assert!(report.contains("claims more cells"), "{name}: {report}");
    }
    // The fixture as it is still reads.
    let (code, report, _) = check_within_one_gib("devices.xls", &xls_claiming(0, 6));
    assert_ne!(code, Some(2), "{report}");
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let response = upload(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("million-rows.xls", xls_claiming(0, 1_000_000)),
            "Cells",
        ),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("claims more cells"));
}

/// A row of 256 copies of one text (`repeats` times over).
const WIDE_ROW: &[u8] = br#"<table:table-row><table:table-cell office:value-type="string" office:string-value="x" table:number-columns-repeated="256"><text:p>x</text:p></table:table-cell></table:table-row>"#;

#[tokio::test]
async fn an_ods_table_calamine_would_build_past_what_a_device_list_can_use_is_refused_first() {
    use common::hostile::ods_with;
    // 250,000 written rows of 256 cells: 64 million cells as they are read.
    let many_rows = ods_with(|out| {
        for _ in 0..250_000 {
            out.write_all(WIDE_ROW).unwrap();
        }
    });
    // Two wide rows 300,000 empty rows apart: a 77-million-cell rectangle.
    let tall_gap = ods_with(|out| {
        out.write_all(WIDE_ROW).unwrap();
        out.write_all(br#"<table:table-row table:number-rows-repeated="300000"><table:table-cell table:number-columns-repeated="256"/></table:table-row>"#).unwrap();
        out.write_all(WIDE_ROW).unwrap();
    });
    for (name, bytes) in [("many-rows.ods", &many_rows), ("tall-gap.ods", &tall_gap)] {
        let (code, report, took) = check_within_one_gib(name, bytes);
        assert_eq!(code, Some(2), "{name} ({took:?}): {report}");
        assert!(report.contains("claims more cells"), "{name}: {report}");
    }
    // LibreOffice's own shape (a header, rows, then a million empty rows) still reads.
    let ordinary = ods_with(|out| {
        out.write_all(br#"<table:table-row><table:table-cell office:value-type="string"><text:p>Device Serial Number</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Windows Product ID</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1022"/></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>SN-1</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>3305472106271</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1022"/></table:table-row><table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#).unwrap();
    });
    let (code, report, _) = check_within_one_gib("ordinary.ods", &ordinary);
    assert!(matches!(code, Some(0 | 1)), "{report}");
    assert!(!report.contains("claims more cells"), "{report}");
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let response = upload(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("tall-gap.ods", tall_gap), "Cells"),
    )
    .await;
    assert_eq!(response.status(), 422);
}
