//! The dashboard binary as a process of its own: to kill it mid-upload, stop it with
//! SIGTERM, or read its memory. Configured as for Microsoft but pointed at a test's sandbox.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{microsoft_settings, TestApp};
use ztd_dashboard::sandbox::Sandbox;

impl TestApp {
    /// The address, a fresh data directory and a fresh database for dashboard processes
    /// ([`Dashboard::start`]) on `port` against `sandbox`; replicas share them.
    pub async fn for_process(port: u16, sandbox: &Sandbox) -> TestApp {
        TestApp::for_process_on(port, sandbox, super::postgres_server()).await
    }

    /// The same, on the PostgreSQL server `postgres` (an admin URL), or SQLite when `None`.
    pub async fn for_process_on(port: u16, sandbox: &Sandbox, postgres: Option<String>) -> TestApp {
        let data_dir = std::env::temp_dir().join(format!("ztd-process-{}", uuid::Uuid::new_v4()));
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            sandbox_url: sandbox.base_url().to_string(),
            database: super::TestDatabase::fresh_on(&data_dir, postgres).await,
            data_dir,
        }
    }
}

/// A running dashboard process; killed and reaped when dropped.
pub struct Dashboard(Child);

impl Dashboard {
    /// Starts the binary on `port` with the data directory and database of `app`, plus
    /// `extra` `ZTD_*` settings, and waits until it answers its health check.
    pub async fn start(
        port: u16,
        app: &TestApp,
        sandbox: &Sandbox,
        extra: &[(&str, &str)],
    ) -> Dashboard {
        let quiet = [("RUST_LOG", "warn")];
        Dashboard::start_logging(port, app, sandbox, extra, &quiet, Stdio::null()).await
    }

    /// [`Dashboard::start`] with its Prometheus metrics served on a free port, whose address
    /// it returns beside it (the load benchmarks read its panics there).
    pub async fn start_with_metrics(
        port: u16,
        app: &TestApp,
        sandbox: &Sandbox,
        extra: &[(&str, &str)],
    ) -> (Dashboard, String) {
        let metrics = format!("127.0.0.1:{}", super::free_port());
        let mut settings = extra.to_vec();
        settings.push(("ZTD_METRICS_ADDR", &metrics));
        let dashboard = Dashboard::start(port, app, sandbox, &settings).await;
        (dashboard, metrics)
    }

    /// [`Dashboard::start`], its log (`RUST_LOG` at `info`, one JSON object a line) written
    /// to `log`.
    pub async fn start_with_log(
        port: u16,
        app: &TestApp,
        sandbox: &Sandbox,
        extra: &[(&str, &str)],
        log: &std::path::Path,
    ) -> Dashboard {
        let file = std::fs::File::create(log).expect("the log file can be made");
        let logging = [("RUST_LOG", "info"), ("ZTD_LOG_FORMAT", "json")];
        Dashboard::start_logging(port, app, sandbox, extra, &logging, file.into()).await
    }

    async fn start_logging(
        port: u16,
        app: &TestApp,
        sandbox: &Sandbox,
        extra: &[(&str, &str)],
        logging: &[(&str, &str)],
        stdout: Stdio,
    ) -> Dashboard {
        let child = Command::new(env!("CARGO_BIN_EXE_ztd-dashboard"))
            .envs(microsoft_settings(sandbox, port, sandbox.base_url()))
            .env("ZTD_DATA_DIR", &app.data_dir)
            .envs(app.database.settings())
            .envs(extra.iter().copied())
            .envs(logging.iter().copied())
            .stdout(stdout)
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

    pub fn kill(mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("the process ends");
    }

    /// SIGTERM; returns how long the process took to end, and whether it ended well.
    pub fn terminate(mut self) -> (Duration, bool) {
        let started = std::time::Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        loop {
            if let Some(status) = self.0.try_wait().expect("the process can be waited on") {
                return (started.elapsed(), status.success());
            }
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "still running 40 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident memory now, from `/proc`.
    pub fn rss_bytes(&self) -> u64 {
        self.proc_status_bytes("VmRSS:")
    }

    /// The most resident memory the process has had since it started (`VmHWM`).
    pub fn peak_rss_bytes(&self) -> u64 {
        self.proc_status_bytes("VmHWM:")
    }

    fn proc_status_bytes(&self, field: &str) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
