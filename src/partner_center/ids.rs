//! Identifiers that travel in Partner Center paths and headers.
//!
//! Each one is parsed once, at the edge (a form field, a URL, a database row), with an error
//! that says what is wrong; past that point the client never has to wonder whether a customer
//! id is a GUID or whether a batch name would break the request path. All of them print and
//! (de)serialise as the plain string Partner Center uses, so they can be stored and put in
//! URLs as they are.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Why a string is not a valid identifier. The offending input is deliberately not echoed:
/// it may be long, and it may carry control characters that would forge log lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error(
        "{what} must be a GUID such as 8b7c6a1e-0000-4000-8000-000000000001 \
         (32 hexadecimal digits in groups of 8-4-4-4-12, optionally in braces)"
    )]
    NotAGuid { what: &'static str },
    #[error("batch id is {length} characters long; at most {BATCH_ID_MAX_CHARS} are allowed")]
    TooLong { length: usize },
    #[error("batch id must not contain control characters (tabs, line breaks, ...)")]
    ControlCharacter,
    #[error("batch id must not contain '{0}'")]
    ForbiddenCharacter(char),
    #[error("batch id must not be '.' or '..'")]
    DotSegment,
}

/// Longest batch id accepted. Partner Center publishes no limit; this is the sandbox's rule
/// (partner-center-api.md §7), kept here so a name that the sandbox refuses never leaves
/// the dashboard.
pub const BATCH_ID_MAX_CHARS: usize = 128;

/// Parses the hyphenated GUID form, optionally wrapped in braces (`{…}`) as PowerShell's
/// validation allows, and nothing else: `Uuid::parse_str` would also take the 32-digit and
/// `urn:uuid:` forms, which Partner Center paths never use and a user never means.
pub(crate) fn parse_guid(input: &str, what: &'static str) -> Result<Uuid, IdError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(IdError::Empty { what });
    }
    let bare = match (trimmed.strip_prefix('{'), trimmed.ends_with('}')) {
        (Some(rest), true) => &rest[..rest.len() - 1],
        (None, false) => trimmed,
        _ => return Err(IdError::NotAGuid { what }),
    };
    let well_formed = bare.len() == 36
        && bare.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if !well_formed {
        return Err(IdError::NotAGuid { what });
    }
    Uuid::parse_str(bare).map_err(|_| IdError::NotAGuid { what })
}

/// Implements the traits every GUID newtype shares (also the dashboard's own, such as
/// `server::operations::OperationId`): lowercase hyphenated Display, FromStr
/// through `parse`, string (de)serialisation, and access to the inner `Uuid`.
macro_rules! guid_newtype {
    ($name:ident, $what:literal) => {
        impl $name {
            /// Parses a GUID (hyphenated, optionally in braces, any letter case) and
            /// normalises it to lowercase hyphenated form.
            pub fn parse(input: &str) -> Result<Self, $crate::partner_center::IdError> {
                $crate::partner_center::ids::parse_guid(input, $what).map(Self)
            }

            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }
        }

        impl From<::uuid::Uuid> for $name {
            fn from(uuid: ::uuid::Uuid) -> Self {
                Self(uuid)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // `Uuid`'s Display is already lowercase and hyphenated.
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::partner_center::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        /// Stored as its text; a stored value that is not one is a damaged row, refused
        /// loudly when it is read (never skipped).
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(Self::parse(&text)?)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(self.to_string(), buf)
            }
        }
    };
}
pub(crate) use guid_newtype;

/// A customer's Entra tenant id, which is also its id in every Partner Center path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(Uuid);
guid_newtype!(CustomerId, "customer id");

/// The id Partner Center gives an asynchronous upload or policy-assignment job (the last
/// segment of the `Location` header of the 202 answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingId(Uuid);
guid_newtype!(TrackingId, "tracking id");

/// The `MS-RequestId` of one logical operation. Partner Center uses it as an idempotency
/// key, so a write's id is created and stored *before* the call and reused on every retry
/// (also after a crash): the service then answers the repeat with the first result instead
/// of creating a second batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(Uuid);
guid_newtype!(RequestId, "request id");

impl RequestId {
    /// A fresh random (v4) id for a new logical operation.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for RequestId {
    /// Same as [`RequestId::new`]: there is no meaningful "empty" request id.
    fn default() -> Self {
        Self::new()
    }
}

/// A device batch's name. Partner Center calls it "a unique name of your choosing" and
/// compares it case-insensitively; its examples contain spaces (`"Test batch"`). The limits
/// here (1–128 characters, no control characters, no `/ ? #`, not `.`/`..`) are ours: they
/// keep the name a single, unambiguous URL path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId(String);

impl BatchId {
    /// Trims surrounding whitespace, then checks the rules above.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IdError::Empty { what: "batch id" });
        }
        let length = trimmed.chars().count();
        if length > BATCH_ID_MAX_CHARS {
            return Err(IdError::TooLong { length });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(IdError::ControlCharacter);
        }
        if let Some(c) = trimmed.chars().find(|c| matches!(c, '/' | '?' | '#')) {
            return Err(IdError::ForbiddenCharacter(c));
        }
        // URL path building silently drops these segments, which would address another
        // resource.
        if trimmed == "." || trimmed == ".." {
            return Err(IdError::DotSegment);
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` names the same batch in Partner Center's eyes (case-insensitive).
    pub fn same_batch_as(&self, other: &str) -> bool {
        self.0.to_lowercase() == other.trim().to_lowercase()
    }
}

impl AsRef<str> for BatchId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BatchId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for BatchId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BatchId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Stored as its text, like the GUID ids: a stored name the rules refuse is a damaged row.
impl sqlx::Type<sqlx::Any> for BatchId {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for BatchId {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
        Ok(Self::parse(&text)?)
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for BatchId {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<'q, sqlx::Any>>::encode(self.0.clone(), buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "8b7c6a1e-0000-4000-8000-000000000001";

    #[test]
    fn customer_id_accepts_a_hyphenated_guid() {
        let id = CustomerId::parse(GUID).unwrap();
        assert_eq!(id.to_string(), GUID);
    }

    #[test]
    fn customer_id_is_normalised_to_lowercase() {
        let id = CustomerId::parse("8B7C6A1E-0000-4000-8000-00000000000A").unwrap();
        assert_eq!(id.to_string(), "8b7c6a1e-0000-4000-8000-00000000000a");
    }

    #[test]
    fn customer_id_accepts_braces_like_powershell() {
        let id = CustomerId::parse("{8b7c6a1e-0000-4000-8000-000000000001}").unwrap();
        assert_eq!(id.to_string(), GUID);
    }

    #[test]
    fn customer_id_ignores_surrounding_whitespace() {
        assert_eq!(
            CustomerId::parse("  8b7c6a1e-0000-4000-8000-000000000001\n")
                .unwrap()
                .to_string(),
            GUID
        );
    }

    #[test]
    fn customer_id_refuses_unbalanced_braces() {
        for input in [
            "{8b7c6a1e-0000-4000-8000-000000000001",
            "8b7c6a1e-0000-4000-8000-000000000001}",
        ] {
            assert_eq!(
                CustomerId::parse(input),
                Err(IdError::NotAGuid {
                    what: "customer id"
                })
            );
        }
    }

    #[test]
    fn customer_id_refuses_other_guid_spellings_and_garbage() {
        for input in [
            "8b7c6a1e000040008000000000000001",
            "urn:uuid:8b7c6a1e-0000-4000-8000-000000000001",
            "8b7c6a1e-0000-4000-8000-00000000000g",
            "8b7c6a1e-0000-4000-8000-0000000000011",
            "8b7c6a1e_0000_4000_8000_000000000001",
            "contoso.onmicrosoft.com",
            "ä7c6a1e-0000-4000-8000-00000000001",
        ] {
            assert!(CustomerId::parse(input).is_err(), "{input} was accepted");
        }
    }

    #[test]
    fn customer_id_refuses_empty_input() {
        assert_eq!(
            CustomerId::parse("   "),
            Err(IdError::Empty {
                what: "customer id"
            })
        );
    }

    #[test]
    fn guid_error_names_the_identifier_and_the_expected_form() {
        let message = TrackingId::parse("nope").unwrap_err().to_string();
        assert!(
            message.starts_with("tracking id must be a GUID"),
            "{message}"
        );
    }

    #[test]
    fn guid_ids_round_trip_through_serde_as_plain_strings() {
        let id = CustomerId::parse(GUID).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{GUID}\""));
        assert_eq!(serde_json::from_str::<CustomerId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<CustomerId>("\"not-a-guid\"").is_err());
        let braced: TrackingId = serde_json::from_str(&format!("\"{{{GUID}}}\"")).unwrap();
        assert_eq!(braced.to_string(), GUID);
    }

    #[test]
    fn tracking_id_parses_a_guid() {
        let id: TrackingId = "3d9e5c1a-7b61-4f7e-9c55-0f6c2d7e8a10".parse().unwrap();
        assert_eq!(id.to_string(), "3d9e5c1a-7b61-4f7e-9c55-0f6c2d7e8a10");
        assert!("3d9e5c1a".parse::<TrackingId>().is_err());
    }

    #[test]
    fn request_ids_are_random_and_survive_a_round_trip_through_text() {
        let first = RequestId::new();
        let second = RequestId::new();
        assert_ne!(first, second);
        assert_eq!(first.as_uuid().get_version_num(), 4);
        let stored = first.to_string();
        assert_eq!(stored.parse::<RequestId>().unwrap(), first);
    }

    #[test]
    fn batch_id_keeps_inner_spaces_and_trims_the_edges() {
        let id = BatchId::parse("  Test batch  ").unwrap();
        assert_eq!(id.as_str(), "Test batch");
        assert_eq!(id.to_string(), "Test batch");
    }

    #[test]
    fn batch_id_refuses_empty_input() {
        assert_eq!(
            BatchId::parse(" \t "),
            Err(IdError::Empty { what: "batch id" })
        );
        assert_eq!(BatchId::parse(""), Err(IdError::Empty { what: "batch id" }));
    }

    #[test]
    fn batch_id_counts_characters_not_bytes() {
        assert!(BatchId::parse(&"é".repeat(128)).is_ok());
        assert_eq!(
            BatchId::parse(&"a".repeat(129)),
            Err(IdError::TooLong { length: 129 })
        );
    }

    #[test]
    fn batch_id_refuses_control_characters() {
        for input in ["PO\n4711", "PO\t4711", "PO\u{7f}4711", "PO\u{0}"] {
            assert_eq!(BatchId::parse(input), Err(IdError::ControlCharacter));
        }
    }

    #[test]
    fn batch_id_refuses_url_delimiters() {
        assert_eq!(
            BatchId::parse("PO/4711"),
            Err(IdError::ForbiddenCharacter('/'))
        );
        assert_eq!(
            BatchId::parse("PO?4711"),
            Err(IdError::ForbiddenCharacter('?'))
        );
        assert_eq!(
            BatchId::parse("PO#4711"),
            Err(IdError::ForbiddenCharacter('#'))
        );
    }

    #[test]
    fn batch_id_refuses_dot_segments_but_not_dots() {
        assert_eq!(BatchId::parse("."), Err(IdError::DotSegment));
        assert_eq!(BatchId::parse(".."), Err(IdError::DotSegment));
        assert!(BatchId::parse("v1.2...final").is_ok());
    }

    #[test]
    fn batch_id_allows_other_punctuation_and_unicode() {
        for input in [
            "Contoso-PO-4711",
            "50% off & more",
            "Zürich (2. Stock)",
            "a\\b",
        ] {
            assert!(BatchId::parse(input).is_ok(), "{input} was refused");
        }
    }

    #[test]
    fn batch_ids_compare_case_insensitively_like_partner_center() {
        let id = BatchId::parse("Contoso-PO-4711").unwrap();
        assert!(id.same_batch_as("contoso-po-4711"));
        assert!(!id.same_batch_as("Contoso-PO-4712"));
    }

    #[test]
    fn batch_id_deserialisation_applies_the_rules() {
        assert_eq!(
            serde_json::from_str::<BatchId>("\" Test batch \"").unwrap(),
            BatchId::parse("Test batch").unwrap()
        );
        assert!(serde_json::from_str::<BatchId>("\"a/b\"").is_err());
        assert_eq!(
            serde_json::to_string(&BatchId::parse("Test batch").unwrap()).unwrap(),
            "\"Test batch\""
        );
    }
}
