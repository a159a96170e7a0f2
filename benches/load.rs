//! Many people browsing at once: `cargo bench --features ssr --bench load`.
//!
//! The dashboard and its built-in sandbox start in this process on free ports, as `make run`
//! starts them. Each simulated person signs in through the sandbox with a session of their
//! own, then, with no pause between requests, opens the customer search, a customer's
//! batches and a batch's devices, over and over, until the run ends. Every answer must be a
//! 200 with the page's content: any other answer is counted as an error and fails the run.
//!
//! Settings (environment): `LOAD_USERS` (200), `LOAD_SECONDS` (60).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;

/// What each step opens, and a text the page must hold.
const CUSTOMERS: [(&str, &str, &str); 2] = [
    (
        "8b7c6a1e-0000-4000-8000-000000000001",
        "Contoso-PO-4711",
        "Contoso",
    ),
    (
        "8b7c6a1e-0000-4000-8000-000000000002",
        "Fabrikam Surface fleet",
        "Fabrikam",
    ),
];

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One person: sign in, wait for the start, browse until `until`, timing every page.
async fn browse(app: &TestApp, person: usize, start: Instant, until: Instant) -> Tally {
    let browser = Browser::new(app);
    browser
        .sign_in([ADMIN, SALES][person % 2], "/customers")
        .await;
    tokio::time::sleep_until(start.into()).await;
    let mut tally = Tally::default();
    let mut step = person;
    while Instant::now() < until {
        let (customer, batch, name) = CUSTOMERS[step % CUSTOMERS.len()];
        let pages = [
            (format!("/customers?q={}", &name[..3].to_lowercase()), name),
            (format!("/customers/{customer}/batches"), batch),
            (
                format!(
                    "/customers/{customer}/batches/{}",
                    ztd_dashboard::urls::encode(batch)
                ),
                "Serial",
            ),
        ];
        for (path, expected) in pages {
            let started = Instant::now();
            let response = browser.get(&path).await;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            tally.latencies.push(started.elapsed());
            if status != 200 || !body.contains(expected) {
                tally.errors.push(format!("{path}: {status}"));
            }
        }
        step += 1;
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn main() {
    let users = setting("LOAD_USERS", 200) as usize;
    let seconds = setting("LOAD_SECONDS", 60);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let app = std::sync::Arc::new(spawn_app().await);
        // Everyone signs in first; the clock starts once they all could have.
        let started = Instant::now() + Duration::from_secs(10);
        let until = started + Duration::from_secs(seconds);
        let people: Vec<_> = (0..users)
            .map(|person| {
                let app = app.clone();
                tokio::spawn(async move { browse(&app, person, started, until).await })
            })
            .collect();
        let mut latencies = Vec::new();
        let mut errors = Vec::new();
        for person in people {
            let tally = person.await.expect("a person's task ends");
            latencies.extend(tally.latencies);
            errors.extend(tally.errors);
        }
        let elapsed = started.elapsed();
        latencies.sort();
        println!("| measurement | value |");
        println!("|---|---|");
        println!("| simulated people | {users} |");
        println!("| duration | {:.1} s |", elapsed.as_secs_f64());
        println!("| pages opened | {} |", latencies.len());
        println!(
            "| throughput | {:.0} pages/s |",
            latencies.len() as f64 / elapsed.as_secs_f64()
        );
        println!(
            "| p50 | {:.1} ms |",
            percentile(&latencies, 0.5).as_secs_f64() * 1e3
        );
        println!(
            "| p99 | {:.1} ms |",
            percentile(&latencies, 0.99).as_secs_f64() * 1e3
        );
        println!("| errors | {} |", errors.len());
        if !errors.is_empty() {
            for error in errors.iter().take(20) {
                eprintln!("error: {error}");
            }
            std::process::exit(1);
        }
    });
}
