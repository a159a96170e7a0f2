//! Uploads end to end over HTTP, as a browser without JavaScript sends them: the multipart
//! form, the preview, its buttons, and the submission to the app's own sandbox.

mod common;

use common::uploads::*;
use common::*;
use reqwest::multipart::Form;

/// How many times the sandbox was asked for the customer's batch list.
async fn batch_listings(app: &TestApp, customer: &str) -> usize {
    let path = format!("/customers/{customer}/deviceBatches");
    admin_list_at(&app.sandbox_url, "requests")
        .await
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().is_some_and(|p| p.ends_with(&path)))
        .count()
}

#[tokio::test]
async fn a_csv_creates_a_batch_after_the_preview() {
    // Batch lists kept a minute, so that a slow machine does not outlive them mid-test.
    let app = spawn_app_with(&[("ZTD_BATCH_LIST_REUSE_SECS", "60")]).await;
    let browser = signed_in(&app).await;
    let form = browser
        .page(&format!("/customers/{NORTHWIND}/uploads/new"), 200)
        .await;
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");

    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("devices.csv", autopilot_csv(1, 3).into_bytes()),
            "Northwind Q4",
        ),
    )
    .await;
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("File “devices.csv”"), "{page}");
    assert!(
        page.contains("Register 3 devices in the new batch “Northwind Q4”"),
        "{page}"
    );
    assert!(
        upload_posts(&app).await.is_empty(),
        "nothing is sent before the user confirms"
    );
    let job = submit(&browser, &preview).await;
    // One listing of the customer's batches serves the form, the check of the rows, the
    // preview and the check before sending: nothing changed the customer in between. The
    // device index reads the customer once too, in the background, when it is first opened.
    app.index_read(NORTHWIND).await;
    assert_eq!(batch_listings(&app, NORTHWIND).await, 1 + 1);
    assert!(accepted(&job), "{job}");
    let posts = upload_posts(&app).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(posts[0]
        .0
        .ends_with(&format!("/customers/{NORTHWIND}/deviceBatches")));
    assert!(
        registered(&app, NORTHWIND, &[1, 2, 3]).await,
        "the three devices are registered once"
    );
}

#[tokio::test]
async fn large_uploads_go_in_chunks_each_with_its_own_request_id() {
    let app = spawn_app_with(&[("ZTD_UPLOAD_CHUNK_SIZE", "2")]).await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("five.csv", autopilot_csv(10, 5).into_bytes()),
            "Chunked",
        ),
    )
    .await;
    let job = submit(&browser, &preview).await;
    assert!(job.contains("3 of 3"), "{job}");
    let posts = upload_posts(&app).await;
    let paths: Vec<&str> = posts.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            format!("/v1/customers/{NORTHWIND}/deviceBatches").as_str(),
            format!("/v1/customers/{NORTHWIND}/deviceBatches/Chunked/devices").as_str(),
            format!("/v1/customers/{NORTHWIND}/deviceBatches/Chunked/devices").as_str(),
        ]
    );
    let ids: std::collections::HashSet<_> = posts.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids.len(), 3, "{posts:?}");
    assert!(registered(&app, NORTHWIND, &[10, 11, 12, 13, 14]).await);
    assert_eq!(stored_hashes(&app, NORTHWIND).await.len(), 5);
}

#[tokio::test]
async fn devices_are_added_to_an_existing_batch() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let form = Form::new()
        .text(
            "pasted",
            format!("Hardware Hash\tDevice Serial Number\n{}\tP-1\n", hash(77)),
        )
        .text("target", "existing")
        .text("existing_batch", "Contoso Laptops 2024");
    let preview = draft(&browser, CONTOSO, form).await;
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("Pasted rows"), "{page}");
    assert!(
        page.contains("Add 1 device to the batch “Contoso Laptops 2024”"),
        "{page}"
    );
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    let posts = upload_posts(&app).await;
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0]
            .0
            .ends_with("/deviceBatches/Contoso%20Laptops%202024/devices"),
        "{posts:?}"
    );
    assert!(registered(&app, CONTOSO, &[77]).await);
}

#[tokio::test]
async fn a_taken_batch_name_offers_to_add_to_that_batch_instead() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("d.csv", autopilot_csv(200, 1).into_bytes()),
            "contoso laptops 2024",
        ),
    )
    .await;
    let page = browser.page(&preview, 200).await;
    assert!(
        page.contains("A batch named “Contoso Laptops 2024” already exists"),
        "{page}"
    );
    assert!(
        page.contains("Add to “Contoso Laptops 2024” instead"),
        "{page}"
    );

    let refused = browser.post(&format!("{preview}/submit")).await;
    assert_eq!(refused.status(), 409);
    assert!(upload_posts(&app).await.is_empty());

    let moved = post_form(
        &browser,
        &format!("{preview}/target"),
        &[
            ("target", "existing"),
            ("existing_batch", "Contoso Laptops 2024"),
        ],
    )
    .await;
    assert_eq!(moved.status(), 303);
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    assert!(upload_posts(&app).await[0].0.ends_with("/devices"));
}

#[tokio::test]
async fn a_double_submit_creates_one_batch() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("d.csv", autopilot_csv(300, 2).into_bytes()),
            "Twice",
        ),
    )
    .await;
    let path = format!("{preview}/submit");
    let (first, second) = tokio::join!(browser.post(&path), browser.post(&path));
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (303, 303)
    );
    assert_eq!(location(&first), location(&second));
    // A reload of the POST after the fact lands on the same job too.
    let again = browser.post(&path).await;
    assert_eq!(location(&again), location(&first));
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    assert_eq!(upload_posts(&app).await.len(), 1);
}

#[tokio::test]
async fn rows_with_errors_block_submission_until_removed() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let csv = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash\r\nOK-1,,{}\r\nBAD-1,,not*base64\r\nBAD-2,,\r\n",
        hash(400)
    );
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("mixed.csv", csv.into_bytes()), "Mixed"),
    )
    .await;
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("2 rows have errors"), "{page}");
    // The (disabled) button counts what can be sent: not the rows with errors.
    assert!(
        page.contains("Register 1 device in the new batch “Mixed”"),
        "{page}"
    );
    assert!(page.contains("“*” at character 4"), "{page}");
    assert!(
        page.contains("A serial number alone does not identify a device"),
        "{page}"
    );
    assert_eq!(
        browser.post(&format!("{preview}/submit")).await.status(),
        422
    );
    assert!(
        upload_posts(&app).await.is_empty(),
        "nothing reaches Partner Center while a row has an error"
    );

    let removed = post_form(
        &browser,
        &format!("{preview}/rows"),
        &[("action", "remove-errors")],
    )
    .await;
    assert_eq!(removed.status(), 303);
    assert_eq!(location(&removed), format!("{preview}?done=rows-removed"));
    let page = browser.page(&location(&removed), 200).await;
    assert!(
        page.contains("The rows are left out of the upload."),
        "the outcome is said on the page the post leads to: {page}"
    );
    assert!(
        page.contains("Register 1 device in the new batch “Mixed”"),
        "{page}"
    );
    assert!(page.contains("(removed)"), "{page}");
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    assert!(registered(&app, NORTHWIND, &[400]).await);
    assert_eq!(
        stored_hashes(&app, NORTHWIND).await.len(),
        1,
        "only the valid row was sent"
    );
}

#[tokio::test]
async fn devices_already_registered_are_flagged_before_submitting() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let existing = admin_list_at(&app.sandbox_url, &format!("customers/{CONTOSO}/devices")).await;
    let known = existing
        .iter()
        .find(|d| {
            d["serialNumber"].is_string()
                && d["oemManufacturerName"].is_string()
                && d["modelName"].is_string()
        })
        .expect("a seeded device with serial, manufacturer and model");
    let csv = format!(
        "Serial Number,Manufacturer,Model\r\n{},{},{}\r\n",
        known["serialNumber"].as_str().unwrap(),
        known["oemManufacturerName"].as_str().unwrap(),
        known["modelName"].as_str().unwrap()
    );
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(file_form("again.csv", csv.into_bytes()), "Again"),
    )
    .await;
    let page = browser.page(&preview, 200).await;
    assert!(
        page.contains("This device is already in this customer&#x27;s batch")
            || page.contains("This device is already in this customer's batch"),
        "{page}"
    );
    let removed = post_form(
        &browser,
        &format!("{preview}/rows"),
        &[("action", "remove-registered")],
    )
    .await;
    assert_eq!(removed.status(), 303);
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("Every row was removed"), "{page}");
}

#[tokio::test]
async fn refusals_are_clear_and_never_500() {
    let app = spawn_app_with(&[("ZTD_UPLOAD_MAX_MB", "1")]).await;
    let browser = signed_in(&app).await;
    let path = format!("/customers/{NORTHWIND}/uploads");

    let too_big = upload(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("big.csv", vec![b'a'; 3 * 1024 * 1024]), "Big"),
    )
    .await;
    assert_eq!(too_big.status(), 413);
    assert!(too_big
        .text()
        .await
        .unwrap()
        .contains("Uploads are limited to 1 MB"));

    let nothing = upload(&browser, NORTHWIND, to_new_batch(Form::new(), "Empty")).await;
    assert_eq!(nothing.status(), 422);
    assert!(nothing.text().await.unwrap().contains("Nothing to upload"));

    let pdf = upload(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("scan.pdf", b"%PDF-1.7 ...".to_vec()), "Pdf"),
    )
    .await;
    assert_eq!(pdf.status(), 415);
    assert!(pdf
        .text()
        .await
        .unwrap()
        .contains("looks like a PDF document"));

    let no_boundary = browser
        .send(
            browser
                .post_to(&path)
                .header("content-type", "multipart/form-data")
                .body("x"),
        )
        .await;
    assert_eq!(no_boundary.status(), 400);

    let unknown = browser
        .page(
            &format!("/customers/{NORTHWIND}/uploads/{}", uuid::Uuid::new_v4()),
            404,
        )
        .await;
    assert!(
        unknown.contains("This upload does not exist here"),
        "{unknown}"
    );
}

/// How many files are kept with the upload at `address`.
async fn stored_files(app: &TestApp, address: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM upload_files WHERE upload_id = $1")
        .bind(upload_id(address).to_string())
        .fetch_one(app.store().await.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn another_sheet_of_the_workbook_is_read_from_the_stored_file() {
    let bytes = device_workbook();
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("order.xlsx", bytes), "Sheets"),
    )
    .await;
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("sheet “Laptops”"), "{page}");
    assert!(page.contains("Register 2 devices"), "{page}");
    assert!(
        page.contains("Read another sheet of the workbook"),
        "{page}"
    );
    // The file is kept for that; a file with nothing else to read is not.
    let kept = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("one.csv", autopilot_csv(610, 1).into_bytes()),
            "One",
        ),
    )
    .await;
    assert_eq!(stored_files(&app, &preview).await, 1);
    assert_eq!(stored_files(&app, &kept).await, 0);

    let switched = post_form(
        &browser,
        &format!("{preview}/sheet"),
        &[("sheet", "Desktops")],
    )
    .await;
    assert_eq!(switched.status(), 303);
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("sheet “Desktops”"), "{page}");
    assert!(
        page.contains("Register 1 device in the new batch"),
        "{page}"
    );

    let notes = post_form(&browser, &format!("{preview}/sheet"), &[("sheet", "Notes")]).await;
    assert_eq!(notes.status(), 422);
    assert!(notes
        .text()
        .await
        .unwrap()
        .contains("No header row was found"));
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    assert!(registered(&app, NORTHWIND, &[600]).await);
    assert_eq!(stored_hashes(&app, NORTHWIND).await.len(), 1);
}

#[tokio::test]
async fn group_tags_are_kept_by_splitting_into_one_batch_per_tag() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let mut csv =
        String::from("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n");
    // "lab-2" sorts after "Sales" in SQLite (bytes), before it in English; "Équipe" lowers
    // to "équipe" in English only. The dashboard lists and splits tags the same way on both
    // backends, whatever the PostgreSQL database's locale.
    let tags = [
        (700, "Sales"),
        (701, "Sales"),
        (702, "Lab"),
        (703, ""),
        (704, "lab-2"),
        (705, "Équipe"),
    ];
    for (n, tag) in tags {
        csv.push_str(&format!("T-{n},,{},{tag}\r\n", hash(n)));
    }
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("tags.csv", csv.into_bytes()), "Untagged"),
    )
    .await;
    let page = browser.page(&preview, 200).await;
    assert!(
        page.contains("“Lab” (1 row), “Sales” (2 rows), “lab-2” (1 row), “Équipe” (1 row)"),
        "{page}"
    );

    let split = browser.post(&format!("{preview}/split")).await;
    assert_eq!(split.status(), 303);
    let page = browser.page(&preview, 200).await;
    assert!(
        page.contains("Register 1 device in the new batch “Untagged”"),
        "{page}"
    );
    assert!(page.contains("1 row for the new batch “Lab”"), "{page}");
    assert!(page.contains("2 rows for the new batch “Sales”"), "{page}");
    let at = |name: &str| page.find(&format!("for the new batch “{name}”")).unwrap();
    assert!(
        at("Lab") < at("Sales") && at("Sales") < at("lab-2") && at("lab-2") < at("Équipe"),
        "{page}"
    );
    assert!(
        !page.contains("Split into one batch per group tag"),
        "{page}"
    );

    let part = |name: &str| {
        let marker = format!("for the new batch “{name}”");
        let before = &page[..page.find(&marker).unwrap()];
        let href = before.rsplit("href=\"").next().unwrap();
        href[..href.find('"').unwrap()].to_string()
    };
    for (name, devices) in [
        ("Sales", "2 devices"),
        ("Lab", "1 device"),
        ("lab-2", "1 device"),
        ("Équipe", "1 device"),
    ] {
        let path = part(name);
        let part_page = browser.page(&path, 200).await;
        assert!(
            part_page.contains(&format!("Register {devices} in the new batch “{name}”")),
            "{part_page}"
        );
        let job = submit(&browser, &path).await;
        assert!(accepted(&job), "{job}");
    }
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    assert!(registered(&app, NORTHWIND, &[700, 701, 702, 703, 704, 705]).await);
    let batches: Vec<String> =
        admin_list_at(&app.sandbox_url, &format!("customers/{NORTHWIND}/devices"))
            .await
            .iter()
            .map(|d| d["batchId"].as_str().unwrap().to_string())
            .collect();
    let mut names = batches.clone();
    names.sort();
    assert_eq!(
        names,
        vec!["Lab", "Sales", "Sales", "Untagged", "lab-2", "Équipe"]
    );
}

#[tokio::test]
async fn removing_the_first_of_two_copies_frees_the_second() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let copy = hash(800);
    let csv = format!("Hardware Hash\r\n{copy}\r\n{copy}\r\n{}\r\n", hash(801));
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("copies.csv", csv.into_bytes()), "Copies"),
    )
    .await;
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("Same hardware hash as row 2"), "{page}");
    assert!(page.contains("1 row has errors"), "{page}");

    let removed = post_form(
        &browser,
        &format!("{preview}/rows"),
        &[("action", "remove-selected"), ("row", "2")],
    )
    .await;
    assert_eq!(removed.status(), 303);
    let page = browser.page(&preview, 200).await;
    assert!(!page.contains("Same hardware hash as row 2"), "{page}");
    assert!(
        page.contains("Register 2 devices in the new batch “Copies”"),
        "{page}"
    );

    let restored = post_form(
        &browser,
        &format!("{preview}/rows"),
        &[("action", "restore-selected"), ("row", "2")],
    )
    .await;
    assert_eq!(restored.status(), 303);
    let page = browser.page(&location(&restored), 200).await;
    assert!(page.contains("The rows are back in the upload."), "{page}");
    assert!(
        page.contains("Same hardware hash as row 2"),
        "the repeat is an error again: {page}"
    );
    let unknown = post_form(
        &browser,
        &format!("{preview}/rows"),
        &[("action", "remove-everything"), ("row", "2")],
    )
    .await;
    assert_eq!(unknown.status(), 400);
    assert!(unknown.text().await.unwrap().contains("Unknown action."));
    assert_eq!(
        browser.post(&format!("{preview}/submit")).await.status(),
        422
    );
}

#[tokio::test]
async fn a_failed_submission_sends_its_remaining_parts_when_asked() {
    let app = spawn_app_with(&[("ZTD_UPLOAD_CHUNK_SIZE", "2")]).await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("four.csv", autopilot_csv(900, 4).into_bytes()),
            "Resumed",
        ),
    )
    .await;
    // Every attempt at the create fails (the client tries four times); the pages still work.
    // Its outcome unknown, the dashboard looks, finds no batch, and creates it again under a
    // new request id; that fails four times too, and the submission stops.
    let failing = ztd_dashboard::sandbox::FaultSettings {
        fail_next_writes: 8,
        ..Default::default()
    };
    set_faults_at(&app.sandbox_url, failing).await;
    let response = browser.post(&format!("{preview}/submit")).await;
    let job = location(&response);
    let page = submit_wait(&browser, &job).await;
    assert!(page.contains("Could not be submitted"), "{page}");
    assert!(
        page.contains("Partner Center could not be reached or kept failing"),
        "{page}"
    );
    assert!(page.contains("Send the remaining parts"), "{page}");
    assert!(
        page.contains("the batch was not there, so part 3 creates it again"),
        "{page}"
    );
    assert!(upload_posts(&app)
        .await
        .iter()
        .all(|(_, id)| !id.is_empty()));

    let resumed = browser.post(&format!("{job}/resume")).await;
    assert_eq!(resumed.status(), 303);
    let page = submit_wait(&browser, &job).await;
    assert!(accepted(&page), "{page}");
    assert!(page.contains("2 of 2"), "{page}");
    assert!(registered(&app, NORTHWIND, &[900, 901, 902, 903]).await);
    // The upload is one row of the audit trail, its resumption under it.
    let audit = browser.page("/audit", 200).await;
    assert_eq!(
        audit.matches(&format!("href=\"{job}\"")).count(),
        1,
        "{audit}"
    );
    let row = &audit[audit.find("Upload submitted").expect("the upload's row")..];
    let later = row
        .find("class=\"later\"")
        .expect("its resumption under it");
    assert!(row[later..].contains("Upload resumed"), "{audit}");
}

/// A refusal says Partner Center did nothing with the part, and it may keep that answer under
/// the part's request id: sending the rest goes under a new one, or the same refusal would
/// come back for ever.
#[tokio::test]
async fn a_refused_part_is_sent_again_under_a_new_request_id() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("two.csv", autopilot_csv(950, 2).into_bytes()),
            "Refused then sent",
        ),
    )
    .await;
    // Throttled on every attempt the client makes: a refusal, not a lost answer.
    let throttled = ztd_dashboard::sandbox::FaultSettings {
        throttle_burst: 4,
        burst_retry_after_secs: 1,
        ..Default::default()
    };
    set_faults_at(&app.sandbox_url, throttled).await;
    let job = location(&browser.post(&format!("{preview}/submit")).await);
    let page = submit_wait(&browser, &job).await;
    assert!(
        page.contains("Partner Center is busy (throttling)"),
        "{page}"
    );
    let refused: Vec<String> = upload_posts(&app)
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert!(refused.iter().all(|id| *id == refused[0]), "{refused:?}");

    let resumed = browser.post(&format!("{job}/resume")).await;
    assert_eq!(resumed.status(), 303);
    let page = submit_wait(&browser, &job).await;
    assert!(accepted(&page), "{page}");
    let posts = upload_posts(&app).await;
    assert_eq!(posts.len(), 5, "{posts:?}");
    assert_ne!(posts[4].1, refused[0], "sent again under a new request id");
    assert!(registered(&app, NORTHWIND, &[950, 951]).await);
}

#[tokio::test]
async fn a_draft_of_more_rows_than_one_insert_takes_is_stored_whole_and_in_order() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    // 1,201 devices: three insert statements, the last of one row. Row 503 (the 502nd
    // device, in the second statement) repeats the first device's hash.
    let mut csv = autopilot_csv(1, 1_201);
    let first_hash = hash(1);
    csv = csv.replacen(&hash(502), &first_hash, 1);
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(file_form("big.csv", csv.into_bytes()), "Northwind big"),
    )
    .await;
    let upload_id = upload_id(&preview);
    let store = app.store().await;
    let rows = store
        .rows(
            &upload_id,
            ztd_dashboard::server::uploads::model::RowFilter::All,
            0,
            5_000,
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1_201);
    for (index, row) in rows.iter().enumerate() {
        let device = index as u32 + 1;
        assert_eq!(row.device.row, device + 1, "rows in order");
        assert_eq!(
            row.device.serial_number.as_deref(),
            Some(format!("SN-{device:05}").as_str())
        );
        let repeat = device == 502;
        assert_eq!(row.has_error, repeat, "row {}", row.device.row);
        if !repeat {
            assert_eq!(row.device.hardware_hash, Some(hash(device)));
        }
    }
    assert_eq!(
        rows[501].findings[0].message,
        "Same hardware hash as row 2: a device can be uploaded once. Remove one of the two rows."
    );
}

#[tokio::test]
async fn a_draft_edit_waiting_on_a_submission_under_way_elsewhere_changes_nothing() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("race.csv", autopilot_csv(900, 3).into_bytes()),
            "Race",
        ),
    )
    .await;
    let upload_id = upload_id(&preview);
    let store = app.store().await;
    // Another replica's submission, caught between claiming the draft and committing its parts.
    let mut submission = store.pool().begin().await.unwrap();
    let claimed =
        sqlx::query("UPDATE operations SET state = 'submitting' WHERE id = $1 AND state = 'draft'")
            .bind(upload_id)
            .execute(&mut *submission)
            .await
            .unwrap();
    assert_eq!(claimed.rows_affected(), 1);
    // Removing row 3 meanwhile (on this replica): it must wait, then find no draft.
    let edit = tokio::spawn({
        let store = store.clone();
        async move { store.set_excluded(&upload_id, &[3], true).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!edit.is_finished(), "the edit waits for the submission");
    submission.commit().await.unwrap();
    assert_eq!(edit.await.unwrap().unwrap(), 0, "then changes nothing");
    let rows = store
        .rows(
            &upload_id,
            ztd_dashboard::server::uploads::model::RowFilter::All,
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().all(|row| !row.excluded),
        "every row is still sent"
    );
}

#[tokio::test]
async fn a_file_for_a_customer_the_user_cannot_open_is_never_read() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    // Not a workbook at all: read, it would be refused as such (415).
    let junk = file_form("junk.xlsx", b"PK\x03\x04 this is no workbook".to_vec());
    let made_up = "8b7c6a1e-0000-4000-8000-0000000000ff";
    let response = upload(&browser, made_up, to_new_batch(junk, "Never")).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 404, "the customer is checked first: {body}");
    assert!(body.contains("not found in Partner Center"), "{body}");
    assert!(
        !body.to_lowercase().contains("workbook"),
        "not read: {body}"
    );
}

#[tokio::test]
async fn one_user_has_a_bounded_number_of_files_read_at_once() {
    let app = spawn_app_with(&[("ZTD_PARSE_PER_USER", "1")]).await;
    let browser = signed_in(&app).await;
    // Big enough that reading one (a debug build) outlasts the arrival of the other.
    let csv = autopilot_csv(20_000, 6_000).into_bytes();
    let send = |name: &'static str| {
        upload(
            &browser,
            CONTOSO,
            to_new_batch(file_form(name, csv.clone()), name),
        )
    };
    let (first, second) = tokio::join!(send("one.csv"), send("two.csv"));
    let mut statuses = vec![first.status().as_u16(), second.status().as_u16()];
    let bodies = [first.text().await.unwrap(), second.text().await.unwrap()];
    statuses.sort();
    assert_eq!(statuses, [303, 429], "{bodies:?}");
    assert!(
        bodies.iter().any(|b| b.contains("still being read")),
        "{bodies:?}"
    );
    // Once the first is read, the next one is taken.
    let again = upload(
        &browser,
        CONTOSO,
        to_new_batch(file_form("three.csv", csv.clone()), "three"),
    )
    .await;
    assert_eq!(again.status(), 303);
}

#[tokio::test]
async fn a_missing_or_refused_batch_name_keeps_the_draft_and_the_preview_asks_for_it() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    // No name: the file is checked and kept; the preview asks for the name, and nothing can
    // be sent without it.
    let form = file_form("d.csv", autopilot_csv(1, 2).into_bytes()).text("target", "new");
    let address = draft(&browser, NORTHWIND, form).await;
    assert!(address.ends_with("?done=batch-name-needed"), "{address}");
    let preview = browser.page(&address, 200).await;
    assert!(
        preview.contains("The devices were checked and kept as a draft. Name the batch"),
        "{preview}"
    );
    assert!(
        preview.contains("The new batch has no name yet."),
        "{preview}"
    );
    assert!(
        preview.contains("<button type=\"submit\" disabled>Register 2 devices in a new batch"),
        "{preview}"
    );
    let base = address.split('?').next().unwrap().to_string();
    let refused = browser.post(&format!("{base}/submit")).await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains("The new batch has no name yet."), "{text}");
    assert!(upload_posts(&app).await.is_empty(), "nothing was sent");
    let history = browser.page("/uploads", 200).await;
    assert!(history.contains("a new batch, not named yet"), "{history}");

    // Named on the preview, it goes.
    let named = post_form(
        &browser,
        &format!("{base}/target"),
        &[("target", "new"), ("batch_name", "Named Later")],
    )
    .await;
    assert_eq!(named.status(), 303);
    let job = submit(&browser, &base).await;
    assert!(job.contains("Named Later"), "{job}");
    assert_eq!(upload_posts(&app).await.len(), 1);

    // A name Partner Center would refuse: kept too, and the preview says why.
    let form = to_new_batch(file_form("d.csv", autopilot_csv(3, 1).into_bytes()), "a/b");
    let address = draft(&browser, NORTHWIND, form).await;
    let preview = browser.page(&address, 200).await;
    assert!(
        preview.contains("“a/b” cannot be a batch name"),
        "{preview}"
    );
    assert!(
        preview.contains("Register 1 device in a new batch"),
        "{preview}"
    );
}

#[tokio::test]
async fn a_draft_is_discarded_by_its_owner_and_never_once_submitted() {
    let app = spawn_app().await;
    let avery = signed_in(&app).await;
    let file = || {
        to_new_batch(
            file_form("give-up.csv", autopilot_csv(1, 2).into_bytes()),
            "Given Up",
        )
    };
    let preview = draft(&avery, NORTHWIND, file()).await;
    let history = avery.page("/uploads", 200).await;
    assert!(
        history.contains("aria-label=\"Discard the draft of file “give-up.csv”\""),
        "{history}"
    );

    // Someone else cannot, and the history offers them nothing.
    let namesake = Browser::new(&app);
    namesake.sign_in(NAMESAKE, "/customers").await;
    let theirs = namesake
        .page(&format!("/customers/{NORTHWIND}/uploads"), 200)
        .await;
    assert!(
        theirs.contains("give-up.csv") && !theirs.contains("Discard the draft"),
        "{theirs}"
    );
    let refused = post_form(
        &namesake,
        &format!("{preview}/discard"),
        &[("then", "uploads")],
    )
    .await;
    assert_eq!(refused.status(), 403);
    avery.page(&preview, 200).await;

    // Its owner can: from the preview, to a new upload form that says which draft went.
    let discarded = post_form(
        &avery,
        &format!("{preview}/discard"),
        &[("then", "new-upload")],
    )
    .await;
    assert_eq!(discarded.status(), 303);
    let next = location(&discarded);
    assert!(
        next.starts_with(&format!(
            "/customers/{NORTHWIND}/uploads/new?done=draft-discarded&about="
        )),
        "{next}"
    );
    let form = avery.page(&next, 200).await;
    assert!(
        form.contains("The draft of file “give-up.csv” was discarded with its file."),
        "{form}"
    );
    avery.page(&preview, 404).await;
    assert!(!avery.page("/uploads", 200).await.contains("give-up.csv"));
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM upload_rows")
        .fetch_one(app.store().await.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "its rows went with it");

    // From a history, back to that history.
    let preview = draft(&avery, NORTHWIND, file()).await;
    let discarded = post_form(
        &avery,
        &format!("{preview}/discard"),
        &[("then", "uploads")],
    )
    .await;
    assert!(location(&discarded).starts_with("/uploads?done=draft-discarded&about="));

    // Once submitted, it is a job, and stays one.
    let preview = draft(&avery, NORTHWIND, file()).await;
    let job = submitted(&avery, &preview).await;
    let late = post_form(
        &avery,
        &format!("{preview}/discard"),
        &[("then", "new-upload")],
    )
    .await;
    assert_eq!(late.status(), 303);
    assert_eq!(location(&late), job);
    submit_wait(&avery, &job).await;
    assert_eq!(upload_posts(&app).await.len(), 1);
}

#[tokio::test]
async fn the_preview_and_the_job_say_how_many_pages_of_rows_they_have() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("long.csv", autopilot_csv(1, 150).into_bytes()),
            "Long",
        ),
    )
    .await;
    let first = browser.page(&preview, 200).await;
    assert!(first.contains("Page 1 of 2"), "{first}");
    let second = browser.page(&format!("{preview}?page=2"), 200).await;
    assert!(second.contains("Page 2 of 2"), "{second}");
    // Only the rows with findings: none, so one page and no pager.
    let findings = browser.page(&format!("{preview}?only=findings"), 200).await;
    assert!(!findings.contains("Row pages"), "{findings}");

    let job = submitted(&browser, &preview).await;
    let page = submit_wait(&browser, &job).await;
    assert!(page.contains("Page 1 of 2"), "{page}");
    let second = browser.page(&format!("{job}?page=2"), 200).await;
    assert!(second.contains("Page 2 of 2"), "{second}");
}
