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
use super::wire::{
    count_opt, datetime_opt, null_as_default, string_or_number_opt, EnumValue, Link,
};

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

/// A customer of the partner. Its `id` is the customer's Entra tenant id, used in every
/// device path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: CustomerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commerce_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub company_profile: CompanyProfile,
    #[serde(default)]
    pub relationship_to_partner: RelationshipToPartner,
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_domains: Vec<String>,
    /// Only present on get-by-id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_delegated_access: Option<bool>,
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub associated_partner_id: Option<String>,
}

impl Customer {
    /// The best name to show: company name, else the default domain, else the tenant id.
    pub fn display_name(&self) -> String {
        let profile = &self.company_profile;
        [&profile.company_name, &profile.domain]
            .into_iter()
            .map(|name| name.trim())
            .find(|name| !name.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| self.id.to_string())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The default (`…onmicrosoft.com`) domain; empty if the service sent none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub domain: String,
    /// Empty if the service sent none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub company_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Which customer field a search matches (with `starts_with`, case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerFilterField {
    CompanyName,
    Domain,
}

impl CustomerFilterField {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerFilterField::CompanyName => "CompanyName",
            CustomerFilterField::Domain => "Domain",
        }
    }
}

/// A customer search: the only operator Partner Center supports is `starts_with`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFilter {
    pub field: CustomerFilterField,
    pub value: String,
}

impl CustomerFilter {
    /// The `filter` query parameter as the SDK writes it (PascalCase keys):
    /// `{"Field":"CompanyName","Value":"cont","Operator":"starts_with"}`.
    pub fn to_query_value(&self) -> String {
        #[derive(Serialize)]
        struct Filter<'a> {
            #[serde(rename = "Field")]
            field: &'a str,
            #[serde(rename = "Value")]
            value: &'a str,
            #[serde(rename = "Operator")]
            operator: &'a str,
        }
        let filter = Filter {
            field: self.field.as_str(),
            value: &self.value,
            operator: "starts_with",
        };
        // Serialising three string fields cannot fail; fall back to an empty object anyway
        // rather than panic.
        serde_json::to_string(&filter).unwrap_or_else(|_| String::from("{}"))
    }
}

/// The first-page parameters of a customer listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    pub filter: Option<CustomerFilter>,
    /// Page size; `None` (or 0) lets the service choose (500).
    pub size: Option<u32>,
}

/// A device batch ("device list" in the Partner Center UI). There is no route to fetch one
/// batch; batches are only listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "DeviceBatchWire")]
pub struct DeviceBatch {
    /// The name chosen at creation (free text). Kept as a plain string because batches
    /// created elsewhere need not follow our [`super::ids::BatchId`] rules.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices_link: Option<Link>,
    /// Seen in a doc example only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<UploadStatus>,
}

/// The docs' table says `deviceCount`, the SDK and the examples `devicesCount`. A serde
/// alias would fail on a body that carries both, so both are read and merged.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceBatchWire {
    #[serde(default, deserialize_with = "null_as_default")]
    id: String,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default, deserialize_with = "datetime_opt")]
    creation_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "count_opt")]
    devices_count: Option<u64>,
    #[serde(default, deserialize_with = "count_opt")]
    device_count: Option<u64>,
    #[serde(default)]
    devices_link: Option<Link>,
    #[serde(default)]
    status: Option<UploadStatus>,
}

impl From<DeviceBatchWire> for DeviceBatch {
    fn from(wire: DeviceBatchWire) -> Self {
        DeviceBatch {
            id: wire.id,
            created_by: wire.created_by,
            creation_date: wire.creation_date,
            devices_count: wire.devices_count.or(wire.device_count),
            devices_link: wire.devices_link,
            status: wire.status,
        }
    }
}

/// A profile assigned to a device: `{"key": "o_o_b_e", "value": "<policy id>"}`; a `null`
/// value means no profile of that category (and is how an assignment is removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyAssignment {
    #[serde(default)]
    pub key: PolicyCategory,
    #[serde(default)]
    pub value: Option<String>,
}

impl PolicyAssignment {
    /// Assigns the Autopilot (OOBE) profile `policy_id`, or removes it with `None`.
    pub fn oobe(policy_id: Option<String>) -> Self {
        PolicyAssignment {
            key: PolicyCategory::Oobe,
            value: policy_id,
        }
    }
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Service-assigned and opaque (usually a GUID, not always).
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub serial_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub product_key: Option<String>,
    /// Usually not echoed when listing.
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub hardware_hash: Option<String>,
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub model_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub oem_manufacturer_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub policies: Vec<PolicyAssignment>,
    #[serde(
        default,
        deserialize_with = "datetime_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub uploaded_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub allowed_operations: Vec<String>,
}

impl Device {
    /// The id of the assigned Autopilot profile, if any.
    pub fn oobe_policy_id(&self) -> Option<&str> {
        self.policies
            .iter()
            .find(|p| p.key == PolicyCategory::Oobe)
            .and_then(|p| p.value.as_deref())
    }
}

/// A device as we upload it: only identifiers, and only those we have. The service accepts
/// hash (± product key ± serial), product key alone, or serial + manufacturer + model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewDevice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oem_manufacturer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
}

/// The status of an asynchronous job (`GET …/batchJobStatus/{trackingId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchUploadDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_tracking_id: Option<String>,
    #[serde(default)]
    pub status: UploadStatus,
    #[serde(
        default,
        deserialize_with = "datetime_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub started_time: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "datetime_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub completed_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub devices_status: Vec<DeviceUploadDetails>,
}

impl BatchUploadDetails {
    /// Whether the job is done. A done job may still contain failed devices.
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// The devices that carry an error code or failed status.
    pub fn failed_devices(&self) -> impl Iterator<Item = &DeviceUploadDetails> {
        self.devices_status.iter().filter(|d| d.is_failure())
    }
}

/// The outcome for one device of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceUploadDetails {
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub device_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub serial_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub product_key: Option<String>,
    #[serde(default)]
    pub status: UploadStatus,
    /// A ZTD error number such as `"808"` (sent as string or number), or a name.
    #[serde(
        default,
        deserialize_with = "string_or_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// The error's name, e.g. `ZtdDeviceAssignedToOtherTenant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl DeviceUploadDetails {
    /// A device failed if it carries an error code or ended as `finished_with_errors`.
    pub fn is_failure(&self) -> bool {
        self.error_code.is_some() || self.status == UploadStatus::FinishedWithErrors
    }
}

/// An Autopilot profile created in Partner Center.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "ConfigurationPolicyWire")]
pub struct ConfigurationPolicy {
    /// Server-assigned GUID; required to update or delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub category: PolicyCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Read-only; the service ignores it on update. Sent under the name the REST examples
    /// use.
    #[serde(rename = "devicesAssigned", skip_serializing_if = "Option::is_none")]
    pub devices_assigned_count: Option<u64>,
    pub policy_settings: Vec<PolicySetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

/// The SDK says `devicesAssignedCount`, every REST example `devicesAssigned`, and the
/// sandbox sends both; read both and prefer the SDK's name.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigurationPolicyWire {
    #[serde(default, deserialize_with = "string_or_number_opt")]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    category: PolicyCategory,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "count_opt")]
    devices_assigned_count: Option<u64>,
    #[serde(default, deserialize_with = "count_opt")]
    devices_assigned: Option<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    policy_settings: Vec<PolicySetting>,
    #[serde(default, deserialize_with = "datetime_opt")]
    created_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "datetime_opt")]
    last_modified_date: Option<DateTime<Utc>>,
}

impl From<ConfigurationPolicyWire> for ConfigurationPolicy {
    fn from(wire: ConfigurationPolicyWire) -> Self {
        ConfigurationPolicy {
            id: wire.id,
            name: wire.name,
            category: wire.category,
            description: wire.description,
            devices_assigned_count: wire.devices_assigned_count.or(wire.devices_assigned),
            policy_settings: wire.policy_settings,
            created_date: wire.created_date,
            last_modified_date: wire.last_modified_date,
        }
    }
}

/// A profile to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPolicy {
    pub name: String,
    pub category: PolicyCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub policy_settings: Vec<PolicySetting>,
}

impl NewPolicy {
    /// An Autopilot (OOBE) profile, the only category in use.
    pub fn oobe(name: impl Into<String>, policy_settings: Vec<PolicySetting>) -> Self {
        NewPolicy {
            name: name.into(),
            category: PolicyCategory::Oobe,
            description: None,
            policy_settings,
        }
    }
}

/// One device's new profile assignments, for `PATCH …/DevicePolicyUpdates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevicePolicyUpdate {
    pub id: String,
    pub policies: Vec<PolicyAssignment>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::wire::from_slice;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn upload_status_reads_documented_and_undocumented_values() {
        let read = |json: &str| serde_json::from_str::<UploadStatus>(json).unwrap();
        assert_eq!(read(r#""queued""#), UploadStatus::Queued);
        assert_eq!(read(r#""processing""#), UploadStatus::Processing);
        assert_eq!(read(r#""finished""#), UploadStatus::Finished);
        assert_eq!(
            read(r#""finished_with_errors""#),
            UploadStatus::FinishedWithErrors
        );
        assert_eq!(
            read(r#""FinishedWithErrors""#),
            UploadStatus::FinishedWithErrors
        );
        assert_eq!(read(r#""in-progress""#), UploadStatus::Unknown);
        assert_eq!(read(r#""unknown""#), UploadStatus::Unknown);
        assert_eq!(read("4"), UploadStatus::FinishedWithErrors);
        assert_eq!(read("99"), UploadStatus::Unknown);
        assert_eq!(read("null"), UploadStatus::Unknown);
    }

    #[test]
    fn only_finished_states_are_terminal() {
        let terminal: Vec<_> = UploadStatus::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [&UploadStatus::Finished, &UploadStatus::FinishedWithErrors]
        );
    }

    #[test]
    fn enums_are_written_with_their_wire_names() {
        assert_eq!(
            serde_json::to_value(UploadStatus::FinishedWithErrors).unwrap(),
            json!("finished_with_errors")
        );
        assert_eq!(
            serde_json::to_value(PolicyCategory::Oobe).unwrap(),
            json!("o_o_b_e")
        );
        assert_eq!(
            serde_json::to_value(PolicySetting::OobeUserNotLocalAdmin).unwrap(),
            json!("oobe_user_not_local_admin")
        );
        for setting in PolicySetting::ALL {
            let text = serde_json::to_string(setting).unwrap();
            assert_eq!(
                &serde_json::from_str::<PolicySetting>(&text).unwrap(),
                setting
            );
        }
    }

    #[test]
    fn policy_category_and_settings_accept_sdk_integers_and_casing() {
        assert_eq!(
            serde_json::from_str::<PolicyCategory>(r#""OOBE""#).unwrap(),
            PolicyCategory::Oobe
        );
        assert_eq!(
            serde_json::from_str::<PolicyCategory>("1").unwrap(),
            PolicyCategory::Oobe
        );
        assert_eq!(
            serde_json::from_str::<PolicySetting>("16").unwrap(),
            PolicySetting::SkipEula
        );
        assert_eq!(
            serde_json::from_str::<PolicySetting>(r#""hide_cortana""#).unwrap(),
            PolicySetting::Unknown
        );
    }

    #[test]
    fn customer_from_get_by_id_with_bom_and_extras() {
        let body = "\u{feff}{\"id\":\"8B7C6A1E-0000-4000-8000-000000000001\",\
            \"commerceId\":\"bbb6b7a4-0000-4000-8000-00000000000b\",\
            \"companyProfile\":{\"tenantId\":\"8b7c6a1e-0000-4000-8000-000000000001\",\
            \"domain\":\"contoso.onmicrosoft.com\",\"companyName\":\"Contoso\",\
            \"links\":{\"self\":{\"uri\":\"/customers/x/profiles/company\",\"method\":\"GET\",\"headers\":[]}},\
            \"attributes\":{\"objectType\":\"CustomerCompanyProfile\"}},\
            \"billingProfile\":{\"id\":\"x\"},\"relationshipToPartner\":\"reseller\",\
            \"allowDelegatedAccess\":true,\"customDomains\":[\"contoso.com\"],\
            \"associatedPartnerId\":null,\
            \"links\":{\"self\":{\"uri\":\"/customers/x\",\"method\":\"GET\",\"headers\":[]}},\
            \"attributes\":{\"objectType\":\"Customer\"}}";
        let customer: Customer = from_slice(body.as_bytes()).unwrap();
        assert_eq!(
            customer.id.to_string(),
            "8b7c6a1e-0000-4000-8000-000000000001"
        );
        assert_eq!(customer.company_profile.domain, "contoso.onmicrosoft.com");
        assert_eq!(customer.display_name(), "Contoso");
        assert_eq!(
            customer.relationship_to_partner,
            RelationshipToPartner::Reseller
        );
        assert_eq!(customer.custom_domains, vec!["contoso.com".to_string()]);
        assert_eq!(customer.allow_delegated_access, Some(true));
        assert_eq!(customer.associated_partner_id, None);
    }

    #[test]
    fn sparse_customer_from_a_listing() {
        let customer: Customer = serde_json::from_value(json!({
            "id": "8b7c6a1e-0000-4000-8000-000000000002",
            "companyProfile": {"domain": "fabrikam.onmicrosoft.com"},
            "relationshipToPartner": "some_future_relationship",
            "customDomains": null
        }))
        .unwrap();
        assert_eq!(
            customer.relationship_to_partner,
            RelationshipToPartner::Unknown
        );
        assert!(customer.custom_domains.is_empty());
        assert_eq!(customer.display_name(), "fabrikam.onmicrosoft.com");
        let bare: Customer =
            serde_json::from_value(json!({"id": "8b7c6a1e-0000-4000-8000-000000000003"})).unwrap();
        assert_eq!(bare.display_name(), "8b7c6a1e-0000-4000-8000-000000000003");
    }

    #[test]
    fn device_batch_reads_either_count_name_and_both_at_once() {
        let batch: DeviceBatch = serde_json::from_value(json!({
            "id": "Test batch",
            "creationDate": "2017-07-25T10:00:00",
            "devicesCount": 2,
            "devicesLink": {"uri": "/customers/x/deviceBatches/Test batch/devices", "method": "GET", "headers": []},
            "status": "finished",
            "attributes": {"objectType": "DeviceBatch"}
        }))
        .unwrap();
        assert_eq!(batch.id, "Test batch");
        assert_eq!(batch.devices_count, Some(2));
        assert_eq!(
            batch.creation_date,
            Some(Utc.with_ymd_and_hms(2017, 7, 25, 10, 0, 0).unwrap())
        );
        assert_eq!(batch.status, Some(UploadStatus::Finished));
        assert!(batch.devices_link.is_some());

        let old: DeviceBatch =
            serde_json::from_value(json!({"id": "b", "deviceCount": 7, "createdBy": "Contoso"}))
                .unwrap();
        assert_eq!(old.devices_count, Some(7));
        assert_eq!(old.created_by.as_deref(), Some("Contoso"));
        assert_eq!(old.status, None);

        let both: DeviceBatch =
            serde_json::from_value(json!({"id": "b", "deviceCount": 7, "devicesCount": 8}))
                .unwrap();
        assert_eq!(both.devices_count, Some(8));
        let neither: DeviceBatch = serde_json::from_value(json!({"id": "b"})).unwrap();
        assert_eq!(neither.devices_count, None);
    }

    #[test]
    fn device_from_a_listing() {
        let device: Device = serde_json::from_value(json!({
            "id": "7c14e1b6-0000-4000-8000-000000000001",
            "serialNumber": "PF3ABC12",
            "productKey": "",
            "modelName": "Surface Laptop 5",
            "oemManufacturerName": "Microsoft Corporation",
            "policies": [{"key": "o_o_b_e", "value": "56ed0000-0000-4000-8000-000000000001"}],
            "uploadedDate": "2024-05-02T09:00:05.1234567Z",
            "attributes": {"objectType": "Device"}
        }))
        .unwrap();
        assert_eq!(
            device.id.as_deref(),
            Some("7c14e1b6-0000-4000-8000-000000000001")
        );
        assert_eq!(device.serial_number.as_deref(), Some("PF3ABC12"));
        assert_eq!(device.product_key, None, "blank product key reads as none");
        assert_eq!(device.hardware_hash, None);
        assert_eq!(
            device.oobe_policy_id(),
            Some("56ed0000-0000-4000-8000-000000000001")
        );
        assert!(device.uploaded_date.is_some());
        assert!(device.allowed_operations.is_empty());

        let unassigned: Device = serde_json::from_value(json!({
            "id": "9993-8627-3608-6844-6369-4361-72",
            "policies": [{"key": "o_o_b_e", "value": null}],
            "allowedOperations": ["GET", "DELETE"]
        }))
        .unwrap();
        assert_eq!(unassigned.oobe_policy_id(), None);
        assert_eq!(unassigned.allowed_operations, vec!["GET", "DELETE"]);
    }

    #[test]
    fn new_devices_send_only_what_they_have_in_camel_case() {
        let device = NewDevice {
            serial_number: Some("5CG1234XYZ".into()),
            oem_manufacturer_name: Some("HP".into()),
            model_name: Some("HP EliteBook 840 G8 Notebook PC".into()),
            ..NewDevice::default()
        };
        assert_eq!(
            serde_json::to_value(&device).unwrap(),
            json!({"serialNumber": "5CG1234XYZ", "oemManufacturerName": "HP",
                   "modelName": "HP EliteBook 840 G8 Notebook PC"})
        );
        let hashed = NewDevice {
            hardware_hash: Some("T0H=".into()),
            product_key: Some("00329-00000-0003-AA606".into()),
            ..NewDevice::default()
        };
        assert_eq!(
            serde_json::to_value(&hashed).unwrap(),
            json!({"hardwareHash": "T0H=", "productKey": "00329-00000-0003-AA606"})
        );
    }

    #[test]
    fn job_status_example_from_the_reference() {
        let body = br#"{"batchTrackingId":"3d9e5c1a-7b61-4f7e-9c55-0f6c2d7e8a10","status":"finished",
 "startedTime":"2024-05-02T09:00:01Z","completedTime":"2024-05-02T09:00:09Z",
 "devicesStatus":[
  {"deviceId":"c2f0","serialNumber":"PF3ABC12","productKey":null,"status":"finished",
   "errorCode":null,"errorDescription":null,"attributes":{"objectType":"DeviceUploadDetails"}},
  {"serialNumber":"5CG1234XYZ","status":"finished_with_errors","errorCode":808,
   "errorDescription":"ZtdDeviceAssignedToOtherTenant","attributes":{"objectType":"DeviceUploadDetails"}}],
 "attributes":{"objectType":"BatchUploadDetails"}}"#;
        let job: BatchUploadDetails = from_slice(body).unwrap();
        assert!(job.is_terminal());
        assert_eq!(job.status, UploadStatus::Finished);
        assert_eq!(
            job.completed_time,
            Some(Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 9).unwrap())
        );
        assert_eq!(job.devices_status.len(), 2);
        let failed: Vec<_> = job.failed_devices().collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].error_code.as_deref(), Some("808"));
        assert_eq!(
            failed[0].error_description.as_deref(),
            Some("ZtdDeviceAssignedToOtherTenant")
        );
        assert_eq!(failed[0].device_id, None);
    }

    #[test]
    fn a_queued_job_without_times_or_devices() {
        let job: BatchUploadDetails = from_slice(
            b"\xEF\xBB\xBF{\"status\":\"in-progress\",\"startedTime\":null,\"devicesStatus\":null}",
        )
        .unwrap();
        assert_eq!(job.status, UploadStatus::Unknown);
        assert!(!job.is_terminal());
        assert!(job.devices_status.is_empty());
        assert_eq!(job.started_time, None);
    }

    #[test]
    fn policy_reads_either_assigned_count_name_and_both_at_once() {
        let body = "\u{feff}{\"id\":\"56ed0000-0000-4000-8000-000000000001\",\"name\":\"Retail\",\
            \"category\":\"o_o_b_e\",\"description\":\"Kiosks\",\"devicesAssigned\":3,\
            \"devicesAssignedCount\":3,\"policySettings\":[\"skip_eula\",\"remove_oem_preinstalls\"],\
            \"createdDate\":\"2017-07-25T11:03:03.8457088-07:00\",\
            \"lastModifiedDate\":\"2017-07-25T11:03:03.8457088-07:00\",\
            \"attributes\":{\"objectType\":\"ConfigurationPolicy\"}}";
        let policy: ConfigurationPolicy = from_slice(body.as_bytes()).unwrap();
        assert_eq!(policy.devices_assigned_count, Some(3));
        assert_eq!(policy.category, PolicyCategory::Oobe);
        assert_eq!(
            policy.policy_settings,
            vec![PolicySetting::SkipEula, PolicySetting::RemoveOemPreinstalls]
        );
        assert!(policy.created_date.is_some());

        let docs: ConfigurationPolicy = serde_json::from_value(json!({
            "id": "p", "name": "n", "category": "o_o_b_e", "devicesAssigned": 5,
            "policySettings": ["skip_express_settings"]
        }))
        .unwrap();
        assert_eq!(docs.devices_assigned_count, Some(5));
        let sdk: ConfigurationPolicy = serde_json::from_value(json!({
            "id": "p", "name": "n", "devicesAssignedCount": 6, "policySettings": null
        }))
        .unwrap();
        assert_eq!(sdk.devices_assigned_count, Some(6));
        assert!(sdk.policy_settings.is_empty());
    }

    #[test]
    fn policy_is_written_back_whole_in_camel_case() {
        let policy = ConfigurationPolicy {
            id: Some("p".into()),
            name: Some("Retail".into()),
            category: PolicyCategory::Oobe,
            description: None,
            devices_assigned_count: Some(2),
            policy_settings: vec![PolicySetting::SkipEula],
            created_date: None,
            last_modified_date: None,
        };
        assert_eq!(
            serde_json::to_value(&policy).unwrap(),
            json!({"id": "p", "name": "Retail", "category": "o_o_b_e", "devicesAssigned": 2,
                   "policySettings": ["skip_eula"]})
        );
        let round: ConfigurationPolicy =
            serde_json::from_value(serde_json::to_value(&policy).unwrap()).unwrap();
        assert_eq!(round, policy);
    }

    #[test]
    fn new_policy_and_assignment_bodies() {
        let mut policy = NewPolicy::oobe("Retail", vec![PolicySetting::SkipEula]);
        assert_eq!(
            serde_json::to_value(&policy).unwrap(),
            json!({"name": "Retail", "category": "o_o_b_e", "policySettings": ["skip_eula"]})
        );
        policy.description = Some("Kiosks".into());
        assert_eq!(
            serde_json::to_value(&policy).unwrap()["description"],
            "Kiosks"
        );

        let update = DevicePolicyUpdate {
            id: "9993-8627-3608-6844-6369-4361-72".into(),
            policies: vec![PolicyAssignment::oobe(None)],
        };
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            json!({"id": "9993-8627-3608-6844-6369-4361-72",
                   "policies": [{"key": "o_o_b_e", "value": null}]})
        );
    }

    #[test]
    fn customer_filter_is_serialised_like_the_sdk() {
        let filter = CustomerFilter {
            field: CustomerFilterField::CompanyName,
            value: "cont\"oso".into(),
        };
        assert_eq!(
            filter.to_query_value(),
            r#"{"Field":"CompanyName","Value":"cont\"oso","Operator":"starts_with"}"#
        );
        let domain = CustomerFilter {
            field: CustomerFilterField::Domain,
            value: "fab".into(),
        };
        assert_eq!(
            domain.to_query_value(),
            r#"{"Field":"Domain","Value":"fab","Operator":"starts_with"}"#
        );
    }
}
