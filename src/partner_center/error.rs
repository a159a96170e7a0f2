//! The one error of the Partner Center client.
//!
//! It carries what the layers above need to decide (`kind`: sign in again? show "not
//! found"? tell the user to wait?), what support needs to find the call in Partner Center's
//! logs (`request_id`, `correlation_id`, `status`, `code`), and never the access token.

use std::fmt;
use std::time::Duration;

use uuid::Uuid;

use super::ids::RequestId;

/// What went wrong, in terms the caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 401 with code 900421: the token lacks the MFA claim; sign in again with MFA.
    MfaRequired,
    /// Any other 401: missing, expired or refused token.
    Unauthorized,
    /// 403: no Partner Center role for this, or no relationship with the customer.
    Forbidden,
    /// 404: unknown customer, batch, job, device or policy.
    NotFound,
    /// 409: e.g. a batch with this name already exists.
    Conflict,
    /// 400 and every other 4xx the service gave (never retried), or a request we refused to
    /// send because an argument could not form a valid one.
    BadRequest,
    /// 429, still throttled after the allowed retries; see `retry_after`.
    Throttled,
    /// 5xx, still failing after the allowed retries.
    Server,
    /// No answer within the per-attempt timeout (or 408), after the allowed retries.
    Timeout,
    /// The connection failed, after the allowed retries.
    Transport,
    /// An answer we cannot use: unreadable body, missing `Location`, a redirect, a link
    /// pointing elsewhere, a repeated continuation token.
    InvalidResponse,
}

impl ErrorKind {
    /// Short technical name, used in `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::MfaRequired => "multi-factor authentication required",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::BadRequest => "bad request",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Server => "server error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "connection failed",
            ErrorKind::InvalidResponse => "invalid response",
        }
    }

    /// The kind for a final (non-retried or no longer retried) HTTP status and fault code.
    pub fn from_status(status: u16, code: Option<&str>) -> Self {
        match status {
            401 if code.map(str::trim) == Some(MFA_REQUIRED_CODE) => ErrorKind::MfaRequired,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            408 => ErrorKind::Timeout,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::Throttled,
            400..=499 => ErrorKind::BadRequest,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::InvalidResponse,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ApiFault code Partner Center gives an App+User token without the `mfa` claim.
pub const MFA_REQUIRED_CODE: &str = "900421";

/// The ApiFault code of a 403 because the partner has no reseller relationship with the
/// customer (not because of the person's role).
pub const NO_RELATIONSHIP_CODE: &str = "20002";

/// A failed Partner Center call.
///
/// `Display` is one technical line for logs: kind, HTTP status, fault code and both ids.
/// The fault's `description` is kept out of it (it can be long, and it is the service's
/// text, not ours) but is available as a field.
#[derive(Debug, thiserror::Error)]
#[error(
    "Partner Center {kind} (HTTP {status}, code {code}, request id {request_id}, correlation id {correlation_id})",
    status = OrDash(.status.as_ref()),
    code = OrDash(.code.as_ref()),
)]
pub struct PartnerCenterError {
    pub kind: ErrorKind,
    /// The HTTP status of the last answer, if there was one.
    pub status: Option<u16>,
    /// The ApiFault `code` (e.g. `"60003"`, `"900421"`).
    pub code: Option<String>,
    /// The ApiFault `description`, the 429 `message`, or our own explanation.
    pub description: Option<String>,
    /// The `MS-RequestId` of the operation (the same on every attempt).
    pub request_id: RequestId,
    /// The `MS-CorrelationId` sent on the last attempt: the caller's on a first attempt, a
    /// fresh one on each retry (the log links them).
    pub correlation_id: Uuid,
    /// How long the service asked us to wait (`Retry-After`), when it did.
    pub retry_after: Option<Duration>,
    /// The underlying transport or decoding error, for the log's cause chain.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl PartnerCenterError {
    /// An error of `kind` with no HTTP answer behind it.
    pub fn new(
        kind: ErrorKind,
        request_id: RequestId,
        correlation_id: Uuid,
        description: impl Into<String>,
    ) -> Self {
        PartnerCenterError {
            kind,
            status: None,
            code: None,
            description: Some(description.into()),
            request_id,
            correlation_id,
            retry_after: None,
            source: None,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether signing in again (with MFA) could fix this.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self.kind, ErrorKind::Unauthorized | ErrorKind::MfaRequired)
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

/// Displays an optional value, or `-` when absent.
struct OrDash<T>(Option<T>);

impl<T: fmt::Display> fmt::Display for OrDash<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(
            ErrorKind::from_status(401, Some("900421")),
            ErrorKind::MfaRequired
        );
        assert_eq!(
            ErrorKind::from_status(401, Some("800001")),
            ErrorKind::Unauthorized
        );
        assert_eq!(ErrorKind::from_status(401, None), ErrorKind::Unauthorized);
        assert_eq!(
            ErrorKind::from_status(403, Some("900421")),
            ErrorKind::Forbidden
        );
        assert_eq!(ErrorKind::from_status(404, None), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(409, None), ErrorKind::Conflict);
        assert_eq!(ErrorKind::from_status(400, None), ErrorKind::BadRequest);
        assert_eq!(ErrorKind::from_status(412, None), ErrorKind::BadRequest);
        assert_eq!(ErrorKind::from_status(429, None), ErrorKind::Throttled);
        assert_eq!(ErrorKind::from_status(408, None), ErrorKind::Timeout);
        assert_eq!(ErrorKind::from_status(503, None), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(501, None), ErrorKind::Server);
        assert_eq!(
            ErrorKind::from_status(302, None),
            ErrorKind::InvalidResponse
        );
    }

    #[test]
    fn display_is_one_line_with_status_code_and_both_ids() {
        let request_id = RequestId::parse("1f0e0000-0000-4000-8000-000000000001").unwrap();
        let correlation_id = Uuid::parse_str("9a2b0000-0000-4000-8000-000000000002").unwrap();
        let mut error = PartnerCenterError::new(
            ErrorKind::NotFound,
            request_id,
            correlation_id,
            "Tenant was not found.\nforged line",
        )
        .with_status(404);
        error.code = Some("60003".into());
        assert_eq!(
            error.to_string(),
            "Partner Center not found (HTTP 404, code 60003, \
             request id 1f0e0000-0000-4000-8000-000000000001, \
             correlation id 9a2b0000-0000-4000-8000-000000000002)"
        );
    }

    #[test]
    fn display_marks_missing_status_and_code() {
        let error =
            PartnerCenterError::new(ErrorKind::Timeout, RequestId::new(), Uuid::nil(), "slow");
        let text = error.to_string();
        assert!(
            text.starts_with("Partner Center timed out (HTTP -, code -,"),
            "{text}"
        );
        assert!(!error.needs_sign_in());
    }
}
