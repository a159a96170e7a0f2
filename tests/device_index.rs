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

/// The search page for `q`, once it finds something (the index is read in the background):
/// 20 s at most.
async fn until_found(browser: &Browser, q: &str) -> String {
    let path = format!("/devices?q={}", ztd_dashboard::urls::encode(q));
    let mut page = String::new();
    for _ in 0..200 {
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

#[tokio::test]
async fn devices_refused_as_already_registered_say_where_they_are_and_who_can_release_them() {
    use ztd_dashboard::sandbox::partner::seed::OUTSIDE_SERIALS;
    use ztd_dashboard::urls;
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    for customer in [CONTOSO, FABRIKAM] {
        browser
            .page(&format!("/customers/{customer}/batches"), 200)
            .await;
        app.index_read(customer).await;
    }
    let fabrikams = devices_of(&app, FABRIKAM).await;
    let contosos = devices_of(&app, CONTOSO).await;
    let (theirs, ours) = (&fabrikams[0], &contosos[0]);
    let text = |d: &serde_json::Value, field: &str| d[field].as_str().unwrap().to_string();
    let line = |d: &serde_json::Value| {
        format!(
            "{},,,{},{}",
            text(d, "serialNumber"),
            text(d, "oemManufacturerName"),
            text(d, "modelName")
        )
    };
    let csv = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model\r\n\
         {}\r\n{}\r\n{},,,HP,HP EliteBook 840 G8 Notebook PC\r\n",
        line(theirs),
        line(ours),
        OUTSIDE_SERIALS[0]
    );
    let form = to_new_batch(file_form("again.csv", csv.into_bytes()), "Again");
    let preview = draft(&browser, CONTOSO, form).await;
    let job = submitted(&browser, &preview).await;
    let (_, page) = until_finished(&browser, &job).await;
    let batch_of =
        |customer: &str, d: &serde_json::Value| urls::batch(customer, &text(d, "batchId"), 1);
    let delete_link = |customer: &str, d: &serde_json::Value| {
        format!(
            "href=\"{}/devices/{}/delete\"",
            batch_of(customer, d),
            urls::encode(&text(d, "id"))
        )
    };

    // Row 3, already in this customer (806): where, and the way to have it here instead.
    assert!(page.contains("It is in the batch"), "{page}");
    assert!(page.contains(&delete_link(CONTOSO, ours)), "{page}");
    // Rows 2 and 4 (808): each has a page, named by what the index found.
    assert!(
        page.contains("It is with your customer Fabrikam, Inc.: how to move it…"),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"{job}/rows/2\"")), "{page}");
    assert!(
        page.contains("Who can release it, and a request to send…"),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"{job}/rows/4\"")), "{page}");

    let moved = browser.page(&format!("{job}/rows/2"), 200).await;
    assert!(
        moved.contains("Row 2: registered to another organisation"),
        "{moved}"
    );
    assert!(
        moved.contains("It is with your customer Fabrikam, Inc."),
        "{moved}"
    );
    assert!(moved.contains(&delete_link(FABRIKAM, theirs)), "{moved}");

    let outside = browser.page(&format!("{job}/rows/4"), 200).await;
    assert!(
        outside.contains("No customer of yours the dashboard has read has it"),
        "{outside}"
    );
    assert!(outside.contains("has read 2 of the "), "{outside}");
    assert!(
        outside.contains(&format!("Serial number: {}", OUTSIDE_SERIALS[0])),
        "{outside}"
    );
    assert!(
        outside.contains("Partner Center refused it with error 808"),
        "{outside}"
    );
    // Only an 808 has such a page.
    browser.page(&format!("{job}/rows/3"), 404).await;
    browser.page(&format!("{job}/rows/99"), 404).await;
}

#[tokio::test]
async fn an_entry_whose_sign_in_ended_keeps_its_devices_and_says_it_is_stale_until_opened_again() {
    // Due again after a second: the schedule (every 5 s at least) finds the sign-in gone.
    let app = spawn_app_with(&[("ZTD_DEVICE_INDEX_REFRESH_SECS", "1")]).await;
    let first = signed_in(&app).await;
    first
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    app.index_read(CONTOSO).await;
    assert_eq!(first.post("/auth/logout").await.status(), 303);

    let second = signed_in(&app).await;
    let serial = devices_of(&app, CONTOSO).await[0]["serialNumber"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/devices?q={serial}");
    let mut page = String::new();
    for _ in 0..150 {
        page = second.page(&path, 200).await;
        if page.contains("The sign-in it was read on has ended") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(page.contains("Contoso Ltd: checked"), "{page}");
    assert!(
        page.contains("The sign-in it was read on has ended; opening the customer"),
        "{page}"
    );
    assert!(page.contains("1 device matches"), "the rows stay: {page}");

    // Opened again, it is read on the new sign-in, and the warning goes.
    second
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    for _ in 0..150 {
        page = second.page(&path, 200).await;
        if !page.contains("has ended") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!page.contains("has ended"), "{page}");
    assert!(page.contains("1 device matches"), "{page}");
}

#[tokio::test]
async fn reading_every_customer_at_once_reads_each_one_once_and_says_how_far_it_is() {
    use ztd_dashboard::sandbox::partner::seed::{CUSTOMER_COUNT, TAILSPIN};
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let page = browser.page("/devices", 200).await;
    let all = CUSTOMER_COUNT;
    assert!(
        page.contains(&format!(
            "0 of the {all} customers you can open are in the index"
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!("Read all {all} customers now")),
        "{page}"
    );

    let read_all = || async {
        browser
            .send(browser.post_to("/devices/read-all").form(&[("q", "SN")]))
            .await
    };
    let response = read_all().await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/devices?q=SN&done=index-reading-all");
    // A second click while the first is reading reads nothing twice.
    assert_eq!(read_all().await.status(), 303);

    // Tailspin has no reseller relationship: its devices cannot be read, and it says so.
    let done = format!(
        "{} of the {all} customers you can open are in the index",
        all - 1
    );
    let mut page = String::new();
    for _ in 0..600 {
        page = browser.page("/devices?q=SN", 200).await;
        if page.contains(&done) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(page.contains(&done), "{page}");
    assert!(page.contains("Tailspin Toys: not read yet"), "{page}");
    assert!(
        page.contains("your organisation has no reseller relationship with this customer"),
        "{page}"
    );

    // A device of a customer nobody opened is found.
    let fabrikam = devices_of(&app, FABRIKAM).await;
    until_found(&browser, fabrikam[0]["serialNumber"].as_str().unwrap()).await;
    // Each customer's batches were asked for once (Tailspin's refused, once per click at most).
    let mut asked: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for request in admin_list_at(&app.sandbox_url, "requests").await {
        let path = request["path"].as_str().unwrap_or_default();
        if request["method"] == "GET" && path.ends_with("/deviceBatches") {
            *asked.entry(path.to_string()).or_default() += 1;
        }
    }
    let tailspin = format!("/v1/customers/{TAILSPIN}/deviceBatches");
    assert_eq!(asked.len(), all, "every customer was asked");
    let twice: Vec<_> = asked
        .iter()
        .filter(|(path, n)| **n > 1 && **path != tailspin)
        .collect();
    assert!(twice.is_empty(), "{twice:?}");
}

#[tokio::test]
async fn a_device_registered_outside_the_dashboard_is_found_once_the_schedule_reads_again() {
    use common::process::Dashboard;
    use ztd_dashboard::partner_center::{
        AccessToken, BatchId, CallContext, ClientConfig, CustomerId, NewDevice,
        PartnerCenterClient, RequestId,
    };
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    // Due two seconds after a read; the schedule looks every five.
    let refresh = [("ZTD_DEVICE_INDEX_REFRESH_SECS", "2")];
    let _dashboard = Dashboard::start(port, &app, &sandbox, &refresh).await;
    let browser = signed_in(&app).await;
    browser
        .page(&format!("/customers/{NORTHWIND}/batches"), 200)
        .await;
    app.index_read(NORTHWIND).await;
    let page = browser.page("/devices?q=MADE-ELSEWHERE", 200).await;
    assert!(page.contains("No device matches"), "{page}");

    // Someone registers a device in the Partner Center portal, not through the dashboard.
    let token = sign_in(&sandbox, ADMIN).await.access_token;
    let ctx = CallContext::new(AccessToken::new(token), uuid::Uuid::new_v4());
    let client = PartnerCenterClient::new(ClientConfig {
        base_url: sandbox.base_url().parse().unwrap(),
        ..ClientConfig::default()
    })
    .unwrap();
    let device = NewDevice {
        serial_number: Some("MADE-ELSEWHERE-1".into()),
        hardware_hash: Some(hash(77_001)),
        ..NewDevice::default()
    };
    client
        .create_device_batch(
            &ctx,
            &CustomerId::parse(NORTHWIND).unwrap(),
            &BatchId::parse("From the portal").unwrap(),
            &[device],
            RequestId::new(),
        )
        .await
        .expect("a batch is created");
    let page = until_found(&browser, "MADE-ELSEWHERE").await;
    assert!(page.contains("1 device matches"), "{page}");
    assert!(page.contains("From the portal"), "{page}");
}
