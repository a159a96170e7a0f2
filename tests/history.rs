//! What is left behind: the upload history pages, the append-only audit trail, and deleting a
//! device from a batch (asked first, then recorded).

mod common;

use common::uploads::*;
use common::*;
use ztd_dashboard::server::store::Store;

const SALES: &str = "sales@sandbox-partner.onmicrosoft.com";

/// Rows of a history table, by their upload links, in page order.
fn listed(page: &str) -> Vec<&str> {
    page.split("<tr class=\"upload ").skip(1).collect()
}

#[tokio::test]
async fn the_history_lists_uploads_newest_first_by_status_user_and_page() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let sales = Browser::new(&app);
    sales.sign_in(SALES, "/customers").await;

    let first = draft(
        &admin,
        CONTOSO,
        to_new_batch(
            file_form("first.csv", autopilot_csv(9000, 1).into_bytes()),
            "History one",
        ),
    )
    .await;
    let job = submitted(&admin, &first).await;
    // Times are kept to the second: the second upload comes a second later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    draft(
        &sales,
        CONTOSO,
        to_new_batch(
            file_form("second.csv", autopilot_csv(9001, 2).into_bytes()),
            "History two",
        ),
    )
    .await;

    let page = admin
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    let rows = listed(&page);
    assert_eq!(rows.len(), 2, "{page}");
    assert!(rows[0].contains("second.csv") && rows[0].contains(SALES));
    assert!(rows[0].contains("Draft"));
    assert!(rows[1].contains("first.csv") && rows[1].contains(&job));

    let drafts = admin
        .page(&format!("/customers/{CONTOSO}/uploads?status=draft"), 200)
        .await;
    assert_eq!(listed(&drafts).len(), 1);
    // The job page and the history read one status, worked out in one place.
    let (_, job_page) = until_finished(&admin, &job).await;
    assert!(job_page.contains("class=\"state finished\""), "{job_page}");
    let finished = admin
        .page(
            &format!("/customers/{CONTOSO}/uploads?status=finished"),
            200,
        )
        .await;
    let finished = listed(&finished);
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert!(finished[0].contains("first.csv") && finished[0].contains("Finished"));
    let uploads_by = |user: &str| {
        format!(
            "/customers/{CONTOSO}/uploads?user={}",
            ztd_dashboard::urls::encode(user)
        )
    };
    let by_admin = admin.page(&uploads_by(ADMIN), 200).await;
    assert_eq!(listed(&by_admin).len(), 1);
    assert!(listed(&by_admin)[0].contains("first.csv"));

    // Every customer the admin uploaded to: Contoso, and its colleague's upload there.
    let all = admin.page("/uploads", 200).await;
    assert_eq!(listed(&all).len(), 2, "{all}");
    assert!(all.contains("Contoso"));

    // Sixty older uploads: fifty on the first page, the rest on the second.
    let store = app.store().await;
    for n in 0..60 {
        old_draft(
            &store,
            &format!("old-{n:02}.csv"),
            None,
            1_000_000 + n as i64,
        )
        .await;
    }
    let first_page = admin
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    assert_eq!(listed(&first_page).len(), 50);
    assert!(first_page.contains("rel=\"next\""));
    assert!(first_page.contains("Page 1 of 2"), "{first_page}");
    assert!(listed(&first_page)[2].contains("old-59.csv"));
    let second_page = admin
        .page(&format!("/customers/{CONTOSO}/uploads?page=2"), 200)
        .await;
    assert_eq!(listed(&second_page).len(), 12);
    assert!(second_page.contains("Page 2 of 2"), "{second_page}");
    let past_the_end = admin
        .page(&format!("/customers/{CONTOSO}/uploads?page=3"), 200)
        .await;
    assert!(!past_the_end.contains(" of 2"), "{past_the_end}");
    assert!(listed(&second_page)[11].contains("old-00.csv"));

    // A user name beyond ASCII is found by its own spelling, with ASCII letters in any case,
    // as the database lowers them (only ASCII, on both backends).
    let upn = "Åsa.Öberg@Sandbox-Partner.onmicrosoft.com";
    old_draft(&store, "asa.csv", Some(upn), 1).await;
    for spelling in [upn, "Åsa.Öberg@sandbox-partner.ONMICROSOFT.com"] {
        let by_asa = admin.page(&uploads_by(spelling), 200).await;
        assert_eq!(listed(&by_asa).len(), 1, "{spelling}: {by_asa}");
        assert!(listed(&by_asa)[0].contains("asa.csv"));
    }
}

#[tokio::test]
async fn the_audit_trail_records_each_action_and_cannot_be_changed() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    // A sign-in this browser started, answered with another state: it fails and is recorded.
    let stranger = Browser::new(&app);
    assert_eq!(stranger.get("/auth/login").await.status(), 303);
    let failed = stranger.get("/auth/callback?code=x&state=forged").await;
    assert_eq!(failed.status(), 400);
    // A callback nobody started, with made-up text: refused, and not written anywhere.
    let anonymous = Browser::new(&app);
    let crafted = anonymous
        .get("/auth/callback?error=x&error_description=Call%20us%20now")
        .await;
    assert_eq!(crafted.status(), 400);

    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("audited.csv", autopilot_csv(9100, 2).into_bytes()),
            "Audited",
        ),
    )
    .await;
    let job = submitted(&browser, &preview).await;
    until_finished(&browser, &job).await;

    let page = browser.page("/audit", 200).await;
    assert!(
        !page.contains("aria-label=\"Audit pages\""),
        "a trail that fits on one page has no pager: {page}"
    );
    for (what, detail) in [
        ("Signed in", "Avery Admin signed in."),
        (
            "Sign-in failed",
            "did not match the one this browser started",
        ),
        (
            "Upload submitted",
            "2 device(s) from audited.csv into the new batch “Audited”.",
        ),
    ] {
        assert!(page.contains(what), "{what}: {page}");
        assert!(page.contains(detail), "{detail}: {page}");
    }
    assert!(page.contains(&job), "the submission links to its job");
    assert!(!page.contains("Call us now"), "{page}");
    assert!(page.contains(ADMIN));

    // Fifty-five more sign-ins: two pages of fifty, and the pager says so.
    let store = app.store().await;
    for _ in 0..55 {
        sqlx::query(
            "INSERT INTO audit_events (at, action, outcome, tenant_id, object_id, upn, detail, \
             correlation_id) SELECT at, action, outcome, tenant_id, object_id, upn, detail, \
             correlation_id FROM audit_events WHERE action = 'sign-in' AND outcome = 'ok' LIMIT 1",
        )
        .execute(store.pool())
        .await
        .unwrap();
    }
    let first = browser.page("/audit", 200).await;
    assert!(first.contains("Page 1 of 2"), "{first}");
    let second = browser.page("/audit?page=2", 200).await;
    assert!(second.contains("Page 2 of 2"), "{second}");

    for change in [
        "UPDATE audit_events SET detail = 'nothing happened'",
        "DELETE FROM audit_events",
    ] {
        let refused = sqlx::query(change).execute(store.pool()).await;
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("the audit trail is append-only"),
            "{change}"
        );
    }
}

#[tokio::test]
async fn deleting_a_device_asks_first_then_removes_it_and_is_audited() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let batch = format!("/customers/{CONTOSO}/batches/Contoso-PO-4711");
    let page = browser.page(&batch, 200).await;
    let start = page.find("/devices/").expect("a delete link");
    let link_start = page[..start].rfind("href=\"").unwrap() + "href=\"".len();
    let link_end = link_start + page[link_start..].find('"').unwrap();
    let delete = page[link_start..link_end].replace("&amp;", "&");
    let device_id = delete.split('/').rev().nth(1).unwrap().to_string();

    let confirm = browser.page(&delete, 200).await;
    assert!(confirm.contains("Delete this device?"), "{confirm}");
    assert!(confirm.contains(&device_id));
    let devices =
        || async { admin_list_at(&app.sandbox_url, &format!("customers/{CONTOSO}/devices")).await };
    assert!(devices()
        .await
        .iter()
        .any(|d| d["id"] == device_id.as_str()));

    let name = audit_name(&app.sandbox_url, CONTOSO, &device_id).await;
    let response = browser.post(&delete).await;
    assert_eq!(response.status(), 303);
    let back = location(&response);
    assert!(
        back.starts_with(&format!("{batch}?done=device-deleted&about=")),
        "{back}"
    );
    assert!(!devices()
        .await
        .iter()
        .any(|d| d["id"] == device_id.as_str()));
    let after = browser.page(&location(&response), 200).await;
    assert!(
        after.contains(&format!("The device {name} was deleted from this batch.")),
        "{after}"
    );
    // Only what the dashboard sealed is named: words put in the address by hand are not.
    let forged = browser
        .page(&format!("{batch}?done=device-deleted&about=HACKED"), 200)
        .await;
    assert!(forged.contains("The device was deleted from this batch."));
    assert!(!forged.contains("HACKED"), "{forged}");
    // …and what it sealed names nothing on another batch's page.
    let about = &back[back.find("&about=").unwrap()..];
    let elsewhere = browser
        .page(
            &format!("/customers/{CONTOSO}/batches/Kiosk%20refresh?done=device-deleted{about}"),
            200,
        )
        .await;
    assert!(elsewhere.contains("The device was deleted from this batch."));
    assert!(!elsewhere.contains(&name), "{elsewhere}");

    let audit = browser.page("/audit", 200).await;
    assert!(audit.contains("Device deleted"), "{audit}");
    assert!(audit.contains(&format!(
        "Device {name} deleted from the batch “Contoso-PO-4711” of Contoso Ltd."
    )));

    // Gone means gone: asking again says so in words.
    let again = browser.get(&delete).await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn file_names_are_only_ever_shown_as_text() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    for name in ["<b>bold</b>.csv", "../../etc/passwd.csv"] {
        let preview = draft(
            &browser,
            CONTOSO,
            to_new_batch(
                file_form(name, autopilot_csv(9200, 1).into_bytes()),
                "Names",
            ),
        )
        .await;
        let page = browser.page(&preview, 200).await;
        assert!(!page.contains("<b>bold</b>"), "{page}");
        assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;.csv") || name.starts_with(".."));
        assert!(page.contains("../../etc/passwd.csv") || name.starts_with('<'));
    }
    let history = browser
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    assert!(history.contains("&lt;b&gt;bold&lt;/b&gt;.csv"), "{history}");
    assert!(!history.contains("<b>bold</b>"));
    // The name is data, never a path: nothing was written beside the data directory.
    assert!(!app.data_dir.join("../../etc/passwd.csv").exists());
}

/// Every route that changes something, for a draft upload `u` of customer `c`.
fn write_routes(c: &str, u: &str) -> Vec<String> {
    let mut routes: Vec<String> = ["rows", "target", "submit", "sheet", "split"]
        .iter()
        .map(|action| format!("/customers/{c}/uploads/{u}/{action}"))
        .collect();
    routes.extend(
        ["resume", "retry", "profile"]
            .iter()
            .map(|action| format!("/customers/{c}/operations/{u}/{action}")),
    );
    routes.push(format!("/customers/{c}/uploads"));
    routes.push(format!(
        "/customers/{c}/batches/Contoso-PO-4711/devices/x/delete"
    ));
    routes.push(format!("/customers/{c}/batches/Contoso-PO-4711/profile"));
    routes.push(format!("/customers/{c}/batches/Contoso-PO-4711/delete"));
    routes.push("/devices/delete".into());
    routes.push("/devices/profile".into());
    routes.push(format!("/customers/{c}/profiles"));
    routes.push(format!("/customers/{c}/profiles/{u}"));
    routes.push(format!("/customers/{c}/profiles/{u}/delete"));
    routes.push(format!("/devices/check/{c}"));
    routes.push("/devices/read-all".into());
    routes.push("/auth/logout".into());
    routes
}

#[tokio::test]
async fn every_write_is_a_same_origin_post_and_nothing_else_changes_anything() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("writes.csv", autopilot_csv(9300, 1).into_bytes()),
            "Writes",
        ),
    )
    .await;
    let upload = upload_id(&preview).to_string();
    for route in write_routes(CONTOSO, &upload) {
        let url = format!("{}{route}", app.address);
        // From another site, or with a foreign Origin: refused before any handler.
        for (header, value) in [
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Site", "same-site"),
            ("Origin", "https://evil.example"),
        ] {
            let refused = browser.send(http().post(&url).header(header, value)).await;
            assert_eq!(refused.status(), 403, "{route} with {header}: {value}");
        }
        // By GET, PUT or DELETE: not a way to change anything (reads answer as pages; a
        // confirmation page asked without the devices it confirms says so, 400).
        for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
            let other = browser.send(http().request(method.clone(), &url)).await;
            assert_eq!(other.status(), 405, "{method} {route}");
        }
        let get = browser.get(&route).await;
        assert!(
            matches!(get.status().as_u16(), 200 | 400 | 404 | 405),
            "GET {route}: {}",
            get.status()
        );
    }
    // Nothing happened: the draft is still a draft, and still signed in.
    let page = browser.page(&preview, 200).await;
    assert!(
        page.contains("Register 1 device in the new batch “Writes”"),
        "{page}"
    );
    assert!(upload_posts(&app).await.is_empty());
}

#[tokio::test]
async fn drafts_never_submitted_are_deleted_with_their_file_after_the_retention() {
    let app = spawn_app_configured(&[], |config| {
        config.draft_retention = std::time::Duration::from_secs(3);
    })
    .await;
    let browser = signed_in(&app).await;
    let history = browser.page("/uploads", 200).await;
    assert!(
        history.contains(
            "Drafts that are not submitted are deleted, with their file, 3 seconds after"
        ),
        "{history}"
    );
    let submitted_one = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("kept.csv", autopilot_csv(9300, 1).into_bytes()),
            "Kept",
        ),
    )
    .await;
    let job = submitted(&browser, &submitted_one).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            // A workbook with other sheets: its file is kept with the draft.
            file_form("left.xlsx", device_workbook()),
            "Left",
        ),
    )
    .await;
    let store = app.store().await;
    let draft_id = upload_id(&preview).to_string();
    let files = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM upload_files WHERE upload_id = $1")
            .bind(&draft_id)
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    assert_eq!(files().await, 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while browser.get(&preview).await.status() == 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the draft is still there"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(browser.get(&preview).await.status(), 404);
    assert_eq!(files().await, 0, "the draft's file went with it");
    let history = browser.page("/uploads", 200).await;
    assert!(!history.contains("left.csv"), "{history}");
    assert!(history.contains("kept.csv"), "a submitted upload stays");
    browser.page(&job, 200).await;
}

/// Writes a draft of an earlier upload's customer straight into the database, created at
/// `created_at`, by `upn` (or by the earlier upload's user), from the file `file_name`.
async fn old_draft(store: &Store, file_name: &str, upn: Option<&str>, created_at: i64) {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO operations (id, kind, customer_id, customer_name, tenant_id, object_id, \
         upn, state, created_at, updated_at) \
         SELECT $1, 'upload', customer_id, customer_name, tenant_id, object_id, \
         COALESCE($2, upn), 'draft', $3, $3 FROM operations LIMIT 1",
    )
    .bind(&id)
    .bind(upn)
    .bind(created_at)
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO uploads (id, source, file_name, target, batch_id, report) \
         VALUES ($1, 'file', $2, 'new', 'Old', '{}')",
    )
    .bind(&id)
    .bind(file_name)
    .execute(store.pool())
    .await
    .unwrap();
}

/// An address whose ids are not ids names nothing: every write and download says so on a
/// page (404), before any handler looks further, never with a bare error text.
/// An operation's page had an address of its kind's before there was one page for any kind:
/// such an address still leads to the same place, a form post as a post.
#[tokio::test]
async fn an_operations_old_address_leads_to_the_same_place() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let id = "8b7c6a1e-0000-4000-8000-00000000ffff";
    for (method, old, new) in [
        (
            "GET",
            format!("jobs/{id}?show=failed"),
            format!("{id}?show=failed"),
        ),
        ("GET", format!("jobs/{id}/rows/3"), format!("{id}/rows/3")),
        ("GET", format!("assignments/{id}"), id.to_string()),
        (
            "POST",
            format!("deletions/{id}/retry"),
            format!("{id}/resume"),
        ),
        ("POST", format!("jobs/{id}/retry"), format!("{id}/retry")),
    ] {
        let old = format!("/customers/{CONTOSO}/{old}");
        let response = match method {
            "GET" => browser.get(&old).await,
            _ => browser.post(&old).await,
        };
        assert_eq!(response.status(), 308, "{old}");
        assert_eq!(
            location(&response),
            format!("/customers/{CONTOSO}/operations/{new}"),
            "{old}"
        );
    }
}

#[tokio::test]
async fn a_write_to_an_address_whose_ids_do_not_parse_is_refused_in_words() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let upload = "8b7c6a1e-0000-4000-8000-00000000ffff";
    for route in [
        format!("/customers/not-a-customer/uploads/{upload}/submit"),
        format!("/customers/{CONTOSO}/uploads/not-an-upload/rows"),
        format!("/customers/{CONTOSO}/operations/not-an-upload/resume"),
        format!("/customers/{CONTOSO}/operations/not-an-upload/retry"),
        format!("/customers/{CONTOSO}/batches/%20/devices/d/delete"),
        "/customers/not-a-customer/uploads".to_string(),
    ] {
        let response = browser.post(&route).await;
        assert_eq!(response.status(), 404, "{route}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Nothing is at this address"),
            "{route}: {page}"
        );
        assert!(
            page.contains("class=\"notice error refused\""),
            "said on the page the form was on: {route}: {page}"
        );
    }
    for download in ["failed.csv", "report.csv"] {
        let route = format!("/customers/{CONTOSO}/operations/not-an-upload/{download}");
        let response = browser.get(&route).await;
        assert_eq!(response.status(), 404, "{route}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Nothing is at this address"));
    }
}
