//! The HTTP client: one private function ([`PartnerCenterClient::execute`]) sends a request
//! with Partner Center's headers, retries what may be retried and turns every failure into a
//! [`PartnerCenterError`]; each public method is a few lines on top of it.
//!
//! Retry rules (`docs/partner-center-api.md` §2–§3, `SECURITY.md` rows 21–22):
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
}

mod addresses;
mod customers;
mod devices;
mod paging;
mod policies;
mod requests;

use addresses::{checked_segment, push_segments};
#[cfg(test)]
use requests::{backoff_delay, retry_after};

#[cfg(test)]
mod tests;
