//! What the pages show and the errors they explain: the data the server functions
//! ([`crate::api`]) return, compiled for both the server and the browser. A leaf: it imports
//! nothing of the crate's, so the server and the pages both depend on it, never on each other.

use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An enum stored and sent as words: `as_str` gives its word, `TryFrom<&str>` takes back
/// only those words (anything else is an error, never a guess), serde uses the same words, and
/// `ALL` lists the variants in order. Written once here for every state and choice.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = String;

            fn try_from(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(concat!("unknown ", stringify!($name), " {:?}"), other)),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                $name::try_from(text.as_str())
            }
        }

        /// Stored as its word in a text column; a stored row's field or an `Option` of one
        /// reads it back, and an unknown word is a damaged row, refused loudly.
        #[cfg(feature = "ssr")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok($name::try_from(text.as_str())?)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::try_from(text.as_ref()).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod audit;
pub mod devices;
pub mod done;
pub mod operation_page;
pub mod operations;
pub mod profiles;
pub mod selection;
pub mod uploads;

/// What every page shows about the installation and the signed-in user.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SessionInfo {
    /// Running against the built-in sandbox rather than Microsoft.
    pub sandbox: bool,
    pub user: Option<UserView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UserView {
    pub name: String,
    pub upn: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub domain: String,
}

/// Which customer field a search matches the start of.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum SearchField {
    #[default]
    Name,
    Domain,
}

impl SearchField {
    pub fn from_query(value: Option<&str>) -> SearchField {
        match value {
            Some("domain") => SearchField::Domain,
            _ => SearchField::Name,
        }
    }
    pub fn as_query(self) -> &'static str {
        match self {
            SearchField::Name => "name",
            SearchField::Domain => "domain",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CustomerSearch {
    pub items: Vec<CustomerRow>,
    pub page: u32,
    pub has_next: bool,
    /// The user's recently opened customers (first page of an empty search only).
    pub recent: Vec<CustomerRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BatchRow {
    pub id: String,
    /// As the page shows it: `2025-04-17 09:00 UTC`.
    pub created: Option<String>,
    pub devices: Option<u64>,
    pub status: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BatchesView {
    pub customer: CustomerRow,
    pub batches: Vec<BatchRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeviceRow {
    pub id: String,
    pub serial: Option<String>,
    pub product_key: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub profile: Option<String>,
    pub uploaded: Option<String>,
}

text_enum! {
    /// Which of a batch's devices its page lists (`?show=`).
    pub enum BatchDevicesShown {
        /// Every device, a page of Partner Center's at a time.
        All = "all",
        /// The devices without an Autopilot profile, found on every page of the batch.
        NoProfile = "no-profile",
    }
}

/// A profile a person can choose: its id, and its name as every page shows it (with what
/// tells it apart from another profile of the same name).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProfileOption {
    pub id: String,
    pub label: String,
}

/// How many pages a list of `count` items makes at `per_page` a page, as a pager says it
/// ("Page 2 of 3"). Said only when it agrees with the page fetched (`page`, and whether
/// another follows): a count read a moment apart from the page, or a bookmarked page past the
/// end, gives no total rather than "Page 4 of 3".
pub fn page_count(count: u64, per_page: usize, page: u32, has_next: bool) -> Option<u32> {
    let pages = u32::try_from(count.div_ceil(per_page.max(1) as u64).max(1)).ok()?;
    (page <= pages && has_next == (page < pages)).then_some(pages)
}

/// How many devices a page of the batch page lists: Partner Center's own page size, which
/// the filtered view (devices without a profile) pages by too, so both views page alike.
pub const DEVICES_PER_PAGE: usize = 100;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DevicesView {
    pub customer: CustomerRow,
    pub batch_id: String,
    pub show: BatchDevicesShown,
    pub page: u32,
    pub items: Vec<DeviceRow>,
    pub has_next: bool,
    /// The batch as the customer's batch list shows it: when it was created, how many
    /// devices it has (all of them, whatever is shown), its status.
    pub listed: Option<BatchRow>,
    /// With `NoProfile`: how many devices of the batch have no profile.
    pub without_profile: Option<usize>,
    /// The customer's profiles, to apply to devices of the batch.
    pub profiles: Vec<ProfileOption>,
    /// Why this sign-in cannot apply profiles, once Partner Center said so: the page then
    /// offers no button that can only fail.
    pub profiles_read_only: Option<String>,
}

/// A device as the deletion's confirmation shows it, read from Partner Center.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeviceToDelete {
    pub customer: CustomerRow,
    pub batch_id: String,
    pub device: DeviceRow,
}

/// Several devices of a batch as the bulk deletion's confirmation shows them, read from
/// Partner Center: how many, and the first of them by name.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DevicesToDelete {
    pub customer: CustomerRow,
    pub batch_id: String,
    /// What the batch page's form chose, carried on by the confirmation's own form.
    pub selection: selection::Selection,
    pub count: usize,
    /// The first devices, to name them; `count` may be more.
    pub shown: Vec<DeviceRow>,
}

/// Every failure a page can show, in words a partner's staff member can act on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, thiserror::Error)]
pub enum AppError {
    #[error("Your sign-in has ended. Sign in again to continue.")]
    SignedOut,
    #[error("Partner Center requires multi-factor authentication, and this sign-in did not use it. Sign out, then sign in again with MFA (or ask your administrator to enable it for your account).")]
    MfaRequired,
    /// Partner Center refused the person (a 403 that is not about the customer): their
    /// account lacks the role.
    #[error("Partner Center refused access: your account needs the Admin agent or Sales agent role in Partner Center. Ask your organisation's Partner Center administrator to give you one.")]
    Forbidden {
        code: Option<String>,
        request_id: String,
    },
    /// Partner Center refused because the partner has no reseller relationship with the
    /// customer (code 20002): nobody at the partner can manage its devices here.
    #[error("Partner Center refused access to {customer}: your organisation has no reseller relationship with this customer (code 20002), which Autopilot devices need. Your account is not the problem; a Partner Center administrator can ask the customer for a reseller relationship.")]
    NoRelationship {
        customer: String,
        request_id: String,
    },
    #[error("{what} was not found in Partner Center.")]
    NotFound { what: String },
    #[error("This upload does not exist here, or belongs to another customer. Find it under the customer's batches, or upload the file again.")]
    NoSuchUpload,
    /// An address whose ids do not parse (made by hand, cut short): it names nothing.
    #[error("Nothing is at this address: it does not name a customer, batch, upload or deletion the dashboard knows. Go back and follow a link instead.")]
    NothingHere,
    #[error("Partner Center is busy right now. The dashboard retried; try again in a minute.")]
    Busy,
    #[error("Partner Center is not answering right now. Try again in a few minutes.")]
    Unavailable,
    #[error("Partner Center reported an error{}. If it persists, quote correlation id {correlation_id} to support.", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Upstream {
        code: Option<String>,
        description: Option<String>,
        correlation_id: String,
        request_id: String,
    },
    #[error("{0}")]
    BadInput(String),
    /// More devices chosen than one operation may carry (`upload_max_rows`).
    #[error("At most {most} devices can be changed at once, and {chosen} were chosen. Choose fewer, and do the rest in a second step.")]
    TooMany { most: usize, chosen: usize },
    /// A search that finds more devices than one action or export takes.
    #[error("The search finds more than {most} devices, more than one action or export takes. Type more of the serial number, or work on the customer's batches instead.")]
    TooManyFound { most: usize },
    /// What the person chose changed in Partner Center since the page was shown (a ticked
    /// device deleted meanwhile): nothing was done.
    #[error("{0}")]
    Changed(String),
    #[error("Something went wrong in the dashboard ({0}).")]
    Internal(String),
}

impl AppError {
    /// The same error, saying which customer it is about where the words name one (a refusal
    /// for want of a reseller relationship).
    pub fn about(self, customer: &CustomerRow) -> AppError {
        match self {
            AppError::NoRelationship { request_id, .. } => AppError::NoRelationship {
                customer: customer.name.clone(),
                request_id,
            },
            other => other,
        }
    }

    /// The request id to quote to Microsoft support, when Partner Center gave the answer.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            AppError::Forbidden { request_id, .. }
            | AppError::NoRelationship { request_id, .. }
            | AppError::Upstream { request_id, .. } => Some(request_id),
            _ => None,
        }
    }

    /// The HTTP status a page or handler answers with when this is the outcome.
    pub fn status(&self) -> u16 {
        match self {
            AppError::SignedOut => 401,
            AppError::MfaRequired
            | AppError::Forbidden { .. }
            | AppError::NoRelationship { .. } => 403,
            AppError::NotFound { .. } | AppError::NoSuchUpload | AppError::NothingHere => 404,
            AppError::BadInput(_) => 400,
            AppError::Changed(_) => 409,
            AppError::TooMany { .. } | AppError::TooManyFound { .. } => 413,
            AppError::Busy | AppError::Unavailable => 503,
            AppError::Upstream { .. } => 502,
            AppError::Internal(_) => 500,
        }
    }
}

/// Sent as every server function's answer is (`api::codec`): postcard.
impl FromServerFnError for AppError {
    type Encoder = PostcardEncoding;

    /// A request the server could not decode is the sender's fault (400), said in words; any
    /// other failure of the machinery is the dashboard's own.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => AppError::BadInput(
                "The request could not be read: it is not what the dashboard's pages send. \
                 Reload the page and try again."
                    .into(),
            ),
            other => AppError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_travel_without_field_names_and_come_back_whole() {
        use codee::{Decoder, Encoder};
        type Codec = crate::api::codec::Codec;
        let row = BatchRow {
            id: "Q3 laptops".into(),
            created: Some("2025-04-17 09:00 UTC".into()),
            devices: Some(12),
            status: None,
        };
        let sent = Codec::encode(&row).unwrap();
        // The id, the date, the count and the missing status, and nothing else.
        assert_eq!(sent.len(), 1 + 10 + 1 + 1 + 20 + 1 + 1 + 1);
        assert_eq!(<Codec as Decoder<BatchRow>>::decode(&sent).unwrap(), row);
        let cut = &sent[..11];
        assert!(
            <Codec as Decoder<BatchRow>>::decode(cut).is_err(),
            "a row cut short"
        );
    }

    #[test]
    fn a_page_count_is_said_only_when_it_agrees_with_the_page() {
        assert_eq!(page_count(0, 100, 1, false), Some(1), "an empty list");
        assert_eq!(page_count(100, 100, 1, false), Some(1));
        assert_eq!(page_count(101, 100, 1, true), Some(2));
        assert_eq!(page_count(101, 100, 2, false), Some(2));
        assert_eq!(page_count(101, 100, 3, false), None, "past the end");
        assert_eq!(
            page_count(100, 100, 1, true),
            None,
            "a count behind the list"
        );
        assert_eq!(page_count(201, 100, 1, false), None, "a count ahead of it");
    }
}
