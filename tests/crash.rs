//! Never lose an upload: the dashboard process is killed (SIGKILL) in the middle of sending an
//! upload in parts, started again on the same data, and finishes the upload by itself, with
//! exactly one batch holding each device once. The dashboard runs as its own process here,
//! against a sandbox in the test process that outlives it.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::uploads::*;
use common::*;
use ztd_dashboard::sandbox::config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use ztd_dashboard::sandbox::{FaultSettings, Sandbox};

/// The dashboard binary, configured as for Microsoft but pointed at the sandbox.
struct Dashboard(Child);

impl Dashboard {
    async fn start(port: u16, data_dir: &std::path::Path, sandbox: &Sandbox) -> Dashboard {
        let child = Command::new(env!("CARGO_BIN_EXE_ztd-dashboard"))
            .env("ZTD_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("ZTD_DATA_DIR", data_dir)
            .env(
                "ZTD_ENTRA_TENANT",
                sandbox.config().partner_tenant_id.to_string(),
            )
            .env("ZTD_ENTRA_CLIENT_ID", DEFAULT_CLIENT_ID.to_string())
            .env("ZTD_ENTRA_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
            .env("ZTD_ENTRA_AUTHORITY_HOST", sandbox.base_url())
            .env("ZTD_PARTNER_CENTER_URL", sandbox.base_url())
            .env("ZTD_UPLOAD_CHUNK_SIZE", "2")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the dashboard binary starts");
        // Owned at once, so that a failure below still kills and reaps it.
        let dashboard = Dashboard(child);
        let health = format!("http://127.0.0.1:{port}/healthz");
        for _ in 0..300 {
            if let Ok(response) = reqwest::get(&health).await {
                if response.status().is_success() {
                    return dashboard;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the dashboard did not become healthy");
    }

    fn kill(mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("the process ends");
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Answered device-upload POSTs the sandbox has seen.
async fn answered_upload_posts(sandbox: &Sandbox) -> usize {
    admin_list_at(sandbox.base_url(), "requests")
        .await
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.contains("deviceBatches"))
                && r["outcome"] == "answered"
        })
        .count()
}

#[tokio::test]
async fn an_upload_killed_mid_submit_is_finished_after_a_restart_with_one_batch() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sandbox = sandbox_with(|config| {
        config.clients[0].redirect_uris = vec![format!("http://127.0.0.1:{port}/auth/callback")];
    })
    .await;
    let data_dir = std::env::temp_dir().join(format!("ztd-crash-{}", uuid::Uuid::new_v4()));
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        sandbox_url: sandbox.base_url().to_string(),
        data_dir: data_dir.clone(),
    };
    let dashboard = Dashboard::start(port, &data_dir, &sandbox).await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("crash.csv", autopilot_csv(8100, 5).into_bytes()),
            "Crash test",
        ),
    )
    .await;

    // Each Partner Center call now takes 700 ms: three parts take seconds to send.
    set_faults(
        &sandbox,
        FaultSettings {
            latency_ms: 700,
            ..FaultSettings::default()
        },
    )
    .await;
    let response = browser.post(&format!("{preview}/submit")).await;
    assert_eq!(response.status(), 303);
    let job = location(&response);
    // Killed once Partner Center has answered the first part, while the rest are unsent.
    for _ in 0..200 {
        if answered_upload_posts(&sandbox).await >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    dashboard.kill();
    assert!(
        answered_upload_posts(&sandbox).await < 3,
        "the kill came too late to test anything"
    );

    set_faults(&sandbox, FaultSettings::default()).await;
    let _restarted = Dashboard::start(port, &data_dir, &sandbox).await;
    let (_, page) = until_finished(&browser, &job).await;
    assert!(page.contains("class=\"state finished\""), "{page}");
    assert!(
        page.contains("5 of 5 devices processed: 5 registered, 0 failed"),
        "{page}"
    );

    let devices = admin_list_at(sandbox.base_url(), &format!("customers/{CONTOSO}/devices")).await;
    for n in 8100..8105 {
        let copies: Vec<_> = devices
            .iter()
            .filter(|d| d["hardwareHash"].as_str() == Some(hash(n).as_str()))
            .collect();
        assert_eq!(copies.len(), 1, "device {n} is registered once");
        assert_eq!(copies[0]["batchId"], "Crash test");
    }
}
