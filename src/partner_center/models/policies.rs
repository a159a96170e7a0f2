//! Autopilot profiles (configuration policies) and their assignment to devices.

use super::*;

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
    #[serde(default, deserialize_with = "text_or_number")]
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
