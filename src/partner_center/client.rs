//! The HTTP client: one private function ([`PartnerCenterClient::execute`]) sends a request
//! with Partner Center's headers, retries what may be retried and turns every failure into a
//! [`PartnerCenterError`]; each public method is a few lines on top of it.
//!
//! Retry rules (partner-center-api.md §2–§3, security checklist 21–22):
//! - `MS-RequestId` is fixed per logical operation and repeated on every retry, so that a
//!   write retried after a timeout is recognised by the service and not done twice. Writes
//!   take it from the caller, who stores it before calling (and after a crash, reuses it).
//! - `MS-CorrelationId` is the caller's on the first attempt and fresh on each retry; the log
//!   records which retry id belongs to which original.
//! - 429 waits `Retry-After` (capped); 408/500/502/503/504, timeouts and connection failures
//!   back off exponentially with jitter; every other 4xx is final at once.
//! - Redirects are never followed: a bearer token must not travel to wherever a `Location`
//!   points, and links from the service are only followed on the configured origin.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, Stream, TryStreamExt};
use rand::Rng;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;
use url::Url;
use uuid::Uuid;

use super::error::{ErrorKind, PartnerCenterError};
use super::ids::{BatchId, CustomerId, RequestId, TrackingId};
use super::models::{
    BatchUploadDetails, ConfigurationPolicy, Customer, CustomerQuery, Device, DeviceBatch,
    DevicePolicyUpdate, NewDevice, NewPolicy,
};
use super::paging::{Continuation, Page, CONTINUATION_HEADER};
use super::wire::{self, Collection};

const MS_REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");
const MS_CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");
const X_LOCALE: HeaderName = HeaderName::from_static("x-locale");
const MS_APPLICATION: HeaderName = HeaderName::from_static("ms-partnercenter-application");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Headers a service link may not set: ours, or ones that would change the request itself.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "accept",
    "content-type",
    "content-length",
    "host",
    "cookie",
    "connection",
    "transfer-encoding",
    "ms-requestid",
    "ms-correlationid",
    "x-locale",
    "ms-partnercenter-application",
];

/// The signed-in user's Partner Center access token. It is only ever written into the
/// `Authorization` header (marked sensitive); `Debug` hides it and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    /// The raw token, for the one place that must send it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for AccessToken {
    fn from(token: String) -> Self {
        AccessToken(token)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// What one user request brings to every Partner Center call it makes: whose token, and
/// the correlation id that ties the dashboard's log to Partner Center's.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub access_token: AccessToken,
    pub correlation_id: Uuid,
}

impl CallContext {
    pub fn new(access_token: AccessToken, correlation_id: Uuid) -> Self {
        CallContext {
            access_token,
            correlation_id,
        }
    }
}

/// How to reach Partner Center and how patient to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `https://api.partnercenter.microsoft.com`, the 21Vianet URL, or the sandbox. A path
    /// (e.g. `http://host/pc`) is kept as a prefix in front of `/v1`.
    pub base_url: Url,
    /// Sent as `MS-PartnerCenter-Application`.
    pub application_name: String,
    /// Sent as `X-Locale`.
    pub locale: String,
    /// Limit for one attempt, from connecting to the last byte of the answer.
    pub attempt_timeout: Duration,
    /// Attempts in total, the first included (at least 1).
    pub max_attempts: u32,
    /// First backoff delay; each further retry waits three times longer (plus jitter).
    pub backoff_base: Duration,
    /// Longest single wait, whatever `Retry-After` asks for.
    pub max_retry_after: Duration,
}

/// The production Partner Center endpoint. A literal that always parses.
const DEFAULT_BASE_URL: &str = "https://api.partnercenter.microsoft.com";

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: Url::parse(DEFAULT_BASE_URL)
                .unwrap_or_else(|_| unreachable!("the default base URL is a valid literal")),
            application_name: "ztd-dashboard".into(),
            locale: "en-US".into(),
            attempt_timeout: Duration::from_secs(30),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Why a client could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    #[error("Partner Center base URL {url} cannot be used: {why}")]
    BaseUrl { url: String, why: &'static str },
    #[error("the {0} is not a valid HTTP header value")]
    HeaderValue(&'static str),
    #[error("cannot build the HTTP client")]
    Http(#[from] reqwest::Error),
}

/// Whether an answer with this status may be retried: throttling, request timeout, and the
/// transient server errors. Never any other 4xx (the request itself is wrong) nor 501.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The typed Partner Center REST client. Cheap to clone (one shared connection pool).
#[derive(Clone)]
pub struct PartnerCenterClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    locale: HeaderValue,
    application: HeaderValue,
    /// How the last attempt went, for `/readyz` ([`PartnerCenterClient::last_contact`]).
    last_contact: std::sync::Mutex<Option<Contact>>,
}

/// What the last request to Partner Center showed of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reachability {
    /// It answered, with anything but a server error (a 401 or 404 proves it is up).
    Answering,
    /// It answered with a server error (5xx).
    Failing,
    /// No answer: the connection failed or timed out.
    Unreachable,
}

impl Reachability {
    pub fn as_str(self) -> &'static str {
        match self {
            Reachability::Answering => "answering",
            Reachability::Failing => "answering with server errors",
            Reachability::Unreachable => "not reachable",
        }
    }
}

/// The outcome of the last attempt, and when (unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contact {
    pub at: i64,
    pub reachability: Reachability,
}

impl fmt::Debug for PartnerCenterClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerCenterClient")
            .field("base_url", &self.inner.config.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// One request to send, possibly several times.
struct Call {
    operation: &'static str,
    method: Method,
    url: Url,
    request_id: RequestId,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Result<Vec<u8>, serde_json::Error>>,
}

impl Call {
    fn new(operation: &'static str, method: Method, url: Url, request_id: RequestId) -> Self {
        Call {
            operation,
            method,
            url,
            request_id,
            headers: Vec::new(),
            body: None,
        }
    }

    fn get(operation: &'static str, url: Url) -> Self {
        Call::new(operation, Method::GET, url, RequestId::new())
    }

    fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(serde_json::to_vec(body));
        self
    }
}

/// A successful (2xx) answer, with the ids it was obtained with for later errors.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    request_id: RequestId,
    correlation_id: Uuid,
}

impl Answer {
    fn invalid(&self, why: impl Into<String>) -> PartnerCenterError {
        PartnerCenterError::new(
            ErrorKind::InvalidResponse,
            self.request_id,
            self.correlation_id,
            why,
        )
        .with_status(self.status.as_u16())
    }

    fn json<T: DeserializeOwned>(&self) -> Result<T, PartnerCenterError> {
        wire::from_slice(&self.body).map_err(|error| {
            self.invalid("the answer is not the expected JSON")
                .with_source(error)
        })
    }

    fn is_empty(&self) -> bool {
        wire::strip_bom(&self.body)
            .iter()
            .all(u8::is_ascii_whitespace)
    }

    /// The job id of a 202: the last path segment of `Location`
    /// (`/customers/{id}/batchJobStatus/{trackingId}`, usually without `/v1`).
    fn tracking_id(&self) -> Result<TrackingId, PartnerCenterError> {
        let location = self
            .headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| self.invalid("the answer has no readable Location header"))?;
        let path = location.split(['?', '#']).next().unwrap_or_default();
        let last = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        TrackingId::parse(last).map_err(|error| {
            self.invalid("the Location header does not end in a tracking id")
                .with_source(error)
        })
    }
}

/// A first request of a list, and how to go on from there.
#[derive(Clone)]
struct Listing {
    operation: &'static str,
    first: Url,
    /// Path prefix (lower-case) every followed link must stay under.
    scope: String,
    /// Whether a bare continuation token also needs `seekOperation=Next` (customers).
    seek_next: bool,
}

/// One failed attempt, before deciding whether to retry it.
struct Failure {
    error: PartnerCenterError,
    retryable: bool,
}

impl PartnerCenterClient {
    /// Builds the client: redirects off, connect timeout, per-attempt timeout.
    pub fn new(config: ClientConfig) -> Result<Self, ClientBuildError> {
        let mut config = config;
        let base = &mut config.base_url;
        if !matches!(base.scheme(), "https" | "http") {
            return Err(ClientBuildError::BaseUrl {
                url: base.to_string(),
                why: "the scheme must be https (or http for a local sandbox)",
            });
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(ClientBuildError::BaseUrl {
                url: base.to_string(),
                why: "it has no host",
            });
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(ClientBuildError::BaseUrl {
                url: base.to_string(),
                why: "it must not contain credentials",
            });
        }
        base.set_query(None);
        base.set_fragment(None);
        config.max_attempts = config.max_attempts.max(1);

        let locale = HeaderValue::from_str(config.locale.trim())
            .map_err(|_| ClientBuildError::HeaderValue("locale"))?;
        let application = HeaderValue::from_str(config.application_name.trim())
            .map_err(|_| ClientBuildError::HeaderValue("application name"))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.attempt_timeout.min(Duration::from_secs(10)))
            .timeout(config.attempt_timeout)
            .user_agent(concat!("ztd-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(PartnerCenterClient {
            inner: Arc::new(Inner {
                http,
                config,
                locale,
                application,
                last_contact: std::sync::Mutex::new(None),
            }),
        })
    }

    /// How the last request of this process to Partner Center went, if it made one. Reading
    /// it calls nobody: `/readyz` reports it without letting strangers make the dashboard
    /// call Microsoft.
    pub fn last_contact(&self) -> Option<Contact> {
        *self
            .inner
            .last_contact
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn note_contact(&self, reachability: Reachability) {
        *self
            .inner
            .last_contact
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Contact {
            at: chrono::Utc::now().timestamp(),
            reachability,
        });
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    // ----- customers ---------------------------------------------------------------------

    /// One page of the partner's customers (`GET /v1/customers?size=&filter=`), or the page
    /// after `continuation`.
    pub async fn customers_page(
        &self,
        ctx: &CallContext,
        query: &CustomerQuery,
        continuation: Option<&Continuation>,
    ) -> Result<Page<Customer>, PartnerCenterError> {
        self.fetch_page(ctx, &self.customers_listing(query), continuation)
            .await
    }

    /// Every customer matching `query`, page after page.
    pub fn customers<'a>(
        &'a self,
        ctx: &'a CallContext,
        query: &'a CustomerQuery,
    ) -> impl Stream<Item = Result<Customer, PartnerCenterError>> + Send + 'a {
        self.follow(ctx, self.customers_listing(query))
    }

    /// `GET /v1/customers/{id}`.
    pub async fn customer(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
    ) -> Result<Customer, PartnerCenterError> {
        let url = self.endpoint(&["customers", &customer.to_string()]);
        self.execute(ctx, Call::get("customer", url)).await?.json()
    }

    // ----- device batches and devices ------------------------------------------------------

    /// `GET /v1/customers/{id}/deviceBatches` (all pages, should there be several).
    pub async fn device_batches(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
    ) -> Result<Vec<DeviceBatch>, PartnerCenterError> {
        let url = self.endpoint(&["customers", &customer.to_string(), "deviceBatches"]);
        let listing = self.customer_listing("device_batches", url, customer);
        self.follow(ctx, listing).try_collect().await
    }

    /// `POST /v1/customers/{id}/deviceBatches`: creates the batch with its devices; the
    /// devices are registered by an asynchronous job whose id is returned.
    pub async fn create_device_batch(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        devices: &[NewDevice],
        request_id: RequestId,
    ) -> Result<TrackingId, PartnerCenterError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct NewBatch<'a> {
            batch_id: &'a BatchId,
            devices: &'a [NewDevice],
        }
        let url = self.endpoint(&["customers", &customer.to_string(), "deviceBatches"]);
        let call =
            Call::new("create_device_batch", Method::POST, url, request_id).json(&NewBatch {
                batch_id: batch,
                devices,
            });
        self.execute(ctx, call).await?.tracking_id()
    }

    /// `POST /v1/customers/{id}/deviceBatches/{batchId}/devices`: adds devices to an
    /// existing batch, asynchronously.
    pub async fn add_devices(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        devices: &[NewDevice],
        request_id: RequestId,
    ) -> Result<TrackingId, PartnerCenterError> {
        let url = self.batch_devices_url(customer, batch);
        let call = Call::new("add_devices", Method::POST, url, request_id).json(devices);
        self.execute(ctx, call).await?.tracking_id()
    }

    /// One page (100 devices) of a batch, or the page after `continuation`.
    pub async fn devices_page(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        continuation: Option<&Continuation>,
    ) -> Result<Page<Device>, PartnerCenterError> {
        let listing = self.devices_listing(customer, batch);
        self.fetch_page(ctx, &listing, continuation).await
    }

    /// Every device of a batch, page after page.
    pub fn devices<'a>(
        &'a self,
        ctx: &'a CallContext,
        customer: &CustomerId,
        batch: &BatchId,
    ) -> impl Stream<Item = Result<Device, PartnerCenterError>> + Send + 'a {
        self.follow(ctx, self.devices_listing(customer, batch))
    }

    /// `DELETE /v1/customers/{id}/deviceBatches/{batchId}/devices/{deviceId}` (204).
    pub async fn delete_device(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        device_id: &str,
        request_id: RequestId,
    ) -> Result<(), PartnerCenterError> {
        let device_id = checked_segment(device_id, "device id", request_id, ctx)?;
        let mut url = self.batch_devices_url(customer, batch);
        push_segments(&mut url, &[device_id]);
        let call = Call::new("delete_device", Method::DELETE, url, request_id);
        self.execute(ctx, call).await.map(drop)
    }

    /// `GET /v1/customers/{id}/batchJobStatus/{trackingId}`.
    pub async fn batch_job_status(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        tracking_id: &TrackingId,
    ) -> Result<BatchUploadDetails, PartnerCenterError> {
        let url = self.endpoint(&[
            "customers",
            &customer.to_string(),
            "batchJobStatus",
            &tracking_id.to_string(),
        ]);
        self.execute(ctx, Call::get("batch_job_status", url))
            .await?
            .json()
    }

    /// `PATCH /v1/customers/{id}/DevicePolicyUpdates`: assigns (or, with a `null` value,
    /// removes) profiles on devices, asynchronously.
    pub async fn update_device_policies(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        updates: &[DevicePolicyUpdate],
        request_id: RequestId,
    ) -> Result<TrackingId, PartnerCenterError> {
        #[derive(Serialize)]
        struct Updates<'a> {
            devices: &'a [DevicePolicyUpdate],
        }
        let url = self.endpoint(&["customers", &customer.to_string(), "DevicePolicyUpdates"]);
        let call = Call::new("update_device_policies", Method::PATCH, url, request_id)
            .json(&Updates { devices: updates });
        self.execute(ctx, call).await?.tracking_id()
    }

    // ----- Autopilot profiles ----------------------------------------------------------------

    /// `GET /v1/customers/{id}/policies` (all pages, should there be several).
    pub async fn policies(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
    ) -> Result<Vec<ConfigurationPolicy>, PartnerCenterError> {
        let url = self.policies_url(customer);
        let listing = self.customer_listing("policies", url, customer);
        self.follow(ctx, listing).try_collect().await
    }

    /// `GET /v1/customers/{id}/policies/{policyId}`.
    pub async fn policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy_id: &str,
    ) -> Result<ConfigurationPolicy, PartnerCenterError> {
        let request_id = RequestId::new();
        let policy_id = checked_segment(policy_id, "policy id", request_id, ctx)?;
        let mut url = self.policies_url(customer);
        push_segments(&mut url, &[policy_id]);
        let call = Call::new("policy", Method::GET, url, request_id);
        self.execute(ctx, call).await?.json()
    }

    /// `POST /v1/customers/{id}/policies`: answers 200 with the created profile.
    pub async fn create_policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy: &NewPolicy,
        request_id: RequestId,
    ) -> Result<ConfigurationPolicy, PartnerCenterError> {
        let url = self.policies_url(customer);
        let call = Call::new("create_policy", Method::POST, url, request_id).json(policy);
        self.execute(ctx, call).await?.json()
    }

    /// `PUT /v1/customers/{id}/policies/{policy.id}` with the whole profile (Partner Center
    /// updates profiles with PUT, not PATCH). An empty 2xx answer yields the profile sent.
    pub async fn update_policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy: &ConfigurationPolicy,
        request_id: RequestId,
    ) -> Result<ConfigurationPolicy, PartnerCenterError> {
        let policy_id = policy.id.as_deref().unwrap_or_default();
        let policy_id = checked_segment(policy_id, "policy id", request_id, ctx)?;
        let mut url = self.policies_url(customer);
        push_segments(&mut url, &[policy_id]);
        let call = Call::new("update_policy", Method::PUT, url, request_id).json(policy);
        let answer = self.execute(ctx, call).await?;
        if answer.is_empty() {
            return Ok(policy.clone());
        }
        answer.json()
    }

    /// `DELETE /v1/customers/{id}/policies/{policyId}` (204).
    pub async fn delete_policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy_id: &str,
        request_id: RequestId,
    ) -> Result<(), PartnerCenterError> {
        let policy_id = checked_segment(policy_id, "policy id", request_id, ctx)?;
        let mut url = self.policies_url(customer);
        push_segments(&mut url, &[policy_id]);
        let call = Call::new("delete_policy", Method::DELETE, url, request_id);
        self.execute(ctx, call).await.map(drop)
    }

    // ----- addresses ---------------------------------------------------------------------

    /// `{base}/v1/{segments…}`, each segment percent-encoded (`/`, `?`, `#`, `%`, spaces…).
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.config.base_url.clone();
        let mut all = Vec::with_capacity(segments.len() + 1);
        all.push("v1");
        all.extend_from_slice(segments);
        push_segments(&mut url, &all);
        url
    }

    fn batch_devices_url(&self, customer: &CustomerId, batch: &BatchId) -> Url {
        self.endpoint(&[
            "customers",
            &customer.to_string(),
            "deviceBatches",
            batch.as_str(),
            "devices",
        ])
    }

    fn policies_url(&self, customer: &CustomerId) -> Url {
        self.endpoint(&["customers", &customer.to_string(), "policies"])
    }

    fn customers_listing(&self, query: &CustomerQuery) -> Listing {
        let mut first = self.endpoint(&["customers"]);
        let scope = first.path().to_lowercase();
        if query.size.is_some() || query.filter.is_some() {
            let mut pairs = first.query_pairs_mut();
            if let Some(size) = query.size {
                pairs.append_pair("size", &size.to_string());
            }
            if let Some(filter) = &query.filter {
                pairs.append_pair("filter", &filter.to_query_value());
            }
        }
        Listing {
            operation: "customers",
            first,
            scope,
            seek_next: true,
        }
    }

    fn devices_listing(&self, customer: &CustomerId, batch: &BatchId) -> Listing {
        let url = self.batch_devices_url(customer, batch);
        self.customer_listing("devices", url, customer)
    }

    /// A list under one customer: followed links must stay under that customer.
    fn customer_listing(
        &self,
        operation: &'static str,
        first: Url,
        customer: &CustomerId,
    ) -> Listing {
        let scope = format!(
            "{}/",
            self.endpoint(&["customers", &customer.to_string()]).path()
        )
        .to_lowercase();
        Listing {
            operation,
            first,
            scope,
            seek_next: false,
        }
    }

    /// Resolves a link from the service: `/v1` is prepended when missing (`Location` and
    /// most links omit it, the customers' next link has it), the result is placed under the
    /// base URL, and absolute links are only accepted on the base URL's origin.
    fn resolve_link(&self, uri: &str) -> Result<Url, &'static str> {
        let base = &self.inner.config.base_url;
        let base_path = base.path().trim_end_matches('/');
        let uri = uri.trim();
        if uri.is_empty() {
            return Err("the link is empty");
        }
        let (path, query) = match Url::parse(uri) {
            Ok(absolute) => {
                if absolute.origin() != base.origin() {
                    return Err("the link points to another host");
                }
                let path = absolute.path();
                let path = path.strip_prefix(base_path).unwrap_or(path).to_string();
                (path, absolute.query().map(str::to_string))
            }
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                let without_fragment = uri.split('#').next().unwrap_or_default();
                let (path, query) = match without_fragment.split_once('?') {
                    Some((path, query)) => (path, Some(query.to_string())),
                    None => (without_fragment, None),
                };
                let path = if path.starts_with('/') {
                    path.to_string()
                } else {
                    format!("/{path}")
                };
                (path, query)
            }
            Err(_) => return Err("the link is not a valid URL"),
        };
        let versioned = path
            .get(..4)
            .is_some_and(|start| start.eq_ignore_ascii_case("/v1/"))
            || path.eq_ignore_ascii_case("/v1");
        let path = if versioned {
            path
        } else {
            format!("/v1{path}")
        };
        let mut url = base.clone();
        url.set_path(&format!("{base_path}{path}"));
        url.set_query(query.as_deref());
        Ok(url)
    }

    // ----- paging ------------------------------------------------------------------------

    /// The request for the page after `continuation`: its link (checked to stay on our
    /// origin and under the list's scope) with the link's headers, or the first request
    /// again with the token.
    fn next_page_call(
        &self,
        listing: &Listing,
        continuation: &Continuation,
    ) -> Result<Call, &'static str> {
        let mut headers = Vec::new();
        let url = match &continuation.uri {
            Some(uri) => {
                let url = self.resolve_link(uri)?;
                if !url.path().to_lowercase().starts_with(&listing.scope) {
                    return Err("the link leaves the list it belongs to");
                }
                for (name, value) in &continuation.headers {
                    if let Some(header) = link_header(name, value) {
                        headers.push(header);
                    }
                }
                url
            }
            None => {
                let mut url = listing.first.clone();
                if listing.seek_next {
                    url.query_pairs_mut().append_pair("seekOperation", "Next");
                }
                url
            }
        };
        let has_token = headers
            .iter()
            .any(|(name, _)| name.as_str().eq_ignore_ascii_case(CONTINUATION_HEADER));
        if !has_token {
            if let Some(token) = continuation.continuation_token() {
                let value = HeaderValue::from_str(token)
                    .map_err(|_| "the continuation token cannot be sent as a header")?;
                headers.push((HeaderName::from_static("ms-continuationtoken"), value));
            }
        }
        let mut call = Call::get(listing.operation, url);
        call.headers = headers;
        Ok(call)
    }

    async fn fetch_page<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        listing: &Listing,
        continuation: Option<&Continuation>,
    ) -> Result<Page<T>, PartnerCenterError> {
        let call = match continuation {
            None => Call::get(listing.operation, listing.first.clone()),
            Some(continuation) => self.next_page_call(listing, continuation).map_err(|why| {
                PartnerCenterError::new(
                    ErrorKind::BadRequest,
                    RequestId::new(),
                    ctx.correlation_id,
                    format!("the page token cannot be followed: {why}"),
                )
            })?,
        };
        let answer = self.execute(ctx, call).await?;
        let collection: Collection<T> = answer.json()?;
        let next = Continuation::from_answer(collection.links.next, collection.continuation_token);
        if let Some(next) = &next {
            if Some(next) == continuation {
                return Err(answer.invalid("the service repeated the same page token"));
            }
            // Refuse a next link we would refuse to follow, while the answer that carried
            // it can still be named in the error.
            self.next_page_call(listing, next)
                .map_err(|why| answer.invalid(format!("the next-page link is unusable: {why}")))?;
        }
        Ok(Page {
            items: collection.items,
            total_count: collection.total_count,
            next,
        })
    }

    /// All items of a list, following continuations until there are none.
    fn follow<'a, T>(
        &'a self,
        ctx: &'a CallContext,
        listing: Listing,
    ) -> impl Stream<Item = Result<T, PartnerCenterError>> + Send + 'a
    where
        T: DeserializeOwned + Send + 'a,
    {
        // State: `None` when done, `Some(None)` before the first page.
        stream::try_unfold(Some(None), move |state: Option<Option<Continuation>>| {
            let listing = listing.clone();
            async move {
                let Some(current) = state else {
                    return Ok(None);
                };
                let page: Page<T> = self.fetch_page(ctx, &listing, current.as_ref()).await?;
                Ok(Some((page.items, page.next.map(Some))))
            }
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
    }

    // ----- the one request function ---------------------------------------------------------

    /// Sends `call` with retries; returns the 2xx answer or the error of the last attempt.
    async fn execute(&self, ctx: &CallContext, call: Call) -> Result<Answer, PartnerCenterError> {
        let span = tracing::info_span!(
            "partner_center",
            operation = call.operation,
            method = %call.method,
            path = %call.url.path(),
            request_id = %call.request_id,
            correlation_id = %ctx.correlation_id,
        );
        self.execute_with_retries(ctx, call).instrument(span).await
    }

    async fn execute_with_retries(
        &self,
        ctx: &CallContext,
        call: Call,
    ) -> Result<Answer, PartnerCenterError> {
        let config = &self.inner.config;
        let mut call = call;
        let body = match call.body.take() {
            None => None,
            Some(Ok(body)) => Some(body),
            Some(Err(error)) => {
                return Err(PartnerCenterError::new(
                    ErrorKind::BadRequest,
                    call.request_id,
                    ctx.correlation_id,
                    "the request body cannot be serialised",
                )
                .with_source(error))
            }
        };
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", ctx.access_token.secret())).map_err(
                |_| {
                    PartnerCenterError::new(
                        ErrorKind::Unauthorized,
                        call.request_id,
                        ctx.correlation_id,
                        "the access token contains characters that cannot be sent",
                    )
                },
            )?;
        authorization.set_sensitive(true);

        let mut attempt: u32 = 1;
        let mut correlation_id = ctx.correlation_id;
        loop {
            let outcome = self
                .attempt(&call, body.as_deref(), &authorization, correlation_id)
                .await;
            self.note_contact(match &outcome {
                Ok(answer) if answer.status.is_server_error() => Reachability::Failing,
                Ok(_) => Reachability::Answering,
                Err(_) => Reachability::Unreachable,
            });
            let failure = match outcome {
                Ok(answer) if answer.status.is_success() => {
                    tracing::debug!(attempt, status = answer.status.as_u16(), "answered");
                    return Ok(answer);
                }
                Ok(answer) => failure_from_answer(answer),
                Err(error) => failure_from_transport(error, call.request_id, correlation_id),
            };
            if !failure.retryable || attempt >= config.max_attempts {
                tracing::debug!(
                    attempt,
                    error = %failure.error,
                    "Partner Center call failed"
                );
                return Err(failure.error);
            }
            let delay = match failure.error.retry_after {
                Some(asked) => asked.min(config.max_retry_after),
                None => backoff_delay(config, attempt),
            };
            let retry_correlation_id = Uuid::new_v4();
            tracing::warn!(
                attempt,
                max_attempts = config.max_attempts,
                status = failure.error.status,
                kind = %failure.error.kind,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                original_correlation_id = %ctx.correlation_id,
                failed_correlation_id = %correlation_id,
                retry_correlation_id = %retry_correlation_id,
                "retrying Partner Center call with the same MS-RequestId and a new MS-CorrelationId"
            );
            tokio::time::sleep(delay).await;
            correlation_id = retry_correlation_id;
            attempt += 1;
        }
    }

    /// One attempt: send, and read the whole answer.
    async fn attempt(
        &self,
        call: &Call,
        body: Option<&[u8]>,
        authorization: &HeaderValue,
        correlation_id: Uuid,
    ) -> Result<Answer, reqwest::Error> {
        let inner = &self.inner;
        let mut request = inner
            .http
            .request(call.method.clone(), call.url.clone())
            .header(AUTHORIZATION, authorization.clone())
            .header(ACCEPT, APPLICATION_JSON)
            .header(MS_REQUEST_ID, call.request_id.to_string())
            .header(MS_CORRELATION_ID, correlation_id.to_string())
            .header(X_LOCALE, inner.locale.clone())
            .header(MS_APPLICATION, inner.application.clone());
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, APPLICATION_JSON)
                .body(body.to_vec());
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
            request_id: call.request_id,
            correlation_id,
        })
    }
}

/// A non-2xx answer as an error, and whether to try again.
fn failure_from_answer(answer: Answer) -> Failure {
    let status = answer.status.as_u16();
    let summary = wire::error_summary(&answer.body);
    let mut kind = ErrorKind::from_status(status, summary.code.as_deref());
    let mut description = summary.description;
    if answer.status.is_redirection() {
        kind = ErrorKind::InvalidResponse;
        description = Some("the service answered with a redirect, which is not followed".into());
    }
    Failure {
        retryable: is_retryable_status(status),
        error: PartnerCenterError {
            kind,
            status: Some(status),
            code: summary.code,
            description,
            request_id: answer.request_id,
            correlation_id: answer.correlation_id,
            retry_after: retry_after(&answer.headers),
            source: None,
        },
    }
}

/// A request that got no (complete) answer. Retrying it is safe even for writes: the
/// repeated `MS-RequestId` lets the service answer a duplicate with the first result.
fn failure_from_transport(
    error: reqwest::Error,
    request_id: RequestId,
    correlation_id: Uuid,
) -> Failure {
    let (kind, description, retryable) = if error.is_timeout() {
        (ErrorKind::Timeout, "no answer within the time limit", true)
    } else if error.is_builder() {
        (
            ErrorKind::BadRequest,
            "the request could not be built",
            false,
        )
    } else if error.is_connect() {
        (ErrorKind::Transport, "could not connect", true)
    } else {
        (ErrorKind::Transport, "the connection failed", true)
    };
    Failure {
        error: PartnerCenterError::new(kind, request_id, correlation_id, description)
            .with_source(error.without_url()),
        retryable,
    }
}

/// `Retry-After` as delay-seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// `backoff_base × 3^(retry − 1)` plus up to half a base of jitter, capped at
/// `max_retry_after`: 0.5 s, 1.5 s, 4.5 s… with the defaults.
fn backoff_delay(config: &ClientConfig, failed_attempts: u32) -> Duration {
    let base = config.backoff_base;
    let factor = 3u32.saturating_pow(failed_attempts.saturating_sub(1));
    let jitter_max = u64::try_from(base.as_millis() / 2).unwrap_or(u64::MAX);
    let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=jitter_max));
    base.saturating_mul(factor)
        .saturating_add(jitter)
        .min(config.max_retry_after)
}

/// Appends path segments, percent-encoding each. The base URL was checked to be a base in
/// [`PartnerCenterClient::new`], so the segments are always writable.
fn push_segments(url: &mut Url, segments: &[&str]) {
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
}

/// A caller-supplied free-text id that becomes one path segment. Blank ids and `.`/`..`
/// (which URL path building drops, addressing another resource) are refused before sending.
fn checked_segment<'v>(
    value: &'v str,
    what: &str,
    request_id: RequestId,
    ctx: &CallContext,
) -> Result<&'v str, PartnerCenterError> {
    let value = value.trim();
    if value.is_empty() || value == "." || value == ".." {
        return Err(PartnerCenterError::new(
            ErrorKind::BadRequest,
            request_id,
            ctx.correlation_id,
            format!("the {what} is empty or not a valid path segment"),
        ));
    }
    Ok(value)
}

/// A header from a service link, unless it is one we set ourselves or is malformed.
fn link_header(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    let name = name.trim();
    if RESERVED_HEADERS
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(name))
    {
        tracing::debug!(
            header = name,
            "ignoring a reserved header in a service link"
        );
        return None;
    }
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .ok()
        .zip(HeaderValue::from_str(value).ok());
    if parsed.is_none() {
        tracing::debug!("ignoring a malformed header in a service link");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_at(base: &str) -> PartnerCenterClient {
        PartnerCenterClient::new(ClientConfig {
            base_url: Url::parse(base).unwrap(),
            ..ClientConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn endpoints_percent_encode_each_segment() {
        let client = client_at("https://api.partnercenter.microsoft.com");
        let customer = CustomerId::parse("8b7c6a1e-0000-4000-8000-000000000001").unwrap();
        let batch = BatchId::parse("Q3 laptops & more + 50%").unwrap();
        assert_eq!(
            client.batch_devices_url(&customer, &batch).as_str(),
            "https://api.partnercenter.microsoft.com/v1/customers/\
             8b7c6a1e-0000-4000-8000-000000000001/deviceBatches/\
             Q3%20laptops%20&%20more%20+%2050%25/devices"
        );
        let slashed = client.endpoint(&["customers", "a/b?c#d"]);
        assert_eq!(slashed.path(), "/v1/customers/a%2Fb%3Fc%23d");
    }

    #[test]
    fn a_base_path_is_kept_in_front_of_v1() {
        for base in ["http://localhost:8080/pc", "http://localhost:8080/pc/"] {
            let client = client_at(base);
            assert_eq!(
                client.endpoint(&["customers"]).as_str(),
                "http://localhost:8080/pc/v1/customers"
            );
            assert_eq!(
                client.resolve_link("/customers/x").unwrap().as_str(),
                "http://localhost:8080/pc/v1/customers/x"
            );
        }
    }

    #[test]
    fn links_get_v1_prepended_only_when_missing_and_keep_their_query() {
        let client = client_at("https://api.partnercenter.microsoft.com");
        let resolve = |uri: &str| client.resolve_link(uri).map(|url| url.to_string());
        assert_eq!(
            resolve("/customers/x/batchJobStatus/t").unwrap(),
            "https://api.partnercenter.microsoft.com/v1/customers/x/batchJobStatus/t"
        );
        assert_eq!(
            resolve("/v1/customers?size=500&seekOperation=Next").unwrap(),
            "https://api.partnercenter.microsoft.com/v1/customers?size=500&seekOperation=Next"
        );
        assert_eq!(
            resolve("customers?size=5").unwrap(),
            "https://api.partnercenter.microsoft.com/v1/customers?size=5"
        );
        assert_eq!(
            resolve("/v1customers").unwrap(),
            "https://api.partnercenter.microsoft.com/v1/v1customers"
        );
        assert_eq!(
            resolve("/customers/x/deviceBatches/Test batch/devices").unwrap(),
            "https://api.partnercenter.microsoft.com/v1/customers/x/deviceBatches/Test%20batch/devices"
        );
        assert_eq!(
            resolve("https://api.partnercenter.microsoft.com/customers?size=1").unwrap(),
            "https://api.partnercenter.microsoft.com/v1/customers?size=1"
        );
    }

    #[test]
    fn links_to_other_hosts_are_refused() {
        let client = client_at("https://api.partnercenter.microsoft.com");
        for uri in [
            "https://evil.example/v1/customers",
            "http://api.partnercenter.microsoft.com/v1/customers",
            "https://api.partnercenter.microsoft.com:8443/v1/customers",
            "",
        ] {
            assert!(client.resolve_link(uri).is_err(), "{uri}");
        }
        // A scheme-relative link is a path on our host, not another host.
        assert_eq!(
            client.resolve_link("//evil.example/x").unwrap().host_str(),
            Some("api.partnercenter.microsoft.com")
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 57 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(57)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO), "a past date");
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&soon).unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_triples_with_bounded_jitter_and_a_cap() {
        let config = ClientConfig::default();
        for (failed, floor) in [(1, 500), (2, 1500), (3, 4500)] {
            let delay = backoff_delay(&config, failed);
            let floor = Duration::from_millis(floor);
            assert!(delay >= floor && delay <= floor + Duration::from_millis(250));
        }
        assert_eq!(backoff_delay(&config, 40), config.max_retry_after);
    }

    #[test]
    fn only_transient_statuses_are_retryable() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 202, 302, 400, 401, 403, 404, 405, 409, 412, 417, 501] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn bad_configurations_are_refused() {
        let with = |base: &str| {
            PartnerCenterClient::new(ClientConfig {
                base_url: Url::parse(base).unwrap(),
                ..ClientConfig::default()
            })
        };
        assert!(with("ftp://example.com").is_err());
        assert!(with("mailto:someone@example.com").is_err());
        assert!(with("https://user:pw@example.com").is_err());
        let bad_locale = PartnerCenterClient::new(ClientConfig {
            locale: "en\nUS".into(),
            ..ClientConfig::default()
        });
        assert!(matches!(bad_locale, Err(ClientBuildError::HeaderValue(_))));
        let zero = PartnerCenterClient::new(ClientConfig {
            max_attempts: 0,
            ..ClientConfig::default()
        })
        .unwrap();
        assert_eq!(zero.config().max_attempts, 1);
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let ctx = CallContext::new(AccessToken::new("eyJ.secret.sig"), Uuid::nil());
        let text = format!("{ctx:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("AccessToken(***)"));
        assert_eq!(ctx.access_token.secret(), "eyJ.secret.sig");
    }
}
