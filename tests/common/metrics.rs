//! A dashboard's Prometheus metrics (`ZTD_METRICS_ADDR`), as the observability tests and the
//! load benchmarks read them.

/// The sum of the samples of `name` whose labels include every one of `having`.
pub fn metric(text: &str, name: &str, having: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .filter(|line| {
            having
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The metrics served at `address`, in Prometheus' text format.
pub async fn scrape(address: &str) -> String {
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// How many times a task of the dashboard at `address` has panicked so far: the load
/// benchmarks require none.
pub async fn panics(address: &str) -> u64 {
    metric(&scrape(address).await, "ztd_panics_total", &[]) as u64
}
