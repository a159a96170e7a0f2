use leptos::prelude::*;

use crate::components::profile_choice::ProfileChoice;
use crate::model::selection::WHICH;
use crate::model::ProfileOption;

/// What a list of devices (a batch's page, a search's results) offers for its ticked
/// devices, or for all of them: a profile given or removed (a post to `apply_to`), or the
/// confirmation of their deletion (a `GET` of `confirm_delete`). One compact box above the
/// table, inside the form whose checkboxes are the table's; each button says where it goes,
/// so the form's own action does not matter.
#[component]
pub fn ActOnChosen(
    /// The second choice's words: "All 263 devices of this batch, on every page".
    #[prop(into)]
    every: String,
    /// The customer's profiles; empty with `no_profiles` saying why none can be given.
    profiles: Vec<ProfileOption>,
    no_profiles: Option<String>,
    #[prop(into)] apply_to: String,
    #[prop(into)] confirm_delete: String,
) -> impl IntoView {
    view! {
        <fieldset class="act-on">
            <legend>"The chosen devices"</legend>
            <p class="choice">
                <label><input type="radio" name=WHICH value="selected" checked/>" The devices ticked below"</label>
                <label><input type="radio" name=WHICH value="all"/>" "{every}</label>
            </p>
            <div class="act-on-buttons">
                {match no_profiles {
                    Some(why) => view! { <p class="hint">{why}</p> }.into_any(),
                    None => view! {
                        <ProfileChoice profiles/>
                        <button type="submit" formaction=apply_to formmethod="post">"Apply the profile"</button>
                    }
                    .into_any(),
                }}
                <button type="submit" class="secondary" formaction=confirm_delete formmethod="get" formnovalidate>
                    "Delete the chosen devices…"
                </button>
            </div>
            <p class="hint">
                "A profile is applied by Partner Center in the background, and the next page \
                 follows it device by device (removing one sends it as empty, as the API \
                 reference describes, not yet confirmed against the real Partner Center). A \
                 deletion is confirmed on the next page."
            </p>
        </fieldset>
    }
}
