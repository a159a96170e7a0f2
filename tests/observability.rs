//! What a partner's IT sees of a running dashboard: every request's id in its answer, on
//! every log line it wrote and beside the `MS-CorrelationId` of each Partner Center call it
//! made; one access line per request; and Prometheus metrics that move with the work. The
//! metrics recorder is one per process, so those tests run the dashboard as a process of its
//! own, with its log (JSON) in a file.

mod common;

use std::time::Duration;

use common::metrics::{metric, scrape};
use common::process::Dashboard;
use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::FaultSettings;

/// The log lines (JSON objects) that mention `needle`, once one of them also has `until`.
async fn log_lines(log: &std::path::Path, needle: &str, until: &str) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .filter(|line| line.contains(needle))
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        if lines.iter().any(|l| l.to_string().contains(until)) {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no log line with {needle} and {until}");
}

#[tokio::test]
async fn a_request_id_ties_the_answer_the_log_and_partner_center_together_and_metrics_count() {
    let (port, metrics_port) = (free_port(), free_port());
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process(port, &sandbox).await;
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("dashboard.log");
    let metrics = format!("127.0.0.1:{metrics_port}");
    let _dashboard = Dashboard::start_with_log(
        port,
        &app,
        &sandbox,
        &[("ZTD_METRICS_ADDR", &metrics)],
        &log,
    )
    .await;
    let browser = signed_in(&app).await;

    // A page that asks Partner Center for the customer's batches.
    let response = browser.get(&format!("/customers/{CONTOSO}/batches")).await;
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let _ = response.text().await;
    let lines = log_lines(&log, &id, "\"target\":\"access\"").await;
    let access = lines
        .iter()
        .find(|l| l["target"] == "access")
        .expect("the access line");
    assert_eq!(access["fields"]["route"], "/customers/{customer}/batches");
    assert_eq!(access["fields"]["status"], 200);
    assert!(
        access["fields"]["bytes"].as_u64().unwrap() > 1000,
        "{access}"
    );
    assert_eq!(access["fields"]["client"], "127.0.0.1");
    assert!(
        !access["fields"]["tenant"].as_str().unwrap().is_empty(),
        "{access}"
    );
    assert!(
        !access.to_string().contains(CONTOSO),
        "the route, not the path: {access}"
    );
    let call = lines
        .iter()
        .find(|l| l["fields"]["message"] == "Partner Center answered")
        .expect("a Partner Center call, logged in the request");
    let sent = call["fields"]["sent_correlation_id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(sent).is_ok(), "{call}");
    assert!(
        call.to_string().contains("\"name\":\"partner_center\""),
        "{call}"
    );

    // An upload: the form's post, its Partner Center calls and its operation, counted.
    let before = scrape(&metrics).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("m.csv", autopilot_csv(1, 2).into_bytes()),
            "Metrics",
        ),
    )
    .await;
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    let after = scrape(&metrics).await;
    let posts = [
        ("route", "/customers/{customer}/uploads"),
        ("method", "POST"),
        ("status", "303"),
    ];
    assert_eq!(
        metric(&after, "ztd_http_requests_total", &posts)
            - metric(&before, "ztd_http_requests_total", &posts),
        1.0,
        "{after}"
    );
    let created = [("operation", "create_device_batch"), ("outcome", "ok")];
    assert_eq!(
        metric(&after, "ztd_partner_center_calls_total", &created)
            - metric(&before, "ztd_partner_center_calls_total", &created),
        1.0,
        "{after}"
    );
    assert!(
        metric(
            &after,
            "ztd_operations",
            &[("kind", "upload"), ("state", "submitted")]
        ) >= 1.0
    );
    assert!(metric(&after, "ztd_http_request_duration_seconds_count", &[]) > 0.0);
    // Shown at 0 from the start, for an alert to watch (src/server/panics.rs counts them).
    assert!(
        after.lines().any(|line| line == "ztd_panics_total 0"),
        "{after}"
    );
    assert_eq!(
        metric(
            &after,
            "ztd_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(
        after.contains("ztd_db_pool_connections{state=\"idle\"}"),
        "{after}"
    );

    // A write Partner Center throttles once: the 429 and the retry, counted.
    set_faults(
        &sandbox,
        FaultSettings {
            throttle_next_writes: 1,
            burst_retry_after_secs: 1,
            ..FaultSettings::default()
        },
    )
    .await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("t.csv", autopilot_csv(3, 1).into_bytes()),
            "Throttled",
        ),
    )
    .await;
    let job = submit(&browser, &preview).await;
    assert!(accepted(&job), "{job}");
    let throttled = scrape(&metrics).await;
    let create = [("operation", "create_device_batch")];
    assert_eq!(
        metric(
            &throttled,
            "ztd_partner_center_calls_total",
            &[
                ("operation", "create_device_batch"),
                ("outcome", "throttled")
            ]
        ),
        1.0,
        "{throttled}"
    );
    assert_eq!(
        metric(&throttled, "ztd_partner_center_retries_total", &create)
            - metric(&after, "ztd_partner_center_retries_total", &create),
        1.0,
        "{throttled}"
    );
}

#[tokio::test]
async fn only_a_trusted_proxy_names_a_request_and_error_pages_show_the_id_to_quote() {
    let app = spawn_app_with(&[("ZTD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let browser = signed_in(&app).await;
    let named = browser
        .send(
            browser
                .get_to("/customers")
                .header("x-request-id", "lb-4711"),
        )
        .await;
    assert_eq!(named.headers()["x-request-id"], "lb-4711");
    let forged = browser
        .send(
            browser
                .get_to("/customers")
                .header("x-request-id", "a b\"c"),
        )
        .await;
    assert_ne!(forged.headers()["x-request-id"], "a b\"c");

    let stranger = spawn_app().await;
    let browser = signed_in(&stranger).await;
    let ignored = browser
        .send(
            browser
                .get_to("/customers")
                .header("x-request-id", "lb-4711"),
        )
        .await;
    let own = ignored.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(
        own, "lb-4711",
        "an untrusted client does not name its request"
    );

    // An error page says its own request's id.
    let missing = browser
        .get(&format!(
            "/customers/{CONTOSO}/uploads/{}",
            uuid::Uuid::new_v4()
        ))
        .await;
    assert_eq!(missing.status(), 404);
    let id = missing.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let page = missing.text().await.unwrap();
    assert!(
        page.contains(&format!("Request id, to quote to your IT: <code>{id}")),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"<meta name="request-id" content="{id}">"#)),
        "{page}"
    );

    // A refused form's page says the refused request's id, not the page's.
    let refused = browser
        .send_once(browser.post_to(&format!(
            "/customers/{CONTOSO}/uploads/{}/submit",
            uuid::Uuid::new_v4()
        )))
        .await;
    assert_eq!(refused.status(), 303);
    let posted = refused.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let back = browser.get(&location(&refused)).await;
    let shown = back.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(shown, posted);
    let page = back.text().await.unwrap();
    assert!(
        page.contains(&format!("Request id, to quote to your IT: <code>{posted}")),
        "{page}"
    );
}
