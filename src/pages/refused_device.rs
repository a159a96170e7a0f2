use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::codec::resource;
use crate::api::uploads::refused_device;
use crate::components::crumbs::Crumbs;
use crate::components::loaded::Loaded;
use crate::model::devices::{IndexCoverage, RefusedDeviceView, Whereabouts};
use crate::urls;

/// `/customers/{customerId}/operations/{uploadId}/rows/{row}`: a device Partner Center refused with
/// 808, "registered to another organisation". Where the device index finds it and how to move
/// it; or, when no customer of the partner has it, who can release it and a request to copy.
#[component]
pub fn RefusedDevicePage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let params = params.read();
        (
            params.get("customer").unwrap_or_default(),
            params.get("operation").unwrap_or_default(),
            // A row number that does not parse names no row (row 0 does not exist).
            params
                .get("row")
                .and_then(|row| row.parse().ok())
                .unwrap_or(0),
        )
    };
    let data = resource(key, |(customer, upload, row)| {
        refused_device(customer, upload, row)
    });
    view! {
        <Loaded data=data title="A refused device" loading="Loading the device…" show=move |data| view! { <Refused data/> }/>
    }
}

#[component]
fn Refused(data: RefusedDeviceView) -> impl IntoView {
    let RefusedDeviceView {
        customer,
        upload_id,
        row,
        serial_number,
        product_key,
        manufacturer,
        model,
        has_hash,
        error_code,
        found,
        coverage,
        request_text,
    } = data;
    let job = urls::operation(&customer.id, &upload_id);
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".into());
    let search = serial_number.as_deref().map(urls::devices);
    let next = match found {
        Some(Whereabouts::Found {
            customer_id,
            customer_name,
            batch_id,
            device_id,
            by_serial,
            ..
        }) => {
            let batch = urls::batch(&customer_id, &batch_id, 1);
            let delete = format!("{batch}/devices/{}/delete", urls::encode(&device_id));
            view! {
                <h2>{format!("It is with your customer {customer_name}")}</h2>
                <p>
                    {if by_serial { "The dashboard's device index finds a device with this serial number in " } else { "The dashboard's device index finds this device in " }}
                    {format!("{customer_name}'s batch ")} <a href=batch>{format!("“{batch_id}”")}</a>
                    ". Your organisation registered it there, so you can move it yourself:"
                </p>
                {by_serial.then(|| view! {
                    <p class="notice warning">"Found by its serial number only: before deleting, check that the manufacturer and model there are this device's."</p>
                })}
                <ol>
                    <li>{format!("Make sure the device no longer belongs to {customer_name}. If it was in use there, their IT retires it in Intune and deletes it from Microsoft Entra ID first, or it may still join their organisation when it is set up.")}</li>
                    <li><a href=delete>{format!("Delete it from {customer_name}'s batch…")}</a></li>
                    <li>"Back on " <a href=job.clone()>"this upload"</a> ", retry the failed rows."</li>
                </ol>
            }
            .into_any()
        }
        Some(Whereabouts::Hidden) => view! {
            <h2>"It is with another of your organisation's customers"</h2>
            <p>
                "The dashboard's device index finds it with a customer your account cannot open. \
                 Ask a colleague who can open that customer to delete it there (after its IT has \
                 retired it in Intune and removed it from Microsoft Entra ID, if it was in use); \
                 then retry the failed rows of " <a href=job.clone()>"this upload"</a> "."
            </p>
        }
        .into_any(),
        None => view! {
            <h2>"No customer of yours the dashboard has read has it"</h2>
            <p>{coverage_words(&coverage)}</p>
            {search.map(|href| view! { <p><a href=href>"Find this serial number among your customers"</a></p> })}
            <h3>"Who can release it"</h3>
            <ul>
                <li>"The organisation that used it before, in its own Intune (Devices › Windows › Enrollment › Devices, delete the Windows Autopilot device)."</li>
                <li>"The partner or reseller who registered it for that organisation, in their Partner Center."</li>
                <li>"Microsoft support, when neither can be reached: they ask for proof of purchase."</li>
            </ul>
            <h3>"What must be cleaned up first"</h3>
            <p>
                "Where the device was in use, that organisation's IT retires or wipes it in Intune and \
                 deletes its device object in Microsoft Entra ID before the Autopilot registration is \
                 deleted; otherwise it may still join their organisation when it is set up."
            </p>
            <h3><label for="request-text">"A request to send"</label></h3>
            <p class="hint">"Copy it into your message to the previous owner, their partner or Microsoft support; attach the proof of purchase."</p>
            <textarea id="request-text" class="request-text" readonly rows="14">{request_text}</textarea>
            <p>"Once it is released, retry the failed rows of " <a href=job.clone()>"this upload"</a> "."</p>
        }
        .into_any(),
    };
    let model = match (manufacturer, model) {
        (Some(m), Some(model)) => Some(format!("{m} {model}")),
        (m, model) => m.or(model),
    };
    view! {
        <Title text=format!("Row {row}: registered to another organisation · {}", customer.name)/>
        <Crumbs customer=customer.clone() through=vec![("Upload".to_string(), job.clone())] here=format!("Row {row}")/>
        <h1>{format!("Row {row}: registered to another organisation")}</h1>
        <p>
            "Partner Center refused this device (" <code>{error_code}</code> "): it is registered \
             for Windows Autopilot with another organisation, and it says no more than that."
        </p>
        <dl class="facts">
            <dt>"Serial number"</dt><dd>{or_dash(serial_number)}</dd>
            <dt>"Manufacturer and model"</dt><dd>{or_dash(model)}</dd>
            <dt>"Product key"</dt><dd>{or_dash(product_key)}</dd>
            <dt>"Hardware hash"</dt><dd>{if has_hash { "in the uploaded file" } else { "not in the uploaded file" }}</dd>
        </dl>
        {next}
    }
}

fn coverage_words(coverage: &IndexCoverage) -> String {
    let read = match coverage.read == coverage.of {
        true => format!("all {} customers you can open", coverage.of),
        false => format!(
            "{} of the {} customers you can open (a customer is read once someone opens it)",
            coverage.read, coverage.of
        ),
    };
    format!(
        "The dashboard's device index has read {read}, and none of them has this device. So \
         it is most likely registered with an organisation outside your partner account, whose \
         devices Partner Center never shows you."
    )
}
