use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::codec::{resource, PageData};
use crate::api::{customer_profile, customer_profiles, new_profile};
use crate::components::{crumbs::Crumbs, done_notice::DoneNotice, loaded::Loaded};
use crate::model::profiles::{
    NewProfileView, OobeSetting, ProfileRow, ProfileView, ProfilesView, PROFILE_NAME_MAX_CHARS,
};
use crate::urls;

/// `/customers/{customerId}/profiles`: the customer's Autopilot profiles, each with what the
/// person setting up a new device will and will not see. A list of blocks, not a table, so
/// that it reads on a phone as on a desk.
#[component]
pub fn ProfilesPage() -> impl IntoView {
    let params = use_params_map();
    let customer = move || params.read().get("customer").unwrap_or_default();
    let data = resource(customer, customer_profiles);
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
    let writable = data.read_only.is_none();
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
                    {data.profiles.into_iter().map(|profile| {
                        let customer = customer.id.clone();
                        view! { <Profile profile customer writable/> }
                    }).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

/// One profile's block; `writable`: with its "Change" and "Delete…" links.
#[component]
fn Profile(profile: ProfileRow, customer: String, writable: bool) -> impl IntoView {
    let address = urls::profile(&customer, &profile.id);
    let actions = writable.then(|| {
        view! {
            <p class="actions">
                <a href=format!("{address}/edit")>{format!("Change {}", profile.shown_name())}</a>
                <a href=format!("{address}/delete")>{format!("Delete {}…", profile.shown_name())}</a>
            </p>
        }
    });
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
            {actions}
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
    let data = resource(customer, new_profile);
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
        Some(why) => {
            view! { <div class="notice warning" role="status"><p>{why}</p></div> }.into_any()
        }
        None => view! {
            <ProfileForm action=urls::profiles(&customer.id) submit="Create the profile"/>
        }
        .into_any(),
    };
    view! {
        <Title text=title/>
        <Crumbs customer=customer.clone() through=vec![profiles] here="New profile"/>
        <h1>"New Autopilot profile"</h1>
        {form}
    }
}

/// The fields of a profile, empty for a new one or filled with `current` to change it (its
/// `version` goes along, so that a change made meanwhile by someone else is not overwritten).
#[component]
fn ProfileForm(
    action: String,
    submit: &'static str,
    #[prop(optional)] current: Option<ProfileRow>,
) -> impl IntoView {
    let name = current.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let description = current
        .as_ref()
        .and_then(|p| p.description.clone())
        .unwrap_or_default();
    let chosen = current
        .as_ref()
        .map(|p| p.settings.clone())
        .unwrap_or_default();
    let version = current.map(|p| p.version);
    view! {
        <form method="post" action=action class="profile-form">
            {version.map(|version| view! { <input type="hidden" name="version" value=version/> })}
            <label for="name">"Name"</label>
            <input id="name" name="name" value=name required maxlength=PROFILE_NAME_MAX_CHARS.to_string() autocomplete="off"/>
            <p class="muted">"Staff pick profiles by name: it must differ from the customer's other profiles."</p>
            <label for="description">"Description (optional)"</label>
            <input id="description" name="description" value=description autocomplete="off"/>
            <fieldset>
                <legend>"What the person setting up the device will see"</legend>
                <p class="muted">"Leave every box clear and they see every page of Windows setup."</p>
                {OobeSetting::ALL.iter().map(|setting| {
                    let id = format!("setting-{}", setting.as_str());
                    let checked = chosen.contains(setting);
                    view! {
                        <div class="setting">
                            <input type="checkbox" id=id.clone() name="setting" value=setting.as_str() checked=checked/>
                            <label for=id>
                                <strong>{setting.name()}</strong>
                                <span class="muted">{setting.explanation()}</span>
                            </label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <button type="submit">{submit}</button>
        </form>
    }
}

/// `/customers/{customerId}/profiles/{profileId}/edit`: the profile's form, filled with what
/// it is now. Posts to `…/profiles/{profileId}`.
#[component]
pub fn EditProfilePage() -> impl IntoView {
    let data = profile_resource();
    view! {
        <Loaded data title="Change a profile" loading="Loading the profile…" show=move |data| view! { <EditProfile data/> }/>
    }
}

/// The profile the address names.
fn profile_resource() -> PageData<ProfileView> {
    let params = use_params_map();
    let key = move || {
        let params = params.read();
        (
            params.get("customer").unwrap_or_default(),
            params.get("profile").unwrap_or_default(),
        )
    };
    resource(key, |(customer, profile)| {
        customer_profile(customer, profile)
    })
}

#[component]
fn EditProfile(data: ProfileView) -> impl IntoView {
    let ProfileView {
        customer,
        profile,
        read_only,
    } = data;
    let title = format!("Change {} · {}", profile.shown_name(), customer.name);
    let profiles = (
        "Autopilot profiles".to_string(),
        urls::profiles(&customer.id),
    );
    let action = urls::profile(&customer.id, &profile.id);
    let here = profile.shown_name();
    let form = match read_only {
        Some(why) => {
            view! { <div class="notice warning" role="status"><p>{why}</p></div> }.into_any()
        }
        None => view! { <ProfileForm action submit="Save the change" current=profile/> }.into_any(),
    };
    view! {
        <Title text=title/>
        <Crumbs customer=customer.clone() through=vec![profiles] here=here/>
        <h1>"Change a profile"</h1>
        <p class="muted">"The devices that have it get the change from Partner Center; nothing is applied again."</p>
        {form}
    }
}

/// `/customers/{customerId}/profiles/{profileId}/delete`: asks before deleting, saying how
/// many devices have the profile.
#[component]
pub fn DeleteProfilePage() -> impl IntoView {
    let data = profile_resource();
    view! {
        <Loaded data title="Delete a profile" loading="Loading the profile…" show=move |data| view! { <DeleteProfile data/> }/>
    }
}

#[component]
fn DeleteProfile(data: ProfileView) -> impl IntoView {
    let ProfileView {
        customer,
        profile,
        read_only,
    } = data;
    let list = urls::profiles(&customer.id);
    let profiles = ("Autopilot profiles".to_string(), list.clone());
    let action = format!("{}/delete", urls::profile(&customer.id, &profile.id));
    let devices = match profile.devices_assigned {
        Some(0) => "No device has it.".to_string(),
        Some(1) => "1 device has it.".to_string(),
        Some(n) => format!("{n} devices have it."),
        None => "Partner Center did not say how many devices have it.".to_string(),
    };
    let form = match read_only {
        Some(why) => {
            view! { <div class="notice warning" role="status"><p>{why}</p></div> }.into_any()
        }
        None => view! {
            <form method="post" action=action class="actions">
                <button type="submit">"Delete the profile"</button>
                <a class="button secondary" href=list>"Cancel"</a>
            </form>
        }
        .into_any(),
    };
    view! {
        <Title text=format!("Delete {} · {}", profile.shown_name(), customer.name)/>
        <Crumbs customer=customer.clone() through=vec![profiles] here=profile.shown_name()/>
        <h1>{format!("Delete “{}”?", profile.shown_name())}</h1>
        <p>{devices}</p>
        <p>
            "What Partner Center does to the devices that have a profile it deletes is not \
             documented. The dashboard's built-in sandbox takes the profile off them \
             (simulated); check the devices in the Partner Center portal afterwards."
        </p>
        {form}
    }
}
