//! Many people browsing at once: `cargo bench --features ssr --bench load`.
//!
//! The dashboard and its built-in sandbox start in this process on free ports, as `make run`
//! starts them, and [`browsing::crowd`] browses them. Any answer but a full page fails the run.
//!
//! Settings (environment): `LOAD_USERS` (200), `LOAD_SECONDS` (60).

#[path = "support/browsing.rs"]
mod browsing;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/tally.rs"]
mod tally;

use common::*;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
        let mut tally = browsing::crowd(app, users, seconds).await;
        println!("| measurement | value |");
        println!("|---|---|");
        println!("| simulated people | {users} |");
        println!("| duration | {:.1} s |", tally.elapsed.as_secs_f64());
        println!("| pages opened | {} |", tally.latencies.len());
        println!("| throughput | {:.0} pages/s |", tally.throughput());
        println!(
            "| p50 | {:.1} ms |",
            tally.percentile(0.5).as_secs_f64() * 1e3
        );
        println!(
            "| p99 | {:.1} ms |",
            tally.percentile(0.99).as_secs_f64() * 1e3
        );
        println!("| errors | {} |", tally.errors.len());
        if !tally.errors.is_empty() {
            for error in tally.errors.iter().take(20) {
                eprintln!("error: {error}");
            }
            std::process::exit(1);
        }
    });
}
