//! `/devices?q=…`: a device found by its serial number, product key or hardware hash across
//! the customers the signed-in person can open, from the dashboard's index of them.

use serde::{Deserialize, Serialize};

/// One device found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundDevice {
    pub customer_id: String,
    pub customer_name: String,
    pub batch_id: String,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    /// Manufacturer and model, as one text.
    pub model: Option<String>,
    /// Its Autopilot profile's name (or id).
    pub profile: Option<String>,
    pub uploaded: Option<String>,
}

/// How fresh the index of one customer is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexFreshness {
    pub customer_id: String,
    pub customer_name: String,
    /// "checked 3 minutes ago", or that it was never read yet.
    pub checked: String,
    /// Why the last read failed, if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSearchView {
    pub query: String,
    /// Searching one customer only: its id and name.
    pub customer: Option<super::CustomerRow>,
    pub results: Vec<FoundDevice>,
    /// More matched than are shown: say so, and how to narrow it.
    pub more: bool,
    /// The query was a hardware hash.
    pub by_hash: bool,
    /// Customers searched, each with how fresh its index is: all when they are few, else
    /// those the results are from and those whose last read failed.
    pub freshness: Vec<IndexFreshness>,
    /// How many of the customers searched the index has read.
    pub coverage: IndexCoverage,
    /// How long ago the person's customer list (what they may see) was read.
    pub customer_list_age: String,
    /// Searching one customer whose devices have been found: its profiles, to give them
    /// (profiles belong to a customer, so only a search within one offers them).
    pub profiles: Vec<super::ProfileOption>,
    /// Why this sign-in may not give devices a profile, once Partner Center said so.
    pub profiles_read_only: Option<String>,
}

/// Partner Center's device error "already registered to this customer"
/// (`ZtdDeviceAlreadyAssigned`).
pub const ALREADY_IN_THIS_CUSTOMER: &str = "806";
/// Partner Center's device error "registered to another organisation"
/// (`ZtdDeviceAssignedToOtherTenant`).
pub const REGISTERED_ELSEWHERE: &str = "808";

/// Where the device index finds a device Partner Center refused as already registered (806
/// in this customer, 808 elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Whereabouts {
    /// With a customer the person can open: this one or another of the partner's.
    Found {
        customer_id: String,
        customer_name: String,
        this_customer: bool,
        batch_id: String,
        device_id: String,
        /// Found by its serial number alone (the same serial, perhaps another device), not by
        /// its hash or product key.
        by_serial: bool,
    },
    /// With another of the partner's customers, one the person cannot open.
    Hidden,
}

/// How much of the partner the device index has read, of what the person may open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexCoverage {
    /// Customers read at least once.
    pub read: usize,
    /// Customers the person can open.
    pub of: usize,
}

/// The page of one device Partner Center refused with 808 ("registered to another
/// organisation"): where the index finds it, who can release it, a request to copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusedDeviceView {
    pub customer: super::CustomerRow,
    pub upload_id: String,
    /// Its row in the uploaded file.
    pub row: u32,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    /// The upload held its hardware hash (the request text carries it).
    pub has_hash: bool,
    pub error_code: String,
    pub found: Option<Whereabouts>,
    pub coverage: IndexCoverage,
    /// A request for deregistration, with the device's identifiers filled in.
    pub request_text: String,
}

/// How long ago `seconds` ago was, in words ("just now", "3 minutes ago", "2 hours ago").
pub fn ago(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (n, unit) = match seconds {
        0..=59 => return "just now".to_string(),
        60..=3_599 => (seconds / 60, "minute"),
        3_600..=86_399 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn ages_read_as_words() {
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(60), "1 minute ago");
        assert_eq!(ago(180), "3 minutes ago");
        assert_eq!(ago(7_300), "2 hours ago");
        assert_eq!(ago(200_000), "2 days ago");
    }
}

/// The devices a search's form chose to delete, as the confirmation shows them: grouped by
/// customer (one deletion each), counted, and the first of each named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundToDelete {
    pub query: String,
    /// The search was limited to this customer.
    pub customer: Option<super::CustomerRow>,
    pub selection: super::selection::Selection,
    pub count: usize,
    pub customers: Vec<CustomerDevices>,
}

/// One customer's devices in [`FoundToDelete`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerDevices {
    pub customer: super::CustomerRow,
    pub count: usize,
    /// Serial numbers (or ids) of the first of them.
    pub named: Vec<String>,
}
