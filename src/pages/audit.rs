use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::audit::audit_trail;
use crate::api::codec::resource;
use crate::components::local_time::LocalTime;
use crate::components::{loaded::Loaded, pager::Pager};
use crate::model::audit::{AuditRow, AuditView, LaterEvent};

/// `/audit?page=N`: who did what, newest first. The trail is append-only.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || super::page_number(&query.read());
    let data = resource(page, audit_trail);
    view! {
        <Title text="Audit trail"/>
        <Loaded data=data title="Audit trail" loading="Loading the audit trail…" show=move |data| view! { <Audit data/> }/>
    }
}

#[component]
fn Audit(data: AuditView) -> impl IntoView {
    let empty = data.rows.is_empty();
    let rows = data
        .rows
        .into_iter()
        .map(|row| view! { <Event row/> })
        .collect_view();
    view! {
        <h1>"Audit trail"</h1>
        <p>"Sign-ins, uploads, deletions and profile changes by anyone on your team, newest first. An upload, a deletion or a profile assignment is one row, with anything done to it later (sending again what it left) under it. Events are only ever added, never changed or removed. Give the correlation id to support to find an event in the logs."</p>
        {if empty {
            view! { <p>"Nothing has happened yet."</p> }.into_any()
        } else {
            view! {
                <table class="audit">
                    <thead><tr>
                        <th scope="col">"When"</th><th scope="col">"What"</th>
                        <th scope="col">"Who"</th><th scope="col">"Details"</th>
                        <th scope="col">"Correlation id"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        }}
        <Pager page=data.page has_next=data.has_next of=data.pages label="Audit pages"
            href=|page| format!("/audit?page={page}")/>
    }
}

#[component]
fn Event(row: AuditRow) -> impl IntoView {
    let who = row.upn.clone().unwrap_or_else(|| "unknown".into());
    let ids = match (&row.tenant_id, &row.object_id) {
        (Some(tid), Some(oid)) => format!("tenant {tid}, object {oid}"),
        _ => String::new(),
    };
    let detail = match &row.customer_id {
        Some(customer) => format!("{} (customer {customer})", row.detail),
        None => row.detail.clone(),
    };
    view! {
        <tr class=if row.ok { "event" } else { "event failed" }>
            <td class="key"><LocalTime utc=row.when/></td>
            <td data-label="What">{row.action.label()}</td>
            <td class="nowrap" data-label="Who"><span title=ids>{who}</span></td>
            <td data-label="Details">
                {detail}
                {row.operation_link.map(|(link, text)| view! { " " <a href=link>{text}</a> })}
                {(!row.later.is_empty()).then(|| view! {
                    <ul class="later">{row.later.into_iter().map(|event| view! { <Later event/> }).collect_view()}</ul>
                })}
            </td>
            <td data-label="Correlation id"><code>{row.correlation_id}</code></td>
        </tr>
    }
}

/// Something done to an operation after it started, under its row.
#[component]
fn Later(event: LaterEvent) -> impl IntoView {
    let who = event.upn.unwrap_or_else(|| "unknown".into());
    view! {
        <li class=if event.ok { "event" } else { "event failed" }>
            <LocalTime utc=event.when/> ": " {event.action.label()} " by " {who} ". " {event.detail}
            " " <small>"Correlation id " <code>{event.correlation_id}</code></small>
        </li>
    }
}
