//! Partner Center's customer and device-deployment API (`/v1/...`).
//!
//! Each request passes, in order: [`super::faults::apply`] (throttling and injected faults),
//! [`echo_headers`], [`authenticate`] (bearer token, MFA, role), [`idempotent`] (replays the
//! stored answer for a repeated `MS-RequestId`), then the handler.

mod admin;
mod customers;
mod devices;
mod jobs;
pub mod paths;
mod policies;
mod render;
pub mod seed;
pub mod world;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::Router;
use uuid::Uuid;

use super::config::SeedSize;
use super::faults::lock;
use super::identity::{self, Principal, TokenRefusal};
use super::wire::{api_fault, codes, Fault};
use super::SandboxState;
use world::{Customer, World};

/// Request bodies up to this size are read (10,000 devices with 4K hashes fit).
const BODY_LIMIT: usize = 128 * 1024 * 1024;

pub(crate) struct PartnerState {
    seed: u64,
    size: SeedSize,
    pub world: Mutex<World>,
    /// Bumped by a reset, so that jobs of the previous world stop touching the new one.
    epoch: AtomicU64,
    answers: Mutex<HashMap<String, Answer>>,
}

/// What a request with an `MS-RequestId` got, kept to answer its retries the same way.
enum Answer {
    InFlight,
    Done {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
}

impl PartnerState {
    pub fn new(seed: u64, size: SeedSize) -> Self {
        PartnerState {
            seed,
            size,
            world: Mutex::new(seed::world(seed, size)),
            epoch: AtomicU64::new(0),
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Back to the seed: customers, batches, devices, jobs and remembered answers.
    pub fn reset(&self) {
        let fresh = seed::world(self.seed, self.size);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        *lock(&self.world) = fresh;
        lock(&self.answers).clear();
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
}

pub(crate) fn routes(state: Arc<SandboxState>) -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/v1/customers", get(customers::list))
        .route("/v1/customers/{customer}", get(customers::get_one))
        .route(
            "/v1/customers/{customer}/deviceBatches",
            get(devices::list_batches).post(devices::create_batch),
        )
        .route(
            "/v1/customers/{customer}/deviceBatches/{batch}/devices",
            get(devices::list_devices).post(devices::add_devices),
        )
        .route(
            "/v1/customers/{customer}/deviceBatches/{batch}/devices/{device}",
            axum::routing::delete(devices::delete_device).put(devices::update_device),
        )
        .route(
            "/v1/customers/{customer}/batchJobStatus/{tracking}",
            get(devices::job_status),
        )
        .route(
            "/v1/customers/{customer}/DevicePolicyUpdates",
            patch(devices::update_policies),
        )
        .route(
            "/v1/customers/{customer}/policies",
            get(policies::list).post(policies::create),
        )
        .route(
            "/v1/customers/{customer}/policies/{policy}",
            get(policies::get_one)
                .put(policies::update)
                .delete(policies::delete),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn_with_state(state.clone(), idempotent))
        .layer(from_fn_with_state(state.clone(), authenticate))
        .layer(from_fn(echo_headers))
        .layer(from_fn_with_state(state, super::faults::apply))
}

/// Echoes `MS-RequestId` and `MS-CorrelationId` and adds `MS-CV` and `MS-ServerId`, as
/// Partner Center's responses do.
async fn echo_headers(request: Request, next: Next) -> Response {
    let request_id = request.headers().get("ms-requestid").cloned();
    let correlation_id = request.headers().get("ms-correlationid").cloned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(value) = request_id {
        headers.insert(HeaderName::from_static("ms-requestid"), value);
    }
    if let Some(value) = correlation_id {
        headers.insert(HeaderName::from_static("ms-correlationid"), value);
    }
    let cv = format!("{}.0", &Uuid::new_v4().simple().to_string()[..16]);
    if let Ok(value) = HeaderValue::from_str(&cv) {
        headers.insert(HeaderName::from_static("ms-cv"), value);
    }
    headers.insert(
        HeaderName::from_static("ms-serverid"),
        HeaderValue::from_static("sandbox-101"),
    );
    response
}

/// Bearer token: signature, issuer, audience, expiry, `mfa`; then a Partner Center role.
async fn authenticate(
    State(state): State<Arc<SandboxState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let principal = match identity::verify_access_token(&state, authorization) {
        Ok(principal) => principal,
        Err(TokenRefusal::Invalid(reason)) => {
            let code = if authorization.is_none() {
                codes::TOKEN_MISSING
            } else {
                "401"
            };
            return with_realm(api_fault(StatusCode::UNAUTHORIZED, code, reason), &state);
        }
        Err(TokenRefusal::NoMfa) => {
            return with_realm(
                api_fault(
                    StatusCode::UNAUTHORIZED,
                    codes::MFA_REQUIRED,
                    "Multi-factor authentication is required. The access token was obtained \
                     without MFA (the 'amr' claim does not contain 'mfa').",
                ),
                &state,
            )
        }
    };
    if principal.user.role.is_none() {
        return api_fault(
            StatusCode::FORBIDDEN,
            codes::ACCESS_DENIED,
            "Access denied: the user has no Partner Center role (Admin agent or Sales agent).",
        );
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

fn with_realm(mut response: Response, state: &SandboxState) -> Response {
    let realm = format!(
        "OAuth realm=urn:cpsvc:cpid:{}",
        state.config.partner_tenant_id
    );
    if let Ok(value) = HeaderValue::from_str(&realm) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// How long a request waits for another one with its `MS-RequestId` that is still being
/// handled, before it is answered 503 with `Retry-After` (simulated: Partner Center does not
/// document what it does then).
pub const IN_FLIGHT_WAIT: Duration = Duration::from_secs(5);

/// A write repeated with the same `MS-RequestId` gets the first answer and changes nothing.
///
/// - A retry that arrives while the first is still being handled waits for its answer, at
///   most [`IN_FLIGHT_WAIT`], then gets 503 with `Retry-After: 1`.
/// - Only answers to requests that arrived whole are kept. A request whose body was cut off
///   (the client died or the connection broke while sending it) never reached the service:
///   its id is forgotten, as after a 5xx, and the same id may be sent again. The same holds
///   when the connection closes while the request is handled (its handler is dropped).
async fn idempotent(
    State(state): State<Arc<SandboxState>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get("ms-requestid")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let (Some(request_id), false) = (request_id, request.method() == Method::GET) else {
        return next.run(request).await;
    };
    if state.faults.settings().forget_answers {
        return next.run(request).await;
    }
    let tenant = request
        .extensions()
        .get::<Principal>()
        .map(|p| p.tenant_id)
        .unwrap_or_default();
    let key = format!(
        "{tenant} {} {} {request_id}",
        request.method(),
        request.uri().path()
    );
    let answers = &state.partner.answers;
    let deadline = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
    loop {
        let replay = {
            let mut answers = lock(answers);
            match answers.get(&key) {
                None => {
                    answers.insert(key.clone(), Answer::InFlight);
                    None
                }
                Some(Answer::InFlight) => Some(None),
                Some(Answer::Done {
                    status,
                    headers,
                    body,
                }) => Some(Some(rebuild(*status, headers, body.clone()))),
            }
        };
        match replay {
            None => break,
            Some(Some(response)) => return response,
            Some(None) if tokio::time::Instant::now() >= deadline => {
                let mut busy = api_fault(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::REQUEST_IN_PROGRESS,
                    "A request with this MS-RequestId is still being processed. Retry later.",
                );
                busy.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return busy;
            }
            Some(None) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    // From here the key is this request's: forgotten unless an answer is kept below, also if
    // this future is dropped because the connection closed.
    let watch = Arc::new(BodyWatch::default());
    let keep_cut_off = state.faults.settings().keep_cut_off_answers;
    let mut claim = InFlightClaim {
        answers,
        key: Some(key),
        cut_off_answer: keep_cut_off.then(|| watch.clone()),
    };
    let request = request.map(|body| {
        if http_body::Body::is_end_stream(&body) {
            watch.ended.store(true, Ordering::SeqCst);
        }
        Body::new(CutOffWatch {
            inner: body,
            watch: watch.clone(),
        })
    });
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let arrived_whole = !watch.cut_off.load(Ordering::SeqCst);
    if (arrived_whole || keep_cut_off) && !parts.status.is_server_error() {
        claim.keep(Answer::Done {
            status: parts.status,
            headers: parts.headers.clone(),
            body: body.clone(),
        });
    }
    Response::from_parts(parts, Body::from(body))
}

/// A request id being handled: removed from the answers when dropped, unless an answer was
/// kept for it. With `keep_cut_off_answers`, a request dropped before its body ended (the
/// client went away mid-body) leaves the refusal a service would have given it instead.
struct InFlightClaim<'a> {
    answers: &'a Mutex<HashMap<String, Answer>>,
    key: Option<String>,
    cut_off_answer: Option<Arc<BodyWatch>>,
}

impl InFlightClaim<'_> {
    fn keep(&mut self, answer: Answer) {
        if let Some(key) = self.key.take() {
            lock(self.answers).insert(key, answer);
        }
    }
}

impl Drop for InFlightClaim<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let mut answers = lock(self.answers);
        match &self.cut_off_answer {
            Some(watch) if !watch.ended.load(Ordering::SeqCst) => {
                let refusal = (
                    StatusCode::BAD_REQUEST,
                    "Failed to buffer the request body: error reading a body from connection",
                );
                answers.insert(
                    key,
                    Answer::Done {
                        status: refusal.0,
                        headers: HeaderMap::new(),
                        body: Bytes::from_static(refusal.1.as_bytes()),
                    },
                );
            }
            _ => {
                answers.remove(&key);
            }
        }
    }
}

/// What became of a request body: read to its end, or cut off.
#[derive(Default)]
struct BodyWatch {
    cut_off: std::sync::atomic::AtomicBool,
    ended: std::sync::atomic::AtomicBool,
}

/// A request body that notes when it could not be read to its end, and when it ended.
struct CutOffWatch {
    inner: Body,
    watch: Arc<BodyWatch>,
}

impl http_body::Body for CutOffWatch {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            std::task::Poll::Ready(Some(Err(_))) => {
                self.watch.cut_off.store(true, Ordering::SeqCst)
            }
            std::task::Poll::Ready(None) => self.watch.ended.store(true, Ordering::SeqCst),
            _ if self.inner.is_end_stream() => self.watch.ended.store(true, Ordering::SeqCst),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn rebuild(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Response {
    let mut response = (status, body).into_response();
    *response.headers_mut() = headers.clone();
    response
}

/// The customer of a device-deployment path, if this caller may manage its devices.
fn customer_for_devices<'w>(world: &'w World, customer_id: &str) -> Result<&'w Customer, Fault> {
    let customer = customer_exists(world, customer_id)?;
    if customer.relationship != "reseller" {
        return Err(Fault::new(
            StatusCode::FORBIDDEN,
            codes::NO_RELATIONSHIP,
            format!(
                "Partner has no commerce relationship with the customer {}.",
                customer.id
            ),
        ));
    }
    Ok(customer)
}

/// The customer named in a path: 400 for a malformed id, 404 for an unknown one.
fn customer_exists<'w>(world: &'w World, customer_id: &str) -> Result<&'w Customer, Fault> {
    let id = Uuid::parse_str(customer_id.trim_matches(|c| c == '{' || c == '}')).map_err(|_| {
        Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_CUSTOMER_ID,
            format!("Invalid customer id '{customer_id}'."),
        )
    })?;
    world.customer(id).ok_or_else(|| {
        Fault::new(
            StatusCode::NOT_FOUND,
            codes::TENANT_NOT_FOUND,
            format!("Tenant {id} was not found."),
        )
    })
}

/// `202 Accepted`, empty body, `Location` without `/v1` — as Partner Center answers.
fn accepted(customer: Uuid, tracking_id: Uuid) -> Response {
    let location = format!("/customers/{customer}/batchJobStatus/{tracking_id}");
    let mut response = StatusCode::ACCEPTED.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Continuation tokens are opaque to clients: base64url of a small JSON cursor.
fn encode_cursor<T: serde::Serialize>(cursor: &T) -> String {
    use base64::Engine;
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor<T: serde::de::DeserializeOwned>(token: &str) -> Result<T, Fault> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            Fault::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_INPUT,
                "The continuation token is not valid.",
            )
        })
}

/// The `MS-ContinuationToken` request header, if any.
fn continuation_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("ms-continuationtoken")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.trim().is_empty())
}
