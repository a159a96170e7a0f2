//! Acting on many devices at a partner's size: `cargo bench --features ssr --bench bulk`
//! (`make bench` runs it before `pages`, whose table takes its lines in).
//!
//! A sandbox in this process gets 50,000 devices for one customer (100 batches of 500) and
//! two batches of 1,000 for another. The dashboard runs as its own release process, its
//! memory read from `/proc`. Each measurement runs beside its baseline in the same run:
//!
//! - exporting the 50,000 devices as XLSX and as CSV, beside reading the same devices
//!   straight from the sandbox page by page: the time, and the server's peak memory;
//! - deleting one batch's 1,000 devices as one deletion while one request in ten is answered
//!   500 or 503, beside 1,000 `DELETE`s of the other batch sent straight to the sandbox at
//!   the same concurrency without faults: the time, and every outcome recorded.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/lines.rs"]
mod lines;

use std::time::{Duration, Instant};

use common::process::Dashboard;
use common::uploads::{post_form, CONTOSO, NORTHWIND};
use common::*;
use futures::{StreamExt, TryStreamExt};
use lines::Line;
use ztd_dashboard::partner_center::{
    AccessToken, BatchId, CallContext, ClientConfig, CustomerId, NewDevice, PartnerCenterClient,
    RequestId,
};
use ztd_dashboard::sandbox::FaultSettings;

const EXPORTED: usize = 50_000;
const PER_BATCH: usize = 500;
const DELETED: usize = 1_000;
/// The dashboard's default `device_writes_at_once`, used by the baseline too.
const AT_ONCE: usize = 4;
/// The export's budget: the server's peak resident memory.
const EXPORT_PEAK_MB: f64 = 100.0;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn tuple(serial: String) -> NewDevice {
    NewDevice {
        serial_number: Some(serial),
        oem_manufacturer_name: Some("Contoso Hardware".into()),
        model_name: Some("Surface Laptop 7".into()),
        ..NewDevice::default()
    }
}

/// Devices of `customer` the sandbox holds, waiting until there are `count`.
async fn until_held(sandbox_url: &str, customer: &str, count: usize) {
    for _ in 0..600 {
        if admin_list_at(sandbox_url, &format!("customers/{customer}/devices"))
            .await
            .len()
            >= count
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the sandbox never held {count} devices of {customer}");
}

/// Downloads `path`; returns the seconds it took and the body.
async fn timed_download(browser: &Browser, path: &str) -> (f64, Vec<u8>) {
    let started = Instant::now();
    let response = browser.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let body = response.bytes().await.expect("the whole file").to_vec();
    (started.elapsed().as_secs_f64(), body)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let lines = runtime.block_on(measure());
    for line in &lines {
        println!("{}: {}", line.measurement, line.value);
    }
    lines::save("bulk", &lines);
}

async fn measure() -> Vec<Line> {
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let token = sign_in(&sandbox, ADMIN).await.access_token;
    let ctx = CallContext::new(AccessToken::new(token), uuid::Uuid::new_v4());
    let client = PartnerCenterClient::new(ClientConfig {
        base_url: sandbox.base_url().parse().unwrap(),
        ..ClientConfig::default()
    })
    .unwrap();
    let (northwind, contoso) = (
        CustomerId::parse(NORTHWIND).unwrap(),
        CustomerId::parse(CONTOSO).unwrap(),
    );
    let before = admin_list_at(
        sandbox.base_url(),
        &format!("customers/{NORTHWIND}/devices"),
    )
    .await
    .len();
    for b in 0..EXPORTED / PER_BATCH {
        let devices: Vec<NewDevice> = (0..PER_BATCH)
            .map(|d| tuple(format!("EXPORT-{b:03}-{d:03}")))
            .collect();
        let name = BatchId::parse(&format!("Export batch {b:03}")).unwrap();
        client
            .create_device_batch(&ctx, &northwind, &name, &devices, RequestId::new())
            .await
            .expect("a batch is created");
    }
    let contoso_before = admin_list_at(sandbox.base_url(), &format!("customers/{CONTOSO}/devices"))
        .await
        .len();
    for which in ["Bench delete", "Bench direct"] {
        let devices: Vec<NewDevice> = (0..DELETED)
            .map(|d| tuple(format!("{}-{d:04}", which.replace(' ', "-").to_uppercase())))
            .collect();
        let name = BatchId::parse(which).unwrap();
        client
            .create_device_batch(&ctx, &contoso, &name, &devices, RequestId::new())
            .await
            .expect("a batch is created");
    }
    until_held(sandbox.base_url(), NORTHWIND, before + EXPORTED).await;
    until_held(sandbox.base_url(), CONTOSO, contoso_before + 2 * DELETED).await;

    let app = TestApp::for_process(port, &sandbox).await;
    let dashboard = Dashboard::start(port, &app, &sandbox, &[]).await;
    let idle = dashboard.rss_bytes();
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let mut lines = Vec::new();

    // The export, beside reading the same pages straight from the sandbox.
    let started = Instant::now();
    let batches = client.device_batches(&ctx, &northwind).await.unwrap();
    let mut read = 0;
    for batch in &batches {
        let id = BatchId::parse(&batch.id).unwrap();
        read += client
            .devices(&ctx, &northwind, &id)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len();
    }
    let straight = started.elapsed().as_secs_f64();
    let (xlsx_secs, xlsx) =
        timed_download(&browser, &format!("/customers/{NORTHWIND}/devices.xlsx")).await;
    let (csv_secs, csv) =
        timed_download(&browser, &format!("/customers/{NORTHWIND}/devices.csv")).await;
    let peak = dashboard.peak_rss_bytes();
    let csv_rows = csv.iter().filter(|b| **b == b'\n').count() - 1;
    let all_rows = csv_rows == read && read >= EXPORTED;
    lines.push(Line {
        measurement: format!(
            "export one customer's {read} devices ({} batches), XLSX and CSV",
            batches.len()
        ),
        compared_with: "reading the same devices straight from the sandbox, page by page".into(),
        value: format!(
            "XLSX {xlsx_secs:.1} s ({:.1} MB), CSV {csv_secs:.1} s ({csv_rows} rows) vs {straight:.1} s; \
             server peak RSS {:.1} MB (idle {:.1} MB)",
            mib(xlsx.len() as u64),
            mib(peak),
            mib(idle)
        ),
        budget: format!("peak RSS < {EXPORT_PEAK_MB:.0} MB, every device in the file"),
        met: Some(mib(peak) < EXPORT_PEAK_MB && all_rows),
    });

    // The deletion's baseline: 1,000 DELETEs straight to the sandbox, as many at once.
    let direct = BatchId::parse("Bench direct").unwrap();
    let ids: Vec<String> = client
        .devices(&ctx, &contoso, &direct)
        .map_ok(|d| d.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    let started = Instant::now();
    let sent: Vec<bool> = futures::stream::iter(ids)
        .map(|id| {
            let (client, ctx, contoso, direct) = (&client, &ctx, &contoso, &direct);
            async move {
                client
                    .delete_device(ctx, contoso, direct, &id, RequestId::new())
                    .await
                    .is_ok()
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let straight = started.elapsed().as_secs_f64();
    let straight_ok = sent.iter().filter(|ok| **ok).count();

    // One deletion of the other batch's 1,000, one request in ten failing.
    set_faults(
        &sandbox,
        FaultSettings {
            error_rate: 0.1,
            ..FaultSettings::default()
        },
    )
    .await;
    let started = Instant::now();
    let batch = format!("/customers/{CONTOSO}/batches/Bench%20delete/delete");
    let confirmed = DELETED.to_string();
    let fields = [("devices", "all"), ("confirmed", confirmed.as_str())];
    let response = post_form(&browser, &batch, &fields).await;
    assert_eq!(response.status(), 303);
    let deletion = location(&response)
        .trim_end_matches("?done=deletion-started")
        .to_string();
    let operation: ztd_dashboard::server::operations::OperationId =
        deletion.rsplit('/').next().unwrap().parse().unwrap();
    let store = app.store().await;
    let parts = loop {
        let parts = store.parts(&operation).await.unwrap();
        let ended = store.operation(&operation).await.unwrap().is_some_and(|o| {
            o.state != ztd_dashboard::model::operations::OperationState::Submitting
        });
        if ended || started.elapsed() > Duration::from_secs(600) {
            break parts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let took = started.elapsed().as_secs_f64();
    set_faults(&sandbox, FaultSettings::default()).await;
    let failed_requests = admin_list_at(sandbox.base_url(), "requests")
        .await
        .iter()
        .filter(|r| r["method"] == "DELETE" && r["outcome"] == "failed")
        .count();
    let done = parts.iter().filter(|p| p.state.is_done()).count();
    let left = admin_list_at(sandbox.base_url(), &format!("customers/{CONTOSO}/devices"))
        .await
        .iter()
        .filter(|d| d["batchId"] == "Bench delete")
        .count();
    lines.push(Line {
        measurement: format!(
            "delete {DELETED} devices as one deletion ({AT_ONCE} at a time), 10% of requests answered 500/503"
        ),
        compared_with: format!("{DELETED} DELETEs straight to the sandbox, {AT_ONCE} at a time, no faults"),
        value: format!(
            "{took:.1} s vs {straight:.1} s; {done} of {} outcomes recorded as deleted, {left} left in the batch; \
             {failed_requests} answers 5xx retried (baseline: {straight_ok} deleted)",
            parts.len()
        ),
        budget: "every outcome recorded, every device deleted".into(),
        met: Some(parts.len() == DELETED && done == DELETED && left == 0),
    });
    drop(dashboard);
    lines
}
