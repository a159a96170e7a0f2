//! A customer of the partner, and how customers are searched.

use super::*;

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
        deserialize_with = "text_or_number",
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
