use std::fmt::Write as _;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::codec::resource;
use crate::api::customer_batches;
use crate::components::crumbs::Crumbs;
use crate::components::loaded::Loaded;
use crate::components::local_time::iso_of;
use crate::html::escape_into;
use crate::model::{BatchRow, BatchesView};
use crate::urls;

/// `/customers/{customerId}/batches`: the customer's device batches, newest first.
#[component]
pub fn BatchesPage() -> impl IntoView {
    let params = use_params_map();
    let customer = move || params.read().get("customer").unwrap_or_default();
    let view_data = resource(customer, customer_batches);
    view! {
        <Loaded data=view_data title="Device batches" loading="Loading device batches…" show=move |data| view! { <Batches data/> }/>
    }
}

#[component]
fn Batches(data: BatchesView) -> impl IntoView {
    let customer = data.customer;
    let title = format!("Device batches · {}", customer.name);
    let empty = data.batches.is_empty();
    let rows = rows_html(&data.batches);
    let body = NodeRef::<leptos::html::Tbody>::new();
    // The rows are HTML of their own (below), so their moments are not `LocalTime`s: once
    // hydrated, each `<time>` is rewritten in the viewer's zone here.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(body) = body.get() else { return };
        let Ok(times) = body.query_selector_all("time") else {
            return;
        };
        for i in 0..times.length() {
            let Some(time) = times.item(i) else { continue };
            let utc = time.text_content().unwrap_or_default();
            if let Some(local) = crate::components::local_time::in_local_zone(&utc) {
                time.set_text_content(Some(&local));
            }
        }
    });
    view! {
        <Title text=title/>
        <Crumbs here=customer.name.clone()/>
        <h1>{customer.name.clone()}</h1>
        <p class="muted">{customer.domain.clone()}</p>
        <p class="actions">
            <a class="button" href=urls::new_upload(&customer.id)>"Upload devices"</a>
            <a href=urls::customer_uploads(&customer.id)>"Past uploads"</a>
            <a href=urls::profiles(&customer.id)>"Autopilot profiles"</a>
        </p>
        <h2>"Device batches"</h2>
        {(!empty).then(|| view! {
            <p class="actions">
                "Every device of every batch: "
                <a href=urls::customer_export(&customer.id, "xlsx") download="">"Export as Excel (XLSX)"</a>
                <a href=urls::customer_export(&customer.id, "csv") download="">"Export as CSV"</a>
            </p>
        })}
        {if empty {
            view! { <p>"This customer has no device batches yet."</p> }.into_any()
        } else {
            view! {
                <table class="batches">
                    <thead><tr>
                        <th scope="col">"Batch"</th><th scope="col">"Created"</th>
                        <th scope="col" class="number">"Devices"</th><th scope="col">"Status"</th>
                    </tr></thead>
                    <tbody node_ref=body inner_html=rows></tbody>
                </table>
            }.into_any()
        }}
    }
}

/// The table's rows as one string of HTML, every value escaped.
///
/// The batch list is the page staff reload all day, with up to 100 rows (its budget is in
/// BENCHMARKS.md). Built as a view, each cell is a type-erased element with its own boxed
/// child and attribute lists: perf put most of the page's time in allocating and freeing them.
/// The rows hold nothing reactive: hydration keeps the server's HTML (the browser builds the
/// same string, and sets it only when it renders the page itself). Anything reactive, or an
/// `on:` handler, in a row would need the rows back as views.
fn rows_html(batches: &[BatchRow]) -> String {
    let mut html = String::with_capacity(batches.len() * 160);
    for batch in batches {
        html.push_str("<tr><td class=\"key\"><a href=\"");
        escape_into(&mut html, &urls::batch_from_list(&batch.id));
        html.push_str("\">");
        escape_into(&mut html, &batch.id);
        html.push_str("</a></td><td data-label=\"Created\">");
        let created = batch.created.as_deref().unwrap_or_default();
        match iso_of(created) {
            // Rewritten in the viewer's zone once hydrated (`in_local_zone`, below).
            Some(iso) => {
                // The UTC text stays as its tooltip, as `LocalTime` keeps it.
                let _ = write!(html, "<time datetime=\"{iso}\" title=\"");
                escape_into(&mut html, created);
                html.push_str("\">");
                escape_into(&mut html, created);
                html.push_str("</time>");
            }
            None => escape_into(&mut html, created),
        }
        html.push_str("</td><td data-label=\"Devices\">");
        if let Some(devices) = batch.devices {
            let _ = write!(html, "{devices}");
        }
        html.push_str("</td><td data-label=\"Status\">");
        escape_into(&mut html, batch.status.as_deref().unwrap_or_default());
        html.push_str("</td></tr>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_in_a_row_is_escaped() {
        let batch = BatchRow {
            id: r#"<b>"Q3" & 'more'"#.into(),
            created: Some("<i>".into()),
            devices: Some(3),
            status: Some("a&b".into()),
        };
        assert_eq!(
            rows_html(&[batch]),
            "<tr><td class=\"key\"><a href=\"batches/%3Cb%3E%22Q3%22%20%26%20%27more%27\">\
             &lt;b&gt;&quot;Q3&quot; &amp; &#39;more&#39;</a></td><td data-label=\"Created\">&lt;i&gt;</td>\
             <td data-label=\"Devices\">3</td><td data-label=\"Status\">a&amp;b</td></tr>"
        );
    }

    #[test]
    fn a_created_moment_is_a_time_element_the_browser_can_rewrite() {
        let batch = BatchRow {
            id: "b".into(),
            created: Some("2025-04-17 09:00 UTC".into()),
            devices: Some(1),
            status: None,
        };
        assert!(rows_html(&[batch]).contains(
            "<td data-label=\"Created\"><time datetime=\"2025-04-17T09:00Z\" \
             title=\"2025-04-17 09:00 UTC\">2025-04-17 09:00 UTC</time></td>"
        ));
    }

    #[test]
    fn a_row_without_optional_values_has_empty_cells() {
        let batch = BatchRow {
            id: "b".into(),
            created: None,
            devices: None,
            status: None,
        };
        assert_eq!(
            rows_html(&[batch]),
            "<tr><td class=\"key\"><a href=\"batches/b\">b</a></td><td data-label=\"Created\"></td>\
             <td data-label=\"Devices\"></td><td data-label=\"Status\"></td></tr>"
        );
    }
}
