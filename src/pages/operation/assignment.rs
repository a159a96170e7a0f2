use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::crumbs::Crumbs;
use crate::components::poll::ReloadWithoutScript;
use crate::model::operations::{
    AssignedDeviceView, AssignmentOutcome, AssignmentView, OperationState,
};
use crate::urls;

/// Where the assignment stands, in one sentence, and whether that is a problem.
fn summary(data: &AssignmentView) -> (String, &'static str, &'static str) {
    let counts = data.counts;
    match data.state {
        OperationState::Failed => (
            "Not every part could be sent to Partner Center. The reason is below; the devices \
             of the parts it took are still followed here."
                .into(),
            "notice error",
            "alert",
        ),
        OperationState::Submitting | OperationState::Draft => {
            ("Sending to Partner Center…".into(), "notice", "status")
        }
        OperationState::Submitted if data.running => (
            "Partner Center took it and is working on the devices.".into(),
            "notice",
            "status",
        ),
        OperationState::Submitted if counts.failed == 0 => (
            match data.profile {
                Some(_) => "Done. Every device has the profile.".into(),
                None => "Done. The profile was removed from every device.".into(),
            },
            "notice",
            "status",
        ),
        OperationState::Submitted => (
            format!(
                "Finished, but {} of {} devices could not be changed. Each says why below.",
                counts.failed, counts.total
            ),
            "notice error",
            "alert",
        ),
    }
}

/// A profile applied to (or removed from) devices: who asked and when, how far Partner Center
/// is, and what became of each device, with what a failure means and what to do; when not
/// every part could be sent, why, and the button that tries again.
#[component]
pub fn Assignment(data: AssignmentView) -> impl IntoView {
    let (summary, class, role) = summary(&data);
    let AssignmentView {
        customer,
        id,
        profile,
        requested_by,
        requested,
        error,
        check_error,
        running,
        counts,
        devices,
        tracking_ids,
        can_retry,
        ..
    } = data;
    let retry = format!("{}/resume", urls::operation(&customer.id, &id));
    let (title_heading, title) = match &profile {
        Some(name) => (
            format!("Applying the profile “{name}”"),
            format!("Profile “{name}” · {}", customer.name),
        ),
        None => (
            "Removing the Autopilot profile".to_string(),
            format!("Profile removed · {}", customer.name),
        ),
    };
    let processed = counts.done + counts.failed;
    let customer_id = customer.id.clone();
    let heading = match (devices.len() as i64, counts.total) {
        (1, 1) => "The device".to_string(),
        (shown, total) if shown == total => format!("The {total} devices"),
        (shown, total) => format!(
            "{shown} of the {total} devices: those not changed and those still waiting first"
        ),
    };
    view! {
        <Title text=title/>
        {running.then(|| view! { <ReloadWithoutScript/> })}
        <Crumbs customer=customer.clone() here="Profile assignment"/>
        <h1>{title_heading}</h1>
        <div class=class role=role aria-live="polite">
            <p>{summary}</p>
            {error.map(|error| view! { <p>{error}</p> })}
        </div>
        {check_error.map(|e| view! { <div class="notice warning" role="status"><p>{e}</p></div> })}
        {can_retry.then(|| view! {
            <form method="post" action=retry class="actions">
                <button type="submit">"Try again"</button>
                <span class="hint">
                    " A part whose answer was lost goes with the same request id, so Partner \
                     Center does it at most once."
                </span>
            </form>
        })}
        <div class="progress">
            <progress max=counts.total.max(1) value=processed aria-label="Devices done"></progress>
            <span>{format!("{processed} of {} devices done: {} changed, {} not", counts.total, counts.done, counts.failed)}</span>
        </div>
        {profile.is_none().then(|| view! {
            <p class="hint">
                "A profile is removed by sending the device's profile as empty, as Partner \
                 Center's API reference describes; this is not yet confirmed against the real \
                 Partner Center. Each device's batch page shows the profile it has now."
            </p>
        })}
        <dl class="facts">
            <dt>"Asked by"</dt><dd>{requested_by} ", " {requested}</dd>
            <dt>"Tracking ids"</dt>
            <dd>{if tracking_ids.is_empty() { "none yet".to_string() } else { tracking_ids.join(", ") }}</dd>
        </dl>
        <h2>{heading}</h2>
        <ul class="outcomes">
            {devices.into_iter().map(|device| {
                let batch = urls::batch(&customer_id, &device.batch_id, 1);
                view! { <DeviceOutcome device batch/> }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn DeviceOutcome(device: AssignedDeviceView, batch: String) -> impl IntoView {
    let outcome = match device.outcome {
        AssignmentOutcome::Waiting => "Waiting for Partner Center",
        AssignmentOutcome::Done => "Done",
        AssignmentOutcome::Failed => "Not changed",
        AssignmentOutcome::Unreported => "Not known",
    };
    let name = device
        .serial_number
        .clone()
        .unwrap_or_else(|| device.device_id.clone());
    view! {
        <li class=format!("assigned {}", device.outcome.as_str())>
            <strong>{name}</strong>
            {device.model.map(|model| view! { " (" {model} ")" })}
            " in the batch " <a href=batch>{device.batch_id}</a> ": " {outcome}
            {device.error_code.map(|code| view! { " (" <code>{code}</code> ")" })}
            {device.explanation.map(|words| view! { <br/>{words} })}
            <br/><small>"Device id " <code>{device.device_id}</code></small>
        </li>
    }
}
