use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::codec::resource;
use crate::api::find_devices;
use crate::components::act_on_chosen::ActOnChosen;
use crate::components::local_time::LocalTime;
use crate::components::tick_links::TickLinks;
use crate::components::{done_notice::DoneNotice, loaded::Loaded};
use crate::model::devices::{DeviceSearchView, FoundDevice, IndexCoverage, IndexFreshness};
use crate::model::selection::{found_device, TICKED};
use crate::model::ProfileOption;
use crate::urls;

/// `/devices?q=…&customer=…`: a device found by its serial number (or its start), product key
/// or hardware hash, across the customers the person can open or within one; each result leads
/// to its batch, and each customer says how fresh the dashboard's index of it is, with a
/// button to read it again.
#[component]
pub fn DevicesPage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        let query = query.read();
        (
            query.get("q").unwrap_or_default(),
            query.get("customer").filter(|c| !c.is_empty()),
        )
    };
    let data = resource(key, |(q, customer)| find_devices(q, customer));
    let ticked = Signal::derive(move || super::every_ticked(&query.read()));
    view! {
        <Title text="Find a device"/>
        <DoneNotice/>
        <h1>"Find a device"</h1>
        <Loaded data=data title="Find a device" loading="Searching…" show=move |data| view! { <Search data ticked/> } headed=true/>
    }
}

#[component]
fn Search(data: DeviceSearchView, #[prop(into)] ticked: Signal<bool>) -> impl IntoView {
    let DeviceSearchView {
        query,
        customer,
        results,
        more,
        by_hash,
        freshness,
        coverage,
        customer_list_age,
        profiles,
        profiles_read_only,
    } = data;
    let scope = match &customer {
        Some(c) => format!("in {}", c.name),
        None => "in every customer you can open".to_string(),
    };
    let searched = !query.is_empty();
    let count = results.len();
    let heading = match (searched, count) {
        (false, _) => None,
        (true, 0) => Some(format!("No device matches “{query}” {scope}.")),
        (true, 1) => Some(format!("1 device matches “{query}” {scope}.")),
        (true, n) => Some(format!("{n} devices match “{query}” {scope}.")),
    };
    let customer_id = customer.as_ref().map(|c| c.id.clone()).unwrap_or_default();
    let all_customers = customer.as_ref().map(|_| urls::devices(&query));
    let check_query = query.clone();
    view! {
        <form method="get" action="/devices" class="search" role="search" aria-label="Device search">
            <label for="device-q">"Serial number (or its start), product key or hardware hash"</label>
            <input id="device-q" name="q" type="search" value=query.clone() maxlength="20000"/>
            {(!customer_id.is_empty()).then(|| view! { <input type="hidden" name="customer" value=customer_id.clone()/> })}
            <button type="submit">"Find"</button>
        </form>
        {all_customers.map(|href| view! { <p><a href=href>"Search every customer instead"</a></p> })}
        {heading.map(|h| view! { <h2>{h}</h2> })}
        {(searched && count == 0 && by_hash).then(|| view! {
            <p class="notice">
                "Partner Center does not give out hardware hashes, so the dashboard knows the \
                 hash only of devices uploaded through it. Search by the device's serial number \
                 instead."
            </p>
        })}
        {(count > 0).then(|| view! {
            <Results results query=query.clone() customer=customer.as_ref().map(|c| c.id.clone()) more
                profiles=profiles.clone() profiles_read_only=profiles_read_only.clone() ticked/>
        })}
        {more.then(|| view! { <p class="hint">"More devices match than are shown: type more of the serial number."</p> })}
        <section aria-labelledby="freshness">
            <h2 id="freshness">"What was searched"</h2>
            <p class="hint">
                "The dashboard keeps an index of the devices of the customers it has opened, read \
                 from Partner Center in the background. Your customer list, which decides what you \
                 may see, was read " {customer_list_age} "."
            </p>
            <p>{coverage_words(&coverage, customer.is_some())}</p>
            {(customer.is_none() && coverage.read < coverage.of).then(|| view! {
                <form method="post" action="/devices/read-all" class="inline">
                    <input type="hidden" name="q" value=query.clone()/>
                    <button type="submit" class="secondary">{format!("Read all {} customers now", coverage.of)}</button>
                    <span class="hint">" In the background, a few at a time; those already read are left as they are."</span>
                </form>
            })}
            {if freshness.is_empty() {
                view! { <p>"No customer is in the index yet: open a customer and its devices are read."</p> }.into_any()
            } else {
                view! {
                    <ul class="freshness">
                        {freshness.into_iter().map(|f| view! { <Freshness f query=check_query.clone()/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

fn coverage_words(coverage: &IndexCoverage, one_customer: bool) -> String {
    match (one_customer, coverage.read, coverage.of) {
        (true, 1, _) => "This customer is in the index.".to_string(),
        (true, _, _) => "This customer has not been read into the index yet.".to_string(),
        (false, read, of) if read == of => {
            format!("All {of} customers you can open are in the index.")
        }
        (false, read, of) => format!(
            "{read} of the {of} customers you can open are in the index; a customer is read when \
             someone opens it, or all at once with the button."
        ),
    }
}

/// The devices found, in a form that acts on the ticked ones or on every device the search
/// finds: deleting them (a `GET` of the confirmation page), giving them a profile (a post;
/// within one customer), or exporting them.
#[component]
fn Results(
    results: Vec<FoundDevice>,
    query: String,
    customer: Option<String>,
    more: bool,
    profiles: Vec<ProfileOption>,
    profiles_read_only: Option<String>,
    #[prop(into)] ticked: Signal<bool>,
) -> impl IntoView {
    let all = RwSignal::new(ticked.get_untracked());
    let this_page = urls::devices_in(&query, customer.as_deref());
    let no_profiles = match (&customer, profiles_read_only) {
        (None, _) => Some(
            "To give devices a profile, search within their customer: a profile belongs to one \
             customer."
                .to_string(),
        ),
        (Some(_), why) => why,
    };
    let every = if more {
        "Every device this search finds, also those not shown".to_string()
    } else {
        match results.len() {
            1 => "The one device found".to_string(),
            n => format!("All {n} devices found"),
        }
    };
    let (xlsx, csv) = (
        urls::found_export(&query, customer.as_deref(), "xlsx"),
        urls::found_export(&query, customer.as_deref(), "csv"),
    );
    view! {
        <p class="actions">
            "Every device found: "
            <a href=xlsx download="">"Export as Excel (XLSX)"</a>
            <a href=csv download="">"Export as CSV"</a>
        </p>
        <form method="get" action=urls::DELETE_FOUND class="found-devices">
            <input type="hidden" name="q" value=query/>
            {customer.map(|c| view! { <input type="hidden" name="customer" value=c/> })}
            <ActOnChosen every profiles no_profiles apply_to=urls::APPLY_PROFILE_TO_FOUND
            confirm_delete=urls::DELETE_FOUND/>
        <TickLinks this_page all every_label="Tick every device shown"/>
        <table class="devices">
                <thead><tr>
                    <th scope="col" class="pick"><span class="visually-hidden">"Select"</span></th>
                    <th scope="col">"Serial number"</th><th scope="col">"Customer"</th>
                    <th scope="col">"Batch"</th><th scope="col">"Product key"</th>
                    <th scope="col">"Manufacturer and model"</th><th scope="col">"Autopilot profile"</th>
                    <th scope="col">"Uploaded"</th>
                </tr></thead>
                <tbody>
                    {results.into_iter().map(|d| {
                        let batch = urls::batch(&d.customer_id, &d.batch_id, 1);
                        let customer = urls::batches(&d.customer_id);
                        let name = d.serial_number.clone().unwrap_or_else(|| d.device_id.clone());
                        let value = found_device(&d.customer_id, &d.device_id);
                        view! {
                            <tr>
                                <td class="pick"><input type="checkbox" name=TICKED value=value aria-label=format!("Select {name}") checked=all prop:checked=all/></td>
                                <td class="key id">{name}</td>
                                <td data-label="Customer"><a href=customer>{d.customer_name}</a></td>
                                <td data-label="Batch"><a href=batch>{d.batch_id}</a></td>
                                <td class="id" data-label="Product key">{d.product_key}</td>
                                <td data-label="Manufacturer and model">{d.model}</td>
                                <td data-label="Autopilot profile">{d.profile.unwrap_or_else(|| "—".into())}</td>
                                <td data-label="Uploaded">{d.uploaded.map(|at| view! { <LocalTime utc=at/> })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </form>
    }
}

#[component]
fn Freshness(f: IndexFreshness, query: String) -> impl IntoView {
    let action = format!("/devices/check/{}", urls::encode(&f.customer_id));
    // Its visible words first, so that speech input ("click check again") finds it.
    let label = format!("Check again: {}", f.customer_name);
    view! {
        <li>
            <form method="post" action=action class="inline">
                {format!("{}: {}", f.customer_name, f.checked)}
                {f.error.map(|e| view! { " (the last try failed: " {e} ")" })}
                " "
                <input type="hidden" name="q" value=query/>
                <button type="submit" class="link" aria-label=label>"check again"</button>
            </form>
        </li>
    }
}
