//! Tolerant reading of what Partner Center actually sends.
//!
//! The service is older than its documentation and not consistent with it: bodies may start
//! with a UTF-8 byte-order mark, timestamps come with and without a zone and with seven
//! fractional digits, error codes are documented as strings but published as numbers, enums
//! are lower-case with underscores but the SDK also accepts integers, and fields are renamed
//! between the docs and the SDK. Everything that smooths this over lives here, so the models
//! stay declarative and the quirks are tested in one place (partner-center-api.md §1, §3).

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The body without a leading UTF-8 byte-order mark, which serde_json refuses.
pub fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(UTF8_BOM).unwrap_or(body)
}

/// Parses a JSON response body, tolerating a leading BOM.
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(strip_bom(body))
}

/// Reads the three timestamp forms Partner Center uses: RFC 3339 with `Z` or an offset (any
/// number of fractional digits, the service sends seven), and the zone-less
/// `2017-07-25T10:00:00[.fffffff]`, which is taken as UTC.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(with_zone) = DateTime::parse_from_rfc3339(text) {
        return Some(with_zone.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// `deserialize_with` for a required timestamp in any of the forms of [`parse_datetime`].
pub fn datetime<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_datetime(&text)
        .ok_or_else(|| de::Error::custom(format_args!("unrecognised date-time {text:?}")))
}

/// `deserialize_with` for an optional timestamp: `null`, `""` and (so that one odd value
/// does not make a whole list unreadable) unrecognisable text all read as `None`.
/// Use together with `#[serde(default)]`.
pub fn datetime_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text.as_deref().and_then(|text| {
        let parsed = parse_datetime(text);
        if parsed.is_none() && !text.trim().is_empty() {
            tracing::debug!(value = ?text, "ignoring an unrecognised Partner Center date-time");
        }
        parsed
    }))
}

/// A JSON scalar read as text: strings as they are, numbers in their decimal form.
struct ScalarText;

impl<'de> Visitor<'de> for ScalarText {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ScalarText)
    }
}

/// `deserialize_with` for codes documented as strings but sent as numbers (`"808"` or `808`).
/// `null` and blank text read as `None`. Use together with `#[serde(default)]`.
pub fn string_or_number_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let text = deserializer.deserialize_option(ScalarText)?;
    Ok(text.filter(|text| !text.trim().is_empty()))
}

/// `deserialize_with` for a count that may arrive as a number, a numeric string or `null`.
/// Use together with `#[serde(default)]`.
pub fn count_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    match deserializer.deserialize_option(ScalarText)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| de::Error::custom(format_args!("expected a count, got {text:?}"))),
    }
}

/// `deserialize_with` that reads `null` as the type's default (an empty list, mostly).
/// Use together with `#[serde(default)]` so that a missing field works too.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An enum value as it arrives: the SDK writes lower-case names with underscores, but its
/// reader also takes integers, and our own tolerance adds other casings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnumValue {
    Text(String),
    Number(i64),
    Null,
}

impl EnumValue {
    /// Lower-case letters and digits only, so `finished_with_errors`, `FinishedWithErrors`
    /// and `finished-with-errors` all compare equal, and `o_o_b_e` equals `OOBE`.
    pub fn folded(text: &str) -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    }
}

impl<'de> Deserialize<'de> for EnumValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnumVisitor;
        impl<'de> Visitor<'de> for EnumVisitor {
            type Value = EnumValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an enum name or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnumValue, E> {
                Ok(EnumValue::Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnumValue, E> {
                Ok(EnumValue::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnumValue, E> {
                Ok(i64::try_from(v).map_or(EnumValue::Null, EnumValue::Number))
            }
            fn visit_unit<E: de::Error>(self) -> Result<EnumValue, E> {
                Ok(EnumValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<EnumValue, E> {
                Ok(EnumValue::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<EnumValue, D::Error> {
                d.deserialize_any(EnumVisitor)
            }
        }
        deserializer.deserialize_any(EnumVisitor)
    }
}

/// `{"key": "...", "value": "..."}`: how Partner Center lists the headers of a [`Link`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkHeader {
    #[serde(default)]
    pub key: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: String,
}

/// A hypermedia link. The `uri` is usually relative and may or may not start with `/v1`;
/// the client normalises it before use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub uri: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub headers: Vec<LinkHeader>,
}

/// The `links` object of a collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CollectionLinks {
    #[serde(default)]
    pub next: Option<Link>,
    #[serde(default)]
    pub previous: Option<Link>,
    #[serde(default, rename = "self")]
    pub self_link: Option<Link>,
}

/// Every list answer: `{totalCount, items, continuationToken?, links?, attributes}`.
/// `totalCount` counts the items of this page in seek-based collections, not the whole set.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Collection<T> {
    #[serde(default, deserialize_with = "count_opt")]
    pub total_count: Option<u64>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub items: Vec<T>,
    #[serde(default)]
    pub continuation_token: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub links: CollectionLinks,
}

/// Partner Center's error body. Every field is optional here although the docs call `code`
/// and `description` mandatory: an error must never be hidden by an error reading it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiFault {
    #[serde(default, deserialize_with = "string_or_number_opt")]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "string_or_number_opt")]
    pub source: Option<String>,
}

/// The body of a 429, which is *not* an [`ApiFault`]:
/// `{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleBody {
    #[serde(default, deserialize_with = "count_opt")]
    pub status_code: Option<u64>,
    #[serde(default)]
    pub message: Option<String>,
}

/// What an error body tells us, whichever of its shapes it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorSummary {
    pub code: Option<String>,
    pub description: Option<String>,
}

/// Longest description kept from an error body (the docs cap ApiFault descriptions at 1024).
const MAX_DESCRIPTION: usize = 1024;

/// Reads an error body: an [`ApiFault`], a [`ThrottleBody`], or failing both, a short
/// excerpt of the text (a proxy's HTML page, say) so that there is something to log.
pub fn error_summary(body: &[u8]) -> ErrorSummary {
    let body = strip_bom(body);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let fault = ApiFault::deserialize(&value).unwrap_or_default();
        if fault.code.is_some() || fault.description.is_some() {
            return ErrorSummary {
                code: fault.code,
                description: fault.description.map(clean_text),
            };
        }
        let throttle = ThrottleBody::deserialize(&value).unwrap_or_default();
        if throttle.message.is_some() {
            return ErrorSummary {
                code: None,
                description: throttle.message.map(clean_text),
            };
        }
        return ErrorSummary::default();
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    ErrorSummary {
        code: None,
        description: (!text.is_empty()).then(|| clean_text(text.to_string())),
    }
}

/// Replaces control characters (which would forge log lines) and caps the length.
fn clean_text(text: String) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DESCRIPTION)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Stamped {
        #[serde(deserialize_with = "datetime")]
        at: DateTime<Utc>,
        #[serde(default, deserialize_with = "datetime_opt")]
        maybe: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Coded {
        #[serde(default, deserialize_with = "string_or_number_opt")]
        error_code: Option<String>,
    }

    #[test]
    fn a_leading_bom_is_stripped_once() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!(strip_bom(b"{}"), b"{}");
        assert_eq!(strip_bom(b""), b"");
        let value: serde_json::Value = from_slice(b"\xEF\xBB\xBF{\"a\":1}").unwrap();
        assert_eq!(value["a"], 1);
    }

    #[test]
    fn zone_less_timestamps_are_utc() {
        assert_eq!(
            parse_datetime("2017-07-25T10:00:00"),
            Some(Utc.with_ymd_and_hms(2017, 7, 25, 10, 0, 0).unwrap())
        );
        assert_eq!(
            parse_datetime("0001-01-01T00:00:00"),
            Some(Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap())
        );
    }

    #[test]
    fn seven_fractional_digits_with_an_offset_are_read() {
        let parsed = parse_datetime("2017-07-25T11:03:03.8457088-07:00").unwrap();
        assert_eq!(
            parsed,
            Utc.with_ymd_and_hms(2017, 7, 25, 18, 3, 3).unwrap()
                + chrono::Duration::nanoseconds(845_708_800)
        );
    }

    #[test]
    fn utc_timestamps_with_and_without_fractions_are_read() {
        assert_eq!(
            parse_datetime("2024-05-02T09:00:01Z"),
            Some(Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 1).unwrap())
        );
        assert_eq!(
            parse_datetime("2024-05-02T09:00:05.1234567Z"),
            Some(
                Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 5).unwrap()
                    + chrono::Duration::nanoseconds(123_456_700)
            )
        );
        assert_eq!(
            parse_datetime("2024-05-02T09:00:05.1234567"),
            parse_datetime("2024-05-02T09:00:05.1234567Z")
        );
    }

    #[test]
    fn nonsense_is_not_a_timestamp() {
        assert_eq!(parse_datetime("yesterday"), None);
        assert_eq!(parse_datetime(""), None);
        assert_eq!(parse_datetime("2024-13-02T09:00:01Z"), None);
    }

    #[test]
    fn required_and_optional_timestamp_fields() {
        let both: Stamped =
            serde_json::from_str(r#"{"at":"2017-07-25T10:00:00","maybe":"2017-07-25T10:00:00Z"}"#)
                .unwrap();
        assert_eq!(both.maybe, Some(both.at));
        let absent: Stamped = serde_json::from_str(r#"{"at":"2017-07-25T10:00:00"}"#).unwrap();
        assert_eq!(absent.maybe, None);
        let null: Stamped =
            serde_json::from_str(r#"{"at":"2017-07-25T10:00:00","maybe":null}"#).unwrap();
        assert_eq!(null.maybe, None);
        let odd: Stamped =
            serde_json::from_str(r#"{"at":"2017-07-25T10:00:00","maybe":"soon"}"#).unwrap();
        assert_eq!(odd.maybe, None);
        assert!(serde_json::from_str::<Stamped>(r#"{"at":"soon"}"#).is_err());
    }

    #[test]
    fn codes_may_be_strings_numbers_or_null() {
        let read = |json: &str| serde_json::from_str::<Coded>(json).unwrap().error_code;
        assert_eq!(read(r#"{"errorCode":"808"}"#).as_deref(), Some("808"));
        assert_eq!(read(r#"{"errorCode":808}"#).as_deref(), Some("808"));
        assert_eq!(read(r#"{"errorCode":null}"#), None);
        assert_eq!(read(r#"{"errorCode":""}"#), None);
        assert_eq!(read(r#"{}"#), None);
        assert_eq!(
            read(r#"{"errorCode":"ZtdDeviceDuplicated"}"#).as_deref(),
            Some("ZtdDeviceDuplicated")
        );
    }

    #[test]
    fn customers_page_with_a_next_link_and_a_token() {
        let body = "\u{feff}{\"totalCount\":2,\"items\":[{\"n\":1},{\"n\":2}],\
            \"links\":{\"self\":{\"uri\":\"/v1/customers?size=2\",\"method\":\"GET\",\"headers\":[]},\
            \"next\":{\"uri\":\"/v1/customers?size=2&seekOperation=Next\",\"method\":\"GET\",\
            \"headers\":[{\"key\":\"MS-ContinuationToken\",\"value\":\"abc\"}]}},\
            \"continuationToken\":\"abc\",\"attributes\":{\"objectType\":\"Collection\"}}";
        let page: Collection<serde_json::Value> = from_slice(body.as_bytes()).unwrap();
        assert_eq!(page.total_count, Some(2));
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.continuation_token.as_deref(), Some("abc"));
        let next = page.links.next.unwrap();
        assert_eq!(next.uri, "/v1/customers?size=2&seekOperation=Next");
        assert_eq!(next.method.as_deref(), Some("GET"));
        assert_eq!(
            next.headers,
            vec![LinkHeader {
                key: "MS-ContinuationToken".into(),
                value: "abc".into()
            }]
        );
        assert_eq!(page.links.self_link.unwrap().uri, "/v1/customers?size=2");
    }

    #[test]
    fn a_bare_collection_without_links_is_read() {
        let page: Collection<serde_json::Value> =
            from_slice(br#"{"totalCount":0,"items":[],"attributes":{"objectType":"Collection"}}"#)
                .unwrap();
        assert!(page.items.is_empty());
        assert!(page.links.next.is_none());
        let sparse: Collection<serde_json::Value> =
            from_slice(br#"{"items":null,"links":null,"totalCount":"3"}"#).unwrap();
        assert!(sparse.items.is_empty());
        assert_eq!(sparse.total_count, Some(3));
    }

    #[test]
    fn link_headers_may_be_null() {
        let link: Link = from_slice(br#"{"uri":"/customers/x","headers":null}"#).unwrap();
        assert!(link.headers.is_empty());
        assert_eq!(link.method, None);
    }

    #[test]
    fn api_fault_with_a_numeric_code() {
        let body = "\u{feff}{\"code\":60003,\"description\":\"Tenant was not found.\",\
            \"data\":[],\"source\":\"PartnerFD\",\"errorName\":\"TenantNotFound\"}";
        let fault: ApiFault = from_slice(body.as_bytes()).unwrap();
        assert_eq!(fault.code.as_deref(), Some("60003"));
        assert_eq!(fault.description.as_deref(), Some("Tenant was not found."));
        assert_eq!(fault.source.as_deref(), Some("PartnerFD"));
        assert_eq!(
            error_summary(body.as_bytes()),
            ErrorSummary {
                code: Some("60003".into()),
                description: Some("Tenant was not found.".into())
            }
        );
    }

    #[test]
    fn api_fault_with_a_string_code_and_no_data() {
        let summary =
            error_summary(br#"{"code":"900421","description":"MFA required","data":null}"#);
        assert_eq!(summary.code.as_deref(), Some("900421"));
    }

    #[test]
    fn throttling_body_is_not_an_api_fault_but_is_understood() {
        let body = br#"{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }"#;
        let throttle: ThrottleBody = from_slice(body).unwrap();
        assert_eq!(throttle.status_code, Some(429));
        assert_eq!(
            error_summary(body),
            ErrorSummary {
                code: None,
                description: Some("Rate limit is exceeded. Try again in 57 seconds.".into())
            }
        );
    }

    #[test]
    fn unreadable_error_bodies_leave_a_clean_excerpt() {
        assert_eq!(error_summary(b""), ErrorSummary::default());
        assert_eq!(error_summary(b"{}"), ErrorSummary::default());
        let summary = error_summary(b"<html>\r\nBad gateway\r\n</html>");
        assert_eq!(
            summary.description.as_deref(),
            Some("<html>  Bad gateway  </html>")
        );
        let long = "x".repeat(5000);
        assert_eq!(
            error_summary(long.as_bytes())
                .description
                .map(|d| d.chars().count()),
            Some(MAX_DESCRIPTION)
        );
    }

    #[test]
    fn enum_values_fold_casing_and_separators() {
        assert_eq!(
            EnumValue::folded("finished_with_errors"),
            "finishedwitherrors"
        );
        assert_eq!(
            EnumValue::folded("FinishedWithErrors"),
            "finishedwitherrors"
        );
        assert_eq!(EnumValue::folded("o_o_b_e"), "oobe");
        assert_eq!(EnumValue::folded("in-progress"), "inprogress");
        assert_eq!(
            serde_json::from_str::<EnumValue>("4").unwrap(),
            EnumValue::Number(4)
        );
        assert_eq!(
            serde_json::from_str::<EnumValue>("null").unwrap(),
            EnumValue::Null
        );
    }
}
