//! Device exports: a batch's devices and a customer's, as CSV and XLSX, in the columns an
//! upload reads, formula-like cells defused, hashes where the dashboard uploaded the device;
//! read back by the upload reader as the same device list.

mod common;

use std::collections::HashSet;

use common::uploads::*;
use common::*;
use ztd_dashboard::ingest::{read_file, DeviceRow, Limits};

const BATCH: &str = "Contoso-PO-4711";

/// Serial numbers of `customer`'s devices the sandbox holds, of `batch` or of every batch.
async fn serials(sandbox_url: &str, customer: &str, batch: Option<&str>) -> HashSet<String> {
    admin_list_at(sandbox_url, &format!("customers/{customer}/devices"))
        .await
        .into_iter()
        .filter(|d| batch.is_none_or(|b| d["batchId"] == b))
        .map(|d| d["serialNumber"].as_str().unwrap().to_string())
        .collect()
}

/// Downloads `path`; checks it is an attachment of `content_type`; returns its bytes.
async fn download(browser: &Browser, path: &str, content_type: &str) -> Vec<u8> {
    let response = browser.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(content_type),
        "{headers:?}"
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    response.bytes().await.unwrap().to_vec()
}

/// The export read back by the upload reader: its devices, and no finding about its own
/// columns.
fn read_back(bytes: &[u8]) -> Vec<DeviceRow> {
    let ingested = read_file(bytes, None, &Limits::default()).expect("an export reads back");
    let about_the_file: Vec<_> = ingested
        .findings
        .iter()
        .filter(|f| f.row.is_none())
        .collect();
    assert!(
        about_the_file.is_empty(),
        "the export's own columns are read silently: {about_the_file:?}"
    );
    ingested.devices
}

#[tokio::test]
async fn a_batch_exports_as_csv_and_xlsx_that_read_back_as_its_device_list() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let batch = format!("/customers/{CONTOSO}/batches/{BATCH}");
    let page = browser.page(&batch, 200).await;
    assert!(
        page.contains(&format!("href=\"{batch}/devices.xlsx\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"{batch}/devices.csv\"")),
        "{page}"
    );
    let held = serials(&app.sandbox_url, CONTOSO, Some(BATCH)).await;
    assert_eq!(held.len(), 12);

    let csv = download(&browser, &format!("{batch}/devices.csv"), "text/csv").await;
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.starts_with("\u{FEFF}Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model,Customer,Batch,Autopilot profile,Uploaded,Device id\r\n"),
        "{text}"
    );
    let xlsx = download(
        &browser,
        &format!("{batch}/devices.xlsx"),
        "application/vnd.openxmlformats",
    )
    .await;
    assert!(xlsx.starts_with(b"PK"), "a zip");
    for bytes in [csv, xlsx] {
        let devices = read_back(&bytes);
        let read: HashSet<String> = devices
            .iter()
            .filter_map(|d| d.serial_number.clone())
            .collect();
        assert_eq!(read, held);
        assert!(devices
            .iter()
            .all(|d| d.manufacturer.is_some() && d.model.is_some()));
    }

    // A customer's export holds every batch; a batch that is not there is said in words.
    let all = download(
        &browser,
        &format!("/customers/{CONTOSO}/devices.csv"),
        "text/csv",
    )
    .await;
    let read: HashSet<String> = read_back(&all)
        .into_iter()
        .filter_map(|d| d.serial_number)
        .collect();
    assert_eq!(read, serials(&app.sandbox_url, CONTOSO, None).await);
    assert!(read.len() > 263);
    let missing = browser
        .get(&format!(
            "/customers/{CONTOSO}/batches/No-such-batch/devices.csv"
        ))
        .await;
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("The batch was not found"));

    // A customer without a device is a file with its header row only, in both formats (the
    // export once panicked when its first read found nothing).
    let csv = download(
        &browser,
        &format!("/customers/{NORTHWIND}/devices.csv"),
        "text/csv",
    )
    .await;
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 1, "{csv}");
    assert!(lines[0].starts_with("Device Serial Number,"), "{csv}");
    let xlsx = download(
        &browser,
        &format!("/customers/{NORTHWIND}/devices.xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .await;
    let cells = sheet_cells(&xlsx);
    assert_eq!(
        cells.first().map(String::as_str),
        Some("Device Serial Number")
    );
    assert_eq!(cells.len(), lines[0].split(',').count(), "{cells:?}");
}

#[tokio::test]
async fn an_uploaded_devices_export_has_its_hash_and_its_formula_like_cells_defused() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let csv = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model\r\n\
         EXP-0001,,{},\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",@SUM(A1)\r\n",
        hash(9100)
    );
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(file_form("exp.csv", csv.into_bytes()), "Export test"),
    )
    .await;
    until_finished(&browser, &submitted(&browser, &preview).await).await;

    let batch = format!("/customers/{CONTOSO}/batches/Export%20test");
    let exported = download(&browser, &format!("{batch}/devices.csv"), "text/csv").await;
    let text = String::from_utf8(exported.clone()).unwrap();
    assert!(
        text.contains(&format!("EXP-0001,,{},\"'=HYPERLINK(", hash(9100))),
        "the hash it was uploaded with, and the formula defused: {text}"
    );
    assert!(text.contains(",'@SUM(A1),"), "{text}");
    let xlsx = download(
        &browser,
        &format!("{batch}/devices.xlsx"),
        "application/vnd.openxmlformats",
    )
    .await;
    let sheet = sheet_cells(&xlsx);
    assert!(
        sheet
            .iter()
            .any(|c| c == "'=HYPERLINK(\"http://evil.example\",\"x\")"),
        "{sheet:?}"
    );
    assert!(sheet.iter().any(|c| c == "'@SUM(A1)"), "{sheet:?}");

    // Read back, the apostrophes come off: the same device as uploaded.
    for bytes in [exported, xlsx] {
        let devices = read_back(&bytes);
        assert_eq!(devices.len(), 1);
        let device = &devices[0];
        assert_eq!(device.serial_number.as_deref(), Some("EXP-0001"));
        assert_eq!(device.hardware_hash.as_deref(), Some(hash(9100).as_str()));
        assert_eq!(
            device.manufacturer.as_deref(),
            Some("=HYPERLINK(\"http://evil.example\",\"x\")")
        );
        assert_eq!(device.model.as_deref(), Some("@SUM(A1)"));
    }
}

/// Every cell of the workbook's first sheet, as text, and checks none is a formula.
fn sheet_cells(xlsx: &[u8]) -> Vec<String> {
    use calamine::{Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let formulas = workbook.worksheet_formula("Devices").unwrap();
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "no formula in an export"
    );
    let range = workbook.worksheet_range("Devices").unwrap();
    range.cells().map(|(_, _, c)| c.to_string()).collect()
}
