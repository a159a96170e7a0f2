//! Timing many requests at once, for the load benchmarks: latencies and failures merged over
//! people ([`Tally`]), and [`hammer`], which runs people in loops for a while. Each benchmark
//! uses a part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Latencies and failures, merged over people.
#[derive(Default)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.errors.extend(other.errors);
    }

    /// Requests per second over `elapsed`.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-quantile (0–1) of the latencies.
    pub fn percentile(&mut self, p: f64) -> Duration {
        self.latencies.sort_unstable();
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }
}

/// `users` loops, each opening what `open` opens, back to back, for `seconds`: as many
/// requests as the machine answers (a capacity, not what people do).
pub async fn hammer<F, Fut>(users: usize, seconds: u64, open: F) -> Tally
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    paced(users, seconds, Duration::ZERO, open).await
}

/// `users` people for `seconds`, each opening what `open` opens and then reading it for
/// `pause` before the next: people at work. Their first requests are spread over the first
/// pause, so they do not arrive in step.
pub async fn paced<F, Fut>(users: usize, seconds: u64, pause: Duration, open: F) -> Tally
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..users)
        .map(|user| {
            let open = open.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                tokio::time::sleep(pause.mul_f64(user as f64 / users as f64)).await;
                while Instant::now() < until {
                    let began = Instant::now();
                    let outcome = open(user).await;
                    tally.latencies.push(began.elapsed());
                    if let Err(error) = outcome {
                        tally.errors.push(error);
                    }
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a load task ends"));
    }
    tally.elapsed = start.elapsed();
    tally
}

/// Sends `request` and reads its whole answer: an error, named `what`, unless it is a 200.
pub async fn read_ok(request: reqwest::RequestBuilder, what: &str) -> Result<(), String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    response.bytes().await.map_err(|e| e.to_string())?;
    (status == 200)
        .then_some(())
        .ok_or(format!("{what}: {status}"))
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
