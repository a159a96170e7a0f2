//! Following an upload to the end: the job page's states and explanations, the stored
//! outcomes, the failed-rows download and the retry of failed rows. Over HTTP against the
//! app's own sandbox, whose jobs wait 1 s queued and take 2 s processing.

mod common;

use common::uploads::*;
use common::*;

const HEADER: &str =
    "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model";

/// A hash whose last character carries bits that padding must leave zero: it passes the
/// dashboard's form checks (alphabet and padding) but not Partner Center's decoder (802).
fn damaged_hash(n: u32) -> String {
    let hash = hash(n);
    let end = hash.trim_end_matches('=').len();
    format!("{}B{}", &hash[..end - 1], &hash[end..])
}

/// One device of the sandbox's seeded `customer`: (serial, manufacturer, model).
async fn seeded_device(app: &TestApp, customer: &str) -> (String, String, String) {
    let devices = admin_list_at(&app.sandbox_url, &format!("customers/{customer}/devices")).await;
    let device = devices
        .iter()
        .find(|d| d["serialNumber"].is_string() && d["modelName"].is_string())
        .expect("a seeded device with serial, manufacturer and model");
    let text = |key: &str| device[key].as_str().unwrap().to_string();
    (
        text("serialNumber"),
        text("oemManufacturerName"),
        text("modelName"),
    )
}

/// Rows 2–6: registered, 802, 806 (this customer's own device), 808 (Fabrikam's), 812.
/// Row 6's model is a formula, to show the download defuses it.
async fn mixed_csv(app: &TestApp) -> String {
    let (own_serial, own_make, own_model) = seeded_device(app, CONTOSO).await;
    let (other_serial, other_make, other_model) = seeded_device(app, FABRIKAM).await;
    [
        HEADER.to_string(),
        format!("SN-OK-1,,{},,", hash(7001)),
        format!("SN-BAD-HASH,,{},,", damaged_hash(7002)),
        format!("{own_serial},,,{own_make},{own_model}"),
        format!("{other_serial},,,{other_make},{other_model}"),
        "NOTFOUND-7005,,,Contoso Devices,=1+2".to_string(),
    ]
    .join("\r\n")
}

async fn submitted_job(browser: &Browser, csv: String, batch: &str) -> String {
    let preview = draft(
        browser,
        CONTOSO,
        to_new_batch(file_form("mixed.csv", csv.into_bytes()), batch),
    )
    .await;
    submitted(browser, &preview).await
}

#[tokio::test]
async fn a_job_goes_from_queued_to_finished_with_errors_and_each_failure_says_what_to_do() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let job = submitted_job(&browser, mixed_csv(&app).await, "Jobs mixed").await;
    // While it runs the page says it need not stay open (`until_finished` checks every page
    // it reads); once finished it no longer does.
    let (states, page) = until_finished(&browser, &job).await;
    assert!(!page.contains(LEAVE), "{page}");
    let order = ["submitting", "queued", "processing", "finished_with_errors"];
    let positions: Vec<usize> = states
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known state"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{states:?}");
    for expected in ["queued", "processing", "finished_with_errors"] {
        assert!(states.iter().any(|s| s == expected), "{states:?}");
    }

    assert!(
        page.contains("5 of 5 devices processed: 1 registered, 4 failed"),
        "{page}"
    );
    for explanation in [
        "Capture the hash again on the device",               // 802
        "already registered to this customer",                // 806
        "The previous owner (or the reseller who registered", // 808
        "the manufacturer never reported it",                 // 812
    ] {
        assert!(page.contains(explanation), "{explanation}: {page}");
    }
    let failed = browser.page(&format!("{job}?show=failed"), 200).await;
    assert_eq!(failed.matches("<tr class=\"device failed\">").count(), 4);
    assert!(!failed.contains("device registered"));
    let registered = browser.page(&format!("{job}?show=registered"), 200).await;
    assert_eq!(registered.matches("<tr class=\"device ").count(), 1);
    assert!(registered.contains("SN-OK-1"));
}

#[tokio::test]
async fn the_failed_rows_download_goes_back_in_fixed_and_retry_prefills_them() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let job = submitted_job(&browser, mixed_csv(&app).await, "Jobs download").await;
    until_finished(&browser, &job).await;

    let response = browser.get(&format!("{job}/failed.csv")).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"failed-rows-Jobs-download.csv\""
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], format!("{HEADER},Error code,Explanation"));
    assert_eq!(lines.len(), 5, "{csv}");
    let formula = lines
        .iter()
        .find(|l| l.starts_with("NOTFOUND-7005"))
        .unwrap();
    assert!(formula.contains(",'=1+2,812,"), "{formula}");
    assert!(lines.iter().any(|l| l.contains(",808,")), "{csv}");

    // The same file, uploaded again: the outcome columns are ignored without a word, and the
    // formula guard is taken off.
    let again = draft(
        &browser,
        CONTOSO,
        to_new_batch(file_form("failed.csv", csv.into_bytes()), "Jobs again"),
    )
    .await;
    let preview = browser.page(&again, 200).await;
    assert!(!preview.contains("unknown-column"), "{preview}");
    assert!(preview.contains("=1+2"), "{preview}");
    assert!(!preview.contains("&#x27;=1+2") && !preview.contains("'=1+2"));

    // A colleague whom Partner Center does not let see this customer gets no download.
    let colleague = Browser::new(&app);
    colleague.sign_in(NO_ROLE, "/customers").await;
    for file in ["report.csv", "failed.csv"] {
        let refused = colleague.get(&format!("{job}/{file}")).await;
        assert_eq!(refused.status(), 403, "{file}");
        assert!(!refused.text().await.unwrap().contains("NOTFOUND-7005"));
    }

    let report = browser.get(&format!("{job}/report.csv")).await;
    assert_eq!(report.status(), 200);
    let report = report.text().await.unwrap();
    assert!(report.contains("Row,Device Serial Number"), "{report}");
    assert!(report.contains("2,SN-OK-1,,"), "{report}");
    assert!(report.contains(",Registered,,"), "{report}");

    // The retry is offered for what it can fix: the damaged hash (802) and the unknown
    // device (812), not the devices already registered (806 here, 808 elsewhere), which the
    // page says to deal with first.
    let page = browser.page(&job, 200).await;
    assert!(page.contains("Retry the 2 other failed rows"), "{page}");
    assert!(
        page.contains("2 failed devices are already registered (806: in another batch"),
        "{page}"
    );
    let retry = browser.post(&format!("{job}/retry")).await;
    assert_eq!(retry.status(), 303);
    let retry_preview = location(&retry);
    assert!(retry_preview.contains("/uploads/"), "{retry_preview}");
    let page = browser.page(&retry_preview, 200).await;
    assert!(page.contains("Failed rows of mixed.csv"), "{page}");
    assert!(page.contains("Jobs download"), "{page}");
    assert!(page.contains("NOTFOUND-7005"), "{page}");
    assert!(page.contains("SN-BAD-HASH"), "{page}");
    assert!(!page.contains("SN-OK-1"), "{page}");
    let (own_serial, ..) = seeded_device(&app, CONTOSO).await;
    let (other_serial, ..) = seeded_device(&app, FABRIKAM).await;
    assert!(!page.contains(&own_serial), "806 is left out: {page}");
    assert!(!page.contains(&other_serial), "808 is left out: {page}");
}

#[tokio::test]
async fn chunks_make_one_job_whose_history_outlives_partner_center() {
    let app = spawn_app_with(&[("ZTD_UPLOAD_CHUNK_SIZE", "2")]).await;
    let browser = signed_in(&app).await;
    let job = submitted_job(&browser, autopilot_csv(7100, 5), "Jobs chunked").await;
    let (_, page) = until_finished(&browser, &job).await;
    assert!(page.contains("class=\"state finished\""), "{page}");
    assert!(
        page.contains("5 of 5 devices processed: 5 registered, 0 failed"),
        "{page}"
    );
    assert!(page.contains("3 of 3 accepted"), "{page}");

    // A late answer (a page and the follower asked at once) does not undo the finish.
    let store = app.store().await;
    let upload_id = upload_id(&job);
    use ztd_dashboard::server::operations::jobs::JobProgress;
    use ztd_dashboard::server::operations::jobs::JobReport;
    let late = JobReport {
        status: JobProgress::Reported(ztd_dashboard::partner_center::UploadStatus::Processing),
        started_at: None,
        completed_at: None,
    };
    store
        .record_job(&upload_id, 0, &late, &[], &[], 0)
        .await
        .unwrap();
    let page = browser.page(&job, 200).await;
    assert!(page.contains("class=\"state finished\""), "{page}");

    // Partner Center forgets every job; the page still tells what happened, from the database.
    let reset = reqwest::Client::new()
        .post(format!("{}/_sandbox/reset", app.sandbox_url))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    let page = browser.page(&job, 200).await;
    assert!(page.contains("class=\"state finished\""), "{page}");
    assert!(page.contains("5 registered, 0 failed"), "{page}");
}

/// 50,000 more rows for an upload, put in its table directly (sending them through Partner
/// Center would take minutes and show nothing more here), each with a 1,000-character value.
async fn add_rows(
    app: &TestApp,
    upload_id: &ztd_dashboard::server::operations::OperationId,
    first: i64,
    count: i64,
) {
    let store = app.store().await;
    let filler = "H".repeat(1_000);
    let mut row = first;
    while row < first + count {
        let part = (first + count - row).min(500);
        let mut sql = String::from(
            "INSERT INTO upload_rows (upload_id, row_number, serial_number, hardware_hash, \
             findings, has_error) VALUES ",
        );
        for n in 0..part {
            let p = n * 4;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${}, '[]', 0)",
                if n == 0 { "" } else { ", " },
                p + 1,
                p + 2,
                p + 3,
                p + 4
            ));
        }
        let mut insert = sqlx::query(&sql);
        for n in 0..part {
            insert = insert
                .bind(upload_id.to_string())
                .bind(row + n)
                .bind(format!("SN-{:06}", row + n))
                .bind(filler.clone());
        }
        insert.execute(store.pool()).await.unwrap();
        row += part;
    }
}

#[tokio::test]
async fn ten_report_downloads_of_a_50000_row_upload_stream_in_bounded_memory() {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let dashboard = process::Dashboard::start(port, &app, &sandbox, &[]).await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("big.csv", autopilot_csv(70_000, 2).into_bytes()),
            "Big report",
        ),
    )
    .await;
    let job = submitted(&browser, &preview).await;
    until_finished(&browser, &job).await;
    add_rows(&app, &upload_id(&preview), 1_000, 50_000).await;

    let report = format!("{job}/report.csv");
    let downloads = (0..10).map(|_| async {
        let mut response = browser.get(&report).await;
        assert_eq!(response.status(), 200);
        let (mut bytes, mut lines) = (0_usize, 0_usize);
        while let Some(chunk) = response.chunk().await.unwrap() {
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        (bytes, lines)
    });
    for (bytes, lines) in futures::future::join_all(downloads).await {
        assert_eq!(lines, 1 + 2 + 50_000, "the header and every row");
        assert!(bytes > 50_000_000, "{bytes} bytes");
    }
    let peak = dashboard.peak_rss_bytes();
    println!("peak RSS: {} MB", peak / (1024 * 1024));
    assert!(
        peak < 300 * 1024 * 1024,
        "peak RSS {} MB while ten 50 MB reports were downloaded",
        peak / (1024 * 1024)
    );
}
