use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::batch_devices;
use crate::api::codec::resource;
use crate::components::act_on_chosen::ActOnChosen;
use crate::components::local_time::LocalTime;
use crate::components::tick_links::TickLinks;
use crate::components::{crumbs::Crumbs, done_notice::DoneNotice, loaded::Loaded, pager::Pager};
use crate::model::selection::TICKED;
use crate::model::{page_count, BatchDevicesShown, DevicesView, DEVICES_PER_PAGE};
use crate::urls;

/// `/customers/{customerId}/batches/{batchId}?show=no-profile&page=N`: a batch's devices, 100
/// a page, each with its Autopilot profile; those without one across all pages; and the form
/// that acts on the ticked devices or on every device of the batch: applies a profile (a form
/// post) or leads to the confirmation of deleting them (a `GET` of that page), with or
/// without JavaScript.
#[component]
pub fn BatchPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let params = params.read();
        let query = query.read();
        (
            params.get("customer").unwrap_or_default(),
            params.get("batch").unwrap_or_default(),
            super::shown(&query, BatchDevicesShown::All),
            super::page_number(&query),
        )
    };
    let devices = resource(key, |(customer, batch, show, page)| {
        batch_devices(customer, batch, show, page)
    });
    let ticked = Signal::derive(move || super::every_ticked(&query.read()));
    view! {
        <DoneNotice/>
        <Loaded data=devices title="Devices" loading="Loading devices…" show=move |data| view! { <Devices data ticked/> }/>
    }
}

#[component]
fn Devices(data: DevicesView, #[prop(into)] ticked: Signal<bool>) -> impl IntoView {
    let all = RwSignal::new(ticked.get_untracked());
    let customer = data.customer;
    let batch_id = data.batch_id;
    let title = format!("{batch_id} · {}", customer.name);
    let empty = data.items.is_empty();
    let total = data.listed.as_ref().and_then(|b| b.devices);
    // How many pages the list shown has, when its length is known.
    let shown_count = match data.show {
        BatchDevicesShown::All => total,
        BatchDevicesShown::NoProfile => data.without_profile.map(|n| n as u64),
    };
    let pages = shown_count.and_then(|n| page_count(n, DEVICES_PER_PAGE, data.page, data.has_next));
    let facts = data.listed.clone().map(|b| {
        let count = match b.devices {
            Some(1) => "1 device".to_string(),
            Some(n) => format!("{n} devices"),
            None => "Devices not counted".to_string(),
        };
        view! {
            <p class="muted">
                {count}
                {b.created.map(|at| view! { " · created " <LocalTime utc=at/> })}
                {b.status.map(|status| format!(" · {status}"))}
            </p>
        }
    });
    let batch_url = urls::batch(&customer.id, &batch_id, 1);
    let rows = data
        .items
        .into_iter()
        .map(|d| {
            let delete = format!("{batch_url}/devices/{}/delete", urls::encode(&d.id));
            let name = d.serial.clone().unwrap_or_else(|| d.id.clone());
            let (label, pick) = (format!("Delete {name}"), format!("Select {name}"));
            view! {
                <tr>
                    <td class="pick"><input type="checkbox" name=TICKED value=d.id.clone() aria-label=pick checked=all prop:checked=all/></td>
                    <td class="key id">{d.serial}</td>
                    <td class="id" data-label="Product key">{d.product_key}</td>
                    <td data-label="Manufacturer">{d.manufacturer}</td>
                    <td data-label="Model">{d.model}</td>
                    <td data-label="Autopilot profile">{d.profile.unwrap_or_else(|| "—".into())}</td>
                    <td data-label="Uploaded">{d.uploaded.map(|at| view! { <LocalTime utc=at/> })}</td>
                    <td class="nowrap"><a href=delete aria-label=label>"Delete…"</a></td>
                </tr>
            }
        })
        .collect_view();
    let (pager_customer, pager_batch) = (customer.id.clone(), batch_id.clone());
    let show = data.show;
    let this_page = match show {
        BatchDevicesShown::All => urls::batch(&customer.id, &batch_id, data.page),
        BatchDevicesShown::NoProfile => {
            urls::batch_without_profile(&customer.id, &batch_id, data.page)
        }
    };
    let tick_links = view! {
        <TickLinks this_page all every_label="Tick every device on this page"/>
    };
    let filters = {
        let all = urls::batch(&customer.id, &batch_id, 1);
        let none = urls::batch_without_profile(&customer.id, &batch_id, 1);
        let current = |which: BatchDevicesShown| show == which;
        let without = match data.without_profile {
            Some(n) => format!("Without a profile ({n})"),
            None => "Without a profile".to_string(),
        };
        let every = match total {
            Some(n) => format!("All devices ({n})"),
            None => "All devices".to_string(),
        };
        view! {
            <nav class="filters" aria-label="Show devices">
                <a href=all aria-current=current(BatchDevicesShown::All).then_some("page")
                    class:current=current(BatchDevicesShown::All)>{every}</a>
                <a href=none aria-current=current(BatchDevicesShown::NoProfile).then_some("page")
                    class:current=current(BatchDevicesShown::NoProfile)>{without}</a>
            </nav>
        }
    };
    let table = move || {
        if empty {
            return view! { <p>"No devices to show here."</p> }.into_any();
        }
        view! {
            <table class="devices">
                <thead><tr>
                    <th scope="col" class="pick"><span class="visually-hidden">"Select"</span></th>
                    <th scope="col">"Serial number"</th><th scope="col">"Product key"</th>
                    <th scope="col">"Manufacturer"</th><th scope="col">"Model"</th>
                    <th scope="col">"Autopilot profile"</th><th scope="col">"Uploaded"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let apply = format!("{batch_url}/profile");
    let every = match total {
        Some(n) => format!("All {n} devices of this batch, on every page"),
        None => "All devices of this batch, on every page".to_string(),
    };
    let delete_chosen = urls::delete_devices(&customer.id, &batch_id);
    let form_action = delete_chosen.clone();
    view! {
        <Title text=title/>
        <Crumbs customer=customer.clone() here=batch_id.clone()/>
        <h1>{batch_id.clone()}</h1>
        {facts}
        <form method="get" action=urls::devices("") class="search" role="search"
            aria-label=format!("Find a device of {}", customer.name)>
            <input type="hidden" name="customer" value=customer.id.clone()/>
            <input type="search" name="q" maxlength="20000"
                aria-label=format!("Serial number, product key or hardware hash of a device of {}", customer.name)
                placeholder=format!("Find a device of {}…", customer.name)/>
            <button type="submit" class="secondary">"Find"</button>
        </form>
        <p class="actions">
            <a class="button" href=format!("{}?batch={}", urls::new_upload(&customer.id), urls::encode(&batch_id))>"Add devices to this batch"</a>
            <a href=urls::profiles(&customer.id)>"Autopilot profiles"</a>
            <a href=urls::batch_export(&customer.id, &batch_id, "xlsx") download="">"Export as Excel (XLSX)"</a>
            <a href=urls::batch_export(&customer.id, &batch_id, "csv") download="">"Export as CSV"</a>
        </p>
        <h2>"Devices"</h2>
        {filters}
        {if empty {
            table()
        } else {
            view! {
                <form method="get" action=form_action class="batch-devices">
                    <ActOnChosen every=every profiles=data.profiles no_profiles=data.profiles_read_only
                        apply_to=apply confirm_delete=delete_chosen/>
                    {tick_links}
                    {table()}
                </form>
            }
            .into_any()
        }}
        <Pager page=data.page has_next=data.has_next label="Device pages" of=pages
            href=move |page| match show {
                BatchDevicesShown::All => urls::batch(&pager_customer, &pager_batch, page),
                BatchDevicesShown::NoProfile => urls::batch_without_profile(&pager_customer, &pager_batch, page),
            }/>
    }
}
