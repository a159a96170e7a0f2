use leptos::prelude::*;

use crate::model::profiles::REMOVE_PROFILE;
use crate::model::ProfileOption;

/// The choice of an Autopilot profile for devices (a form's `profile` field): one of the
/// customer's `profiles`, or none (the one they have removed). The batch page and an upload's
/// page put it in their forms.
#[component]
pub fn ProfileChoice(profiles: Vec<ProfileOption>) -> impl IntoView {
    view! {
        <label>"Profile "
            <select name="profile" required>
                <option value="">"Choose…"</option>
                {profiles.into_iter().map(|p| view! { <option value=p.id>{p.label}</option> }).collect_view()}
                <option value=REMOVE_PROFILE>"No profile (remove the one they have)"</option>
            </select>
        </label>
    }
}
