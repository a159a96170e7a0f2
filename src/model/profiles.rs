//! Autopilot profiles as the pages show them: what the person setting up a new device will and
//! will not see. Partner Center calls them configuration policies (`docs/partner-center-api.md`
//! §4.2); the pages never show its wire names.

use serde::{Deserialize, Serialize};

use super::CustomerRow;

text_enum! {
    /// One out-of-box setting of a profile, stored and sent under Partner Center's name
    /// (`PolicySettingsType`, §4.3). Its `none` is the empty set, not a setting.
    pub enum OobeSetting {
        SkipExpressSettings = "skip_express_settings",
        OobeUserNotLocalAdmin = "oobe_user_not_local_admin",
        SkipOemRegistration = "skip_oem_registration",
        SkipEula = "skip_eula",
        RemoveOemPreinstalls = "remove_oem_preinstalls",
    }
}

impl OobeSetting {
    /// Its name on the pages (the Partner Center portal's words where it has the setting).
    pub fn name(self) -> &'static str {
        match self {
            OobeSetting::SkipExpressSettings => "Skip privacy settings",
            OobeSetting::OobeUserNotLocalAdmin => "User is not a local administrator",
            OobeSetting::SkipOemRegistration => "Skip the device maker's registration pages",
            OobeSetting::SkipEula => "Skip the license terms",
            OobeSetting::RemoveOemPreinstalls => "Remove the device maker's preinstalled apps",
        }
    }

    /// What the person at the new device will or will not see, in one line.
    pub fn explanation(self) -> &'static str {
        match self {
            OobeSetting::SkipExpressSettings => {
                "They are not asked about privacy settings (location, diagnostics, ads); \
                 Windows uses the organisation's defaults."
            }
            OobeSetting::OobeUserNotLocalAdmin => {
                "The account they sign in with is a standard user on the device, not an \
                 administrator."
            }
            OobeSetting::SkipOemRegistration => {
                "They do not see the device maker's registration and offer pages."
            }
            OobeSetting::SkipEula => {
                "They do not see the Windows license agreement: the organisation accepts it \
                 for them."
            }
            OobeSetting::RemoveOemPreinstalls => {
                "Apps the device maker installed are removed during setup. The Partner Center \
                 portal has no option for this; its API has."
            }
        }
    }
}

/// One profile of a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRow {
    pub id: String,
    pub name: String,
    /// Set when another profile of the customer has the same name (without regard to case):
    /// what tells this one apart on every page.
    pub told_apart: Option<String>,
    pub description: Option<String>,
    pub settings: Vec<OobeSetting>,
    /// Settings Partner Center sent that this dashboard does not know, as it sent them.
    pub unknown_settings: usize,
    pub devices_assigned: Option<u64>,
    /// As the pages show times: `2025-04-17 09:00 UTC`.
    pub created: Option<String>,
    pub changed: Option<String>,
    /// Its `lastModifiedDate` as Partner Center sent it: the change form carries it, and a
    /// change is sent only while the profile still has it.
    pub version: String,
}

impl ProfileRow {
    /// The name as a list or a choice shows it: with what tells it apart, when it needs that.
    pub fn shown_name(&self) -> String {
        match &self.told_apart {
            Some(apart) => format!("{} ({apart})", self.name),
            None => self.name.clone(),
        }
    }
}

/// `/customers/{customerId}/profiles`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfilesView {
    pub customer: CustomerRow,
    /// By name, then by creation.
    pub profiles: Vec<ProfileRow>,
    /// Why this sign-in cannot change profiles, once Partner Center said so
    /// ([`ONLY_ADMIN_AGENTS`]): the page then offers no button that can only fail.
    pub read_only: Option<String>,
}

/// `/customers/{customerId}/profiles/new`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProfileView {
    pub customer: CustomerRow,
    pub read_only: Option<String>,
}

/// `/customers/{customerId}/profiles/{profileId}/edit` and `…/delete`: one profile as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileView {
    pub customer: CustomerRow,
    pub profile: ProfileRow,
    pub read_only: Option<String>,
}

/// The longest profile name the dashboard sends: its own limit (Partner Center publishes
/// none), long enough for any name a person chooses and short enough to read in a list.
pub const PROFILE_NAME_MAX_CHARS: usize = 200;

/// The `profile` a form sends to take the devices' Autopilot profile away.
pub const REMOVE_PROFILE: &str = "none";

/// What a person is told once Partner Center refused them a profile write for their role.
pub const ONLY_ADMIN_AGENTS: &str = "Only Admin agents can create, change and apply Autopilot \
     profiles, and Partner Center refused it to your account (a Sales agent's role, for \
     example). You can see the profiles; ask an Admin agent of your organisation to make the \
     change, or to give you that role.";
