//! How the sandbox reads and writes Partner Center's wire format.
//!
//! Partner Center matches request property names case-insensitively (the .NET SDK sends
//! PascalCase, other clients camelCase) and ignores unknown ones; it answers camelCase JSON,
//! sometimes prefixed with a UTF-8 BOM, with errors as `ApiFault` bodies.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Documented generic error codes (partner-center-api.md §3.1) and the sandbox's own choices
/// where Microsoft documents none (marked "simulated").
pub mod codes {
    pub const NOT_FOUND: &str = "1000";
    pub const ACCESS_DENIED: &str = "2032";
    pub const INVALID_PROPERTY: &str = "3000";
    pub const NO_RELATIONSHIP: &str = "20002";
    pub const TENANT_NOT_FOUND: &str = "60003";
    pub const TOKEN_MISSING: &str = "800001";
    pub const INVALID_INPUT: &str = "800002";
    pub const UNEXPECTED: &str = "800003";
    /// Simulated: a request whose `MS-RequestId` is still being handled (undocumented).
    pub const REQUEST_IN_PROGRESS: &str = "800004";
    pub const INVALID_CUSTOMER_ID: &str = "900118";
    pub const MFA_REQUIRED: &str = "900421";
    /// Simulated: Microsoft documents no code for "batch id already exists".
    pub const BATCH_EXISTS: &str = "600030";
    /// Simulated: Microsoft documents no code for "no such batch".
    pub const BATCH_NOT_FOUND: &str = "600031";
}

/// A refusal in Partner Center's `ApiFault` shape. Handlers return `Result<Response, Fault>`
/// and refuse with `?`.
#[derive(Debug)]
pub struct Fault {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

impl Fault {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Fault {
            status,
            code,
            description: description.into(),
        }
    }

    /// 404 with Partner Center's generic "not found" code.
    pub fn not_found(description: impl Into<String>) -> Self {
        Fault::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, description)
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        api_fault(self.status, self.code, self.description)
    }
}

/// An `ApiFault` answer: `{code, description, data, source}`.
pub fn api_fault(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    let body = json!({
        "code": code,
        "description": description.into(),
        "data": [],
        "source": "PartnerFD",
    });
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// A JSON answer, optionally prefixed with a UTF-8 BOM as Partner Center sometimes does.
pub fn json_response(status: StatusCode, value: &Value, bom: bool) -> Response {
    let mut body = String::with_capacity(256);
    if bom {
        body.push('\u{feff}');
    }
    body.push_str(&value.to_string());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// Parses a request body the way Partner Center does: an optional BOM, property names in any
/// casing, unknown properties ignored. `T` must name its fields in lower case.
pub fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Fault> {
    let text = std::str::from_utf8(body).map_err(|_| {
        Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_INPUT,
            "The request body is not valid UTF-8.",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|error| {
        Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_INPUT,
            format!("The request body is not valid JSON: {error}"),
        )
    })?;
    serde_json::from_value(lowercase_keys(value)).map_err(|error| {
        Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_INPUT,
            format!("The request body does not have the expected shape: {error}"),
        )
    })
}

fn lowercase_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key.to_lowercase(), lowercase_keys(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(lowercase_keys).collect()),
        other => other,
    }
}

/// Partner Center's usual date form: seven fractional digits and `Z`.
pub fn pc_date(at: DateTime<Utc>) -> String {
    // chrono has no seven-digit specifier: write the 100 ns ticks by hand.
    let ticks = at.timestamp_subsec_nanos() / 100;
    format!("{}.{ticks:07}Z", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// `{"uri": …, "method": "GET", "headers": []}`.
pub fn link(uri: &str) -> Value {
    json!({"uri": uri, "method": "GET", "headers": []})
}

/// `{"objectType": …}`.
pub fn attributes(object_type: &str) -> Value {
    json!({ "objectType": object_type })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        batchid: String,
        devices: Vec<ProbeDevice>,
    }
    #[derive(Deserialize)]
    struct ProbeDevice {
        serialnumber: Option<String>,
    }

    #[test]
    fn property_names_match_in_any_casing_and_a_bom_is_skipped() {
        let body = Bytes::from(
            "\u{feff}{\"BatchId\":\"b\",\"DEVICES\":[{\"serialNumber\":\"S1\",\"Extra\":1}]}",
        );
        let probe: Probe = parse_body(&body).expect("parses");
        assert_eq!(probe.batchid, "b");
        assert_eq!(probe.devices[0].serialnumber.as_deref(), Some("S1"));
    }

    #[test]
    fn malformed_json_is_a_400_api_fault() {
        let response = parse_body::<Probe>(&Bytes::from("{not json"))
            .err()
            .expect("refused");
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn dates_have_seven_fractional_digits() {
        let at = DateTime::parse_from_rfc3339("2024-05-02T09:00:05.123Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(pc_date(at), "2024-05-02T09:00:05.1230000Z");
    }
}
