//! Deleting many devices at once: the batch page's form chooses them (ticked, or the whole
//! batch on every page), a confirmation counts and names them, and one deletion operation
//! sends one `DELETE` per device in the background, several at once, through Partner
//! Center's failures, until every device has its outcome; after a crash the next process,
//! or another replica, sends the rest under the same request ids.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::process::Dashboard;
use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::FaultSettings;

const BATCH: &str = "Contoso-PO-4711";
const LARGE_BATCH: &str = "Contoso Laptops 2024";

fn batch_page(batch: &str) -> String {
    format!("/customers/{CONTOSO}/batches/{}", batch.replace(' ', "%20"))
}

/// The device ids the batch page offers to tick, in its order.
async fn tickable(browser: &Browser, batch: &str) -> Vec<String> {
    let page = browser.page(&batch_page(batch), 200).await;
    page.split("name=\"device\" value=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

/// The devices of `batch` the sandbox holds, by id.
async fn held(sandbox_url: &str, batch: &str) -> HashSet<String> {
    admin_list_at(sandbox_url, &format!("customers/{CONTOSO}/devices"))
        .await
        .into_iter()
        .filter(|d| d["batchId"] == batch)
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// The serial number of a device of `batch` the sandbox holds.
async fn held_serial(sandbox_url: &str, batch: &str) -> String {
    admin_list_at(sandbox_url, &format!("customers/{CONTOSO}/devices"))
        .await
        .into_iter()
        .find(|d| d["batchId"] == batch)
        .and_then(|d| d["serialNumber"].as_str().map(str::to_string))
        .expect("a device with a serial number")
}

/// Each device's `DELETE`s as the sandbox received them: their request ids and statuses.
async fn deletes(sandbox_url: &str) -> HashMap<String, Vec<(String, u16)>> {
    let mut by_device: HashMap<String, Vec<(String, u16)>> = HashMap::new();
    for request in admin_list_at(sandbox_url, "requests").await {
        if request["method"] != "DELETE" {
            continue;
        }
        let path = request["path"].as_str().unwrap_or_default();
        let device = path.rsplit('/').next().unwrap_or_default().to_string();
        let id = request["request_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let status = request["status"].as_u64().unwrap_or_default() as u16;
        by_device.entry(device).or_default().push((id, status));
    }
    by_device
}

/// The deletion's page, once it has ended (done or not).
async fn until_ended(browser: &Browser, deletion: &str) -> String {
    let mut page = String::new();
    for _ in 0..600 {
        page = browser.page(deletion, 200).await;
        if !page.contains("Deleting…") {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the deletion never ended: {page}");
}

/// Confirms the deletion of `fields` (the batch page's form) and sends it; returns the
/// deletion's address.
async fn confirm_and_delete(browser: &Browser, batch: &str, fields: &[(&str, &str)]) -> String {
    let query: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencoding(v)))
        .collect();
    let confirmation = browser
        .page(
            &format!("{}/delete?{}", batch_page(batch), query.join("&")),
            200,
        )
        .await;
    assert!(
        confirmation.contains("Contoso"),
        "names the customer: {confirmation}"
    );
    let confirmed = confirmed(&confirmation);
    let mut fields = fields.to_vec();
    fields.push(("confirmed", &confirmed));
    let response = post_form(browser, &format!("{}/delete", batch_page(batch)), &fields).await;
    assert_eq!(response.status(), 303);
    let deletion = location(&response);
    assert!(deletion.ends_with("?done=deletion-started"), "{deletion}");
    deletion
        .trim_end_matches("?done=deletion-started")
        .to_string()
}

/// How many devices a confirmation page showed, as its form sends it on.
fn confirmed(confirmation: &str) -> String {
    let at = confirmation
        .find("name=\"confirmed\" value=\"")
        .expect("the confirmation's count")
        + "name=\"confirmed\" value=\"".len();
    confirmation[at..at + confirmation[at..].find('"').unwrap()].to_string()
}

fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn three_ticked_devices_are_confirmed_by_name_then_deleted_in_the_background() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let ids = tickable(&browser, BATCH).await;
    let chosen = &ids[..3];
    let mut fields = vec![("devices", "selected")];
    fields.extend(chosen.iter().map(|id| ("device", id.as_str())));

    let query: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let confirmation = browser
        .page(
            &format!("{}/delete?{}", batch_page(BATCH), query.join("&")),
            200,
        )
        .await;
    assert!(
        confirmation.contains("Delete these 3 devices?"),
        "{confirmation}"
    );
    assert!(confirmation.contains("Delete 3 devices"), "{confirmation}");
    for id in chosen {
        assert!(
            confirmation.contains(&format!("name=\"device\" value=\"{id}\"")),
            "the confirmation carries each device on: {confirmation}"
        );
    }

    let deletion = confirm_and_delete(&browser, BATCH, &fields).await;
    let page = until_ended(&browser, &deletion).await;
    assert!(page.contains("Done. Every device was deleted."), "{page}");
    let left = held(&app.sandbox_url, BATCH).await;
    for id in &ids {
        assert_eq!(left.contains(id), !chosen.contains(id), "{id}");
    }

    // One audit row for the operation, leading to its page, which names each device.
    let audit = browser.page("/audit", 200).await;
    assert!(
        audit.contains(&format!("3 devices deleted from “{BATCH}” of Contoso Ltd.")),
        "{audit}"
    );
    assert_eq!(
        audit.matches(&format!("href=\"{deletion}\"")).count(),
        1,
        "{audit}"
    );
    for id in chosen {
        assert!(
            page.contains(id.as_str()),
            "each device's outcome on its page: {page}"
        );
    }
}

/// How many of the page's device boxes are ticked, of how many.
fn ticked_boxes(page: &str) -> (usize, usize) {
    let boxes: Vec<&str> = page
        .split("name=\"device\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap()])
        .collect();
    (
        boxes.iter().filter(|b| b.contains("checked")).count(),
        boxes.len(),
    )
}

#[tokio::test]
async fn a_link_ticks_every_device_of_the_page_without_javascript() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let page = browser.page(&batch_page(BATCH), 200).await;
    assert_eq!(ticked_boxes(&page), (0, 12));
    let tick_all = format!("{}?tick=all", batch_page(BATCH));
    assert!(page.contains(&format!("href=\"{tick_all}\"")), "{page}");
    let page = browser.page(&tick_all, 200).await;
    assert_eq!(ticked_boxes(&page), (12, 12));
    // The same on a search's results, once the customer is in the index.
    let serial = held_serial(&app.sandbox_url, BATCH).await;
    let search = format!("/devices?q={}", &serial[..serial.len() - 1]);
    let mut found = String::new();
    for _ in 0..100 {
        found = browser.page(&format!("{search}&tick=all"), 200).await;
        if ticked_boxes(&found).1 > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ticked, of) = ticked_boxes(&found);
    assert!(of > 0 && ticked == of, "{found}");
    assert_eq!(ticked_boxes(&browser.page(&search, 200).await).0, 0);
}

#[tokio::test]
async fn a_batch_is_deleted_through_failures_with_every_outcome_recorded() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let before = held(&app.sandbox_url, BATCH).await;
    assert_eq!(before.len(), 12);
    // One request in five fails before it is carried out; three DELETEs are carried out and
    // their answers lost: each retry, under the same id, finds its device gone (404), with a
    // Partner Center that does not replay the first answer.
    set_faults_at(
        &app.sandbox_url,
        FaultSettings {
            error_rate: 0.2,
            drop_next_writes: 3,
            forget_answers: true,
            ..FaultSettings::default()
        },
    )
    .await;
    let fields = [("devices", "all")];
    let deletion = confirm_and_delete(&browser, BATCH, &fields).await;
    let page = until_ended(&browser, &deletion).await;
    set_faults_at(&app.sandbox_url, FaultSettings::default()).await;
    assert!(page.contains("Done. Every device was deleted."), "{page}");
    assert!(held(&app.sandbox_url, BATCH).await.is_empty());

    let sent = deletes(&app.sandbox_url).await;
    assert_eq!(sent.len(), 12, "one device each: {}", sent.len());
    for (device, tries) in &sent {
        let ids: HashSet<_> = tries.iter().map(|(id, _)| id).collect();
        assert_eq!(
            ids.len(),
            1,
            "{device}: every try under its stored id: {tries:?}"
        );
    }
    let retried_404 = sent
        .values()
        .filter(|tries| tries.iter().any(|(_, status)| *status == 404))
        .count();
    assert_eq!(
        retried_404, 3,
        "each retry whose first try had deleted the device was answered 404 (and counted deleted)"
    );
    let audit = browser.page("/audit", 200).await;
    assert!(
        audit.contains(&format!(
            "12 devices deleted from “{BATCH}” of Contoso Ltd."
        )),
        "{audit}"
    );
}

#[tokio::test]
async fn partner_center_throttling_a_bulk_deletion_is_waited_out() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    // Six DELETEs are answered 429 with `Retry-After: 1`: each waits, then goes again.
    set_faults_at(
        &app.sandbox_url,
        FaultSettings {
            throttle_next_writes: 6,
            burst_retry_after_secs: 1,
            ..FaultSettings::default()
        },
    )
    .await;
    let deletion = confirm_and_delete(&browser, BATCH, &[("devices", "all")]).await;
    let page = until_ended(&browser, &deletion).await;
    assert!(page.contains("Done. Every device was deleted."), "{page}");
    assert!(held(&app.sandbox_url, BATCH).await.is_empty());
    let throttled = admin_list_at(&app.sandbox_url, "requests")
        .await
        .into_iter()
        .filter(|r| r["method"] == "DELETE" && r["status"] == 429)
        .count();
    assert_eq!(throttled, 6);
}

#[tokio::test]
async fn a_ticked_device_deleted_meanwhile_stops_the_whole_deletion_before_anything_is_sent() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let ids = tickable(&browser, BATCH).await;
    let fields = [
        ("devices", "selected"),
        ("device", ids[0].as_str()),
        ("device", "00000000-0000-0000-0000-00000000dead"),
    ];
    let response = post_form(&browser, &format!("{}/delete", batch_page(BATCH)), &fields).await;
    assert_eq!(response.status(), 409);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("1 of the 2 devices you ticked are no longer in this batch"),
        "{page}"
    );
    assert!(page.contains("The devices were not deleted"), "{page}");
    assert!(deletes(&app.sandbox_url).await.is_empty());
    assert!(held(&app.sandbox_url, BATCH).await.contains(&ids[0]));

    // What was confirmed is what is deleted: a batch of 12 confirmed as 11 (a device added
    // since the confirmation was shown) is refused whole, as is a form sent unconfirmed.
    let every = [("devices", "all"), ("confirmed", "11")];
    let changed = post_form(&browser, &format!("{}/delete", batch_page(BATCH)), &every).await;
    assert_eq!(changed.status(), 409);
    assert!(changed
        .text()
        .await
        .unwrap()
        .contains("12 devices are chosen now, not the 11 you confirmed"));
    let unconfirmed = post_form(
        &browser,
        &format!("{}/delete", batch_page(BATCH)),
        &every[..1],
    )
    .await;
    assert_eq!(unconfirmed.status(), 400);
    assert!(deletes(&app.sandbox_url).await.is_empty());

    // Nothing ticked: said in words, on the page the form was on.
    let response = post_form(
        &browser,
        &format!("{}/delete", batch_page(BATCH)),
        &[("devices", "selected")],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Tick the devices first"));
}

/// How the process sending the deletion ends, and who finishes it.
enum Takeover {
    /// Killed; the same replica started again sends the rest.
    Restart,
    /// Killed; another replica, already running on the same database, sends the rest.
    Replica,
}

/// A deletion of the whole 263-device batch is under way when its process is killed: the
/// rest is sent by the next process, each device's `DELETE` under the request id stored for
/// it, and every device ends deleted.
async fn cut_off(takeover: Takeover) {
    const SETTINGS: &[(&str, &str)] = &[("ZTD_WORK_LEASE_SECS", "5")];
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let first = Dashboard::start(port, &app, &sandbox, SETTINGS).await;
    let other = match takeover {
        Takeover::Replica => {
            let port = free_port();
            let replica = Dashboard::start(port, &app, &sandbox, SETTINGS).await;
            Some((replica, format!("http://127.0.0.1:{port}")))
        }
        Takeover::Restart => None,
    };
    let browser = signed_in(&app).await;
    set_faults(
        &sandbox,
        FaultSettings {
            latency_ms: 40,
            ..FaultSettings::default()
        },
    )
    .await;
    let deletion = confirm_and_delete(&browser, LARGE_BATCH, &[("devices", "all")]).await;
    for _ in 0..200 {
        if deletes(sandbox.base_url()).await.len() >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill();
    let sent_before = deletes(sandbox.base_url()).await.len();
    assert!(
        sent_before < 200,
        "the kill came too late to test anything: {sent_before}"
    );

    let (_next, browser) = match other {
        Some((replica, address)) => (replica, browser.via(&address)),
        None => (
            Dashboard::start(port, &app, &sandbox, SETTINGS).await,
            browser,
        ),
    };
    let page = until_ended(&browser, &deletion).await;
    assert!(page.contains("Done. Every device was deleted."), "{page}");
    assert!(held(sandbox.base_url(), LARGE_BATCH).await.is_empty());
    // 263 devices, 100 a page.
    assert!(page.contains("The 263 devices"), "{page}");
    assert_eq!(page.matches("<li>").count(), 100, "{page}");
    let last = browser.page(&format!("{deletion}?page=3"), 200).await;
    assert_eq!(last.matches("<li>").count(), 63, "{last}");
    assert!(!last.contains("rel=\"next\""), "{last}");
    let sent = deletes(sandbox.base_url()).await;
    assert_eq!(sent.len(), 263);
    for (device, tries) in &sent {
        let ids: HashSet<_> = tries.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), 1, "{device}: under its stored id: {tries:?}");
        assert!(tries.len() <= 2, "{device}: sent at most twice: {tries:?}");
    }
}

#[tokio::test]
async fn a_bulk_deletion_cut_off_by_a_crash_is_finished_by_the_next_process() {
    cut_off(Takeover::Restart).await;
}

#[tokio::test]
async fn a_bulk_deletion_cut_off_on_one_replica_is_finished_by_the_other() {
    cut_off(Takeover::Replica).await;
}
