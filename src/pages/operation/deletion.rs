use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::poll::ReloadWithoutScript;
use crate::components::{crumbs::Crumbs, pager::Pager};
use crate::model::operations::{DeletedDeviceView, DeletionView, OperationState, PartState};
use crate::urls;

/// A deletion of devices: who asked for it and when, and what became of each device; when
/// it failed, why, and the button that tries again (a form post, with or without
/// JavaScript).
#[component]
pub fn Deletion(data: DeletionView) -> impl IntoView {
    let DeletionView {
        customer,
        id,
        requested_by,
        requested,
        state,
        error,
        devices,
        total,
        deleted,
        page,
        has_next,
        pages,
        can_retry,
    } = data;
    let (summary, class, role) = match state {
        OperationState::Submitted => (
            "Done. Every device was deleted.".to_string(),
            "notice",
            "status",
        ),
        OperationState::Failed => (
            format!("Not every device was deleted: {deleted} of {total} were."),
            "notice error",
            "alert",
        ),
        _ => (
            format!("Deleting… {deleted} of {total} devices deleted so far. This page updates by itself."),
            "notice",
            "status",
        ),
    };
    let retry = format!("{}/resume", urls::operation(&customer.id, &id));
    let devices_heading = match total {
        1 => "The device".to_string(),
        n => format!("The {n} devices"),
    };
    let pager_base = urls::operation(&customer.id, &id);
    view! {
        <Title text=format!("Deletion · {}", customer.name)/>
        <Crumbs customer=customer.clone() here="Deletion"/>
        <h1>"Deleting devices"</h1>
        {(state == OperationState::Submitting).then(|| view! { <ReloadWithoutScript/> })}
        <div class=class role=role>
            <p>{summary}</p>
            {error.map(|error| view! { <p>{error}</p> })}
        </div>
        {can_retry.then(|| view! {
            <form method="post" action=retry class="actions">
                <button type="submit">"Try again"</button>
                <span class="hint">
                    " A device whose answer was lost goes with the same request id, so \
                     Partner Center deletes it at most once."
                </span>
            </form>
        })}
        <p>"Asked by " {requested_by} ", " {requested} "."</p>
        <h2>{devices_heading}</h2>
        <ul class="outcomes">
            {devices.into_iter().map(|device| {
                let batch = urls::batch(&customer.id, &device.batch_id, 1);
                view! { <DeviceOutcome device batch/> }
            }).collect_view()}
        </ul>
        <Pager page has_next of=pages label="Device pages" href=move |page| format!("{pager_base}?page={page}")/>
    }
}

#[component]
fn DeviceOutcome(device: DeletedDeviceView, batch: String) -> impl IntoView {
    let outcome = match device.state {
        PartState::Accepted | PartState::Settled => "Deleted".to_string(),
        PartState::Pending => "Not sent yet".to_string(),
        PartState::Uncertain => "Not known: the answer was lost".to_string(),
        PartState::Refused => "Not deleted".to_string(),
    };
    let name = device
        .serial_number
        .clone()
        .unwrap_or_else(|| device.device_id.clone());
    view! {
        <li>
            <strong>{name}</strong>
            {device.model.map(|model| view! { " (" {model} ")" })}
            " from the batch " <a href=batch>{device.batch_id}</a> ": " {outcome}
            {device.error.map(|error| view! { <br/>{error} })}
            <br/><small>"Device id " <code>{device.device_id}</code> ", request id "
                <code>{device.request_id}</code></small>
        </li>
    }
}
