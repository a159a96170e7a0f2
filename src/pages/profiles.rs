use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{customer_profiles, new_profile};
use crate::components::{crumbs::Crumbs, done_notice::DoneNotice, loaded::Loaded};
use crate::model::profiles::{
    NewProfileView, OobeSetting, ProfileRow, ProfilesView, PROFILE_NAME_MAX_CHARS,
};
use crate::urls;

/// `/customers/{customerId}/profiles`: the customer's Autopilot profiles, each with what the
/// person setting up a new device will and will not see. A list of blocks, not a table, so
/// that it reads on a phone as on a desk.
#[component]
pub fn ProfilesPage() -> impl IntoView {
    let params = use_params_map();
    let customer = move || params.read().get("customer").unwrap_or_default();
    let data = Resource::new(customer, customer_profiles);
    view! {
        <DoneNotice/>
        <Loaded data title="Autopilot profiles" loading="Loading the profiles…" show=move |data| view! { <Profiles data/> }/>
    }
}

#[component]
fn Profiles(data: ProfilesView) -> impl IntoView {
    let customer = data.customer;
    let title = format!("Autopilot profiles · {}", customer.name);
    let empty = data.profiles.is_empty();
    view! {
        <Title text=title/>
        <Crumbs customer=customer.clone() here="Autopilot profiles"/>
        <h1>"Autopilot profiles"</h1>
        <p class="muted">
            "A profile decides what the person who turns on a new device sees while Windows sets \
             itself up. Partner Center applies one to a device; a device has at most one."
        </p>
        {match data.read_only {
            Some(why) => view! { <div class="notice warning" role="status"><p>{why}</p></div> }.into_any(),
            None => view! {
                <p class="actions"><a class="button" href=urls::new_profile(&customer.id)>"New profile"</a></p>
            }.into_any(),
        }}
        {if empty {
            view! { <p>"This customer has no Autopilot profiles yet."</p> }.into_any()
        } else {
            view! {
                <div class="profiles">
                    {data.profiles.into_iter().map(|profile| view! { <Profile profile/> }).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn Profile(profile: ProfileRow) -> impl IntoView {
    let assigned = match profile.devices_assigned {
        Some(1) => "1 device has it".to_string(),
        Some(n) => format!("{n} devices have it"),
        None => "Partner Center did not say how many devices have it".to_string(),
    };
    let dates = match (&profile.created, &profile.changed) {
        (Some(created), Some(changed)) if created != changed => {
            format!("Created {created}, last changed {changed}.")
        }
        (Some(created), _) => format!("Created {created}."),
        (None, Some(changed)) => format!("Last changed {changed}."),
        (None, None) => String::new(),
    };
    let unknown = (profile.unknown_settings > 0).then(|| {
        let n = profile.unknown_settings;
        let these = if n == 1 { "a setting" } else { "settings" };
        view! {
            <li>{format!("And {these} this dashboard does not know ({n}); the Partner Center portal shows it.")}</li>
        }
    });
    let settings = if profile.settings.is_empty() && profile.unknown_settings == 0 {
        view! { <p>"No setting: the person sees every page of Windows setup."</p> }.into_any()
    } else {
        view! {
            <ul class="settings">
                {profile.settings.iter().map(|setting| view! {
                    <li><strong>{setting.name()}</strong>": "{setting.explanation()}</li>
                }).collect_view()}
                {unknown}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="profile" aria-label=profile.shown_name()>
            <h2>{profile.name.clone()}</h2>
            {profile.told_apart.clone().map(|apart| view! {
                <p class="warning-text">{format!("Another profile of this customer has the same name: this one is the one {apart}.")}</p>
            })}
            {profile.description.clone().map(|description| view! { <p>{description}</p> })}
            {settings}
            <p class="muted">{format!("{assigned}. {dates}")}</p>
        </section>
    }
}

/// `/customers/{customerId}/profiles/new`: a name, an optional description and the settings,
/// each saying what the person at the new device will or will not see. A plain form post
/// (`POST …/profiles`), so it works with JavaScript off.
#[component]
pub fn NewProfilePage() -> impl IntoView {
    let params = use_params_map();
    let customer = move || params.read().get("customer").unwrap_or_default();
    let data = Resource::new(customer, new_profile);
    view! {
        <Loaded data title="New Autopilot profile" loading="Loading…" show=move |data| view! { <NewProfile data/> }/>
    }
}

#[component]
fn NewProfile(data: NewProfileView) -> impl IntoView {
    let customer = data.customer;
    let title = format!("New Autopilot profile · {}", customer.name);
    let profiles = (
        "Autopilot profiles".to_string(),
        urls::profiles(&customer.id),
    );
    let form = match data.read_only {
        Some(why) => view! { <div class="notice warning" role="status"><p>{why}</p></div> }.into_any(),
        None => view! {
            <form method="post" action=urls::profiles(&customer.id) class="profile-form">
                <label for="name">"Name"</label>
                <input id="name" name="name" required maxlength=PROFILE_NAME_MAX_CHARS.to_string() autocomplete="off"/>
                <p class="muted">"Staff pick profiles by name: it must differ from the customer's other profiles."</p>
                <label for="description">"Description (optional)"</label>
                <input id="description" name="description" autocomplete="off"/>
                <fieldset>
                    <legend>"What the person setting up the device will see"</legend>
                    <p class="muted">"Leave every box clear and they see every page of Windows setup."</p>
                    {OobeSetting::ALL.iter().map(|setting| {
                        let id = format!("setting-{}", setting.as_str());
                        view! {
                            <div class="setting">
                                <input type="checkbox" id=id.clone() name="setting" value=setting.as_str()/>
                                <label for=id>
                                    <strong>{setting.name()}</strong>
                                    <span class="muted">{setting.explanation()}</span>
                                </label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit">"Create the profile"</button>
            </form>
        }.into_any(),
    };
    view! {
        <Title text=title/>
        <Crumbs customer=customer.clone() through=vec![profiles] here="New profile"/>
        <h1>"New Autopilot profile"</h1>
        {form}
    }
}
