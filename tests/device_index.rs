//! Finding a device across customers: the dashboard reads each customer it has opened into
//! its own index (every batch, every page of devices), and `/devices?q=…` finds a device by
//! its serial number (exact or its start, without regard to case), its product key, or a
//! hardware hash the dashboard uploaded, only in customers the person can open. Over real
//! HTTP against the sandbox, JavaScript off; on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::partner::seed::LARGE_BATCH;

/// Contoso's devices as the sandbox holds them.
async fn devices_of(app: &TestApp, customer: &str) -> Vec<serde_json::Value> {
    admin_list_at(&app.sandbox_url, &format!("customers/{customer}/devices")).await
}

/// The search page for `q`, once it finds something (the index is read in the background).
async fn until_found(browser: &Browser, q: &str) -> String {
    let path = format!("/devices?q={}", ztd_dashboard::urls::encode(q));
    let mut page = String::new();
    for _ in 0..100 {
        page = browser.page(&path, 200).await;
        if !page.contains("No device matches") && page.contains("match") {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never found {q:?}: {page}");
}

#[tokio::test]
async fn a_device_on_the_last_page_of_a_large_batch_is_found_by_its_serial_in_any_case() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    // Nothing is indexed before a customer is opened.
    let page = browser.page("/devices?q=x", 200).await;
    assert!(page.contains("No customer is in the index yet"), "{page}");

    browser
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    let devices = devices_of(&app, CONTOSO).await;
    let last = devices
        .iter()
        .rev()
        .find(|d| d["batchId"] == LARGE_BATCH)
        .expect("a device of the large batch");
    let serial = last["serialNumber"].as_str().unwrap().to_string();

    let page = until_found(&browser, &serial.to_lowercase()).await;
    assert!(page.contains("1 device matches"), "{page}");
    assert!(page.contains("Contoso Ltd"), "{page}");
    assert!(
        page.contains(&format!(
            "href=\"{}\"",
            ztd_dashboard::urls::batch(CONTOSO, LARGE_BATCH, 1)
        )),
        "the result leads to its batch: {page}"
    );
    assert!(page.contains("Contoso Ltd: checked just now"), "{page}");

    // The start of a serial number finds every device it begins.
    let prefix = &serial[..3];
    let expected = devices
        .iter()
        .filter(|d| {
            d["serialNumber"]
                .as_str()
                .is_some_and(|s| s.to_lowercase().starts_with(&prefix.to_lowercase()))
        })
        .count();
    let page = browser
        .page(&format!("/devices?q={}", prefix.to_uppercase()), 200)
        .await;
    let said = match expected {
        1 => "1 device matches".to_string(),
        n => format!("{n} devices match"),
    };
    assert!(page.contains(&said), "{said}: {page}");

    // A wildcard is taken literally.
    let page = browser.page("/devices?q=%25", 200).await;
    assert!(page.contains("No device matches"), "{page}");
    // Longer than any identifier: refused in words.
    let page = browser
        .page(&format!("/devices?q={}", "A".repeat(20_001)), 400)
        .await;
    assert!(page.contains("longer than any serial number"), "{page}");
}

#[tokio::test]
async fn a_customer_not_opened_or_not_in_the_persons_list_is_not_searched() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    browser
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    let fabrikam = devices_of(&app, FABRIKAM).await;
    let serial = fabrikam[0]["serialNumber"].as_str().unwrap().to_string();
    let contoso_serial = devices_of(&app, CONTOSO).await[0]["serialNumber"]
        .as_str()
        .unwrap()
        .to_string();
    until_found(&browser, &contoso_serial).await;
    let page = browser.page(&format!("/devices?q={serial}"), 200).await;
    assert!(page.contains("No device matches"), "not opened yet: {page}");

    // A device of a customer the person's list does not hold is never shown, even indexed.
    let store = app.store().await;
    let tenant = &ztd_dashboard::sandbox::config::PARTNER_TENANT_ID.to_string();
    let stranger = "0e0e0e0e-0000-4000-8000-00000000dead";
    store
        .note_index_customer(tenant, stranger, "Not yours", "no-sign-in")
        .await
        .unwrap();
    let device = ztd_dashboard::server::device_index::IndexedDevice {
        customer_id: stranger.into(),
        batch_id: "b".into(),
        device_id: "d".into(),
        serial_number: Some("STRANGER-1".into()),
        product_key: None,
        hash_digest: None,
        manufacturer: None,
        model: None,
        profile_id: None,
        profile_name: None,
        uploaded_at: None,
    };
    store
        .replace_indexed_customer(tenant, stranger, &[device], 0)
        .await
        .unwrap();
    let page = browser.page("/devices?q=STRANGER", 200).await;
    assert!(page.contains("No device matches"), "{page}");
    assert!(!page.contains("Not yours"), "{page}");

    // Opened, Fabrikam is read too; within one customer only that customer is searched.
    browser
        .page(&format!("/customers/{FABRIKAM}/batches"), 200)
        .await;
    let page = until_found(&browser, &serial).await;
    assert!(page.contains("Fabrikam"), "{page}");
    let page = browser
        .page(&format!("/devices?q={serial}&customer={CONTOSO}"), 200)
        .await;
    assert!(page.contains("No device matches"), "{page}");
    assert!(page.contains("in Contoso Ltd"), "{page}");
}

#[tokio::test]
async fn a_hash_the_dashboard_uploaded_is_found_however_it_is_pasted_after_a_check_again() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    browser
        .page(&format!("/customers/{NORTHWIND}/batches"), 200)
        .await;
    let hash = common::uploads::hash(4_242);
    let csv = format!("Device Serial Number,Windows Product ID,Hardware Hash\r\nIDX-1,,{hash}\r\n");
    let form = to_new_batch(file_form("one.csv", csv.into_bytes()), "Indexed");
    let preview = draft(&browser, NORTHWIND, form).await;
    let job = submitted(&browser, &preview).await;
    until_finished(&browser, &job).await;
    // The dashboard's own upload is in the index at once, hash and all.
    let page = browser.page("/devices?q=idx-1", 200).await;
    assert!(page.contains("1 device matches"), "{page}");

    let checked = post_form(
        &browser,
        &format!("/devices/check/{NORTHWIND}"),
        &[("q", "IDX-1")],
    )
    .await;
    assert_eq!(checked.status(), 303);
    assert_eq!(location(&checked), "/devices?q=IDX-1&done=index-checked");
    let page = browser.page(&location(&checked), 200).await;
    assert!(page.contains("read again from Partner Center"), "{page}");
    assert!(page.contains("1 device matches"), "{page}");

    // Pasted with line breaks and without its padding: the same bytes.
    let pasted = format!("{}\n{}", &hash[..100], hash[100..].trim_end_matches('='));
    let path = format!("/devices?q={}", ztd_dashboard::urls::encode(&pasted));
    let page = browser.page(&path, 200).await;
    assert!(page.contains("1 device matches"), "{page}");
    assert!(page.contains("Indexed"), "{page}");
    // A hash it never uploaded: said why it cannot be found.
    let unknown = common::uploads::hash(4_243);
    let path = format!("/devices?q={}", ztd_dashboard::urls::encode(&unknown));
    let page = browser.page(&path, 200).await;
    assert!(page.contains("does not give out hardware hashes"), "{page}");

    // Deleted through the dashboard: gone from the index at once.
    let device = devices_of(&app, NORTHWIND)
        .await
        .into_iter()
        .find(|d| d["serialNumber"] == "IDX-1")
        .unwrap();
    let id = device["id"].as_str().unwrap();
    let deleted = browser
        .post(&format!(
            "/customers/{NORTHWIND}/batches/Indexed/devices/{id}/delete"
        ))
        .await;
    assert_eq!(deleted.status(), 303);
    let page = browser.page("/devices?q=IDX-1", 200).await;
    assert!(page.contains("No device matches"), "{page}");
}

/// Before submitting: a row whose device the index finds with another of the partner's
/// customers is flagged with where it is (instead of failing 808 afterwards), and a row
/// known only by a hash the index does not know is said to be unchecked.
#[tokio::test]
async fn the_preview_flags_a_device_of_another_customer_and_says_what_it_could_not_check() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    browser
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    let contoso = devices_of(&app, CONTOSO).await;
    let theirs = contoso
        .iter()
        .find(|d| d["batchId"] == "Contoso-PO-4711")
        .unwrap();
    let serial = theirs["serialNumber"].as_str().unwrap();
    until_found(&browser, serial).await;

    let unknown_hash = common::uploads::hash(4_300);
    let csv = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model\r\n\
         {serial},,,{},{}\r\n,,{unknown_hash},,\r\n",
        theirs["oemManufacturerName"].as_str().unwrap(),
        theirs["modelName"].as_str().unwrap(),
    );
    let form = to_new_batch(file_form("moved.csv", csv.into_bytes()), "Moved");
    let preview = draft(&browser, NORTHWIND, form).await;
    let page = browser.page(&preview, 200).await;
    assert!(
        page.contains(
            "is registered with your customer Contoso Ltd, in the batch “Contoso-PO-4711”"
        ),
        "{page}"
    );
    assert!(page.contains("(808)"), "{page}");
    assert!(
        page.contains("1 row (row 3) was not checked for an earlier registration"),
        "{page}"
    );
}
