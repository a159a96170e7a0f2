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
pub fn text_or_number<'de, D: Deserializer<'de>>(
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
    #[serde(default, deserialize_with = "text_or_number")]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "text_or_number")]
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
#[path = "wire_tests.rs"]
mod tests;
