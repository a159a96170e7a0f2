//! The resources of partner-center-api.md §4–§5, as we read and write them.
//!
//! Reading is deliberately forgiving: the service adds fields (`attributes`, `links`,
//! `etag`…), omits others depending on the route, sends `null` where the docs promise a
//! value, and renames fields between its docs and its SDK. So every response field that can
//! be absent is an `Option` or has a default, unknown fields are ignored, and unknown enum
//! values become `Unknown` instead of failing the whole answer. Writing is strict and minimal:
//! camelCase, and only the fields we mean to send.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::CustomerId;
use super::wire::{count_opt, datetime_opt, null_as_default, text_or_number, EnumValue, Link};

/// Declares a Partner Center enum: serialised as its lower-case wire name, read from any
/// casing/separator variant of that name or from the SDK's integer value, with every
/// other value (e.g. the documented-but-unknown `"in-progress"`) read as the fallback.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $number:literal)? ),+ $(,)?
        }
        fallback = $fallback:ident;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name Partner Center uses on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            fn from_wire(value: EnumValue) -> Self {
                match value {
                    EnumValue::Text(text) => {
                        let folded = EnumValue::folded(&text);
                        $name::ALL
                            .iter()
                            .copied()
                            .find(|known| EnumValue::folded(known.as_str()) == folded)
                            .unwrap_or($name::$fallback)
                    }
                    EnumValue::Number(number) => {
                        $( $( if number == $number { return $name::$variant; } )? )+
                        let _ = number;
                        $name::$fallback
                    }
                    EnumValue::Null => $name::$fallback,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$fallback
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                EnumValue::deserialize(deserializer).map($name::from_wire)
            }
        }
    };
}

wire_enum! {
    /// Status of an upload/assignment job and of each device in it (DeviceUploadStatusType).
    pub enum UploadStatus {
        Unknown = "unknown" | 0,
        Queued = "queued" | 1,
        Processing = "processing" | 2,
        /// Processing is complete — which does *not* mean every device succeeded; look at
        /// each device's status and error code.
        Finished = "finished" | 3,
        FinishedWithErrors = "finished_with_errors" | 4,
    }
    fallback = Unknown;
}

impl UploadStatus {
    /// Whether the job (or device) will not change any more. `Unknown` (which also covers
    /// undocumented values such as `in-progress`) is treated as still running.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            UploadStatus::Finished | UploadStatus::FinishedWithErrors
        )
    }
}

wire_enum! {
    /// What kind of policy a profile is; in practice always `o_o_b_e`.
    pub enum PolicyCategory {
        None = "none" | 0,
        Oobe = "o_o_b_e" | 1,
        Unknown = "unknown",
    }
    fallback = Unknown;
}

wire_enum! {
    /// One setting of an Autopilot profile (PolicySettingsType; flags in .NET, names on the
    /// wire).
    pub enum PolicySetting {
        None = "none" | 0,
        RemoveOemPreinstalls = "remove_oem_preinstalls" | 1,
        OobeUserNotLocalAdmin = "oobe_user_not_local_admin" | 2,
        SkipExpressSettings = "skip_express_settings" | 4,
        SkipOemRegistration = "skip_oem_registration" | 8,
        SkipEula = "skip_eula" | 16,
        Unknown = "unknown",
    }
    fallback = Unknown;
}

wire_enum! {
    /// How the partner is related to a customer. Only `reseller` allows Autopilot
    /// registration through Partner Center.
    pub enum RelationshipToPartner {
        None = "none",
        Reseller = "reseller",
        Advisor = "advisor",
        Syndication = "syndication",
        MicrosoftSupport = "microsoft_support",
        Unknown = "unknown",
    }
    fallback = Unknown;
}

mod customers;
mod devices;
mod policies;
#[cfg(test)]
mod tests;

pub use customers::*;
pub use devices::*;
pub use policies::*;
