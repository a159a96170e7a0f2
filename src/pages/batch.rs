use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::batch_devices;
use crate::components::{crumbs::Crumbs, done_notice::DoneNotice, loaded::Loaded, pager::Pager};
use crate::model::DevicesView;
use crate::urls;

/// `/customers/{customerId}/batches/{batchId}?page=N`: a batch's devices, 100 a page.
#[component]
pub fn BatchPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let params = params.read();
        let page = super::page_number(&query.read());
        (
            params.get("customer").unwrap_or_default(),
            params.get("batch").unwrap_or_default(),
            page,
        )
    };
    let devices = Resource::new(key, |(customer, batch, page)| {
        batch_devices(customer, batch, page)
    });
    view! {
        <DoneNotice/>
        <Loaded data=devices title="Devices" loading="Loading devices…" show=move |data| view! { <Devices data/> }/>
    }
}

#[component]
fn Devices(data: DevicesView) -> impl IntoView {
    let customer = data.customer;
    let batch_id = data.batch_id;
    let title = format!("{batch_id} · {}", customer.name);
    let empty = data.items.is_empty();
    let rows = data
        .items
        .into_iter()
        .map(|d| {
            let delete = format!(
                "{}/devices/{}/delete",
                urls::batch(&customer.id, &batch_id, 1),
                urls::encode(&d.id)
            );
            let label = format!(
                "Delete {}",
                d.serial.clone().unwrap_or_else(|| d.id.clone())
            );
            view! {
                <tr>
                    <td>{d.serial.unwrap_or_default()}</td>
                    <td>{d.product_key.unwrap_or_default()}</td>
                    <td>{d.manufacturer.unwrap_or_default()}</td>
                    <td>{d.model.unwrap_or_default()}</td>
                    <td>{d.profile.unwrap_or_else(|| "—".into())}</td>
                    <td>{d.uploaded.unwrap_or_default()}</td>
                    <td><a href=delete aria-label=label>"Delete…"</a></td>
                </tr>
            }
        })
        .collect_view();
    let (pager_customer, pager_batch) = (customer.id.clone(), batch_id.clone());
    view! {
        <Title text=title/>
        <Crumbs customer=customer.clone() here=batch_id.clone()/>
        <h1>{batch_id.clone()}</h1>
        <p><a class="button" href=format!("{}?batch={}", urls::new_upload(&customer.id), urls::encode(&batch_id))>"Add devices to this batch"</a></p>
        <h2>"Devices"</h2>
        {if empty {
            view! { <p>"No devices on this page."</p> }.into_any()
        } else {
            view! {
                <table>
                    <thead><tr>
                        <th scope="col">"Serial number"</th><th scope="col">"Product key"</th>
                        <th scope="col">"Manufacturer"</th><th scope="col">"Model"</th>
                        <th scope="col">"Autopilot profile"</th><th scope="col">"Uploaded"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        }}
        <Pager page=data.page has_next=data.has_next label="Device pages"
            href=move |page| urls::batch(&pager_customer, &pager_batch, page)/>
    }
}
