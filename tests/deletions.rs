//! Deleting a device is an operation of one device: stored with its request id before the
//! `DELETE` goes, sent again under that id while its answer is lost, under a new one after a
//! refusal, finished after a crash by the next process, and shown on its own page, in the
//! history and in the audit trail.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::process::Dashboard;
use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::FaultSettings;

const BATCH: &str = "Contoso-PO-4711";

/// The batch page's first "Delete…" link, and the device id it names.
async fn first_delete_link(browser: &Browser) -> (String, String) {
    let page = browser
        .page(&format!("/customers/{CONTOSO}/batches/{BATCH}"), 200)
        .await;
    let start = page.find("/devices/").expect("a delete link");
    let link_start = page[..start].rfind("href=\"").unwrap() + "href=\"".len();
    let link_end = link_start + page[link_start..].find('"').unwrap();
    let delete = page[link_start..link_end].replace("&amp;", "&");
    let device_id = delete.split('/').rev().nth(1).unwrap().to_string();
    (delete, device_id)
}

/// The `MS-RequestId`s of the `DELETE`s of `device_id` the sandbox received, in order.
async fn delete_ids(sandbox_url: &str, device_id: &str) -> Vec<String> {
    admin_list_at(sandbox_url, "requests")
        .await
        .into_iter()
        .filter(|r| {
            r["method"] == "DELETE"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&format!("/devices/{device_id}")))
        })
        .map(|r| r["request_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn still_listed(sandbox_url: &str, device_id: &str) -> bool {
    admin_list_at(sandbox_url, &format!("customers/{CONTOSO}/devices"))
        .await
        .iter()
        .any(|d| d["id"] == device_id)
}

#[tokio::test]
async fn a_deletion_whose_answers_were_lost_goes_again_under_its_request_id() {
    let app = spawn_app_configured(&[], |config| {
        config.partner_center_timeout = Duration::from_secs(1)
    })
    .await;
    let browser = signed_in(&app).await;
    let (delete, device_id) = first_delete_link(&browser).await;
    let name = audit_name(&app.sandbox_url, CONTOSO, &device_id).await;
    // Every attempt is carried out, and answered only after the client gave up.
    set_faults_at(
        &app.sandbox_url,
        FaultSettings {
            slow_next_writes: 20,
            slow_write_ms: 2_500,
            ..FaultSettings::default()
        },
    )
    .await;
    let response = browser.post(&delete).await;
    assert_eq!(response.status(), 303);
    let deletion = location(&response);
    assert!(deletion.contains("/operations/"), "{deletion}");
    let page = browser.page(&deletion, 200).await;
    assert!(
        page.contains("Not every device was deleted: 0 of 1 were."),
        "{page}"
    );
    assert!(page.contains("Not known: the answer was lost"), "{page}");
    assert!(page.contains("Try again"), "{page}");

    set_faults_at(&app.sandbox_url, FaultSettings::default()).await;
    let retried = browser.post(&format!("{deletion}/resume")).await;
    assert_eq!(retried.status(), 303);
    assert_eq!(
        location(&retried),
        format!("{deletion}?done=deletion-retried")
    );
    let page = browser.page(&location(&retried), 200).await;
    assert!(page.contains("Done. Every device was deleted."), "{page}");
    assert!(
        page.contains("The devices left were asked for again."),
        "the retry's outcome is said on the page it leads to: {page}"
    );
    assert!(!still_listed(&app.sandbox_url, &device_id).await);

    let ids = delete_ids(&app.sandbox_url, &device_id).await;
    assert!(ids.len() >= 2, "tried, then tried again: {ids:?}");
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        1,
        "every try under the request id stored first: {ids:?}"
    );

    // One audit row for the deletion, leading to its page: the first try, with the try
    // that deleted it under it. The history lists it too.
    let audit = browser.page("/audit", 200).await;
    let first =
        format!("Device {name} could not be deleted from the batch “{BATCH}” of Contoso Ltd.");
    let then = format!("Device {name} deleted from the batch “{BATCH}” of Contoso Ltd.");
    assert_eq!(
        audit.matches(&format!("href=\"{deletion}\"")).count(),
        1,
        "{audit}"
    );
    let row = &audit[audit.find(&first).expect("the first try's row")..];
    let later = row.find("class=\"later\"").expect("the later try under it");
    assert!(row[later..].contains(&then), "{audit}");
    let history = browser
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    assert!(
        history.contains(&format!("href=\"{deletion}\"")),
        "{history}"
    );
    assert!(history.contains("devices deleted by hand"), "{history}");
}

#[tokio::test]
async fn a_refused_deletion_goes_again_under_a_new_request_id() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let (delete, device_id) = first_delete_link(&browser).await;
    // Partner Center throttles every try: it did nothing with the request.
    set_faults_at(
        &app.sandbox_url,
        FaultSettings {
            throttle_next_writes: 20,
            burst_retry_after_secs: 0,
            ..FaultSettings::default()
        },
    )
    .await;
    let response = browser.post(&delete).await;
    let deletion = location(&response);
    let page = browser.page(&deletion, 200).await;
    assert!(page.contains("Not deleted"), "{page}");
    assert!(page.contains("busy (throttling)"), "{page}");
    assert!(still_listed(&app.sandbox_url, &device_id).await);

    set_faults_at(&app.sandbox_url, FaultSettings::default()).await;
    browser.post(&format!("{deletion}/resume")).await;
    let page = browser.page(&deletion, 200).await;
    assert!(page.contains("Done. Every device was deleted."), "{page}");
    assert!(!still_listed(&app.sandbox_url, &device_id).await);
    let ids: HashSet<_> = delete_ids(&app.sandbox_url, &device_id)
        .await
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 2, "the refused id, then a new one: {ids:?}");

    // A deletion is found under its own customer only, and an upload's id is no deletion.
    let elsewhere = deletion.replace(CONTOSO, FABRIKAM);
    browser.page(&elsewhere, 404).await;
    let refused = browser.post(&format!("{elsewhere}/resume")).await;
    assert_eq!(refused.status(), 404);
}

/// The dashboard is killed while its `DELETE` is under way; the next process finishes the
/// deletion on the stored sign-in, under the same request id, and its page says so.
#[tokio::test]
async fn a_deletion_cut_off_by_a_crash_is_finished_by_the_next_process() {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let leases = [("ZTD_WORK_LEASE_SECS", "5")];
    let dashboard = Dashboard::start(port, &app, &sandbox, &leases).await;
    let browser = signed_in(&app).await;
    let (delete, device_id) = first_delete_link(&browser).await;
    // Carried out at once, answered after three seconds: the kill comes first.
    set_faults(
        &sandbox,
        FaultSettings {
            slow_next_writes: 1,
            slow_write_ms: 3_000,
            ..FaultSettings::default()
        },
    )
    .await;
    // The same browser, in a task of its own: its request never gets an answer.
    let sent = tokio::spawn({
        let browser = browser.via(&app.address);
        async move { browser.post(&delete).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    dashboard.kill();
    assert!(sent.await.is_err(), "the deletion was cut off");

    let _restarted = Dashboard::start(port, &app, &sandbox, &leases).await;
    let history = browser
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    let at = history
        .find("/operations/")
        .expect("the deletion in the history");
    let start = history[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let deletion = history[start..start + history[start..].find('"').unwrap()].to_string();
    let mut page = String::new();
    for _ in 0..100 {
        page = browser.page(&deletion, 200).await;
        if page.contains("Done. Every device was deleted.") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(page.contains("Done. Every device was deleted."), "{page}");
    assert!(!still_listed(sandbox.base_url(), &device_id).await);
    let ids = delete_ids(sandbox.base_url(), &device_id).await;
    assert_eq!(
        ids.len(),
        2,
        "sent, then sent again after the restart: {ids:?}"
    );
    assert_eq!(ids[0], ids[1], "under the same request id: {ids:?}");
}
