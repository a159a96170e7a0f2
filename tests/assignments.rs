//! An Autopilot profile applied to devices (ticked on a batch page, a whole batch on every
//! page, the devices an upload registered) or removed from them is an operation: stored with
//! its parts' request ids before the `PATCH` goes, followed through Partner Center's job until
//! every device has its outcome, sent again under the same id while an answer is lost,
//! finished after a crash by the next process, and shown on its page, in the history and in
//! the audit trail. Over real HTTP against the sandbox, JavaScript off; on SQLite and
//! PostgreSQL.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::process::Dashboard;
use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::partner::seed::{LARGE_BATCH, LARGE_BATCH_DEVICES};
use ztd_dashboard::sandbox::FaultSettings;

const PO_BATCH: &str = "Contoso-PO-4711";

fn batch_page(batch: &str) -> String {
    format!(
        "/customers/{CONTOSO}/batches/{}",
        ztd_dashboard::urls::encode(batch)
    )
}

/// The id of the profile an option of the page's profile choice shows as `label`.
fn profile_option(page: &str, label: &str) -> String {
    let at = page
        .find(&format!(">{label}<"))
        .unwrap_or_else(|| panic!("an option {label:?}: {page}"));
    let start = page[..at].rfind("value=\"").unwrap() + "value=\"".len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// The device ids the page's checkboxes carry, in order.
fn ticks(page: &str) -> Vec<String> {
    page.match_indices("name=\"device\" value=\"")
        .map(|(at, found)| {
            let start = at + found.len();
            page[start..start + page[start..].find('"').unwrap()].to_string()
        })
        .collect()
}

/// The profile id each of Contoso's devices has, as the sandbox holds it.
async fn profiles_held(sandbox_url: &str) -> std::collections::HashMap<String, Option<String>> {
    admin_list_at(sandbox_url, &format!("customers/{CONTOSO}/devices"))
        .await
        .into_iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["policy"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// The assignment's page, once it says `done` (Partner Center finished every device).
async fn until_page_says(browser: &Browser, page: &str, done: &str) -> String {
    let mut shown = String::new();
    for _ in 0..150 {
        shown = browser.page(page, 200).await;
        if shown.contains(done) {
            return shown;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never said {done:?}: {shown}");
}

/// The `MS-RequestId`s of the `PATCH DevicePolicyUpdates` the sandbox received, in order.
async fn patch_ids(sandbox_url: &str) -> Vec<String> {
    admin_list_at(sandbox_url, "requests")
        .await
        .into_iter()
        .filter(|r| {
            r["method"] == "PATCH"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/DevicePolicyUpdates"))
        })
        .map(|r| r["request_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_profile_goes_to_ticked_devices_to_a_whole_batch_and_is_removed_from_one() {
    // Parts of 100 devices: the 263-device batch goes in three.
    let app = spawn_app_with(&[("ZTD_UPLOAD_CHUNK_SIZE", "100")]).await;
    let browser = signed_in(&app).await;
    let large = batch_page(LARGE_BATCH);
    let page = browser.page(&large, 200).await;
    let standard = profile_option(&page, "Standard user OOBE");
    let kiosk = profile_option(&page, "Shared kiosk");
    let devices = ticks(&page);
    assert_eq!(devices.len(), 100, "a checkbox for each device of the page");
    assert!(
        page.contains(&format!("All {LARGE_BATCH_DEVICES} devices of this batch")),
        "{page}"
    );

    // Three ticked devices.
    let three = &devices[..3];
    let mut fields = vec![("profile", standard.as_str()), ("devices", "selected")];
    fields.extend(three.iter().map(|id| ("device", id.as_str())));
    let response = post_form(&browser, &format!("{large}/profile"), &fields).await;
    assert_eq!(response.status(), 303);
    let sent = location(&response);
    assert!(sent.ends_with("?done=assignment-sent"), "{sent}");
    let assignment = sent.trim_end_matches("?done=assignment-sent").to_string();
    let page = browser.page(&sent, 200).await;
    assert!(
        page.contains("Applying the profile “Standard user OOBE”"),
        "{page}"
    );
    assert!(page.contains("Sent to Partner Center."), "{page}");
    let page = until_page_says(&browser, &assignment, "Done. Every device has the profile.").await;
    assert!(
        page.contains("3 of 3 devices done: 3 changed, 0 not"),
        "{page}"
    );
    let held = profiles_held(&app.sandbox_url).await;
    for id in three {
        assert_eq!(held[id].as_deref(), Some(standard.as_str()), "{id}");
    }
    assert_eq!(
        held.values()
            .filter(|p| p.as_deref() == Some(standard.as_str()))
            .count(),
        3,
        "only the ticked devices"
    );

    // The whole batch, every page of it, in parts of 100.
    let response = post_form(
        &browser,
        &format!("{large}/profile"),
        &[("profile", kiosk.as_str()), ("devices", "all")],
    )
    .await;
    let whole = location(&response)
        .trim_end_matches("?done=assignment-sent")
        .to_string();
    let page = until_page_says(&browser, &whole, "Done. Every device has the profile.").await;
    assert!(
        page.contains(&format!(
            "{LARGE_BATCH_DEVICES} of {LARGE_BATCH_DEVICES} devices done"
        )),
        "{page}"
    );
    assert_eq!(
        patch_ids(&app.sandbox_url).await.len(),
        1 + 3,
        "three parts of 100"
    );
    let held = profiles_held(&app.sandbox_url).await;
    assert_eq!(
        held.values()
            .filter(|p| p.as_deref() == Some(kiosk.as_str()))
            .count(),
        LARGE_BATCH_DEVICES + 4,
        "the batch's devices, and the four of the kiosk batch that had it already"
    );

    // Removed from one; the batch page shows names, and finds it across its pages.
    let one = &devices[150 % devices.len()];
    let response = post_form(
        &browser,
        &format!("{large}/profile"),
        &[
            ("profile", "none"),
            ("devices", "selected"),
            ("device", one),
        ],
    )
    .await;
    let removal = location(&response)
        .trim_end_matches("?done=assignment-sent")
        .to_string();
    let page = until_page_says(
        &browser,
        &removal,
        "Done. The profile was removed from every device.",
    )
    .await;
    assert!(
        page.contains("not yet confirmed against the real"),
        "{page}"
    );
    assert_eq!(profiles_held(&app.sandbox_url).await[one], None);
    // The device index shows the profiles as the assignments left them, without reading
    // Partner Center again.
    let serial = admin_list_at(&app.sandbox_url, &format!("customers/{CONTOSO}/devices"))
        .await
        .into_iter()
        .find(|d| d["id"] == one.as_str())
        .and_then(|d| d["serialNumber"].as_str().map(str::to_string))
        .unwrap();
    let found = browser.page(&format!("/devices?q={serial}"), 200).await;
    assert!(found.contains("1 device matches"), "{found}");
    let kiosk_serial = admin_list_at(&app.sandbox_url, &format!("customers/{CONTOSO}/devices"))
        .await
        .into_iter()
        .find(|d| d["id"] == devices[0].as_str())
        .and_then(|d| d["serialNumber"].as_str().map(str::to_string))
        .unwrap();
    let found = browser
        .page(&format!("/devices?q={kiosk_serial}"), 200)
        .await;
    assert!(found.contains("Shared kiosk"), "{found}");
    let batch = browser.page(&large, 200).await;
    assert!(batch.contains("Shared kiosk"), "profiles by name: {batch}");
    assert!(batch.contains("Without a profile"), "{batch}");
    let without = browser.page(&format!("{large}?show=no-profile"), 200).await;
    assert_eq!(ticks(&without), vec![one.clone()], "{without}");
    assert!(without.contains("Without a profile (1)"), "{without}");

    // The history and the audit trail name who did what, and lead to each assignment.
    let history = browser
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    assert!(
        history.contains("the profile “Shared kiosk” applied"),
        "{history}"
    );
    assert!(history.contains("the profile removed"), "{history}");
    assert!(history.contains(&format!("href=\"{whole}\"")), "{history}");
    let audit = browser.page("/audit", 200).await;
    assert!(
        audit.contains(&format!(
            "The profile “Shared kiosk” sent to {LARGE_BATCH_DEVICES} devices of the batch “{LARGE_BATCH}”."
        )),
        "{audit}"
    );
    assert!(audit.contains(&format!("href=\"{removal}\"")), "{audit}");
}

#[tokio::test]
async fn an_assignment_whose_answer_was_lost_goes_again_under_its_request_id() {
    let app = spawn_app_configured(&[], |config| {
        config.partner_center_timeout = Duration::from_secs(1)
    })
    .await;
    let browser = signed_in(&app).await;
    let po = batch_page(PO_BATCH);
    let page = browser.page(&po, 200).await;
    let standard = profile_option(&page, "Standard user OOBE");
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
    let response = post_form(
        &browser,
        &format!("{po}/profile"),
        &[("profile", standard.as_str()), ("devices", "all")],
    )
    .await;
    let assignment = location(&response)
        .trim_end_matches("?done=assignment-sent")
        .to_string();
    let page = browser.page(&assignment, 200).await;
    assert!(page.contains("Not every part could be sent"), "{page}");
    assert!(
        page.contains("whether it took these devices is not known"),
        "{page}"
    );
    assert!(page.contains("Try again"), "{page}");

    set_faults_at(&app.sandbox_url, FaultSettings::default()).await;
    let retried = browser.post(&format!("{assignment}/resume")).await;
    assert_eq!(
        location(&retried),
        format!("{assignment}?done=assignment-retried")
    );
    let page = until_page_says(&browser, &assignment, "Done. Every device has the profile.").await;
    assert!(page.contains("12 of 12 devices done"), "{page}");
    let ids = patch_ids(&app.sandbox_url).await;
    assert!(ids.len() >= 2, "tried, then tried again: {ids:?}");
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        1,
        "every try under the request id stored first: {ids:?}"
    );

    // Found under its own customer only.
    let elsewhere = assignment.replace(CONTOSO, FABRIKAM);
    browser.page(&elsewhere, 404).await;
    assert_eq!(
        browser.post(&format!("{elsewhere}/resume")).await.status(),
        404
    );
}

/// The profile is deleted while Partner Center's job waits in its queue: every device fails
/// with 809, which the page explains with what to do.
#[tokio::test]
async fn a_profile_deleted_before_its_job_ran_fails_each_device_with_words() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let created = post_form(
        &browser,
        &format!("/customers/{CONTOSO}/profiles"),
        &[("name", "Short-lived")],
    )
    .await;
    assert_eq!(created.status(), 303);
    let po = batch_page(PO_BATCH);
    let page = browser.page(&po, 200).await;
    let short_lived = profile_option(&page, "Short-lived");
    let two = ticks(&page)[..2].to_vec();
    let response = post_form(
        &browser,
        &format!("{po}/profile"),
        &[
            ("profile", short_lived.as_str()),
            ("devices", "selected"),
            ("device", &two[0]),
            ("device", &two[1]),
        ],
    )
    .await;
    let assignment = location(&response)
        .trim_end_matches("?done=assignment-sent")
        .to_string();
    // The sandbox's job stays queued for a second: the profile goes first.
    let deleted = browser
        .post(&format!(
            "/customers/{CONTOSO}/profiles/{short_lived}/delete"
        ))
        .await;
    assert_eq!(deleted.status(), 303);
    let page = until_page_says(&browser, &assignment, "could not be changed").await;
    assert!(
        page.contains("2 of 2 devices could not be changed"),
        "{page}"
    );
    assert!(page.contains("809"), "{page}");
    assert!(
        page.contains("The profile is not registered to this customer"),
        "{page}"
    );
    let history = browser
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    assert!(history.contains("Finished with errors"), "{history}");
}

#[tokio::test]
async fn what_cannot_be_sent_is_refused_before_anything_is_stored() {
    // Fewer than the 12 devices of the batch.
    let app = spawn_app_with(&[("ZTD_UPLOAD_MAX_ROWS", "10")]).await;
    let browser = signed_in(&app).await;
    let po = batch_page(PO_BATCH);
    let page = browser.page(&po, 200).await;
    let standard = profile_option(&page, "Standard user OOBE");
    let apply = format!("{po}/profile");
    let refused = |response: reqwest::Response, status: u16| async move {
        assert_eq!(response.status(), status);
        response.text().await.unwrap()
    };
    let nothing = refused(
        post_form(&browser, &apply, &[("devices", "all")]).await,
        400,
    )
    .await;
    assert!(nothing.contains("Choose the profile"), "{nothing}");
    let none_ticked = refused(
        post_form(
            &browser,
            &apply,
            &[("profile", &standard), ("devices", "selected")],
        )
        .await,
        400,
    )
    .await;
    assert!(none_ticked.contains("Tick the devices"), "{none_ticked}");
    let gone = refused(
        post_form(
            &browser,
            &apply,
            &[
                ("profile", &standard),
                ("device", "not-a-device-of-this-batch"),
            ],
        )
        .await,
        409,
    )
    .await;
    assert!(gone.contains("no longer in this batch"), "{gone}");
    let unknown_profile = refused(
        post_form(
            &browser,
            &apply,
            &[
                ("profile", "00000000-0000-4000-8000-00000000abcd"),
                ("devices", "all"),
            ],
        )
        .await,
        409,
    )
    .await;
    assert!(
        unknown_profile.contains("no longer in Partner Center"),
        "{unknown_profile}"
    );
    let too_many = refused(
        post_form(
            &browser,
            &apply,
            &[("profile", &standard), ("devices", "all")],
        )
        .await,
        413,
    )
    .await;
    assert!(
        too_many.contains("At most 10 devices can be changed at once, and 12 were chosen."),
        "{too_many}"
    );
    assert!(patch_ids(&app.sandbox_url).await.is_empty());
    let history = browser
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    assert!(!history.contains("/operations/"), "{history}");
}

/// A Sales agent's first assignment is refused by Partner Center: the page says only Admin
/// agents may, and the batch page then offers no profile form to them.
#[tokio::test]
async fn a_sales_agent_is_told_why_and_offered_no_form_after() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(SALES, "/customers").await;
    let po = batch_page(PO_BATCH);
    let page = browser.page(&po, 200).await;
    let standard = profile_option(&page, "Standard user OOBE");
    let response = post_form(
        &browser,
        &format!("{po}/profile"),
        &[("profile", standard.as_str()), ("devices", "all")],
    )
    .await;
    let assignment = location(&response)
        .trim_end_matches("?done=assignment-sent")
        .to_string();
    let page = browser.page(&assignment, 200).await;
    assert!(page.contains("Only Admin agents"), "{page}");
    let batch = browser.page(&po, 200).await;
    assert!(batch.contains("Only Admin agents"), "{batch}");
    assert!(
        !batch.contains("name=\"profile\""),
        "no profile to choose: {batch}"
    );
    let again = post_form(
        &browser,
        &format!("{po}/profile"),
        &[("profile", standard.as_str()), ("devices", "all")],
    )
    .await;
    assert_eq!(again.status(), 403);
}

/// The devices an upload registered get a profile from its job page.
#[tokio::test]
async fn the_devices_an_upload_registered_get_a_profile_from_its_job_page() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let form = to_new_batch(
        file_form("devices.csv", autopilot_csv(9_100, 3).into_bytes()),
        "Assigned after upload",
    );
    let preview = draft(&browser, CONTOSO, form).await;
    let job = submitted(&browser, &preview).await;
    let (_, page) = until_finished(&browser, &job).await;
    assert!(
        page.contains("Give the 3 devices this upload registered an Autopilot profile"),
        "{page}"
    );
    let kiosk = profile_option(&page, "Shared kiosk");
    let response = post_form(
        &browser,
        &format!("{job}/profile"),
        &[("profile", kiosk.as_str())],
    )
    .await;
    assert_eq!(response.status(), 303);
    let assignment = location(&response)
        .trim_end_matches("?done=assignment-sent")
        .to_string();
    let page = until_page_says(&browser, &assignment, "Done. Every device has the profile.").await;
    assert!(page.contains("3 of 3 devices done"), "{page}");
    assert!(page.contains("Assigned after upload"), "{page}");
}

/// The dashboard is killed while its `PATCH` is under way; the next process sends it again
/// under the same request id on the stored sign-in, and follows the job to its end.
#[tokio::test]
async fn an_assignment_cut_off_by_a_crash_is_finished_by_the_next_process() {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let leases = [("ZTD_WORK_LEASE_SECS", "5")];
    let dashboard = Dashboard::start(port, &app, &sandbox, &leases).await;
    let browser = signed_in(&app).await;
    let po = batch_page(PO_BATCH);
    let page = browser.page(&po, 200).await;
    let standard = profile_option(&page, "Standard user OOBE");
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
    let sent = tokio::spawn({
        let browser = browser.via(&app.address);
        let apply = format!("{po}/profile");
        let standard = standard.clone();
        async move {
            post_form(
                &browser,
                &apply,
                &[("profile", standard.as_str()), ("devices", "all")],
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    dashboard.kill();
    assert!(sent.await.is_err(), "the assignment was cut off");

    let _restarted = Dashboard::start(port, &app, &sandbox, &leases).await;
    let history = browser
        .page(&format!("/customers/{CONTOSO}/uploads"), 200)
        .await;
    let at = history
        .find("/operations/")
        .expect("the assignment in the history");
    let start = history[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let assignment = history[start..start + history[start..].find('"').unwrap()].to_string();
    let page = until_page_says(&browser, &assignment, "Done. Every device has the profile.").await;
    assert!(page.contains("12 of 12 devices done"), "{page}");
    let ids = patch_ids(sandbox.base_url()).await;
    assert_eq!(
        ids.len(),
        2,
        "sent, then sent again after the restart: {ids:?}"
    );
    assert_eq!(ids[0], ids[1], "under the same request id: {ids:?}");
}
