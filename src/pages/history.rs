use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::codec::resource;
use crate::api::uploads::upload_history;
use crate::components::local_time::LocalTime;
use crate::components::{crumbs::Crumbs, done_notice::DoneNotice, loaded::Loaded, pager::Pager};
use crate::model::uploads::{AfterDiscard, HistoryRow, HistoryView, UploadStatus, UNNAMED_BATCH};
use crate::urls;

/// `/uploads` and `/customers/{customerId}/uploads?status=…&user=…&page=N`: past uploads,
/// newest first, each linked to its job page.
#[component]
pub fn HistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let (params, query) = (params.read(), query.read());
        (
            params.get("customer"),
            // An unknown status in the address filters nothing, like none.
            query
                .get("status")
                .and_then(|status| UploadStatus::try_from(status.as_str()).ok()),
            query.get("user").unwrap_or_default(),
            super::page_number(&query),
        )
    };
    let data = resource(key, |(customer, status, user, page)| {
        upload_history(customer, status, user, page)
    });
    view! {
        <DoneNotice/>
        <Loaded data=data title="Uploads" loading="Loading the uploads…" show=move |data| view! { <History data/> }/>
    }
}

#[component]
fn History(data: HistoryView) -> impl IntoView {
    let (title, base, crumbs) = match &data.customer {
        Some(customer) => (
            format!("Uploads · {}", customer.name),
            urls::customer_uploads(&customer.id),
            view! {
                <Crumbs customer=customer.clone() here="Uploads"/>
            }
            .into_any(),
        ),
        None => ("Uploads".to_string(), "/uploads".to_string(), ().into_any()),
    };
    let heading = match &data.customer {
        Some(customer) => format!("Uploads for {}", customer.name),
        None => "Uploads".to_string(),
    };
    let intro = if data.customer.is_some() {
        "Every upload and device deletion for this customer, by anyone on your team, newest \
         first."
    } else {
        "Every upload and device deletion for the customers you have worked on, by anyone on \
         your team, newest first."
    };
    let all_customers = data.customer.is_none();
    let statuses = UploadStatus::ALL
        .iter()
        .copied()
        .map(|s| {
            view! { <option value=s.as_str() selected=data.status == Some(s)>{s.title()}</option> }
        })
        .collect_view();
    let users = data
        .users
        .iter()
        .map(|u| view! { <option value=u.clone() selected=data.user == *u>{u.clone()}</option> })
        .collect_view();
    let filtered = data.status.is_some() || !data.user.is_empty();
    let empty = data.rows.is_empty();
    let rows = data
        .rows
        .into_iter()
        .map(|row| view! { <Row row all_customers/> })
        .collect_view();
    let (status, user) = (
        data.status.map(UploadStatus::as_str).unwrap_or_default(),
        data.user.clone(),
    );
    let pager_base = base.clone();
    view! {
        <Title text=title/>
        {crumbs}
        <h1>{heading}</h1>
        <p>{intro}</p>
        <p class="hint">
            {format!("Drafts that are not submitted are deleted, with their file, {} after they were uploaded.", data.draft_retention)}
        </p>
        <form method="get" action=base.clone() class="filters">
            <label for="status">"Status"</label>
            <select id="status" name="status">
                <option value="" selected=data.status.is_none()>"Any"</option>
                {statuses}
            </select>
            <label for="user">"Uploaded by"</label>
            <select id="user" name="user">
                <option value="" selected=data.user.is_empty()>"Anyone"</option>
                {users}
            </select>
            <button type="submit" class="secondary">"Show"</button>
            {filtered.then(|| view! { <a href=base.clone()>"Clear the filters"</a> })}
        </form>
        {if empty {
            view! { <p>{if filtered { "No upload matches these filters." } else { "No uploads yet." }}</p> }.into_any()
        } else {
            view! {
                <table class="history">
                    <thead><tr>
                        <th scope="col">"When"</th>
                        {all_customers.then(|| view! { <th scope="col">"Customer"</th> })}
                        <th scope="col">"By"</th><th scope="col">"From"</th>
                        <th scope="col">"Batch"</th><th scope="col" class="number">"Devices"</th>
                        <th scope="col" class="number">"Registered"</th>
                        <th scope="col" class="number">"Failed"</th><th scope="col">"Status"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        }}
        <Pager page=data.page has_next=data.has_next of=data.pages label="Upload pages"
            href=move |page| {
                format!("{pager_base}?status={}&user={}&page={page}", urls::encode(status), urls::encode(&user))
            }/>
    }
}

#[component]
fn Row(row: HistoryRow, all_customers: bool) -> impl IntoView {
    let batch = match (row.new_batch, row.batch_id.is_empty()) {
        (true, true) => UNNAMED_BATCH.to_string(),
        (true, false) => format!("{} (new)", row.batch_id),
        (false, _) => row.batch_id.clone(),
    };
    let discard = row.discardable.then(|| {
        let then = match all_customers {
            true => AfterDiscard::AllUploads,
            false => AfterDiscard::CustomerUploads,
        };
        // A draft's link is its preview, whose buttons post under it.
        let action = format!("{}/discard", row.link);
        let name = format!("Discard the draft of {}", row.from);
        view! {
            <form method="post" action=action class="inline">
                <input type="hidden" name="then" value=then.as_str()/>
                <button type="submit" class="link" aria-label=name>"Discard"</button>
            </form>
        }
    });
    view! {
        <tr class=format!("upload {}", row.status.as_str())>
            <td class="key"><a href=row.link><LocalTime utc=row.when/></a></td>
            {all_customers.then(|| view! {
                <td data-label="Customer"><a href=urls::customer_uploads(&row.customer_id)>{row.customer_name}</a></td>
            })}
            <td class="nowrap" data-label="By">{row.upn}</td>
            <td data-label="From">{row.from}</td>
            <td data-label="Batch">{batch}</td>
            <td class="number" data-label="Devices">{row.devices}</td>
            <td class="number" data-label="Registered">{row.registered.map_or_else(|| "—".to_string(), |n| n.to_string())}</td>
            <td class="number" data-label="Failed">{row.failed}</td>
            <td data-label="Status">
                {row.status.title()}
                {discard}
            </td>
        </tr>
    }
}
