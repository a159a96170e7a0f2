//! The budgets of the pages, the bundle and memory, beside the reader's, the upload's and the others':
//! `make bench` builds the release site, runs the `ingest` and `device_index` benchmarks,
//! then this one, which prints one table (theirs included) and writes it, with the machine it
//! ran on, to `BENCHMARKS.md`. It exits with 1 when a budget is missed.
//!
//! The dashboard runs as its own release process (its memory is measured), configured as for
//! Microsoft but pointed at a sandbox in this process, which first gets 100 batches for one
//! customer. Each comparison runs both sides in one run, on the same machine, under the same
//! load; the reading ratios are the middle of five rounds of both sides in turns, each side
//! in a process of its own (support/rounds.rs), and so is the batch list's throughput beside
//! the sandbox's endpoint. No task of the dashboard may panic under the loads (its metrics
//! count them).

#[path = "support/browsing.rs"]
mod browsing;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/lines.rs"]
mod lines;
#[path = "support/rounds.rs"]
mod rounds;
#[path = "support/tally.rs"]
mod tally;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::process::Dashboard;
use common::uploads::NORTHWIND;
use common::*;
use lines::Line;
use tally::{hammer, ms, read_ok, Tally};
use ztd_dashboard::partner_center::{
    AccessToken, BatchId, CallContext, ClientConfig, CustomerId, NewDevice, PartnerCenterClient,
    RequestId,
};

/// Each browser reloads the page at `path` with no pause, for `seconds`.
async fn browse(browsers: &Arc<Vec<Browser>>, path: &str, seconds: u64) -> Tally {
    let browsers = browsers.clone();
    let path = path.to_string();
    hammer(browsers.len(), seconds, move |user| {
        let browsers = browsers.clone();
        let path = path.clone();
        async move {
            let response = browsers[user].get(&path).await;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            (status == 200 && body.contains("Bench batch"))
                .then_some(())
                .ok_or(format!("page: {status}"))
        }
    })
    .await
}

/// One round of the batch-list page against the sandbox's endpoint.
struct Round {
    page_rate: f64,
    page_p99: Duration,
    api_rate: f64,
    api_p99: Duration,
}

impl Round {
    fn ratio(&self) -> f64 {
        self.page_rate / self.api_rate
    }
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// Criterion's mean for one side of one round of the `ingest` run, in nanoseconds.
fn criterion_mean(group: &str, function: &str, round: u32) -> Option<f64> {
    let path = format!("target/criterion/{group}/{function}/{round}/new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["mean"]["point_estimate"].as_f64()
}

fn ingest_line(group: &str, baseline: &str, what: &str, compared_with: &str, budget: f64) -> Line {
    // (real work, baseline) of each round.
    let measured: Option<Vec<(f64, f64)>> = (1..=rounds::ROUNDS)
        .map(|round| {
            Some((
                criterion_mean(group, rounds::WORK, round)?,
                criterion_mean(group, baseline, round)?,
            ))
        })
        .collect();
    let (value, met) = match measured {
        Some(mut sides) => {
            // The rounds in order of their ratio: the middle one is shown, with the range.
            let ratio = |(work, base): (f64, f64)| work / base;
            sides.sort_by(|a, b| ratio(*a).total_cmp(&ratio(*b)));
            let (work, base) = sides[sides.len() / 2];
            let (low, high) = (ratio(sides[0]), ratio(sides[sides.len() - 1]));
            let middle = ratio((work, base));
            (
                format!(
                    "{:.1} ms vs {:.1} ms: {middle:.2}× (the middle of {} rounds, {low:.2}–{high:.2}×)",
                    work / 1e6,
                    base / 1e6,
                    sides.len(),
                ),
                middle <= budget,
            )
        }
        None => (
            "not measured (run the ingest benchmark first)".into(),
            false,
        ),
    };
    Line {
        measurement: what.into(),
        compared_with: compared_with.into(),
        value,
        budget: format!("≤ {budget}×"),
        met: Some(met),
    }
}

/// Bytes on the wire for one page and the static files it names.
struct Wire {
    html: u64,
    css: u64,
    /// The script and the WebAssembly, as sent, and before compression.
    script: u64,
    script_raw: u64,
    /// What a reload moves again: nothing for a file that may be kept (`immutable`), a 304's
    /// nothing for one checked first and unchanged.
    reload: u64,
    asked_again: usize,
    files: usize,
}

/// A cold load of `path` by a browser that accepts brotli: the page, then each `/pkg/` file
/// it names (style sheet, script, WebAssembly); then what a reload asks for again.
async fn wire_bytes(browser: &Browser, path: &str) -> Wire {
    let accepting = |path: &str| browser.get_to(path).header("accept-encoding", "br, gzip");
    let response = browser.send(accepting(path)).await;
    let html = response.bytes().await.expect("the page").to_vec();
    // The names of its files, from the page as sent to a client that takes it as it is.
    let text = browser.page(path, 200).await;
    let mut files: Vec<String> = text
        .split("/pkg/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|name| format!("/pkg/{name}"))
        .collect();
    files.sort();
    files.dedup();
    let mut wire = Wire {
        html: html.len() as u64,
        css: 0,
        script: 0,
        script_raw: 0,
        reload: 0,
        asked_again: 0,
        files: files.len(),
    };
    for file in &files {
        let response = browser.send(accepting(file)).await;
        assert_eq!(response.status(), 200, "{file}");
        let headers = response.headers().clone();
        let sent = response.bytes().await.expect("the file").len() as u64;
        if file.ends_with(".css") {
            wire.css += sent;
        } else {
            wire.script += sent;
            let raw = browser.send(browser.get_to(file)).await;
            wire.script_raw += raw.bytes().await.expect("the file").len() as u64;
        }
        let kept = headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("immutable"));
        if kept {
            continue;
        }
        wire.asked_again += 1;
        let mut again = accepting(file);
        if let Some(modified) = headers.get("last-modified") {
            again = again.header("if-modified-since", modified.clone());
        }
        let response = browser.send(again).await;
        wire.reload += response.bytes().await.map_or(0, |b| b.len() as u64);
    }
    wire
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cores} cores ({cpu}), {memory} RAM, {}",
        std::env::consts::OS
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut lines = runtime.block_on(measure());
    lines.extend(lines::load("check"));
    lines.extend(lines::load("device_index"));
    lines.extend(lines::load("bulk"));
    lines.extend(lines::load("upload"));
    // Minutes of a whole build from nothing, so not at every `make bench`: its last run.
    lines.extend(lines::load_measured_by("first_run", "make bench-first-run"));
    let mut table = String::from(
        "| measurement | compared with | measured | budget | met |\n|---|---|---|---|---|\n",
    );
    for line in &lines {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            line.measurement,
            line.compared_with,
            line.value,
            line.budget,
            match line.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            }
        ));
    }
    println!("{table}");
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let document = format!(
        "# Benchmarks\n\nWritten by `make bench` on {} at commit `{commit}`, on {}.\n\
         Each comparison ran both sides in the same run on the same machine; a reading ratio is \
         the middle of {} rounds of both sides in turns, each side in a process of its own.\n\n{table}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine(),
        rounds::ROUNDS,
    );
    std::fs::write("BENCHMARKS.md", document).expect("BENCHMARKS.md can be written");
    if lines.iter().any(|line| line.met == Some(false)) {
        std::process::exit(1);
    }
}

async fn measure() -> Vec<Line> {
    let mut lines = vec![
        ingest_line(
            "csv 10k rows",
            "read the bytes (baseline)",
            "read + validate a 10,000-row CSV, 4K hashes (40 MB)",
            "reading the same bytes",
            3.0,
        ),
        ingest_line(
            "xlsx 10k rows",
            "calamine bare read (baseline)",
            "the same rows as XLSX",
            "calamine's bare read",
            1.5,
        ),
    ];

    // A sandbox in this process with 100 batches for Northwind; the dashboard beside it.
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let token = sign_in(&sandbox, ADMIN).await.access_token;
    let ctx = CallContext::new(AccessToken::new(token.clone()), uuid::Uuid::new_v4());
    let client = PartnerCenterClient::new(ClientConfig {
        base_url: sandbox.base_url().parse().unwrap(),
        ..ClientConfig::default()
    })
    .unwrap();
    let northwind = CustomerId::parse(NORTHWIND).unwrap();
    for b in 0..100u32 {
        let device = NewDevice {
            serial_number: Some(format!("BENCH-{b:03}")),
            hardware_hash: Some(common::uploads::hash(900_000 + b)),
            ..NewDevice::default()
        };
        let name = BatchId::parse(&format!("Bench batch {b:03}")).unwrap();
        client
            .create_device_batch(&ctx, &northwind, &name, &[device], RequestId::new())
            .await
            .expect("a batch is created");
    }
    let app = Arc::new(TestApp::for_process(port, &sandbox).await);
    // Shared with the memory sampler below.
    let (dashboard, metrics_addr) =
        Dashboard::start_with_metrics(port, &app, &sandbox, &[("ZTD_SITE_ROOT", "target/site")])
            .await;
    let dashboard = Arc::new(dashboard);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = dashboard.rss_bytes();

    // The batch list, against the sandbox's own endpoint it is made from.
    const USERS: usize = 50;
    const SECONDS: u64 = 15;
    const ROUND_SECONDS: u64 = 3;
    let browsers: Arc<Vec<Browser>> = Arc::new(
        futures::future::join_all((0..USERS).map(|_| async {
            let browser = Browser::new(&app);
            browser.sign_in(ADMIN, "/customers").await;
            browser
        }))
        .await,
    );
    let page_path = format!("/customers/{NORTHWIND}/batches");
    let page = browsers[0].page(&page_path, 200).await;
    // Kept for a look at what makes up its size.
    let _ = std::fs::write("target/criterion/batch-list.html", &page);
    assert!(
        page.contains("Bench batch 099"),
        "the page lists the batches"
    );
    // In rounds, the page then the endpoint in each, the middle round's ratio shown (as the
    // reading ratios, support/rounds.rs): one 15-s window per side read 61–97% on the same
    // build, as this machine's speed drifted between them.
    let api = reqwest::Client::new();
    let endpoint = format!(
        "{}/v1/customers/{NORTHWIND}/deviceBatches",
        sandbox.base_url()
    );
    let mut measured = Vec::new();
    let mut errors = 0;
    for _ in 0..rounds::ROUNDS {
        let mut page_load = browse(&browsers, &page_path, ROUND_SECONDS).await;
        let mut api_load = hammer(USERS, ROUND_SECONDS, {
            let (api, endpoint, token) = (api.clone(), endpoint.clone(), token.clone());
            move |_| {
                let (api, endpoint, token) = (api.clone(), endpoint.clone(), token.clone());
                async move { read_ok(api.get(&endpoint).bearer_auth(&token), "api").await }
            }
        })
        .await;
        errors += page_load.errors.len() + api_load.errors.len();
        measured.push(Round {
            page_rate: page_load.throughput(),
            page_p99: page_load.percentile(0.99),
            api_rate: api_load.throughput(),
            api_p99: api_load.percentile(0.99),
        });
    }
    measured.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
    let middle = &measured[measured.len() / 2];
    let (api_rate, api_p99) = (middle.api_rate, middle.api_p99);
    let panics = common::metrics::panics(&metrics_addr).await;
    lines.push(Line {
        measurement: format!(
            "batch-list page (100 batches), {USERS} users, {} rounds of {ROUND_SECONDS} s each side (a list seen is reused for 5 s)",
            rounds::ROUNDS
        ),
        compared_with: "the sandbox's batch endpoint, same load".into(),
        value: format!(
            "{:.0}/s vs {api_rate:.0}/s ({:.0}%, the middle round; {:.0}–{:.0}%); p99 {:.1} ms vs {:.1} ms; errors {errors}, panics {panics}",
            middle.page_rate,
            100.0 * middle.ratio(),
            100.0 * measured[0].ratio(),
            100.0 * measured[measured.len() - 1].ratio(),
            ms(middle.page_p99),
            ms(api_p99),
        ),
        budget: "≥ 80% of its throughput; p99 ≤ its p99 + 10 ms".into(),
        met: Some(
            middle.ratio() >= 0.8
                && middle.page_p99 <= api_p99 + Duration::from_millis(10)
                && errors == 0
                && panics == 0,
        ),
    });

    // Memory: idle, then with 200 signed-in people browsing (before the large upload below,
    // whose aftermath is measured on its own).
    let watching = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = tokio::spawn({
        let watching = watching.clone();
        let dashboard = dashboard.clone();
        async move {
            loop {
                watching.fetch_max(dashboard.rss_bytes(), std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let panics_before = common::metrics::panics(&metrics_addr).await;
    let mut crowd = browsing::crowd(app.clone(), 200, 20).await;
    sampler.abort();
    let _ = sampler.await;
    let busy = watching.load(std::sync::atomic::Ordering::SeqCst);
    let panics = common::metrics::panics(&metrics_addr).await - panics_before;
    lines.push(Line {
        measurement: "server memory (RSS): idle / 200 signed-in people browsing".into(),
        compared_with: "—".into(),
        value: format!(
            "{} / {} ({:.0} pages/s, p99 {:.0} ms, errors {}, panics {panics})",
            mib(idle),
            mib(busy),
            crowd.throughput(),
            ms(crowd.percentile(0.99)),
            crowd.errors.len()
        ),
        budget: "≤ 40 MB / ≤ 80 MB".into(),
        met: Some(idle <= 40 << 20 && busy <= 80 << 20 && crowd.errors.is_empty() && panics == 0),
    });

    // The batch list again, when no list is reused: every page asks Partner Center. The same
    // database keeps the browsers signed in across the restart. No budget: it shows what
    // a page costs that the reuse does not spare.
    drop(Arc::into_inner(dashboard).expect("the memory sampler has let go"));
    let _dashboard = Dashboard::start(
        port,
        &app,
        &sandbox,
        &[
            ("ZTD_SITE_ROOT", "target/site"),
            ("ZTD_BATCH_LIST_REUSE_SECS", "0"),
        ],
    )
    .await;
    let mut fresh_load = browse(&browsers, &page_path, SECONDS).await;
    let fresh_rate = fresh_load.throughput();
    lines.push(Line {
        measurement: format!("the same page, lists never reused ({USERS} users, {SECONDS} s)"),
        compared_with: "the sandbox's endpoint, as measured above".into(),
        value: format!(
            "{fresh_rate:.0}/s vs {api_rate:.0}/s ({:.0}%); p99 {:.1} ms vs {:.1} ms; errors {}",
            100.0 * fresh_rate / api_rate,
            ms(fresh_load.percentile(0.99)),
            ms(api_p99),
            fresh_load.errors.len()
        ),
        budget: "—".into(),
        met: None,
    });

    // What a browser moves over the wire for the batch list, as it asks: brotli accepted.
    let wire = wire_bytes(&browsers[0], &page_path).await;
    lines.push(Line {
        measurement: "batch-list page on the wire, JavaScript off (HTML + CSS, brotli)".into(),
        compared_with: "—".into(),
        value: format!(
            "{} ({} + {})",
            kib(wire.html + wire.css),
            kib(wire.html),
            kib(wire.css)
        ),
        budget: "< 30 KB".into(),
        met: Some(wire.css > 0 && wire.html + wire.css < 30 * 1024),
    });
    let cold = wire.html + wire.css + wire.script;
    lines.push(Line {
        measurement: "cold load of the batch-list page, JavaScript on (HTML, CSS, JS, wasm on the wire, release)".into(),
        compared_with: "—".into(),
        value: format!(
            "{} (script and WebAssembly {}, {} before compression)",
            kib(cold),
            kib(wire.script),
            kib(wire.script_raw)
        ),
        budget: "≤ 350 KB".into(),
        met: Some(wire.script > 0 && cold <= 350 * 1024),
    });
    lines.push(Line {
        measurement: "warm reload of that page: static files sent again".into(),
        compared_with: "—".into(),
        value: format!(
            "{} ({} of {} files asked for again)",
            kib(wire.reload),
            wire.asked_again,
            wire.files
        ),
        budget: "0 B".into(),
        met: Some(wire.files == 3 && wire.reload == 0),
    });

    lines
}
