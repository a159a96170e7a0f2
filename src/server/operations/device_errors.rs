//! Partner Center's per-device error codes in plain words, each with the next step. Shown on
//! the job page and a profile assignment's page, and written into the failed-rows download, so a person who has never heard
//! of "808" knows what to do.

/// The error code stored for a device that Partner Center finished a job without reporting.
pub const UNREPORTED: &str = "OutcomeUnknown";
pub use crate::model::devices::{ALREADY_IN_THIS_CUSTOMER, REGISTERED_ELSEWHERE};

/// What went wrong with one device and what to do about it. `code` is the number (`808`) or,
/// for the errors Microsoft documents without one, the name; `description` is Partner
/// Center's name for it (`ZtdDeviceAssignedToOtherTenant`).
pub fn explain(code: Option<&str>, description: Option<&str>) -> String {
    let name = description.unwrap_or_default();
    let known = match code.unwrap_or(name) {
        "801" => "Partner Center could not read the request for this device. Upload it again; if it fails again, open a Partner Center support case with the request id.",
        "802" => "Partner Center did not accept the hardware hash: it is damaged or lacks the manufacturer or serial data. Capture the hash again on the device with Get-WindowsAutopilotInfo and upload the new one.",
        "803" => "The device had neither a usable serial number nor a product key. Add the serial number with manufacturer and model, the product key, or the hardware hash, and upload it again.",
        ALREADY_IN_THIS_CUSTOMER => "This device is already registered to this customer: nothing more to do. Remove it from the file if you upload the list again.",
        "807" => "The device is not registered to this customer, so it cannot be changed or removed here.",
        REGISTERED_ELSEWHERE => "This device is registered to another organisation. The previous owner (or the reseller who registered it) must deregister it; otherwise open a Microsoft support case with proof of purchase. Then upload it again.",
        "809" => "The profile is not registered to this customer in Partner Center: it was deleted, or never existed here. Open the customer's profiles, choose one that is listed, and apply it again.",
        "810" => "The profile belongs to another customer: a profile applies only to the devices of the customer it was made for. Choose one of this customer's profiles and apply it again.",
        "811" => "Another partner registered this device, so only that partner can change or remove it.",
        "812" => "Microsoft has no hardware hash for this serial number or product key: the manufacturer never reported it. Upload the device with its hardware hash (Get-WindowsAutopilotInfo), or ask the manufacturer or distributor to register it.",
        "813" => "The hardware hash matches more than one device, so Partner Center cannot tell which one is meant. Capture the hash again on the device and upload it again; if that fails, open a Microsoft support case.",
        "814" => "The device already exists in the customer's Microsoft Entra ID. Delete it there (Devices › All devices), then upload it again.",
        "ZtdDeviceDuplicated" => "The same device appeared twice in one upload; Partner Center processed the first one only. Check the first one's outcome; nothing more to do for this row.",
        "StorageError" => "Partner Center had a temporary storage problem. Upload the device again later (Retry failed rows).",
        UNREPORTED => "Partner Center finished the job without saying what happened to this device. Look for it in the batch; if it is not there, upload it again (Retry the failed rows).",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let what = match (code, description) {
        (Some(code), Some(name)) if code != name => format!("{code} ({name})"),
        (Some(code), _) => code.to_string(),
        (None, Some(name)) => name.to_string(),
        (None, None) => {
            return "Partner Center reported a failure without a reason. Upload the device again \
                    (Retry failed rows); if it fails again, open a Partner Center support case \
                    with the tracking id shown on this page."
                .to_string()
        }
    };
    format!(
        "Partner Center reported the error {what}, which the dashboard does not know. Open a \
         Partner Center support case with this code and the tracking id shown on this page."
    )
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn known_codes_say_what_to_do_and_names_without_numbers_count_too() {
        assert!(
            explain(Some("808"), Some("ZtdDeviceAssignedToOtherTenant")).contains("previous owner")
        );
        assert!(explain(Some("806"), None).contains("already registered to this customer"));
        assert!(explain(None, Some("ZtdDeviceDuplicated")).contains("twice"));
        assert!(explain(Some("StorageError"), Some("StorageError")).contains("later"));
    }

    #[test]
    fn unknown_codes_are_named_and_never_empty() {
        let message = explain(Some("899"), Some("ZtdSomethingNew"));
        assert!(message.contains("899 (ZtdSomethingNew)"), "{message}");
        assert!(explain(None, None).contains("without a reason"));
    }
}
