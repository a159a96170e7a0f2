//! The device index at a partner's size: `cargo bench --features ssr --bench device_index`
//! (`make bench` runs it before `pages`, whose table takes its lines in).
//!
//! A sandbox in this process seeds its large data (1,250 customers; 50,000 devices more, 2,500
//! each for 20 of them) and throttles the partner at 500 requests a minute, the one limit
//! Partner Center publishes. The dashboard runs as its own release process. One person asks
//! it to read every customer; the time until every customer has been read (or has said why
//! not) is the build. Then 50 people search for 15 s, by a whole serial number or its start,
//! each again a second after an answer: the search's p99. Then the same 50 back to back,
//! beside `/healthz` under that load: what the machine answers at all (on a 2-core machine
//! that also runs the 50 clients, even `/healthz` waits tens of milliseconds in the queue). The same again on PostgreSQL when a server answers
//! (`scripts/postgres.sh`), building there without the throttle (the build is measured on
//! SQLite; PostgreSQL's is reported).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/lines.rs"]
mod lines;
#[path = "support/postgres.rs"]
mod postgres;
#[path = "support/tally.rs"]
mod tally;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::Dashboard;
use common::*;
use lines::Line;
use tally::{hammer, ms, paced, read_ok, Tally};
use ztd_dashboard::sandbox::config::SeedSize;
use ztd_dashboard::sandbox::{FaultSettings, Sandbox};

const USERS: usize = 50;
const SECONDS: u64 = 15;
/// How long a person reads an answer before searching again: far less than people take
/// (each search here is a new serial number to look up), so the load is on the heavy side.
const PAUSE: Duration = Duration::from_secs(1);
/// Partner Center's published limit (the Customer resource): requests a minute per partner.
const THROTTLE_PER_MINUTE: u32 = 500;

/// A large sandbox for a dashboard on `port`, throttled when `throttled`.
async fn large_sandbox(port: u16, throttled: bool) -> Sandbox {
    sandbox_with(|config| {
        config.clients[0].redirect_uris = vec![
            ztd_dashboard::sandbox::config::DEFAULT_REDIRECT_URI.to_string(),
            format!("http://127.0.0.1:{port}/auth/callback"),
        ];
        config.size = SeedSize::Large;
        config.faults = FaultSettings {
            rate_limit_per_minute: throttled.then_some(THROTTLE_PER_MINUTE),
            ..FaultSettings::default()
        };
    })
    .await
}

/// Asks the dashboard to read every customer, and waits until each has been read or has
/// said why not: how long it took, and how many customers were read.
async fn build(app: &TestApp, browser: &Browser) -> (Duration, usize, usize) {
    let started = Instant::now();
    let response = browser
        .send(browser.post_to("/devices/read-all").form(&[("q", "")]))
        .await;
    assert_eq!(response.status(), 303, "read-all is accepted");
    let store = app.store().await;
    loop {
        let (entries, settled, read): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(CASE WHEN checked_at IS NOT NULL OR error IS NOT NULL \
             THEN 1 END), COUNT(checked_at) FROM device_index_customers",
        )
        .fetch_one(store.pool())
        .await
        .expect("the entries can be counted");
        if entries > 0 && entries == settled {
            let devices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM device_index")
                .fetch_one(store.pool())
                .await
                .expect("the devices can be counted");
            return (started.elapsed(), read as usize, devices as usize);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20 * 60),
            "the index was not built within 20 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Serial numbers to search for: whole, and the first five characters of others.
async fn queries(sandbox: &Sandbox) -> Vec<String> {
    let customers = [
        ztd_dashboard::sandbox::partner::seed::CONTOSO,
        ztd_dashboard::sandbox::partner::seed::FABRIKAM,
    ];
    let mut queries = Vec::new();
    for customer in customers {
        for device in stored_devices(sandbox, customer).await.iter().take(20) {
            let serial = device["serialNumber"].as_str().unwrap_or_default();
            queries.push(serial.to_string());
            queries.push(serial.chars().take(5).collect());
        }
    }
    queries
}

/// 50 people, signed in, who have searched once (their customer list is read, as a first
/// search does).
async fn searchers(app: &TestApp) -> Arc<Vec<Browser>> {
    Arc::new(
        futures::future::join_all((0..USERS).map(|_| async {
            let browser = Browser::new(app);
            browser.sign_in(ADMIN, "/devices").await;
            browser.page("/devices?q=x", 200).await;
            browser
        }))
        .await,
    )
}

/// The 50 people searching for 15 s, each reading the answer for `pause` before the next
/// search (none: back to back).
async fn search_load(
    browsers: Arc<Vec<Browser>>,
    queries: Arc<Vec<String>>,
    pause: Duration,
) -> Tally {
    let turn = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    paced(USERS, SECONDS, pause, move |user| {
        let (browsers, queries, turn) = (browsers.clone(), queries.clone(), turn.clone());
        async move {
            let n = turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let query = &queries[n % queries.len()];
            let path = format!("/devices?q={}", ztd_dashboard::urls::encode(query));
            let response = browsers[user].get(&path).await;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let found = body.contains("devices match") || body.contains("1 device matches");
            (status == 200 && found)
                .then_some(())
                .ok_or(format!("{path}: {status}"))
        }
    })
    .await
}

/// Throttled answers the sandbox gave.
async fn throttled(sandbox: &Sandbox) -> usize {
    request_log(sandbox)
        .await
        .iter()
        .filter(|r| r["outcome"] == "throttled")
        .count()
}

/// Build and search on one backend; `throttled`: the sandbox holds to 500 requests a minute.
async fn measure_on(postgres: Option<String>, throttled_build: bool) -> Vec<Line> {
    let backend = match postgres {
        Some(_) => "PostgreSQL",
        None => "SQLite",
    };
    let port = free_port();
    let sandbox = large_sandbox(port, throttled_build).await;
    let app = TestApp::for_process_on(port, &sandbox, postgres).await;
    let (_dashboard, metrics_addr) =
        Dashboard::start_with_metrics(port, &app, &sandbox, &[("ZTD_SITE_ROOT", "target/site")])
            .await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/devices").await;
    let (took, read, devices) = build(&app, &browser).await;
    let mut lines = vec![Line {
        measurement: format!(
            "build the device index: 1,250 customers, {devices} devices ({backend}{})",
            if throttled_build {
                format!(", sandbox throttled at {THROTTLE_PER_MINUTE} requests a minute")
            } else {
                ", no throttling".into()
            }
        ),
        compared_with: "—".into(),
        value: format!(
            "{:.0} s ({read} customers read, {} answers 429 waited out)",
            took.as_secs_f64(),
            throttled(&sandbox).await
        ),
        budget: if throttled_build { "≤ 5 min" } else { "—" }.into(),
        met: throttled_build.then_some(took <= Duration::from_secs(300) && devices >= 50_000),
    }];
    // Searching is not throttled: the index answers it, not Partner Center.
    let _ = reqwest::Client::new()
        .put(format!("{}/_sandbox/faults", sandbox.base_url()))
        .json(&FaultSettings::default())
        .send()
        .await;
    let (browsers, queries) = (searchers(&app).await, Arc::new(queries(&sandbox).await));
    let mut load = search_load(browsers.clone(), queries.clone(), PAUSE).await;
    let p99 = load.percentile(0.99);
    lines.push(Line {
        measurement: format!(
            "find a device by serial or its start: {USERS} people at once, each searching \
             again {} s after an answer, {SECONDS} s ({backend})",
            PAUSE.as_secs()
        ),
        compared_with: "—".into(),
        value: format!(
            "p99 {:.1} ms, median {:.1} ms ({:.0} searches/s, errors {})",
            ms(p99),
            ms(load.percentile(0.5)),
            load.throughput(),
            load.errors.len()
        ),
        budget: "p99 < 50 ms".into(),
        met: Some(p99 < Duration::from_millis(50) && load.errors.is_empty()),
    });
    // What this machine can answer at all: the same 50 back to back, beside the process's
    // lightest answer (`/healthz`) under the same load.
    let mut flat_out = search_load(browsers, queries, Duration::ZERO).await;
    let health = reqwest::Client::new();
    let health_url = format!("{}/healthz", app.address);
    let mut floor = hammer(USERS, SECONDS, move |_| {
        let (health, url) = (health.clone(), health_url.clone());
        async move { read_ok(health.get(&url), "healthz").await }
    })
    .await;
    let errors = flat_out.errors.len() + floor.errors.len();
    let panics = common::metrics::panics(&metrics_addr).await;
    lines.push(Line {
        measurement: format!(
            "find a device: {USERS} searches back to back, no pause, {SECONDS} s ({backend})"
        ),
        compared_with: "`/healthz`, same load".into(),
        value: format!(
            "{:.0}/s vs {:.0}/s; p99 {:.1} ms vs {:.1} ms; errors {errors}, panics {panics}",
            flat_out.throughput(),
            floor.throughput(),
            ms(flat_out.percentile(0.99)),
            ms(floor.percentile(0.99)),
        ),
        // How fast is not judged (the machine's capacity), but nothing may fail.
        budget: "no errors, no panics (during both searches)".into(),
        met: Some(errors == 0 && panics == 0),
    });
    lines
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut lines = runtime.block_on(measure_on(None, true));
    match postgres::url() {
        Some(url) => lines.extend(runtime.block_on(measure_on(Some(url), false))),
        None => lines.push(postgres::not_measured("the device index", "p99 < 50 ms")),
    }
    for line in &lines {
        println!("{}: {}", line.measurement, line.value);
    }
    lines::save("device_index", &lines);
}
