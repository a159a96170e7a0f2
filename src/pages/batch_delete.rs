use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::codec::resource;
use crate::api::get_devices_to_delete;
use crate::components::carried_choice::CarriedChoice;
use crate::components::crumbs::Crumbs;
use crate::components::loaded::Loaded;
use crate::model::selection::{Selection, TICKED, WHICH};
use crate::model::DevicesToDelete;
use crate::urls;

/// `/customers/{customerId}/batches/{batchId}/delete?devices=selected&device=…`: the devices
/// the batch page's form chose, counted and named as Partner Center lists them now, and the
/// button that deletes them (a form post, with or without JavaScript).
#[component]
pub fn BatchDeletePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let (params, query) = (params.read(), query.read());
        (
            params.get("customer").unwrap_or_default(),
            params.get("batch").unwrap_or_default(),
            query.get(WHICH),
            query.get_all(TICKED),
        )
    };
    let devices = resource(key, |(customer, batch, which, ticked)| {
        get_devices_to_delete(customer, batch, which, ticked)
    });
    view! {
        <Loaded data=devices title="Delete devices" loading="Loading the devices…" show=move |data| view! { <Confirmation data/> }/>
    }
}

#[component]
fn Confirmation(data: DevicesToDelete) -> impl IntoView {
    let DevicesToDelete {
        customer,
        batch_id,
        selection,
        count,
        shown,
    } = data;
    let batch = urls::batch(&customer.id, &batch_id, 1);
    let action = urls::delete_devices(&customer.id, &batch_id);
    let heading = match (&selection, count) {
        (_, 1) => "Delete this device?".to_string(),
        (Selection::All, n) => format!("Delete all {n} devices of this batch?"),
        (Selection::Ticked(_), n) => format!("Delete these {n} devices?"),
    };
    let button = match count {
        1 => "Delete the device".to_string(),
        n => format!("Delete {n} devices"),
    };
    let more = count.saturating_sub(shown.len());
    view! {
        <Title text=format!("Delete devices · {}", customer.name)/>
        <Crumbs customer=customer.clone() through=vec![(batch_id.clone(), batch.clone())] here="Delete devices"/>
        <h1>{heading}</h1>
        <p>
            "They are removed from the batch “" {batch_id.clone()} "” of " <strong>{customer.name.clone()}</strong>
            " and stop being registered for Autopilot with this customer. To register one \
             again, upload it again."
        </p>
        <p class="hint">
            "Partner Center deletes one device per request, so the deletion runs in the \
             background: its page shows each device's outcome, and the audit trail records it."
        </p>
        <ul class="chosen">
            {shown.into_iter().map(|device| {
                let name = device.serial.clone().unwrap_or_else(|| device.id.clone());
                view! {
                    <li>
                        <span class="id">{name}</span>
                        {device.model.map(|model| view! { " (" {model} ")" })}
                    </li>
                }
            }).collect_view()}
        </ul>
        {(more > 0).then(|| view! { <p>{format!("… and {more} more.")}</p> })}
        <form method="post" action=action class="actions">
            <CarriedChoice selection count/>
            <button type="submit" class="danger">{button}</button>
            <a class="button secondary" href=batch>"Cancel"</a>
        </form>
    }
}
