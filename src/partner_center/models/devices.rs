//! Device batches, devices, the devices sent to register, and the jobs that register them.

use super::*;

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
///
/// Partner Center's text fields are read leniently: absent, `null` or blank is `None`, and a
/// number (`808`) is its text.
#[serde_with::apply(
    Option<String> => #[serde(default, deserialize_with = "text_or_number", skip_serializing_if = "Option::is_none")],
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Service-assigned and opaque (usually a GUID, not always).
    pub id: Option<String>,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    /// Usually not echoed when listing.
    pub hardware_hash: Option<String>,
    pub model_name: Option<String>,
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
///
/// Partner Center's text fields are read leniently: absent, `null` or blank is `None`, and a
/// number (`808`) is its text.
#[serde_with::apply(
    Option<String> => #[serde(default, deserialize_with = "text_or_number", skip_serializing_if = "Option::is_none")],
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceUploadDetails {
    pub device_id: Option<String>,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    #[serde(default)]
    pub status: UploadStatus,
    /// A ZTD error number such as `"808"` (sent as string or number), or a name.
    pub error_code: Option<String>,
    /// The error's name, e.g. `ZtdDeviceAssignedToOtherTenant`.
    pub error_description: Option<String>,
}

impl DeviceUploadDetails {
    /// A device failed if it carries an error code or ended as `finished_with_errors`.
    pub fn is_failure(&self) -> bool {
        self.error_code.is_some() || self.status == UploadStatus::FinishedWithErrors
    }
}
