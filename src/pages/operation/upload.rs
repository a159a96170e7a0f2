use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::local_time::LocalTime;
use crate::components::poll::ReloadWithoutScript;
use crate::components::profile_choice::ProfileChoice;
use crate::components::{crumbs::Crumbs, pager::Pager};
use crate::model::devices::{Whereabouts, ALREADY_IN_THIS_CUSTOMER, REGISTERED_ELSEWHERE};
use crate::model::operations::PartState;
use crate::model::uploads::{
    ChunkView, DevicesShown, JobDeviceRow, JobView, OutcomeCountsView, UploadStatus,
};
use crate::model::ProfileOption;
use crate::urls;

fn state_words(state: UploadStatus) -> &'static str {
    match state {
        UploadStatus::Draft => "Not submitted yet: it is waiting for you on the preview.",
        UploadStatus::Submitting => "Sending to Partner Center…",
        UploadStatus::Queued => "Partner Center accepted the upload and will start on it shortly.",
        UploadStatus::Processing => "Partner Center is registering the devices.",
        UploadStatus::Finished => "Every device is registered.",
        UploadStatus::FinishedWithErrors => {
            "Some devices could not be registered. Each one says why and what to do below."
        }
        UploadStatus::Failed => "Not every part could be sent; the reason is below. Devices in the parts Partner Center accepted are still followed here.",
    }
}

/// An upload once submitted (`?show=failed&page=N` choose its devices): what Partner
/// Center did with each device, with the reason and the next step for every failure.
#[component]
pub fn Job(data: JobView) -> impl IntoView {
    let customer = data.customer;
    let upload = data.upload;
    let job_url = urls::operation(&customer.id, &upload.id);
    let counts = data.counts;
    let processed = counts.registered + counts.failed;
    let source = upload.source.describe(upload.file_name.as_deref());
    let batch_link = urls::batch(&customer.id, upload.batch_name(), 1);
    let devices_batch = batch_link.clone();
    let filter = |show: DevicesShown, label: String| {
        let href = format!("{job_url}?show={}", show.as_str());
        let current = data.show == show;
        view! {
            <a href=href aria-current=current.then_some("page") class:current=current>{label}</a>
        }
    };
    let pager_base = job_url.clone();
    let show = data.show.as_str();
    let no_devices = data.devices.is_empty();
    view! {
        <Title text=format!("Upload to {} · {}", upload.batch_name(), customer.name)/>
        {data.running.then(|| view! {
            <ReloadWithoutScript/>
        })}
        <Crumbs customer=customer.clone() here="Upload"/>
        <h1>"Upload to " {upload.batch_name().to_string()}</h1>
        <p class=format!("state {}", data.state.as_str()) role="status" aria-live="polite">
            <strong>{data.state.title()}</strong> ". " {state_words(data.state)}
        </p>
        {data.running.then(|| view! {
            <p class="hint">
                "You can leave this page: the dashboard keeps sending and following the upload \
                 without it, and Uploads lists it."
            </p>
        })}
        {upload.error.clone().map(|e| view! { <div class="notice error" role="alert"><p>{e}</p></div> })}
        {data.check_error.clone().map(|e| view! { <div class="notice warning" role="status"><p>{e}</p></div> })}
        <div class="progress">
            <progress max=counts.total.max(1) value=processed aria-label="Devices processed"></progress>
            <span>{format!("{processed} of {} devices processed: {} registered, {} failed", counts.total, counts.registered, counts.failed)}</span>
        </div>
        {data.can_resume.then(|| view! {
            <form method="post" action=format!("{job_url}/resume")>
                <button type="submit">"Send the remaining parts"</button>
                <span class="hint">" A part whose answer was lost is first looked up in Partner Center, and only what is not there goes again, so nothing is registered twice."</span>
            </form>
        })}
        {(!data.decisions.is_empty()).then(|| view! {
            <section class="notice decisions" aria-labelledby="decisions">
                <h2 id="decisions">"Parts whose answer was lost"</h2>
                <ul>{data.decisions.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul>
            </section>
        })}
        <dl class="facts">
            <dt>"Batch"</dt><dd><a href=batch_link>{upload.batch_name().to_string()}</a>{if upload.new_batch { " (new)" } else { "" }}</dd>
            <dt>"From"</dt><dd>{source}</dd>
            <dt>"Submitted by"</dt><dd>{upload.submitted_by.clone()} ", " <LocalTime utc=upload.created.clone()/></dd>
            <dt>"Started"</dt><dd>{match data.started.clone() { Some(at) => view! { <LocalTime utc=at/> }.into_any(), None => "not yet".into_any() }}</dd>
            <dt>"Completed"</dt><dd>{match data.completed.clone() { Some(at) => view! { <LocalTime utc=at/> }.into_any(), None => "not yet".into_any() }}</dd>
        </dl>
        {(counts.failed > 0).then(|| view! {
            <div class="actions">
                <a class="button" href=format!("{job_url}/failed.csv") download="">"Download the failed rows (CSV)"</a>
                {retry_label(counts).map(|label| view! {
                    <form method="post" action=format!("{job_url}/retry")>
                        <button type="submit" class="secondary">{label}</button>
                    </form>
                })}
            </div>
            {already_registered_note(counts).map(|note| view! { <p class="hint">{note}</p> })}
        })}
        {(!data.profiles.is_empty() || data.profiles_read_only.is_some()).then(|| view! {
            <ProfileForUpload action=format!("{job_url}/profile") registered=counts.registered
                profiles=data.profiles.clone() read_only=data.profiles_read_only.clone()/>
        })}
        <h2>"Devices"</h2>
        <nav class="filters" aria-label="Show devices">
            {filter(DevicesShown::All, format!("All ({})", counts.total))}
            {filter(DevicesShown::Failed, format!("Failed ({})", counts.failed))}
            {filter(DevicesShown::Registered, format!("Registered ({})", counts.registered))}
            <a href=format!("{job_url}/report.csv") download="">"Download the full report (CSV)"</a>
        </nav>
        {if no_devices {
            view! { <p>"No devices to show here."</p> }.into_any()
        } else {
            view! { <Devices devices=data.devices batch=devices_batch job=job_url.clone()/> }.into_any()
        }}
        <Pager page=data.page has_next=data.has_next of=data.pages label="Device pages"
            href=move |page| format!("{pager_base}?show={show}&page={page}")/>
        <Chunks chunks=data.chunks/>
    }
}

/// Gives every device the upload registered one of the customer's profiles (a form post,
/// with or without JavaScript); or, for a sign-in Partner Center refused profile writes, why
/// not.
#[component]
fn ProfileForUpload(
    action: String,
    registered: i64,
    profiles: Vec<ProfileOption>,
    read_only: Option<String>,
) -> impl IntoView {
    if let Some(why) = read_only {
        return view! { <p class="notice">{why}</p> }.into_any();
    }
    let devices = match registered {
        1 => "the device this upload registered".to_string(),
        n => format!("the {n} devices this upload registered"),
    };
    view! {
        <form method="post" action=action class="apply-profile">
            <fieldset class="profile-choice">
                <legend>{format!("Give {devices} an Autopilot profile")}</legend>
                <ProfileChoice profiles/>
                <button type="submit">{format!("Apply to {devices}")}</button>
            </fieldset>
        </form>
    }
    .into_any()
}

/// `batch`: the batch page's address, under which a registered device can be deleted; `job`:
/// this page's, under which a device refused as registered elsewhere has its own page.
#[component]
fn Devices(devices: Vec<JobDeviceRow>, batch: String, job: String) -> impl IntoView {
    let rows = devices
        .into_iter()
        .map(|d| {
            let model = match (d.manufacturer, d.model) {
                (Some(m), Some(mo)) => format!("{m} {mo}"),
                (m, mo) => m.or(mo).unwrap_or_default(),
            };
            let whereabouts = refused_links(&d.error_code, d.found, &job, d.row);
            // Each link named for its device, as on the batch page ("Delete SN-1234").
            let named = d.serial_number.as_deref().or(d.device_id.as_deref());
            let delete_label = format!("Delete {}", named.unwrap_or_default());
            view! {
                <tr class=format!("device {}", d.status.as_str())>
                    <td class="number" data-label="Row">{d.row}</td>
                    <td class="key id">{d.serial_number}</td>
                    <td class="id" data-label="Product key">{d.product_key}</td>
                    <td data-label="Manufacturer and model">{model}</td>
                    <td data-label="Status">{d.status.label()}</td>
                    <td data-label="Error"><code>{d.error_code}</code></td>
                    <td>
                        {d.explanation}
                        {d.device_id.map(|id| view! {
                            <a href=format!("{batch}/devices/{}/delete", urls::encode(&id))
                                aria-label=delete_label.clone()>"Delete…"</a>
                        })}
                        {whereabouts}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="devices">
            <thead><tr>
                <th scope="col" class="number">"Row"</th><th scope="col">"Serial number"</th>
                <th scope="col">"Product key"</th><th scope="col">"Manufacturer and model"</th>
                <th scope="col">"Status"</th><th scope="col">"Error"</th>
                <th scope="col">"What it means, what to do"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// For a device refused as already registered: where the device index finds it. An 806 links
/// to its place in this customer (delete it there to have it here); an 808 to its own page.
fn refused_links(
    code: &Option<String>,
    found: Option<Whereabouts>,
    job: &str,
    row: u32,
) -> Option<AnyView> {
    match (code.as_deref()?, found) {
        (
            ALREADY_IN_THIS_CUSTOMER,
            Some(Whereabouts::Found {
                customer_id,
                batch_id,
                device_id,
                by_serial,
                ..
            }),
        ) => {
            let batch = urls::batch(&customer_id, &batch_id, 1);
            let delete = format!("{batch}/devices/{}/delete", urls::encode(&device_id));
            let what = match by_serial {
                true => "A device with this serial number is in the batch ",
                false => "It is in the batch ",
            };
            Some(
                view! {
                    <p class="whereabouts">
                        {what} <a href=batch>{format!("“{batch_id}”")}</a>
                        ". To have it in this upload's batch instead: "
                        <a href=delete>"delete it there…"</a> ", then retry the failed rows."
                    </p>
                }
                .into_any(),
            )
        }
        (REGISTERED_ELSEWHERE, found) => {
            let hint = match found {
                Some(Whereabouts::Found { customer_name, .. }) => {
                    format!("It is with your customer {customer_name}: how to move it…")
                }
                Some(Whereabouts::Hidden) => "Where it is and who can release it…".to_string(),
                None => "Who can release it, and a request to send…".to_string(),
            };
            Some(
                view! {
                    <p class="whereabouts"><a href=format!("{job}/rows/{row}")>{hint}</a></p>
                }
                .into_any(),
            )
        }
        _ => None,
    }
}

#[component]
fn Chunks(chunks: Vec<ChunkView>) -> impl IntoView {
    let accepted = chunks
        .iter()
        .filter(|c| c.state == PartState::Accepted)
        .count();
    let settled = chunks
        .iter()
        .filter(|c| c.state == PartState::Settled)
        .count();
    let total = chunks.len() - settled;
    let summary = match settled {
        0 => format!("Parts sent to Partner Center: {accepted} of {total} accepted"),
        _ => format!(
            "Parts sent to Partner Center: {accepted} of {total} accepted, \
             and {settled} whose answer was lost, settled by looking"
        ),
    };
    let rows = chunks
        .into_iter()
        .map(|c| {
            view! {
                <tr>
                    <td class="number key" data-label="Part">{c.number}</td>
                    <td data-label="Request">{c.operation}</td>
                    <td class="number" data-label="Devices">{c.devices}</td>
                    <td data-label="Sent">{c.state.as_str()}</td>
                    <td data-label="Job">{c.job_status.map(|s| s.replace('_', " "))}</td>
                    <td data-label="Tracking id or reason"><code>{c.tracking_id}</code>{c.error}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="chunks">
            <summary>{summary}</summary>
            <table>
                <thead><tr>
                    <th scope="col" class="number">"Part"</th><th scope="col">"Request"</th>
                    <th scope="col" class="number">"Devices"</th><th scope="col">"Sent"</th>
                    <th scope="col">"Job"</th><th scope="col">"Tracking id or reason"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

/// The retry button's words, counting what it sends again: only failures a retry can fix, not
/// devices already registered (806 here, 808 elsewhere), which would fail the same way;
/// `None` when nothing is left to retry.
fn retry_label(counts: OutcomeCountsView) -> Option<String> {
    let retryable = counts.failed - counts.already_registered;
    match (retryable, counts.already_registered) {
        (0, _) => None,
        (_, 0) => Some("Retry the failed rows".to_string()),
        (1, _) => Some("Retry the other failed row".to_string()),
        (n, _) => Some(format!("Retry the {n} other failed rows")),
    }
}

/// Why devices already registered are left out of the retry, and what to do first.
fn already_registered_note(counts: OutcomeCountsView) -> Option<String> {
    let (is, them, its) = match counts.already_registered {
        0 => return None,
        1 => ("1 failed device is".to_string(), "it", "Its row"),
        n => (format!("{n} failed devices are"), "them", "Each one's row"),
    };
    Some(format!(
        "{is} already registered (806: in another batch of this customer; 808: with another \
         organisation), so sending {them} again would fail the same way: the retry leaves \
         {them} out. {its} below says what to do first (delete it where it is, or have it \
         released); then upload {them} again."
    ))
}
