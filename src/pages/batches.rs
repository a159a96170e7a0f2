use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{customer_batches, BatchesView};
use crate::components::error_notice::ErrorNotice;
use crate::urls;

/// `/customers/{customerId}/batches`: the customer's device batches, newest first.
#[component]
pub fn BatchesPage() -> impl IntoView {
    let params = use_params_map();
    let customer = move || params.read().get("customer").unwrap_or_default();
    let view_data = Resource::new(customer, customer_batches);
    view! {
        <Suspense fallback=|| view! { <p>"Loading device batches…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(data) => view! { <Batches data/> }.into_any(),
                    Err(error) => view! { <Title text="Device batches"/><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Batches(data: BatchesView) -> impl IntoView {
    let customer = data.customer;
    let title = format!("Device batches · {}", customer.name);
    let rows = data
        .batches
        .into_iter()
        .map(|batch| {
            let href = urls::batch_from_list(&batch.id);
            view! {
                <tr>
                    <td><a href=href>{batch.id}</a></td>
                    <td>{batch.created.unwrap_or_default()}</td>
                    <td>{batch.devices.map(|n| n.to_string()).unwrap_or_default()}</td>
                    <td>{batch.status.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = rows.is_empty();
    view! {
        <Title text=title/>
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/customers">"Customers"</a> " › " <span aria-current="page">{customer.name.clone()}</span>
        </nav>
        <h1>{customer.name.clone()}</h1>
        <p class="muted">{customer.domain.clone()}</p>
        <p class="actions">
            <a class="button" href=urls::new_upload(&customer.id)>"Upload devices"</a>
            <a href=urls::customer_uploads(&customer.id)>"Past uploads"</a>
        </p>
        <h2>"Device batches"</h2>
        {if empty {
            view! { <p>"This customer has no device batches yet."</p> }.into_any()
        } else {
            view! {
                <table class="batches">
                    <thead><tr>
                        <th scope="col">"Batch"</th><th scope="col">"Created"</th>
                        <th scope="col" class="number">"Devices"</th><th scope="col">"Status"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        }}
    }
}
