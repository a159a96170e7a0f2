use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::codec::resource;
use crate::api::uploads::upload_form;
use crate::components::crumbs::Crumbs;
use crate::components::done_notice::DoneNotice;
use crate::components::loaded::Loaded;
use crate::model::uploads::{UploadFormView, TYPED_FIELDS, TYPED_ROWS};
use crate::upload_progress::Sending::{self, Failed, Progress, Refused};
use crate::urls;

/// `/customers/{customerId}/uploads/new?batch=…`: a file, pasted rows or typed rows, and the
/// batch they go to. A plain multipart form: it works with JavaScript off.
#[component]
pub fn UploadNewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let customer = move || params.read().get("customer").unwrap_or_default();
    let data = resource(customer, upload_form);
    view! {
        <DoneNotice/>
        <Loaded data title="Upload devices" loading="Loading…" show=move |data| {
            let batch = query.read_untracked().get("batch");
            view! { <UploadForm data batch/> }
        }/>
    }
}

#[component]
fn UploadForm(data: UploadFormView, batch: Option<String>) -> impl IntoView {
    let customer = data.customer;
    let add_to = batch.filter(|b| data.batches.contains(b));
    // Set only in the browser, while the form is sent with a progress bar.
    let sending = RwSignal::new(None::<Sending>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        crate::upload_progress::send(event, sending);
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    let limits = format!(
        "CSV or text (comma, semicolon or tab separated, any Windows encoding), Excel (XLSX, XLS) \
         or OpenDocument (ODS); up to {} MB and {} devices. ",
        data.max_mb, data.max_rows
    );
    view! {
        <Title text=format!("Upload devices · {}", customer.name)/>
        <Crumbs customer=customer.clone() here="Upload devices"/>
        <h1>"Upload devices for " {customer.name.clone()}</h1>
        <p>"The devices are checked first: you see every problem, row by row, before anything is sent to Partner Center."</p>
        <form method="post" action=format!("/customers/{}/uploads", urls::encode(&customer.id))
            enctype="multipart/form-data" class="upload" on:submit=on_submit>
            <DevicesFieldset limits/>
            <BatchFieldset batches=data.batches add_to/>
            <button type="submit" disabled=move || matches!(sending.get(), Some(Progress(_)))>
                "Check the devices"
            </button>
            {move || sending.get().map(|state| match state {
                Progress(percent) => view! {
                    <p role="status" class="progress">
                        <label for="upload-progress">{format!("Sending… {percent:.0}%")}</label>
                        <progress id="upload-progress" max="100" value=percent></progress>
                    </p>
                }.into_any(),
                Failed => view! {
                    <p role="alert" class="notice error">"The connection failed while sending. Nothing was stored; try again."</p>
                }.into_any(),
                Refused(message) => view! {
                    <div role="alert" class="notice error">
                        <p><strong>"The upload was not accepted. "</strong>{message}</p>
                    </div>
                }.into_any(),
            })}
        </form>
    }
}

/// A file, pasted rows, or a few typed rows.
#[component]
fn DevicesFieldset(limits: String) -> AnyView {
    view! {
        <fieldset>
            <legend>"Devices"</legend>
            <label for="file">"Device list"</label>
            <input type="file" id="file" name="file"
                accept=".csv,.txt,.tsv,.xlsx,.xlsm,.xls,.ods,text/csv,text/plain"
                aria-describedby="file-hint"/>
            <p class="hint" id="file-hint">
                {limits}
                "Headers from Get-WindowsAutopilotInfo, Partner Center, Intune and the Partner Center API are recognised."
            </p>
            <details>
                <summary>"…or paste rows copied from Excel"</summary>
                <label for="pasted">"Rows, with the header row first"</label>
                <textarea id="pasted" name="pasted" rows="6" spellcheck="false"></textarea>
            </details>
            <details>
                <summary>"…or type a few devices"</summary>
                <p class="hint">"Each device needs a hardware hash, a product key, or serial number + manufacturer + model (exactly as the device reports them)."</p>
                <TypedRows/>
            </details>
        </fieldset>
    }
    .into_any()
}

#[component]
fn TypedRows() -> AnyView {
    let headers = TYPED_FIELDS
        .iter()
        .map(|(_, label)| view! { <th scope="col">{*label}</th> })
        .collect_view();
    let rows = (0..TYPED_ROWS)
        .map(|i| {
            let cells = TYPED_FIELDS
                .iter()
                .map(|(field, label)| {
                    view! {
                        <td data-label=*label><input type="text" name=format!("row{i}_{field}")
                            aria-label=format!("{label}, device {}", i + 1)/></td>
                    }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="scroll">
            <table class="typed">
                <thead><tr>{headers}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A new batch by name, or one of the customer's batches.
#[component]
fn BatchFieldset(batches: Vec<String>, add_to: Option<String>) -> AnyView {
    let new_checked = add_to.is_none();
    let existing = (!batches.is_empty()).then(|| {
        let options = batches
            .into_iter()
            .map(|name| {
                let selected = add_to.as_deref() == Some(name.as_str());
                view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
            })
            .collect_view();
        view! {
            <div class="choice">
                <input type="radio" id="target-existing" name="target" value="existing" checked=!new_checked/>
                <label for="target-existing">"Add to the batch"</label>
                <select id="existing_batch" name="existing_batch" aria-label="Existing batch">{options}</select>
            </div>
        }
    });
    view! {
        <fieldset>
            <legend>"Batch"</legend>
            <div class="choice">
                <input type="radio" id="target-new" name="target" value="new" checked=new_checked/>
                <label for="target-new">"Create a new batch named"</label>
                <input type="text" id="batch_name" name="batch_name" maxlength="128"
                    aria-label="Name of the new batch" aria-describedby="batch-hint"/>
            </div>
            {existing}
            <p class="hint" id="batch-hint">"Partner Center uses the batch name as the devices' group tag (order id) in Intune."</p>
        </fieldset>
    }
    .into_any()
}
