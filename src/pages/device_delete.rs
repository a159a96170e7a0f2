use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::codec::resource;
use crate::api::get_device_to_delete;
use crate::components::crumbs::Crumbs;
use crate::components::loaded::Loaded;
use crate::model::DeviceToDelete;
use crate::urls;

/// `/customers/{customerId}/batches/{batchId}/devices/{deviceId}/delete`: the device as
/// Partner Center lists it, and the button that deletes it (a form post, with or without
/// JavaScript).
#[component]
pub fn DeviceDeletePage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let params = params.read();
        (
            params.get("customer").unwrap_or_default(),
            params.get("batch").unwrap_or_default(),
            params.get("device").unwrap_or_default(),
        )
    };
    let device = resource(key, |(customer, batch, device)| {
        get_device_to_delete(customer, batch, device)
    });
    view! {
        <Loaded data=device title="Delete a device" loading="Loading the device…" show=move |data| view! { <Confirmation data/> }/>
    }
}

#[component]
fn Confirmation(data: DeviceToDelete) -> impl IntoView {
    let DeviceToDelete {
        customer,
        batch_id,
        device,
    } = data;
    let batch = urls::batch(&customer.id, &batch_id, 1);
    let action = format!("{batch}/devices/{}/delete", urls::encode(&device.id));
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".into());
    view! {
        <Title text=format!("Delete a device · {}", customer.name)/>
        <Crumbs customer=customer.clone() through=vec![(batch_id.clone(), batch.clone())] here="Delete a device"/>
        <h1>"Delete this device?"</h1>
        <p>
            "It is removed from the batch “" {batch_id} "” and stops being registered for \
             Autopilot with this customer. To register it again, upload it again."
        </p>
        <dl class="facts">
            <dt>"Serial number"</dt><dd>{or_dash(device.serial)}</dd>
            <dt>"Product key"</dt><dd>{or_dash(device.product_key)}</dd>
            <dt>"Manufacturer"</dt><dd>{or_dash(device.manufacturer)}</dd>
            <dt>"Model"</dt><dd>{or_dash(device.model)}</dd>
            <dt>"Device id"</dt><dd><code>{device.id}</code></dd>
        </dl>
        <form method="post" action=action class="actions">
            <button type="submit" class="danger">"Delete the device"</button>
            <a class="button secondary" href=batch>"Cancel"</a>
        </form>
    }
}
