//! Never lose an upload: the dashboard process is killed (SIGKILL) in the middle of sending an
//! upload in parts, started again on the same data, and finishes the upload by itself, with
//! exactly one batch holding each device once; or, with two replicas sharing the database,
//! the other replica finishes it. The dashboard runs as its own process here, against a
//! sandbox in the test process that outlives it.

mod common;

use std::time::Duration;

use common::process::Dashboard;
use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::{FaultSettings, Sandbox};

/// Five devices go in three parts.
const CHUNKS_OF_TWO: &[(&str, &str)] = &[("ZTD_UPLOAD_CHUNK_SIZE", "2")];

/// The device-upload POSTs the sandbox has seen, in order.
async fn upload_posts(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    upload_post_log(sandbox.base_url()).await
}

/// Answered device-upload POSTs the sandbox has seen.
async fn answered_upload_posts(sandbox: &Sandbox) -> usize {
    upload_posts(sandbox)
        .await
        .iter()
        .filter(|r| r["outcome"] == "answered")
        .count()
}

/// Submits the draft at `preview` with every Partner Center call slowed to 700 ms, so that a
/// process can be stopped between parts; the job's address.
async fn submit_slowly(sandbox: &Sandbox, browser: &Browser, preview: &str) -> String {
    set_faults(
        sandbox,
        FaultSettings {
            latency_ms: 700,
            ..FaultSettings::default()
        },
    )
    .await;
    let response = browser.post(&format!("{preview}/submit")).await;
    assert_eq!(response.status(), 303);
    location(&response)
}

/// Waits (4 s at most) until Partner Center has answered the first part.
async fn until_a_part_is_answered(sandbox: &Sandbox) {
    for _ in 0..200 {
        if answered_upload_posts(sandbox).await >= 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A sandbox, and the dashboard started against it with a signed-in browser and a draft of
/// five devices for a new batch, sent in three parts.
struct Setup {
    sandbox: Sandbox,
    app: TestApp,
    port: u16,
    dashboard: Dashboard,
    browser: Browser,
    preview: String,
}

async fn setup(batch: &str, first_device: u32) -> Setup {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let dashboard = Dashboard::start(port, &app, &sandbox, CHUNKS_OF_TWO).await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("crash.csv", autopilot_csv(first_device, 5).into_bytes()),
            batch,
        ),
    )
    .await;
    Setup {
        sandbox,
        app,
        port,
        dashboard,
        browser,
        preview,
    }
}

/// How the dashboard is stopped mid-submission.
#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Kill,
    Terminate,
}

/// Submits with every Partner Center call slowed to 700 ms, and kills the dashboard once the
/// first part is answered, while the rest are unsent. Returns the job's address.
async fn submit_and_kill(setup: Setup) -> (Sandbox, TestApp, u16, Browser, String) {
    submit_and_stop(setup, Stop::Kill).await
}

async fn submit_and_stop(setup: Setup, stop: Stop) -> (Sandbox, TestApp, u16, Browser, String) {
    let Setup {
        sandbox,
        app,
        port,
        dashboard,
        browser,
        preview,
    } = setup;
    let job = submit_slowly(&sandbox, &browser, &preview).await;
    until_a_part_is_answered(&sandbox).await;
    match stop {
        Stop::Kill => dashboard.kill(),
        Stop::Terminate => {
            let (took, ended_well) = dashboard.terminate();
            assert!(ended_well, "SIGTERM ends the process with success");
            assert!(
                took < ztd_dashboard::server::startup::SHUTDOWN_GRACE + Duration::from_secs(5),
                "took {took:?}"
            );
        }
    }
    assert!(
        answered_upload_posts(&sandbox).await < 3,
        "the kill came too late to test anything"
    );
    set_faults(&sandbox, FaultSettings::default()).await;
    (sandbox, app, port, browser, job)
}

/// Each of the five devices from `first` is registered once, in `batch`.
async fn registered_once(sandbox: &Sandbox, batch: &str, first: u32) {
    let devices = admin_list_at(sandbox.base_url(), &format!("customers/{CONTOSO}/devices")).await;
    for n in first..first + 5 {
        let copies: Vec<_> = devices
            .iter()
            .filter(|d| d["hardwareHash"].as_str() == Some(hash(n).as_str()))
            .collect();
        assert_eq!(copies.len(), 1, "device {n} is registered once");
        assert_eq!(copies[0]["batchId"], batch);
    }
}

#[tokio::test]
async fn an_upload_killed_mid_submit_is_finished_after_a_restart_with_one_batch() {
    let (sandbox, app, port, browser, job) = submit_and_kill(setup("Crash test", 8100).await).await;
    let _restarted = Dashboard::start(port, &app, &sandbox, CHUNKS_OF_TWO).await;
    let (_, page) = until_finished(&browser, &job).await;
    assert!(page.contains("class=\"state finished\""), "{page}");
    assert!(
        page.contains("5 of 5 devices processed: 5 registered, 0 failed"),
        "{page}"
    );
    registered_once(&sandbox, "Crash test", 8100).await;
}

#[tokio::test]
async fn without_its_sign_in_an_interrupted_upload_waits_for_a_person_to_resume_it() {
    let (sandbox, app, port, browser, job) =
        submit_and_kill(setup("Crash resume", 8200).await).await;
    // The sign-in that sent it has ended while the dashboard was down.
    let store = app.store().await;
    sqlx::query("DELETE FROM sign_ins")
        .execute(store.pool())
        .await
        .unwrap();
    drop(store);

    let _restarted = Dashboard::start(port, &app, &sandbox, CHUNKS_OF_TWO).await;
    let browser = {
        drop(browser);
        signed_in(&app).await
    };
    let page = browser.page(&job, 200).await;
    assert!(page.contains("Could not be submitted"), "{page}");
    assert!(
        page.contains("the sign-in that sent it has ended"),
        "{page}"
    );
    let resumed = browser.post(&format!("{job}/resume")).await;
    assert_eq!(resumed.status(), 303);
    assert_eq!(location(&resumed), format!("{job}?done=resumed"));
    let said = browser.page(&location(&resumed), 200).await;
    assert!(said.contains("Sending goes on"), "{said}");
    let (_, page) = until_finished(&browser, &job).await;
    assert!(page.contains("5 registered, 0 failed"), "{page}");
    registered_once(&sandbox, "Crash resume", 8200).await;
}

#[tokio::test]
async fn sigterm_stops_within_the_grace_and_the_upload_is_finished_after_a_restart() {
    let (sandbox, app, port, browser, job) =
        submit_and_stop(setup("Crash term", 8300).await, Stop::Terminate).await;
    let _restarted = Dashboard::start(port, &app, &sandbox, CHUNKS_OF_TWO).await;
    let (_, page) = until_finished(&browser, &job).await;
    assert!(page.contains("5 registered, 0 failed"), "{page}");
    registered_once(&sandbox, "Crash term", 8300).await;
}

/// The `MS-RequestId` of each device-upload POST the sandbox received, in order.
async fn upload_request_ids(sandbox: &Sandbox) -> Vec<String> {
    upload_posts(sandbox)
        .await
        .iter()
        .map(|r| r["request_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A second replica: another process on its own port, sharing the first one's database (and,
/// for SQLite, its data directory) and sandbox, with the same settings.
async fn second_replica(
    app: &TestApp,
    sandbox: &Sandbox,
    extra: &[(&str, &str)],
) -> (Dashboard, String) {
    let port = free_port();
    let replica = Dashboard::start(port, app, sandbox, extra).await;
    (replica, format!("http://127.0.0.1:{port}"))
}

/// Leases that run out in five seconds (the shortest allowed), so that a dead replica's
/// work is taken over quickly.
const REPLICA: &[(&str, &str)] = &[("ZTD_UPLOAD_CHUNK_SIZE", "2"), ("ZTD_WORK_LEASE_SECS", "5")];

/// Two replicas sharing one database and one sandbox, and one signed-in session opened on
/// each: `browser` through the first, `elsewhere` through the second.
struct TwoReplicas {
    browser: Browser,
    elsewhere: Browser,
    _first: Dashboard,
    _second: Dashboard,
    app: TestApp,
    sandbox: Sandbox,
}

impl TwoReplicas {
    /// Both replicas with `settings` (such as [`REPLICA`]).
    async fn signed_in(settings: &[(&str, &str)]) -> TwoReplicas {
        let port = free_port();
        let sandbox = sandbox_for_dashboard_on(port).await;
        let app = TestApp::for_process(port, &sandbox).await;
        let first = Dashboard::start(port, &app, &sandbox, settings).await;
        let (second, second_address) = second_replica(&app, &sandbox, settings).await;
        let browser = signed_in(&app).await;
        let elsewhere = browser.via(&second_address);
        TwoReplicas {
            browser,
            elsewhere,
            _first: first,
            _second: second,
            app,
            sandbox,
        }
    }
}

#[tokio::test]
async fn a_session_begun_on_one_replica_works_on_the_other() {
    let replicas = TwoReplicas::signed_in(REPLICA).await;
    let (browser, elsewhere) = (&replicas.browser, &replicas.elsewhere);
    // Pages, and the server functions behind them, with the sign-in's token.
    let page = elsewhere
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    assert!(page.contains("Contoso"), "{page}");
    // Signing out on the second ends the session on the first.
    let response = elsewhere.post("/auth/logout").await;
    assert_eq!(response.status(), 303);
    let response = browser.get("/customers").await;
    assert_eq!(response.status(), 303, "signed out everywhere");
}

#[tokio::test]
async fn a_batch_made_through_one_replica_is_listed_at_once_by_the_other() {
    // A list seen is reused for a minute: only the shared count of changes can outdate it.
    let replicas = TwoReplicas::signed_in(&[("ZTD_BATCH_LIST_REUSE_SECS", "60")]).await;
    let (browser, elsewhere) = (&replicas.browser, &replicas.elsewhere);
    let batches = format!("/customers/{CONTOSO}/batches");
    let before = elsewhere.page(&batches, 200).await;
    assert!(before.contains("Contoso Laptops 2024"), "{before}");
    assert!(!before.contains("Made on the first"), "{before}");

    let preview = draft(
        browser,
        CONTOSO,
        to_new_batch(
            file_form("replicas.csv", autopilot_csv(8500, 3).into_bytes()),
            "Made on the first",
        ),
    )
    .await;
    until_finished(browser, &submitted(browser, &preview).await).await;

    let after = elsewhere.page(&batches, 200).await;
    assert!(after.contains("Made on the first"), "{after}");
    // Two changes of Contoso were counted: the part sent, and the end of its job (which
    // changed the batch's devices and status after the part was accepted).
    let store = replicas.app.store().await;
    let mut changes = 0;
    for _ in 0..100 {
        changes = store.customer_changes(CONTOSO).await.unwrap();
        if changes == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(changes, 2);
}

#[tokio::test]
async fn two_replicas_refreshing_one_sign_in_at_once_keep_it_signed_in() {
    let replicas = TwoReplicas::signed_in(REPLICA).await;
    let (app, sandbox) = (&replicas.app, &replicas.sandbox);
    let (browser, elsewhere) = (&replicas.browser, &replicas.elsewhere);
    // The access token has run out, and Entra ID takes a second to answer: both replicas
    // refresh with the one refresh token, which works once. The second is refused.
    sqlx::query("UPDATE sign_ins SET access_expires_at = 0")
        .execute(app.store().await.pool())
        .await
        .unwrap();
    let token_requests =
        || async { admin_json_at(sandbox.base_url(), "tokens").await["requests"].clone() };
    let before = token_requests().await.as_u64().unwrap();
    set_faults(
        sandbox,
        FaultSettings {
            token_latency_ms: 1000,
            ..FaultSettings::default()
        },
    )
    .await;
    let batches = format!("/customers/{CONTOSO}/batches");
    let (here, there) = tokio::join!(browser.get(&batches), elsewhere.get(&batches));
    assert_eq!(
        token_requests().await.as_u64().unwrap() - before,
        2,
        "each replica refreshed"
    );
    // The refused one takes the token the other stored: the person stays signed in on both.
    for (replica, response) in [("first", here), ("second", there)] {
        assert_eq!(response.status(), 200, "{replica}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Contoso Laptops 2024"), "{replica}: {page}");
    }
    set_faults(sandbox, FaultSettings::default()).await;
    let page = elsewhere.page("/customers", 200).await;
    assert!(page.contains("Sign out"), "{page}");
}

#[tokio::test]
async fn an_upload_killed_mid_submit_on_one_replica_is_finished_by_the_other_with_one_batch() {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let first = Dashboard::start(port, &app, &sandbox, REPLICA).await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("replicas.csv", autopilot_csv(8400, 5).into_bytes()),
            "Replica test",
        ),
    )
    .await;
    let job = submit_slowly(&sandbox, &browser, &preview).await;
    // The second replica starts while the first is sending: it must leave that upload alone.
    let (_second, second_address) = second_replica(&app, &sandbox, REPLICA).await;
    until_a_part_is_answered(&sandbox).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = upload_request_ids(&sandbox).await;
    let distinct: std::collections::HashSet<_> = sent.iter().collect();
    assert_eq!(
        distinct.len(),
        sent.len(),
        "while the first lived, only it sent: {sent:?}"
    );
    first.kill();
    assert!(
        answered_upload_posts(&sandbox).await < 3,
        "the kill came too late to test anything"
    );
    set_faults(&sandbox, FaultSettings::default()).await;

    let elsewhere = browser.via(&second_address);
    let (_, page) = until_finished(&elsewhere, &job).await;
    assert!(page.contains("class=\"state finished\""), "{page}");
    assert!(
        page.contains("5 of 5 devices processed: 5 registered, 0 failed"),
        "{page}"
    );
    registered_once(&sandbox, "Replica test", 8400).await;
    // Three parts: each sent once, but the one the kill interrupted, which may go twice
    // (with its first request id). Both replicas sending would show more.
    let posts = answered_upload_posts(&sandbox).await;
    assert!(posts <= 4, "{posts} device-upload requests for three parts");
}

#[tokio::test]
async fn a_device_index_read_cut_short_on_one_replica_is_done_by_the_other() {
    // Due again after 20 s: the other replica looks for due customers every 5 s.
    let settings = &[
        ("ZTD_WORK_LEASE_SECS", "5"),
        ("ZTD_DEVICE_INDEX_REFRESH_SECS", "20"),
    ];
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let first = Dashboard::start(port, &app, &sandbox, settings).await;
    let browser = signed_in(&app).await;
    // Slow enough that reading Contoso (seven calls) outlives the kill below.
    set_faults(
        &sandbox,
        FaultSettings {
            latency_ms: 700,
            ..FaultSettings::default()
        },
    )
    .await;
    browser
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    let (_second, _) = second_replica(&app, &sandbox, settings).await;
    let listing_devices = || async {
        request_log(&sandbox).await.iter().any(|r| {
            r["method"] == "GET" && r["path"].as_str().is_some_and(|p| p.ends_with("/devices"))
        })
    };
    for _ in 0..200 {
        if listing_devices().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        listing_devices().await,
        "the first replica began reading Contoso"
    );
    first.kill();
    set_faults(&sandbox, FaultSettings::default()).await;
    let store = app.store().await;
    let tenant = ztd_dashboard::sandbox::config::PARTNER_TENANT_ID.to_string();
    let entry = store.index_entry(&tenant, CONTOSO).await.unwrap().unwrap();
    assert_eq!(
        entry.checked_at, None,
        "the kill came before the read ended"
    );

    // The lease runs out, and the other replica reads the customer whole.
    app.index_read(CONTOSO).await;
    let indexed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM device_index WHERE customer_id = $1")
            .bind(CONTOSO)
            .fetch_one(store.pool())
            .await
            .unwrap();
    let expected = stored_devices(&sandbox, CONTOSO.parse().unwrap())
        .await
        .len();
    assert_eq!(indexed as usize, expected);
}
