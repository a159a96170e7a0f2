//! People browsing the dashboard, for the load benchmarks: each signs in with a session of
//! their own, then opens the customer search, a customer's batches and a batch's devices, with
//! no pause, until told to stop. Every answer must be a 200 holding the page's content.

use std::time::{Duration, Instant};

use super::common::*;
use super::tally::Tally;

/// What each round opens: a customer, one of its batches, and a text its search page holds.
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

/// Opens `path` and times it; an answer other than a 200 holding `expected` is an error.
pub async fn timed(browser: &Browser, path: &str, expected: &str, tally: &mut Tally) {
    let started = Instant::now();
    let response = browser.get(path).await;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    tally.latencies.push(started.elapsed());
    if status != 200 || !body.contains(expected) {
        tally.errors.push(format!("{path}: {status}"));
    }
}

/// When everyone has signed in, the clock starts: for how long people browse.
pub struct Start {
    everyone: tokio::sync::Barrier,
    at: std::sync::OnceLock<Instant>,
    seconds: u64,
}

/// One person: signs in, waits for everyone else, browses for the run's time.
pub async fn browse(app: &TestApp, person: usize, start: &Start) -> Tally {
    let browser = Browser::new(app);
    browser
        .sign_in([ADMIN, SALES][person % 2], "/customers")
        .await;
    start.everyone.wait().await;
    let until = *start.at.get_or_init(Instant::now) + Duration::from_secs(start.seconds);
    let mut tally = Tally::default();
    let mut round = person;
    while Instant::now() < until {
        let (customer, batch, name) = CUSTOMERS[round % CUSTOMERS.len()];
        let search = format!("/customers?q={}", name[..3].to_lowercase());
        timed(&browser, &search, name, &mut tally).await;
        let batches = format!("/customers/{customer}/batches");
        timed(&browser, &batches, batch, &mut tally).await;
        let devices = format!(
            "/customers/{customer}/batches/{}",
            ztd_dashboard::urls::encode(batch)
        );
        timed(&browser, &devices, "Serial", &mut tally).await;
        round += 1;
    }
    tally
}

/// `people` browsing at once for `seconds`, from the moment all have signed in.
pub async fn crowd(app: std::sync::Arc<TestApp>, people: usize, seconds: u64) -> Tally {
    let start = std::sync::Arc::new(Start {
        everyone: tokio::sync::Barrier::new(people),
        at: std::sync::OnceLock::new(),
        seconds,
    });
    let tasks: Vec<_> = (0..people)
        .map(|person| {
            let (app, start) = (app.clone(), start.clone());
            tokio::spawn(async move { browse(&app, person, &start).await })
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a person's task ends"));
    }
    tally.elapsed = start.at.get().map(Instant::elapsed).unwrap_or_default();
    tally
}
