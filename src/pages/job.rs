use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::api::uploads::{upload_job, JobView};
use crate::components::error_notice::ErrorNotice;
use crate::urls;

/// `/customers/{customerId}/jobs/{uploadId}`: where a submitted upload stands. While it is
/// being sent the page refreshes itself, so it works with JavaScript off.
#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let params = params.read();
        (
            params.get("customer").unwrap_or_default(),
            params.get("upload").unwrap_or_default(),
        )
    };
    let data = Resource::new(key, |(customer, upload)| upload_job(customer, upload));
    view! {
        <Suspense fallback=|| view! { <p>"Loading the upload…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Job data/> }.into_any(),
                    Err(error) => view! { <Title text="Upload"/><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn state_words(state: &str) -> &'static str {
    match state {
        "draft" => "Not submitted yet: it is waiting for you on the preview.",
        "submitting" => "Sending to Partner Center…",
        "submitted" => {
            "Partner Center accepted every part of the upload and is registering the devices."
        }
        _ => "Could not be submitted.",
    }
}

#[component]
fn Job(data: JobView) -> impl IntoView {
    let customer = data.customer;
    let upload = data.upload;
    let running = upload.state == "submitting";
    let accepted = data.chunks.iter().filter(|c| c.state == "accepted").count();
    let total = data.chunks.len();
    let chunks = data
        .chunks
        .into_iter()
        .map(|c| {
            view! {
                <tr>
                    <td class="number">{c.number}</td>
                    <td>{c.operation}</td>
                    <td class="number">{c.devices}</td>
                    <td>{c.state}</td>
                    <td><code>{c.tracking_id}</code>{c.error}</td>
                </tr>
            }
        })
        .collect_view();
    let source = upload
        .file_name
        .clone()
        .unwrap_or_else(|| match upload.source.as_str() {
            "paste" => "pasted rows".into(),
            _ => "typed rows".into(),
        });
    let batch_link = urls::batch(&customer.id, &upload.batch_id, 1);
    view! {
        <Title text=format!("Upload to {} · {}", upload.batch_id, customer.name)/>
        {running.then(|| view! { <Meta http_equiv="refresh" content="3"/> })}
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/customers">"Customers"</a> " › "
            <a href=urls::batches(&customer.id)>{customer.name.clone()}</a> " › "
            <span aria-current="page">"Upload"</span>
        </nav>
        <h1>"Upload to " {upload.batch_id.clone()}</h1>
        <p class=format!("state {}", upload.state) role="status">{state_words(&upload.state)}</p>
        {upload.error.clone().map(|e| view! { <div class="notice error" role="alert"><p>{e}</p></div> })}
        {data.can_resume.then(|| view! {
            <form method="post" action=format!("{}/resume", urls::job(&customer.id, &upload.id))>
                <button type="submit">"Send the remaining parts"</button>
                <span class="hint">" Each part goes with the request id it was first sent with, so nothing is registered twice."</span>
            </form>
        })}
        <dl class="facts">
            <dt>"Batch"</dt><dd><a href=batch_link>{upload.batch_id.clone()}</a>{if upload.new_batch { " (new)" } else { "" }}</dd>
            <dt>"Devices"</dt><dd>{data.devices}</dd>
            <dt>"From"</dt><dd>{source}</dd>
            <dt>"Submitted by"</dt><dd>{upload.submitted_by.clone()} ", " {upload.created.clone()}</dd>
            <dt>"Parts accepted"</dt><dd>{format!("{accepted} of {total}")}</dd>
        </dl>
        <h2>"Parts sent to Partner Center"</h2>
        <table>
            <thead><tr>
                <th scope="col" class="number">"Part"</th><th scope="col">"Request"</th>
                <th scope="col" class="number">"Devices"</th><th scope="col">"State"</th>
                <th scope="col">"Tracking id or reason"</th>
            </tr></thead>
            <tbody>{chunks}</tbody>
        </table>
    }
}
