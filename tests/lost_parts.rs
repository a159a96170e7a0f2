//! A part whose answer was lost is finished, never stuck: its body cut off by a kill, every
//! attempt timed out, or a refusal of a half-read body replayed under its request id. The
//! dashboard settles it by looking at what Partner Center holds: the devices the batch lists
//! count as registered, the rest go again under a new request id, and each device ends up
//! registered once.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::process::Dashboard;
use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::{FaultSettings, JobTiming, Sandbox};

/// The device-upload POSTs the sandbox received, in order: (request id, status).
async fn part_posts(sandbox_url: &str) -> Vec<(String, u64)> {
    upload_post_log(sandbox_url)
        .await
        .into_iter()
        .map(|r| {
            let id = r["request_id"].as_str().unwrap_or_default().to_string();
            (id, r["status"].as_u64().unwrap_or_default())
        })
        .collect()
}

/// Each of the `count` devices from `first` is registered once, in `batch`.
async fn registered_once(sandbox_url: &str, batch: &str, first: u32, count: u32) {
    for _ in 0..100 {
        let devices = admin_list_at(sandbox_url, &format!("customers/{CONTOSO}/devices")).await;
        let copies = |n: u32| {
            devices
                .iter()
                .filter(|d| d["hardwareHash"].as_str() == Some(hash(n).as_str()))
                .collect::<Vec<_>>()
        };
        if (first..first + count).all(|n| !copies(n).is_empty()) {
            for n in first..first + count {
                assert_eq!(copies(n).len(), 1, "device {n} is registered once");
                assert_eq!(copies(n)[0]["batchId"], batch);
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("not every device of {batch} was registered");
}

/// A dashboard in this process, calling its own sandbox (jobs as `jobs` says) with a
/// one-second limit per attempt, and a signed-in browser with a draft of `count` devices
/// from `first` for the new batch `batch`, in parts of two.
async fn draft_against(
    jobs: JobTiming,
    batch: &str,
    first: u32,
    count: u32,
) -> (Sandbox, TestApp, Browser, String) {
    let port = free_port();
    let sandbox = sandbox_with(|config| {
        config.clients[0].redirect_uris = vec![format!("http://127.0.0.1:{port}/auth/callback")];
        config.jobs = jobs;
    })
    .await;
    let mut settings = microsoft_settings(&sandbox, port, sandbox.base_url());
    settings.push(("ZTD_UPLOAD_CHUNK_SIZE", "2".into()));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut app = spawn_app_configured(&settings, |config| {
        config.partner_center_timeout = Duration::from_secs(1)
    })
    .await;
    app.sandbox_url = sandbox.base_url().to_string();
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("lost.csv", autopilot_csv(first, count).into_bytes()),
            batch,
        ),
    )
    .await;
    (sandbox, app, browser, preview)
}

/// Submits with every attempt at the first part processed, then answered only after the
/// client gave up (four attempts of one second each); returns the job page once finished.
async fn submit_losing_every_answer_to_the_first_part(
    sandbox: &Sandbox,
    browser: &Browser,
    preview: &str,
) -> String {
    set_faults(
        sandbox,
        FaultSettings {
            slow_next_writes: 4,
            slow_write_ms: 2_500,
            ..FaultSettings::default()
        },
    )
    .await;
    let job = submitted(browser, preview).await;
    until_finished(browser, &job).await.1
}

fn fast_jobs() -> JobTiming {
    JobTiming {
        queued: Duration::from_millis(150),
        processing: Duration::from_millis(300),
    }
}

/// Every attempt at the first part is processed, then answered only after the client gave up:
/// its outcome is unknown. The devices are then found in the batch, and nothing goes twice.
#[tokio::test]
async fn a_part_whose_every_attempt_timed_out_is_found_in_the_batch_and_not_sent_again() {
    let (sandbox, app, browser, preview) =
        draft_against(fast_jobs(), "Lost answers", 9100, 4).await;
    let page = submit_losing_every_answer_to_the_first_part(&sandbox, &browser, &preview).await;
    assert!(
        page.contains("4 of 4 devices processed: 4 registered, 0 failed"),
        "{page}"
    );
    assert!(
        page.contains("Part 1: its answer was lost or said nothing about its devices, so the dashboard asked Partner Center: 2 of its 2 devices are in the batch and count as registered: nothing was left to send."),
        "{page}"
    );
    registered_once(&app.sandbox_url, "Lost answers", 9100, 4).await;
    // Two parts, two request ids: the first tried four times, none sent under a new id.
    let posts = part_posts(&app.sandbox_url).await;
    let ids: HashSet<_> = posts.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 2, "{posts:?}");
}

/// The first part's answer is lost before its job ran, so looking finds none of its devices:
/// they go again under a new request id, and the lost part's job registers them first. The
/// new part's 806 answers (already in this customer) count as registered.
#[tokio::test]
async fn a_part_lost_before_its_job_ran_goes_again_and_806_counts_as_registered() {
    let slow_jobs = JobTiming {
        queued: Duration::from_secs(20),
        processing: Duration::from_millis(300),
    };
    let (sandbox, app, browser, preview) = draft_against(slow_jobs, "Lost early", 9200, 2).await;
    let page = submit_losing_every_answer_to_the_first_part(&sandbox, &browser, &preview).await;
    assert!(
        page.contains("2 of 2 devices processed: 2 registered, 0 failed"),
        "{page}"
    );
    assert!(
        page.contains("0 of its 2 devices are in the batch and count as registered; the other 2 went again as part 2, under a new request id"),
        "{page}"
    );
    // The lost part's job ran first: the part sent again was told "already in this customer".
    // Both rows say so (the page also carries its data for the browser).
    assert!(
        page.matches("the part whose answer was lost had registered it")
            .count()
            >= 2,
        "{page}"
    );
    registered_once(&app.sandbox_url, "Lost early", 9200, 2).await;
}

/// The sandbox keeps the refusal of a half-read body under its request id, as a service that
/// stores every answer might. Every attempt at the first part is cut off by the client's
/// one-second limit while the sandbox reads it slowly; the refusal comes back for its id.
/// The dashboard looks (the batch is not there), creates it again under a new id, and, when
/// that is cut off too, stops and says so; sending the rest, with the link healthy, finishes.
#[tokio::test]
async fn a_replayed_refusal_of_a_cut_off_body_is_settled_by_looking_not_resent_forever() {
    let (sandbox, app, browser, preview) = draft_against(fast_jobs(), "Cut off", 9300, 2).await;
    set_faults(
        &sandbox,
        FaultSettings {
            body_bytes_per_sec: 4_000,
            keep_cut_off_answers: true,
            ..FaultSettings::default()
        },
    )
    .await;
    let job = submitted(&browser, &preview).await;
    let page = submit_wait(&browser, &job).await;
    assert!(page.contains("Could not be submitted"), "{page}");
    assert!(
        page.contains("the batch was not there, so part 2 creates it again with the other 2 devices, under a new request id"),
        "{page}"
    );
    assert!(page.contains("Part 2: its answer was lost"), "{page}");
    let first_run = part_posts(&app.sandbox_url).await;
    let first_id = first_run[0].0.clone();
    assert!(
        first_run
            .iter()
            .any(|(id, status)| *id == first_id && *status == 400),
        "the refusal of the cut-off body came back: {first_run:?}"
    );

    set_faults(&sandbox, FaultSettings::default()).await;
    let resumed = browser.post(&format!("{job}/resume")).await;
    assert_eq!(resumed.status(), 303);
    let (_, page) = until_finished(&browser, &job).await;
    assert!(
        page.contains("2 of 2 devices processed: 2 registered, 0 failed"),
        "{page}"
    );
    registered_once(&app.sandbox_url, "Cut off", 9300, 2).await;
    let posts = part_posts(&app.sandbox_url).await;
    assert_eq!(
        posts.iter().filter(|(id, _)| *id == first_id).count(),
        first_run.iter().filter(|(id, _)| *id == first_id).count(),
        "the first part's id was not sent again after it was settled: {posts:?}"
    );
    let ids: HashSet<_> = posts.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 3, "one id per settled try: {posts:?}");
}

/// Parts of two, and leases that run out in five seconds, for one process or two replicas.
const REPLICA: &[(&str, &str)] = &[("ZTD_UPLOAD_CHUNK_SIZE", "2"), ("ZTD_WORK_LEASE_SECS", "5")];

/// Starts sending a draft of five devices with bodies read at 2 KB a second, and waits until
/// the first part's body is half read: then the dashboard can be killed with it cut off.
/// Returns the job's address.
async fn submit_and_cut_off(
    sandbox: &Sandbox,
    browser: &Browser,
    preview: &str,
    keep: bool,
) -> String {
    set_faults(
        sandbox,
        FaultSettings {
            body_bytes_per_sec: 2_000,
            keep_cut_off_answers: keep,
            ..FaultSettings::default()
        },
    )
    .await;
    let response = browser.post(&format!("{preview}/submit")).await;
    assert_eq!(response.status(), 303);
    // About 11 KB a part: half of the first one is read after 3 s.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        part_posts(sandbox.base_url()).await.is_empty(),
        "no part was answered before the kill"
    );
    location(&response)
}

async fn five_device_draft(app: &TestApp, batch: &str, first: u32) -> (Browser, String) {
    let browser = signed_in(app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("cut.csv", autopilot_csv(first, 5).into_bytes()),
            batch,
        ),
    )
    .await;
    (browser, preview)
}

#[tokio::test]
async fn killed_with_a_part_half_sent_the_upload_is_finished_after_a_restart() {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let dashboard = Dashboard::start(port, &app, &sandbox, REPLICA).await;
    let (browser, preview) = five_device_draft(&app, "Half sent", 9400).await;
    let job = submit_and_cut_off(&sandbox, &browser, &preview, false).await;
    dashboard.kill();
    set_faults(&sandbox, FaultSettings::default()).await;

    let _restarted = Dashboard::start(port, &app, &sandbox, REPLICA).await;
    let (_, page) = until_finished(&browser, &job).await;
    assert!(
        page.contains("5 of 5 devices processed: 5 registered, 0 failed"),
        "{page}"
    );
    registered_once(sandbox.base_url(), "Half sent", 9400, 5).await;
}

/// The issue's own scenario: two replicas on one database, the one sending is killed with a
/// part half sent, and the sandbox replays its refusal of the half-read body. The survivor
/// takes the upload over, settles that part by looking and finishes it.
#[tokio::test]
async fn killed_with_a_part_half_sent_on_one_replica_the_other_finishes_it_despite_a_replayed_refusal(
) {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let first = Dashboard::start(port, &app, &sandbox, REPLICA).await;
    let second_port = free_port();
    let _second = Dashboard::start(second_port, &app, &sandbox, REPLICA).await;
    let (browser, preview) = five_device_draft(&app, "Replica cut", 9500).await;
    let job = submit_and_cut_off(&sandbox, &browser, &preview, true).await;
    first.kill();
    // Bodies are read at full speed again, but refusals of cut-off bodies are still kept.
    set_faults(
        &sandbox,
        FaultSettings {
            keep_cut_off_answers: true,
            ..FaultSettings::default()
        },
    )
    .await;

    let elsewhere = browser.via(&format!("http://127.0.0.1:{second_port}"));
    let (_, page) = until_finished(&elsewhere, &job).await;
    assert!(
        page.contains("5 of 5 devices processed: 5 registered, 0 failed"),
        "{page}"
    );
    assert!(
        page.contains("the batch was not there, so part 4 creates it again"),
        "{page}"
    );
    registered_once(sandbox.base_url(), "Replica cut", 9500, 5).await;
}
