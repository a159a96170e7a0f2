use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::codec::resource;
use crate::api::uploads::upload_preview;
use crate::components::{crumbs::Crumbs, done_notice::DoneNotice, loaded::Loaded, pager::Pager};
use crate::model::operations::OperationState;
use crate::model::uploads::{
    AfterDiscard, FindingView, PreviewRow, PreviewView, RowsAction, SplitPartView,
    NAME_THE_BATCH_FIRST,
};
use crate::urls;

/// `/customers/{customerId}/uploads/{uploadId}?page=N&only=findings`: what was read, what is
/// wrong, and the buttons to fix it or to submit.
#[component]
pub fn UploadPreviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let (params, query) = (params.read(), query.read());
        (
            params.get("customer").unwrap_or_default(),
            params.get("upload").unwrap_or_default(),
            super::page_number(&query),
            query.get("only").as_deref() == Some("findings"),
        )
    };
    let data = resource(key, |(customer, upload, page, only)| {
        upload_preview(customer, upload, page, only)
    });
    view! {
        <DoneNotice/>
        <Loaded data=data title="Upload preview" loading="Loading the preview…" show=move |data| view! { <Preview data/> }/>
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
fn Preview(data: PreviewView) -> impl IntoView {
    let customer = data.customer.clone();
    let upload = data.upload.clone();
    let base = urls::upload(&customer.id, &upload.id);
    let title = format!("Check the upload · {}", customer.name);
    // The words begin the line here: with a capital.
    let source = {
        let words = upload.source.describe(upload.file_name.as_deref());
        let mut letters = words.chars();
        letters
            .next()
            .map(|first| first.to_uppercase().chain(letters).collect::<String>())
            .unwrap_or_default()
    };
    let columns = data
        .columns
        .iter()
        .map(|(header, field)| match field {
            Some(field) if field == header => view! { <li>{header.clone()}</li> }.into_any(),
            Some(field) => view! { <li>{header.clone()} " → " {field.clone()}</li> }.into_any(),
            None => view! { <li class="ignored">{header.clone()} " (ignored)"</li> }.into_any(),
        })
        .collect_view();
    let counts = data.counts.clone();
    let included = counts.total - counts.excluded;
    let not_draft = upload.state != OperationState::Draft;
    let only_url = if data.only_findings {
        base.clone()
    } else {
        format!("{base}?only=findings")
    };
    let only_label = if data.only_findings {
        "Show all rows"
    } else {
        "Show only rows with findings"
    };
    let pager_base = base.clone();
    let only = data.only_findings;
    view! {
        <Title text=title/>
        <Crumbs customer=customer.clone() here="Check the upload"/>
        <h1>"Check the upload"</h1>
        {not_draft.then(|| view! {
            <div class="notice" role="status">
                <p>"This upload was already submitted."</p>
                <a class="button" href=urls::operation(&customer.id, &upload.id)>"Follow the upload"</a>
            </div>
        })}
        <dl class="facts">
            <dt>"Read from"</dt><dd>{source}</dd>
            <dt>"As"</dt><dd>{data.description.clone()}</dd>
            <dt>"Columns"</dt><dd><ul class="columns">{columns}</ul></dd>
            <dt>"Devices"</dt>
            <dd>
                {plural(included, "row to send", "rows to send")}
                {(counts.excluded > 0).then(|| format!(", {} removed", counts.excluded))}
                {(counts.errors > 0).then(|| format!(", {} with errors", plural(counts.errors, "row", "rows")))}
                {(counts.warnings > 0).then(|| format!(", {} with warnings", plural(counts.warnings, "row", "rows")))}
            </dd>
        </dl>
        <FileFindings findings=data.file_findings.clone()/>
        {(!not_draft && !data.sheets.is_empty()).then(|| view! { <SheetPicker base=base.clone() sheets=data.sheets.clone()/> })}
        <SplitPanel base=base.clone() customer_id=customer.id.clone() editable=!not_draft
            tags=data.group_tags.clone() parts=data.split_parts.clone()/>
        {(!not_draft).then(|| view! { <SubmitPanel data=data.clone()/> })}
        <h2 id="rows">"Rows"</h2>
        <p><a href=only_url>{only_label}</a></p>
        <form method="post" action=format!("{base}/rows")>
            {(!not_draft).then(|| view! {
                <div class="actions">
                    <button type="submit" name="action" value=RowsAction::RemoveSelected.as_str()>"Remove selected rows"</button>
                    <button type="submit" name="action" value=RowsAction::RestoreSelected.as_str() class="secondary">"Put selected rows back"</button>
                    {(counts.errors > 0).then(|| view! {
                        <button type="submit" name="action" value=RowsAction::RemoveErrors.as_str() class="secondary">"Remove every row with an error"</button>
                    })}
                    <button type="submit" name="action" value=RowsAction::RemoveRegistered.as_str() class="secondary">"Remove rows already registered"</button>
                </div>
            })}
            <Rows rows=data.rows.clone() editable=!not_draft/>
        </form>
        <Pager page=data.page has_next=data.has_next of=data.pages label="Row pages"
            href=move |page| {
                let mut url = format!("{pager_base}?page={page}");
                if only { url.push_str("&only=findings"); }
                url
            }/>
    }
}

#[component]
fn FileFindings(findings: Vec<FindingView>) -> impl IntoView {
    (!findings.is_empty()).then(|| {
        let items = findings
            .into_iter()
            .map(|f| {
                let class = if f.error { "error" } else { "warning" };
                view! { <li class=class>{f.message}</li> }
            })
            .collect_view();
        view! {
            <section aria-labelledby="about-file">
                <h2 id="about-file">"About the file"</h2>
                <ul class="findings">{items}</ul>
            </section>
        }
    })
}

/// Group tags cannot travel per device: offer one batch per tag, and list the parts made.
#[component]
fn SplitPanel(
    base: String,
    customer_id: String,
    editable: bool,
    tags: Vec<(String, i64)>,
    parts: Vec<SplitPartView>,
) -> impl IntoView {
    let offer = (editable && !tags.is_empty()).then(|| {
        let list = tags
            .iter()
            .map(|(tag, rows)| format!("“{tag}” ({})", plural(*rows, "row", "rows")))
            .collect::<Vec<_>>()
            .join(", ");
        view! {
            <form method="post" action=format!("{base}/split") class="notice">
                <p>{format!("The rows carry group tags: {list}. Partner Center takes no group tag per device; it uses the batch name. To keep the tags, split the upload into one new batch per tag, named after it.")}</p>
                <button type="submit" class="secondary">"Split into one batch per group tag"</button>
            </form>
        }
    });
    let made = (!parts.is_empty()).then(|| {
        let items = parts
            .into_iter()
            .map(|part| {
                let href = urls::upload(&customer_id, &part.upload_id);
                let what = format!(
                    "{} for the new batch “{}”",
                    plural(part.rows, "row", "rows"),
                    part.batch_id
                );
                view! { <li><a href=href>{what}</a> " (" {part.state.as_str()} ")"</li> }
            })
            .collect_view();
        view! {
            <section aria-labelledby="parts">
                <h2 id="parts">"Split by group tag into"</h2>
                <p>"Check and submit each part; rows without a group tag stay here."</p>
                <ul>{items}</ul>
            </section>
        }
    });
    view! { {offer} {made} }.into_any()
}

/// Another sheet of the workbook, read from the stored file.
#[component]
fn SheetPicker(base: String, sheets: Vec<String>) -> impl IntoView {
    let options = sheets
        .into_iter()
        .map(|name| view! { <option value=name.clone()>{name.clone()}</option> })
        .collect_view();
    view! {
        <form method="post" action=format!("{base}/sheet") class="inline">
            <label for="sheet">"Read another sheet of the workbook:"</label>
            <select id="sheet" name="sheet">{options}</select>
            <button type="submit" class="secondary">"Read this sheet"</button>
        </form>
    }
    .into_any()
}

/// Submit, or what stands in its way (errors, a batch name already taken).
#[component]
fn SubmitPanel(data: PreviewView) -> impl IntoView {
    let customer_id = data.customer.id.clone();
    let upload = data.upload;
    let base = urls::upload(&customer_id, &upload.id);
    let included = data.counts.total - data.counts.excluded;
    let options = data
        .batches
        .iter()
        .map(|b| view! { <option value=b.clone() selected=upload.batch_id.as_ref() == Some(b)>{b.clone()}</option> })
        .collect_view();
    let unnamed = upload.batch_id.is_none();
    let change_target = view! {
        <details open=unnamed>
            <summary>"Change the batch"</summary>
            <form method="post" action=format!("{base}/target") class="inline">
                <input type="hidden" name="target" value="new"/>
                <label for="rename">"New batch named"</label>
                <input type="text" id="rename" name="batch_name" maxlength="128" value=upload.batch_id.clone().unwrap_or_default()/>
                <button type="submit" class="secondary">"Use this name"</button>
            </form>
            {(!data.batches.is_empty()).then(|| view! {
                <form method="post" action=format!("{base}/target") class="inline">
                    <input type="hidden" name="target" value="existing"/>
                    <label for="add-to">"or add to"</label>
                    <select id="add-to" name="existing_batch">{options}</select>
                    <button type="submit" class="secondary">"Add to this batch"</button>
                </form>
            })}
        </details>
    };
    let blocker = if unnamed {
        Some(
            view! {
                <div class="notice error" role="alert">
                    <p>{NAME_THE_BATCH_FIRST}</p>
                </div>
            }
            .into_any(),
        )
    } else if let Some(taken) = data.name_taken.clone() {
        Some(view! {
            <div class="notice error" role="alert">
                <p>{format!("A batch named “{taken}” already exists for this customer. Add these devices to it instead?")}</p>
                <form method="post" action=format!("{base}/target") class="inline">
                    <input type="hidden" name="target" value="existing"/>
                    <input type="hidden" name="existing_batch" value=taken.clone()/>
                    <button type="submit">{format!("Add to “{taken}” instead")}</button>
                </form>
                <p>"Or give the new batch another name under “Change the batch”."</p>
            </div>
        }.into_any())
    } else if data.counts.errors > 0 {
        Some(view! {
            <div class="notice error" role="alert">
                <p>{format!("{} cannot be sent as they are. Fix them in the file and upload it again, or remove them below.", plural(data.counts.errors, "row has errors and", "rows have errors and"))}</p>
            </div>
        }.into_any())
    } else if included == 0 {
        Some(view! { <div class="notice error" role="alert"><p>"Every row was removed: there is nothing to send."</p></div> }.into_any())
    } else {
        None
    };
    let ready = blocker.is_none();
    // What can be sent: a row with errors never is (it must be removed, or fixed in the file).
    let sendable = plural(included - data.counts.errors, "device", "devices");
    let label = match (&upload.batch_id, upload.new_batch) {
        (None, _) => format!("Register {sendable} in a new batch"),
        (Some(batch), true) => format!("Register {sendable} in the new batch “{batch}”"),
        (Some(batch), false) => format!("Add {sendable} to the batch “{batch}”"),
    };
    view! {
        <section class="submit" aria-labelledby="send">
            <h2 id="send">"Send to Partner Center"</h2>
            {blocker}
            <form method="post" action=format!("{base}/submit") class="inline">
                <button type="submit" disabled=!ready>{label}</button>
                // Deletes this draft (its file too) and opens a new upload form: a draft
                // given up does not wait in the history for its retention to end.
                <button type="submit" class="secondary" formaction=format!("{base}/discard")
                    name="then" value=AfterDiscard::NewUpload.as_str()>"Discard and start again"</button>
            </form>
            {change_target}
        </section>
    }
}

#[component]
fn Rows(rows: Vec<PreviewRow>, editable: bool) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p>"No rows to show."</p> }.into_any();
    }
    let body = rows
        .into_iter()
        .map(|row| {
            let class = match (row.excluded, row.findings.iter().any(|f| f.error), row.findings.is_empty()) {
                (true, _, _) => "excluded",
                (false, true, _) => "has-error",
                (false, false, false) => "has-warning",
                _ => "",
            };
            let findings = row
                .findings
                .into_iter()
                .map(|f| {
                    let (class, label) = if f.error { ("error", "Error") } else { ("warning", "Warning") };
                    let column = f.column.map(|c| format!("{c}: ")).unwrap_or_default();
                    view! { <li class=class><span class="tag">{label}</span>" "{column}{f.message}</li> }
                })
                .collect_view();
            let number = row.row;
            view! {
                <tr class=class>
                    <td class="pick">
                        {editable.then(|| view! {
                            <input type="checkbox" name="row" value=number.to_string()
                                aria-label=format!("Select row {number}")/>
                        })}
                    </td>
                    <th scope="row" class="number key" data-label="Row">{number}{row.excluded.then_some(" (removed)")}</th>
                    <td class="id" data-label="Serial number">{row.serial_number}</td>
                    <td class="id" data-label="Product key">{row.product_key}</td>
                    <td class="hash" data-label="Hardware hash">{row.hash_excerpt}</td>
                    <td data-label="Manufacturer">{row.manufacturer}</td>
                    <td data-label="Model">{row.model}</td>
                    <td><ul class="findings">{findings}</ul></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="scroll">
            <table class="preview">
                <thead><tr>
                    <th scope="col" class="pick"><span class="visually-hidden">"Select"</span></th>
                    <th scope="col">"Row"</th><th scope="col">"Serial number"</th>
                    <th scope="col">"Product key"</th><th scope="col">"Hardware hash"</th>
                    <th scope="col">"Manufacturer"</th><th scope="col">"Model"</th>
                    <th scope="col">"Findings"</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
    .into_any()
}
