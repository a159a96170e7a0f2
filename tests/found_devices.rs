//! Acting on what a device search found, across customers: exporting every device it finds,
//! and deleting the ticked ones (or all of them), one deletion per customer, after a
//! confirmation that names the customers.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::uploads::*;
use common::*;
use ztd_dashboard::ingest::{read_file, Limits};
use ztd_dashboard::urls::encode;

/// `count` devices with serials `{prefix}-{n}` uploaded to a new batch of `customer`, and
/// registered; then the customer's devices read into the index again.
async fn registered(browser: &Browser, customer: &str, prefix: &str, first: u32, count: u32) {
    let mut csv = String::from("Device Serial Number,Windows Product ID,Hardware Hash\r\n");
    for n in first..first + count {
        csv.push_str(&format!("{prefix}-{n:04},,{}\r\n", hash(n)));
    }
    let form = to_new_batch(
        file_form("found.csv", csv.into_bytes()),
        &format!("{prefix} {first}"),
    );
    let preview = draft(browser, customer, form).await;
    until_finished(browser, &submitted(browser, &preview).await).await;
    let response = post_form(browser, &format!("/devices/check/{customer}"), &[("q", "")]).await;
    assert_eq!(response.status(), 303);
}

/// The search's results: (customer id, device id, serial) of each ticked-box value.
fn results(page: &str) -> Vec<(String, String)> {
    page.split("name=\"device\" value=\"")
        .skip(1)
        .map(|rest| {
            let value = &rest[..rest.find('"').unwrap()];
            let (customer, device) = value.split_once('/').unwrap();
            (customer.to_string(), device.to_string())
        })
        .collect()
}

async fn held_serials(sandbox_url: &str, customer: &str) -> HashSet<String> {
    admin_list_at(sandbox_url, &format!("customers/{customer}/devices"))
        .await
        .into_iter()
        .map(|d| d["serialNumber"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn what_a_search_finds_in_two_customers_is_exported_and_deleted_one_deletion_each() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    registered(&browser, CONTOSO, "FOUND", 9200, 3).await;
    registered(&browser, FABRIKAM, "FOUND", 9300, 2).await;
    let page = browser.page("/devices?q=found-", 200).await;
    assert!(page.contains("5 devices match"), "{page}");
    let found = results(&page);
    assert_eq!(found.len(), 5);

    // Every device found, with its customer, the hash it was uploaded with, read back.
    let export = browser.get("/devices/export.csv?q=found-").await;
    assert_eq!(export.status(), 200);
    let bytes = export.bytes().await.unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        text.contains(&format!("FOUND-9300,,{},", hash(9300))),
        "{text}"
    );
    assert!(
        text.contains("Contoso") && text.contains("Fabrikam"),
        "{text}"
    );
    let read = read_file(&bytes, None, &Limits::default()).unwrap();
    assert_eq!(read.devices.len(), 5);
    let xlsx = browser.get("/devices/export.xlsx?q=found-").await;
    assert_eq!(xlsx.status(), 200);
    let read = read_file(&xlsx.bytes().await.unwrap(), None, &Limits::default()).unwrap();
    assert_eq!(read.devices.len(), 5);

    // Two of Contoso's and one of Fabrikam's, ticked: confirmed by customer, then deleted.
    let contoso: Vec<_> = found.iter().filter(|(c, _)| c == CONTOSO).take(2).collect();
    let fabrikam: Vec<_> = found
        .iter()
        .filter(|(c, _)| c == FABRIKAM)
        .take(1)
        .collect();
    let ticked: Vec<String> = contoso
        .iter()
        .chain(&fabrikam)
        .map(|(c, d)| format!("{c}/{d}"))
        .collect();
    let mut query = String::from("q=found-&devices=selected");
    for t in &ticked {
        query.push_str(&format!("&device={}", encode(t)));
    }
    let confirmation = browser.page(&format!("/devices/delete?{query}"), 200).await;
    assert!(
        confirmation.contains("Delete these 3 devices of 2 customers?"),
        "{confirmation}"
    );
    assert!(confirmation.contains("Contoso Ltd (2)"), "{confirmation}");
    assert!(
        confirmation.contains("Fabrikam, Inc. (1)"),
        "{confirmation}"
    );

    assert!(
        confirmation.contains("name=\"confirmed\" value=\"3\""),
        "{confirmation}"
    );
    let mut fields = vec![("q", "found-"), ("devices", "selected"), ("confirmed", "3")];
    fields.extend(ticked.iter().map(|t| ("device", t.as_str())));
    let response = post_form(&browser, "/devices/delete", &fields).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/uploads?done=deletions-started");
    let mut left = (HashSet::new(), HashSet::new());
    for _ in 0..100 {
        left = (
            held_serials(&app.sandbox_url, CONTOSO).await,
            held_serials(&app.sandbox_url, FABRIKAM).await,
        );
        if !left.0.contains("FOUND-9200")
            && !left.0.contains("FOUND-9201")
            && left.1.iter().filter(|s| s.starts_with("FOUND-")).count() == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found_left =
        |held: &HashSet<String>| held.iter().filter(|s| s.starts_with("FOUND-")).count();
    assert_eq!(found_left(&left.0), 1, "{:?}", left.0);
    assert_eq!(found_left(&left.1), 1, "{:?}", left.1);
    let history = browser.page("/uploads?done=deletions-started", 200).await;
    assert!(history.contains("one deletion per customer"), "{history}");
    // Each deletion writes its audit row last, after Partner Center answered and the index
    // was told: wait for both rows before reading the index.
    let both = [
        "2 devices deleted from “FOUND 9200” of ",
        "deleted from the batch “FOUND 9300” of ",
    ];
    let mut audit = String::new();
    for _ in 0..100 {
        audit = browser.page("/audit", 200).await;
        if both.iter().all(|row| audit.contains(row)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(both.iter().all(|row| audit.contains(row)), "{audit}");

    // The rest, all at once: the search now finds what is left, in the index.
    let page = browser.page("/devices?q=found-", 200).await;
    assert!(
        page.contains("2 devices match"),
        "the index forgot what was deleted: {page}"
    );
    let response = post_form(
        &browser,
        "/devices/delete",
        &[("q", "found-"), ("devices", "all"), ("confirmed", "2")],
    )
    .await;
    assert_eq!(response.status(), 303);
    for _ in 0..100 {
        let (c, f) = (
            held_serials(&app.sandbox_url, CONTOSO).await,
            held_serials(&app.sandbox_url, FABRIKAM).await,
        );
        if found_left(&c) + found_left(&f) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not every device found was deleted");
}

#[tokio::test]
async fn a_found_device_gone_from_partner_center_since_the_index_read_it_stops_the_deletion() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    registered(&browser, CONTOSO, "GONE", 9400, 2).await;
    let page = browser.page("/devices?q=gone-", 200).await;
    let found = results(&page);
    assert_eq!(found.len(), 2);
    // The first is deleted (and the index told); then the index is made to hold it again
    // in the second's place, as an index read before someone deleted it elsewhere would.
    let (customer, gone) = &found[0];
    let batch_page = format!("/customers/{customer}/batches/GONE%209400");
    let deleted = browser
        .post(&format!("{batch_page}/devices/{gone}/delete"))
        .await;
    assert_eq!(deleted.status(), 303);
    sqlx::query("UPDATE device_index SET device_id = $1 WHERE device_id = $2")
        .bind(gone)
        .bind(&found[1].1)
        .execute(app.store().await.pool())
        .await
        .unwrap();

    let ticked = format!("{customer}/{gone}");
    let fields = [
        ("q", "gone-"),
        ("devices", "selected"),
        ("device", ticked.as_str()),
    ];
    let refused = post_form(&browser, "/devices/delete", &fields).await;
    assert_eq!(refused.status(), 409);
    let said = refused.text().await.unwrap();
    assert!(
        said.contains(
            "1 of the devices of Contoso Ltd are no longer where the device index saw them"
        ),
        "{said}"
    );
    let page = browser.page("/devices?q=gone-", 200).await;
    assert!(
        page.contains("No device matches"),
        "the index forgot it: {page}"
    );

    // A ticked device the search does not find at all.
    let stale = [
        ("q", "gone-"),
        ("devices", "selected"),
        ("device", "not-a-customer/x"),
    ];
    let refused = post_form(&browser, "/devices/delete", &stale).await;
    assert_eq!(refused.status(), 409);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("no longer found by this search"));
}

#[tokio::test]
async fn devices_a_search_within_one_customer_finds_are_given_a_profile() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    registered(&browser, CONTOSO, "PROF", 9500, 3).await;
    // Across customers, no profile is offered: a profile belongs to one customer.
    let everywhere = browser.page("/devices?q=prof-", 200).await;
    assert!(
        everywhere.contains("search within their customer"),
        "{everywhere}"
    );
    assert!(!everywhere.contains("name=\"profile\""), "{everywhere}");
    let refused = post_form(
        &browser,
        "/devices/profile",
        &[("q", "prof-"), ("devices", "all"), ("profile", "none")],
    )
    .await;
    assert_eq!(refused.status(), 400);

    let within = browser
        .page(&format!("/devices?q=prof-&customer={CONTOSO}"), 200)
        .await;
    let at = within
        .find(">Standard user OOBE<")
        .expect("Contoso's profiles offered");
    let start = within[..at].rfind("value=\"").unwrap() + "value=\"".len();
    let standard = within[start..start + within[start..].find('"').unwrap()].to_string();
    let fields = [
        ("q", "prof-"),
        ("customer", CONTOSO),
        ("devices", "all"),
        ("profile", standard.as_str()),
    ];
    let response = post_form(&browser, "/devices/profile", &fields).await;
    assert_eq!(response.status(), 303);
    let assignment = location(&response);
    assert!(
        assignment.ends_with("?done=assignment-sent"),
        "{assignment}"
    );
    for _ in 0..150 {
        let held = admin_list_at(&app.sandbox_url, &format!("customers/{CONTOSO}/devices")).await;
        let given = held
            .iter()
            .filter(|d| {
                d["serialNumber"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("PROF-"))
            })
            .filter(|d| d["policy"].as_str() == Some(standard.as_str()))
            .count();
        if given == 3 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the three devices never got the profile");
}
