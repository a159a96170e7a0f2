//! Throttling and injected faults for the Partner Center routes, plus the request log that
//! tests read to see what the sandbox actually received.
//!
//! Every `/v1` request passes [`apply`] first. In order: added latency; a 429 when the
//! per-tenant budget is spent or a burst is active; a random 500/503 *before* the request is
//! processed; then the request is processed, and with some probability the connection is
//! closed *after* processing without an answer — the case idempotency keys exist for — or
//! the answer is held back (`slow_next_writes`) until the client has given up waiting.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::server::ConnectionKill;
use super::wire::{api_fault, codes};
use super::SandboxState;
use std::sync::Arc;

/// Fault knobs. All off by default. Settable at start and through `PUT /_sandbox/faults`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSettings {
    /// Added to every Partner Center request, in milliseconds.
    pub latency_ms: u64,
    /// Share (0–1) of requests answered 500 or 503 without being processed.
    pub error_rate: f64,
    /// Share (0–1) of requests whose connection is closed after processing, without an answer.
    pub drop_rate: f64,
    /// Requests a partner tenant may make per minute; `None` means unlimited.
    pub rate_limit_per_minute: Option<u32>,
    /// The next this-many requests are answered 429 whatever the budget.
    pub throttle_burst: u32,
    /// `Retry-After` seconds sent with burst 429s.
    pub burst_retry_after_secs: u64,
    /// The next this-many requests are answered 500/503 without being processed.
    pub fail_next: u32,
    /// The next this-many requests are processed, then their connection is dropped.
    pub drop_next: u32,
    /// The next this-many writes (POST, PUT, PATCH, DELETE) are answered 503 without being
    /// processed; reads go through. For failing an upload but not the pages around it.
    pub fail_next_writes: u32,
    /// The next this-many writes are processed, then their connection is dropped; reads go
    /// through. For a write whose answer is lost, with the pages around it working.
    pub drop_next_writes: u32,
    /// The next this-many writes are answered 429 (`Retry-After` of
    /// `burst_retry_after_secs`) without being processed; reads go through. For a write
    /// Partner Center refused, with the pages around it working.
    pub throttle_next_writes: u32,
    /// The next this-many writes are processed at once but answered only after
    /// `slow_write_ms`: the client that gave up waiting must not create twice.
    pub slow_next_writes: u32,
    pub slow_write_ms: u64,
    /// Added to every token request (Entra ID), in milliseconds, before it is looked at: two
    /// clients refreshing with one single-use refresh token are then both on their way, and
    /// the second is refused.
    pub token_latency_ms: u64,
    /// Request bodies are read at most this fast (bytes a second; 0: as fast as they come), so
    /// that a test can cut a client off while its body is half sent.
    pub body_bytes_per_sec: u64,
    /// Keep the answer to a request whose body was cut off under its `MS-RequestId` (a 400
    /// without an ApiFault, also when the client went away before any answer), and replay it
    /// to a repeat, as a service that stores every answer would (by default the sandbox
    /// forgets such an id). Partner Center's behaviour here is not documented; this
    /// lets a test check that a client is not stuck with a replayed refusal.
    pub keep_cut_off_answers: bool,
    /// Carry out every write afresh, even one repeating an `MS-RequestId` already answered,
    /// instead of replaying that answer. Whether Partner Center replays a write's answer to a
    /// repeated id is not documented: with this on, a `DELETE` retried after its answer was
    /// lost finds the device gone, and is answered 404, as it would be by a service that
    /// keeps no answers.
    pub forget_answers: bool,
}

/// `body`, given to the handler at most `bytes_per_sec` (in pieces of at most 1 KB): the
/// client's sending blocks meanwhile, as it would on a slow link.
fn read_slowly(body: Body, bytes_per_sec: u64) -> Body {
    use futures::StreamExt;
    let pieces = body.into_data_stream().flat_map(|chunk| {
        let pieces: Vec<Result<Bytes, axum::Error>> = match chunk {
            Ok(bytes) => (0..bytes.len())
                .step_by(1024)
                .map(|at| Ok(bytes.slice(at..(at + 1024).min(bytes.len()))))
                .collect(),
            Err(error) => vec![Err(error)],
        };
        futures::stream::iter(pieces)
    });
    Body::from_stream(pieces.then(move |piece| async move {
        if let Ok(bytes) = &piece {
            let secs = bytes.len() as f64 / bytes_per_sec as f64;
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        }
        piece
    }))
}

/// One line of the request log.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub request_id: Option<String>,
    pub correlation_id: Option<String>,
    /// `answered` (with `status`), `late` (answered after `slow_write_ms`), `throttled`,
    /// `failed` (injected 5xx) or `dropped`.
    pub outcome: &'static str,
    pub status: u16,
}

const LOG_CAPACITY: usize = 5000;

pub(crate) struct FaultState {
    settings: Mutex<FaultSettings>,
    dice: Mutex<ChaCha8Rng>,
    budgets: Mutex<HashMap<String, (Instant, u32)>>,
    log: Mutex<VecDeque<LoggedRequest>>,
}

enum Verdict {
    Pass {
        drop_after: bool,
    },
    /// Processed at once, answered only after this long.
    Late(Duration),
    Throttle {
        retry_after: u64,
    },
    Fail(StatusCode),
}

impl FaultState {
    pub fn new(settings: FaultSettings, seed: u64) -> Self {
        FaultState {
            settings: Mutex::new(settings),
            dice: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            budgets: Mutex::new(HashMap::new()),
            log: Mutex::new(VecDeque::new()),
        }
    }

    pub fn settings(&self) -> FaultSettings {
        lock(&self.settings).clone()
    }

    pub fn replace(&self, settings: FaultSettings) {
        *lock(&self.settings) = settings;
        lock(&self.budgets).clear();
    }

    pub fn log(&self) -> Vec<LoggedRequest> {
        lock(&self.log).iter().cloned().collect()
    }

    pub fn clear_log(&self) {
        lock(&self.log).clear();
    }

    fn record(&self, entry: LoggedRequest) {
        let mut log = lock(&self.log);
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }

    fn verdict(&self, tenant: &str, write: bool) -> (Duration, Verdict) {
        let mut settings = lock(&self.settings);
        let latency = Duration::from_millis(settings.latency_ms);
        if settings.throttle_burst > 0 {
            settings.throttle_burst -= 1;
            let retry_after = settings.burst_retry_after_secs;
            return (latency, Verdict::Throttle { retry_after });
        }
        if let Some(limit) = settings.rate_limit_per_minute {
            let mut budgets = lock(&self.budgets);
            let now = Instant::now();
            let (window_start, used) = budgets.entry(tenant.to_string()).or_insert((now, 0));
            if now.duration_since(*window_start) >= Duration::from_secs(60) {
                *window_start = now;
                *used = 0;
            }
            if *used >= limit {
                let left =
                    Duration::from_secs(60).saturating_sub(now.duration_since(*window_start));
                return (
                    latency,
                    Verdict::Throttle {
                        retry_after: left.as_secs().max(1),
                    },
                );
            }
            *used += 1;
        }
        if settings.fail_next > 0 {
            settings.fail_next -= 1;
            return (latency, Verdict::Fail(StatusCode::SERVICE_UNAVAILABLE));
        }
        if write && settings.throttle_next_writes > 0 {
            settings.throttle_next_writes -= 1;
            let retry_after = settings.burst_retry_after_secs;
            return (latency, Verdict::Throttle { retry_after });
        }
        if write && settings.fail_next_writes > 0 {
            settings.fail_next_writes -= 1;
            return (latency, Verdict::Fail(StatusCode::SERVICE_UNAVAILABLE));
        }
        if settings.drop_next > 0 {
            settings.drop_next -= 1;
            return (latency, Verdict::Pass { drop_after: true });
        }
        if write && settings.drop_next_writes > 0 {
            settings.drop_next_writes -= 1;
            return (latency, Verdict::Pass { drop_after: true });
        }
        if write && settings.slow_next_writes > 0 {
            settings.slow_next_writes -= 1;
            let after = Duration::from_millis(settings.slow_write_ms);
            return (latency, Verdict::Late(after));
        }
        let mut dice = lock(&self.dice);
        if settings.error_rate > 0.0 && dice.gen_bool(settings.error_rate.clamp(0.0, 1.0)) {
            let status = if dice.gen_bool(0.5) {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            return (latency, Verdict::Fail(status));
        }
        let drop_after =
            settings.drop_rate > 0.0 && dice.gen_bool(settings.drop_rate.clamp(0.0, 1.0));
        (latency, Verdict::Pass { drop_after })
    }
}

/// The middleware in front of every Partner Center route.
pub(crate) async fn apply(
    State(state): State<Arc<SandboxState>>,
    request: Request,
    next: Next,
) -> Response {
    let faults = &state.faults;
    // Owned copies: a borrow of the request must not live across the awaits below.
    let (mut entry, tenant) = {
        let header_text = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let entry = LoggedRequest {
            method: request.method().to_string(),
            path: request
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            request_id: header_text("ms-requestid"),
            correlation_id: header_text("ms-correlationid"),
            outcome: "answered",
            status: 0,
        };
        let tenant = header_text("authorization")
            .and_then(|value| unverified_tenant(&value))
            .unwrap_or_else(|| "anonymous".to_string());
        (entry, tenant)
    };
    let write = !matches!(entry.method.as_str(), "GET" | "HEAD" | "OPTIONS");
    let (latency, verdict) = faults.verdict(&tenant, write);
    let slow_body = faults.settings().body_bytes_per_sec;
    let request = if slow_body > 0 {
        request.map(|body| read_slowly(body, slow_body))
    } else {
        request
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match verdict {
        Verdict::Throttle { retry_after } => {
            entry.outcome = "throttled";
            entry.status = 429;
            faults.record(entry);
            throttled(retry_after)
        }
        Verdict::Fail(status) => {
            entry.outcome = "failed";
            entry.status = status.as_u16();
            faults.record(entry);
            api_fault(
                status,
                codes::UNEXPECTED,
                "An unexpected error occurred in the service. Please try again later.",
            )
        }
        Verdict::Late(after) => {
            let response = next.run(request).await;
            entry.status = response.status().as_u16();
            // Logged before the wait: a client that gives up cancels this handler.
            entry.outcome = "late";
            faults.record(entry);
            tokio::time::sleep(after).await;
            response
        }
        Verdict::Pass { drop_after } => {
            let kill = request.extensions().get::<ConnectionKill>().cloned();
            let response = next.run(request).await;
            entry.status = response.status().as_u16();
            match kill {
                Some(kill) if drop_after => {
                    entry.outcome = "dropped";
                    faults.record(entry);
                    kill.pull();
                    std::future::pending::<Response>().await
                }
                _ => {
                    faults.record(entry);
                    response
                }
            }
        }
    }
}

/// Partner Center's 429: not an ApiFault, but `{statusCode, message}` and `Retry-After`.
fn throttled(retry_after: u64) -> Response {
    let body = serde_json::json!({
        "statusCode": 429,
        "message": format!("Rate limit is exceeded. Try again in {retry_after} seconds."),
    });
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, HeaderValue::from(retry_after)),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Budgets are per partner tenant; the tenant is read from the token without verifying it
/// (verification happens later, and a throttled request must not cost a signature check).
fn unverified_tenant(authorization: &str) -> Option<String> {
    let token = authorization.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("tid")?.as_str().map(str::to_string)
}

/// Poisoning only follows a panic elsewhere; the sandbox's state is still usable then.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
