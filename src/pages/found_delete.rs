use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::codec::resource;
use crate::api::get_found_to_delete;
use crate::components::carried_choice::CarriedChoice;
use crate::components::loaded::Loaded;
use crate::model::devices::FoundToDelete;
use crate::model::selection::{TICKED, WHICH};
use crate::urls;

/// `/devices/delete?q=…&customer=…&devices=…&device=…`: the devices a search's form chose,
/// counted by customer and named as Partner Center lists them now, and the button that
/// deletes them (a form post, with or without JavaScript): one deletion per customer.
#[component]
pub fn FoundDeletePage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        let query = query.read();
        (
            query.get("q").unwrap_or_default(),
            query.get("customer"),
            query.get(WHICH),
            query.get_all(TICKED),
        )
    };
    let devices = resource(key, |(q, customer, which, ticked)| {
        get_found_to_delete(q, customer, which, ticked)
    });
    view! {
        <Loaded data=devices title="Delete devices" loading="Loading the devices…" show=move |data| view! { <Confirmation data/> }/>
    }
}

#[component]
fn Confirmation(data: FoundToDelete) -> impl IntoView {
    let FoundToDelete {
        query,
        customer,
        selection,
        count,
        customers,
    } = data;
    let back = urls::devices_in(&query, customer.as_ref().map(|c| c.id.as_str()));
    let heading = match (count, customers.len()) {
        (1, _) => "Delete this device?".to_string(),
        (n, 1) => format!(
            "Delete these {n} devices of {}?",
            customers[0].customer.name
        ),
        (n, k) => format!("Delete these {n} devices of {k} customers?"),
    };
    let button = match count {
        1 => "Delete the device".to_string(),
        n => format!("Delete {n} devices"),
    };
    view! {
        <Title text="Delete devices"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href=back.clone()>"Find a device"</a> " › Delete devices"</nav>
        <h1>{heading}</h1>
        <p>
            "Each is removed from its batch and stops being registered for Autopilot with its \
             customer. To register one again, upload it again."
        </p>
        <p class="hint">
            "Partner Center deletes one device per request, so each customer's devices are one \
             deletion, run in the background: its page shows each device's outcome, and the \
             audit trail records it."
        </p>
        {customers.into_iter().map(|group| {
            let more = group.count.saturating_sub(group.named.len());
            view! {
                <h2>{format!("{} ({})", group.customer.name, group.count)}</h2>
                <ul class="chosen">
                    {group.named.into_iter().map(|name| view! { <li><span class="id">{name}</span></li> }).collect_view()}
                </ul>
                {(more > 0).then(|| view! { <p>{format!("… and {more} more.")}</p> })}
            }
        }).collect_view()}
        <form method="post" action=urls::DELETE_FOUND class="actions">
            <input type="hidden" name="q" value=query/>
            {customer.map(|c| view! { <input type="hidden" name="customer" value=c.id/> })}
            <CarriedChoice selection count/>
            <button type="submit" class="danger">{button}</button>
            <a class="button secondary" href=back>"Cancel"</a>
        </form>
    }
}
