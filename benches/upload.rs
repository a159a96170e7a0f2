//! The web upload as a person makes it, against a dashboard process of its own (release), on
//! SQLite and on PostgreSQL: a 10,000-device CSV with 4K hashes sent with the upload form until
//! its preview page answers, beside `ztd-dashboard check` of the same file (the reading and
//! judging alone, whole process); the server's memory 5 s after those uploads (what an upload
//! takes, it gives back); then one of them submitted until Partner Center accepted every part.
//! `cargo bench --features ssr --bench upload`; its lines go to `make bench`'s table (`pages`
//! prints it).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/hashes.rs"]
mod hashes;
#[path = "support/lines.rs"]
mod lines;
#[path = "support/postgres.rs"]
mod postgres;

use std::process::Command;
use std::time::{Duration, Instant};

use common::process::Dashboard;
use common::uploads::{draft, file_form, to_new_batch, upload_id, CONTOSO};
use common::*;
use lines::Line;
use ztd_dashboard::model::operations::PartState;

/// Uploads timed on each backend (after one that warms the process up); the table shows the
/// median.
const RUNS: usize = 5;

/// A Get-WindowsAutopilotInfo CSV of 10,000 devices with realistic 4K hashes (4,000 base64
/// characters: 3,000 bytes), about 40 MB.
fn ten_thousand_devices() -> Vec<u8> {
    use base64::Engine;
    let mut csv = String::from("Device Serial Number,Windows Product ID,Hardware Hash\r\n");
    for n in 0..10_000u32 {
        // Unlike any hash the sandbox seeds.
        let mut bytes = hashes::hash_bytes(700_000 + n, 3_000);
        bytes[4] = 0x5A;
        let hash = base64::engine::general_purpose::STANDARD.encode(bytes);
        csv.push_str(&format!("BENCH10K-{n:05},,{hash}\r\n"));
    }
    csv.into_bytes()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The upload form sent with `file`, until the preview it leads to has answered.
async fn upload_until_preview(browser: &Browser, file: &[u8], batch: &str) -> (Duration, String) {
    let started = Instant::now();
    let form = to_new_batch(file_form("10k.csv", file.to_vec()), batch);
    let preview = draft(browser, CONTOSO, form).await;
    let page = browser.page(&preview, 200).await;
    let took = started.elapsed();
    assert!(
        page.contains("BENCH10K-00000"),
        "the preview shows the rows"
    );
    (took, preview)
}

/// `ztd-dashboard check` of the file, whole process: the reading and judging alone.
fn check_alone(path: &std::path::Path) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_ztd-dashboard"))
        .arg("check")
        .arg(path)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("check runs");
    assert!(status.code().is_some(), "check ended by a signal");
    started.elapsed()
}

async fn measure_on(postgres: Option<String>, file: &[u8], checked: Duration) -> Vec<Line> {
    let (backend, budget) = match postgres {
        Some(_) => ("PostgreSQL", Duration::from_secs(1)),
        None => ("SQLite", Duration::from_millis(500)),
    };
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let app = TestApp::for_process_on(port, &sandbox, postgres).await;
    let dashboard =
        Dashboard::start(port, &app, &sandbox, &[("ZTD_SITE_ROOT", "target/site")]).await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = dashboard.rss_bytes();

    let _ = upload_until_preview(&browser, file, "Bench warm-up").await;
    let mut times = Vec::new();
    let mut preview = String::new();
    for run in 0..RUNS {
        let (took, address) = upload_until_preview(&browser, file, &format!("Bench {run}")).await;
        times.push(took);
        preview = address;
    }
    let slowest = *times.iter().max().expect("runs");
    let took = median(times);
    let mut lines = vec![Line {
        measurement: format!(
            "upload a 10,000-device CSV, 4K hashes ({:.1} MB), until its preview answers ({backend})",
            file.len() as f64 / 1e6
        ),
        compared_with: "`ztd-dashboard check` of the same file (reading and judging alone)".into(),
        value: format!(
            "{:.2} s (median of {RUNS}, slowest {:.2} s) vs {:.2} s",
            took.as_secs_f64(),
            slowest.as_secs_f64(),
            checked.as_secs_f64()
        ),
        budget: format!("≤ {:.1} s", budget.as_secs_f64()),
        met: Some(took <= budget),
    }];

    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = dashboard.rss_bytes();
    lines.push(Line {
        measurement: format!(
            "server memory (RSS) 5 s after those {} uploads ({backend})",
            RUNS + 1
        ),
        compared_with: "the same process idle, signed in".into(),
        value: format!(
            "{} vs {} (peak {})",
            mib(after),
            mib(idle),
            mib(dashboard.peak_rss_bytes())
        ),
        budget: "≤ 45 MB".into(),
        met: Some(after <= 45 << 20),
    });

    // Submitting the last of them in parts, until Partner Center accepted every part.
    let upload_id = upload_id(&preview);
    let store = app.store().await;
    let started = Instant::now();
    let submitted = browser.post(&format!("{preview}/submit")).await;
    assert_eq!(submitted.status(), 303);
    let accepted_after = loop {
        // Read as the dashboard reads them, so the benchmark follows the tables' shape.
        let parts = store
            .parts(&upload_id)
            .await
            .expect("the parts can be read");
        if !parts.is_empty() && parts.iter().all(|p| p.state == PartState::Accepted) {
            break Some(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(60) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    lines.push(Line {
        measurement: format!(
            "submit 10,000 devices (parts of 500) until every part is accepted ({backend})"
        ),
        compared_with: "—".into(),
        value: accepted_after.map_or("not accepted within 60 s".into(), |t| {
            format!("{:.2} s", t.as_secs_f64())
        }),
        budget: "≤ 2 s".into(),
        met: Some(accepted_after.is_some_and(|t| t <= Duration::from_secs(2))),
    });
    lines
}

fn main() {
    let file = ten_thousand_devices();
    let path = std::env::temp_dir().join(format!("ztd-bench-10k-{}.csv", std::process::id()));
    std::fs::write(&path, &file).expect("the file can be written");
    let _ = check_alone(&path);
    let checked = median((0..RUNS).map(|_| check_alone(&path)).collect());
    let _ = std::fs::remove_file(&path);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut lines = runtime.block_on(measure_on(None, &file, checked));
    match postgres::url() {
        Some(url) => lines.extend(runtime.block_on(measure_on(Some(url), &file, checked))),
        None => lines.push(postgres::not_measured("the web upload", "≤ 1 s")),
    }
    for line in &lines {
        println!("{}: {} ({})", line.measurement, line.value, line.budget);
    }
    lines::save("upload", &lines);
}
