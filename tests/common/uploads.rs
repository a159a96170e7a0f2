//! Uploading over HTTP as a browser without JavaScript does: the multipart form, the
//! preview's buttons, the submission, and what the sandbox then holds.

use std::time::Duration;

use base64::Engine;
use reqwest::multipart::{Form, Part};

use super::*;

pub const CONTOSO: &str = "8b7c6a1e-0000-4000-8000-000000000001";
pub const FABRIKAM: &str = "8b7c6a1e-0000-4000-8000-000000000002";
pub const NORTHWIND: &str = "8b7c6a1e-0000-4000-8000-000000000004";

/// A distinct, realistic (4,000-byte) hardware hash.
pub fn hash(n: u32) -> String {
    let mut bytes = vec![0u8; 4000];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    bytes[4] = 0x5A;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A Get-WindowsAutopilotInfo CSV of `count` devices starting at `first`.
pub fn autopilot_csv(first: u32, count: u32) -> String {
    let mut csv = String::from("Device Serial Number,Windows Product ID,Hardware Hash\r\n");
    for n in first..first + count {
        csv.push_str(&format!("SN-{n:05},,{}\r\n", hash(n)));
    }
    csv
}

pub fn file_form(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()))
}

/// A workbook of three sheets: "Notes" (no devices), "Laptops" (hashes 500 and 501) and
/// "Desktops" (hash 600); the first with devices is read first.
pub fn device_workbook() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook
        .add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "Two device sheets follow")
        .unwrap();
    for (name, first, count) in [("Laptops", 500u32, 2u32), ("Desktops", 600, 1)] {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).unwrap();
        sheet.write_string(0, 0, "Hardware Hash").unwrap();
        for (i, n) in (first..first + count).enumerate() {
            sheet.write_string(i as u32 + 1, 0, hash(n)).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

pub fn to_new_batch(form: Form, batch: &str) -> Form {
    form.text("target", "new")
        .text("batch_name", batch.to_string())
}

pub async fn signed_in(app: &TestApp) -> Browser {
    let browser = Browser::new(app);
    browser.sign_in(ADMIN, "/customers").await;
    browser
}

/// Posts the upload form; returns the response.
pub async fn upload(browser: &Browser, customer: &str, form: Form) -> reqwest::Response {
    browser
        .send(
            browser
                .post_to(&format!("/customers/{customer}/uploads"))
                .multipart(form),
        )
        .await
}

/// Posts the upload form and expects the preview: returns its path.
pub async fn draft(browser: &Browser, customer: &str, form: Form) -> String {
    let response = upload(browser, customer, form).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    assert_eq!(status, 303, "{}", response.text().await.unwrap_or_default());
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("/customers/{customer}/uploads/")),
        "{location}"
    );
    location
}

pub async fn post_form(
    browser: &Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    browser.send(browser.post_to(path).form(fields)).await
}

/// The upload's id, from the address of its preview or of its job (both end with it).
pub fn upload_id(address: &str) -> ztd_dashboard::server::operations::OperationId {
    let id = address.rsplit('/').next().unwrap_or(address);
    id.parse().expect("an operation's address ends with its id")
}

/// Submits a draft; returns the job's address.
pub async fn submitted(browser: &Browser, preview: &str) -> String {
    let response = browser.post(&format!("{preview}/submit")).await;
    assert_eq!(
        response.status(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
    location(&response)
}

/// Submits a draft and waits until the job page says the submission ended; returns the page.
pub async fn submit(browser: &Browser, preview: &str) -> String {
    let job = submitted(browser, preview).await;
    assert!(job.contains("/operations/"), "{job}");
    submit_wait(browser, &job).await
}

/// Waits until the job page no longer says it is sending; returns the page.
pub async fn submit_wait(browser: &Browser, job: &str) -> String {
    for _ in 0..200 {
        let page = browser.page(job, 200).await;
        if !page.contains("Sending to Partner Center") {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the submission did not end");
}

/// The device-upload POSTs the sandbox at `sandbox_url` logged, in order.
pub async fn upload_post_log(sandbox_url: &str) -> Vec<serde_json::Value> {
    admin_list_at(sandbox_url, "requests")
        .await
        .into_iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.contains("deviceBatches"))
        })
        .collect()
}

/// The device-upload POSTs the sandbox received: (path, MS-RequestId).
pub async fn upload_posts(app: &TestApp) -> Vec<(String, String)> {
    upload_post_log(&app.sandbox_url)
        .await
        .into_iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["request_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub async fn stored_hashes(app: &TestApp, customer: &str) -> Vec<String> {
    admin_list_at(&app.sandbox_url, &format!("customers/{customer}/devices"))
        .await
        .into_iter()
        .filter_map(|d| d["hardwareHash"].as_str().map(str::to_owned))
        .collect()
}

/// Waits (Partner Center registers devices asynchronously) until the sandbox holds exactly
/// the `expected` devices of hash numbers, beside those it had already.
pub async fn registered(app: &TestApp, customer: &str, expected: &[u32]) -> bool {
    let wanted: Vec<String> = expected.iter().map(|n| hash(*n)).collect();
    for _ in 0..100 {
        let stored = stored_hashes(app, customer).await;
        if wanted
            .iter()
            .all(|h| stored.iter().filter(|s| *s == h).count() == 1)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Whether a job page shows the upload accepted by Partner Center (queued, processing or
/// finished).
pub fn accepted(job_page: &str) -> bool {
    ["queued", "processing", "finished", "finished_with_errors"]
        .iter()
        .any(|state| job_page.contains(&format!("class=\"state {state}\"")))
}

/// The job page's state (`queued`, `processing`, …), from its status line.
pub fn job_state(job_page: &str) -> Option<String> {
    let start = job_page.find("class=\"state ")? + "class=\"state ".len();
    let end = start + job_page[start..].find('"')?;
    Some(job_page[start..end].to_string())
}

/// What a running job's page says about leaving it.
pub const LEAVE: &str = "You can leave this page: the dashboard keeps sending and following";

/// Polls a job page until Partner Center has finished with it; returns the states seen, in
/// order without repeats, and the last page. Every page read while the job runs must say it
/// can be left ([`LEAVE`]).
pub async fn until_finished(browser: &Browser, job: &str) -> (Vec<String>, String) {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..300 {
        let page = browser.page(job, 200).await;
        let state = job_state(&page).expect("the job page names its state");
        if matches!(state.as_str(), "submitting" | "queued" | "processing") {
            assert!(
                page.contains(LEAVE),
                "a running job says it can be left: {page}"
            );
        }
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if matches!(
            state.as_str(),
            "finished" | "finished_with_errors" | "failed"
        ) {
            return (seen, page);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("the job did not finish: {seen:?}");
}
