//! `/customers/{customerId}/operations/{uploadId}/rows/{row}`: one device of an upload that Partner
//! Center refused with 808, "registered to another organisation". Partner Center says no more
//! than that; the device index may know which of the partner's customers has it (then it can
//! be moved here by the partner itself), and when it does not, someone outside the partner
//! must release it: the page says who, and gives a request to copy with the device's
//! identifiers filled in.

use super::access::load;
use super::model::RowFilter;
use crate::model::devices::RefusedDeviceView;
use crate::model::AppError;
use crate::partner_center::CustomerId;
use crate::server::caller::{caller, open_customer};
use crate::server::device_index::whereabouts;
use crate::server::display_time;
use crate::server::operations::device_errors::REGISTERED_ELSEWHERE;
use crate::server::operations::OperationId;

pub async fn refused_device(
    (id, upload_id): (CustomerId, OperationId),
    row: u32,
) -> Result<RefusedDeviceView, AppError> {
    let caller = caller().await?;
    let upload = load(&caller, &id, &upload_id).await?;
    let customer = open_customer(&caller, &id).await?;
    // Only an 808 has this page: any other row's address names nothing.
    let stored = caller
        .state
        .store
        .rows_after(
            &upload.operation.id,
            RowFilter::Failed,
            i64::from(row) - 1,
            1,
        )
        .await?
        .into_iter()
        .find(|r| r.device.row == row)
        .filter(|r| r.failed_with() == Some(REGISTERED_ELSEWHERE))
        .ok_or(AppError::NothingHere)?;
    let refused = std::iter::once((&stored.device, stored.failed_with()));
    let found = whereabouts::of_refused(&caller, &id, refused)
        .await
        .remove(&row);
    let coverage = whereabouts::coverage(&caller).await?;
    let device = stored.device;
    let submitted = display_time(chrono::DateTime::from_timestamp(
        upload.operation.created_at,
        0,
    ))
    .unwrap_or_default();
    let mut facts = vec![
        ("Serial number", device.serial_number.clone()),
        ("Manufacturer", device.manufacturer.clone()),
        ("Model", device.model.clone()),
        ("Windows product key", device.product_key.clone()),
        ("Hardware hash (4K)", device.hardware_hash.clone()),
    ];
    facts.retain(|(_, value)| value.as_deref().is_some_and(|v| !v.trim().is_empty()));
    let facts: Vec<String> = facts
        .into_iter()
        .map(|(name, value)| format!("{name}: {}", value.unwrap_or_default().trim()))
        .collect();
    let request_text = format!(
        "Subject: Request to deregister a Windows Autopilot device\n\n\
         We are the Microsoft Cloud Solution Provider of {customer} ({domain}) and need to \
         register the device below with Windows Autopilot for them. On {submitted}, Partner \
         Center refused it with error 808 (ZtdDeviceAssignedToOtherTenant): it is registered \
         with another organisation.\n\n\
         Please deregister it from Windows Autopilot (and retire it in Intune and delete it \
         from Microsoft Entra ID if it is still there), or tell us who can.\n\n\
         {facts}\n\n\
         Proof of purchase is attached.\n",
        customer = customer.name,
        domain = customer.domain,
        facts = facts.join("\n"),
    );
    Ok(RefusedDeviceView {
        customer,
        upload_id: upload.operation.id.to_string(),
        row,
        has_hash: device.hardware_hash.is_some(),
        serial_number: device.serial_number,
        product_key: device.product_key,
        manufacturer: device.manufacturer,
        model: device.model,
        error_code: REGISTERED_ELSEWHERE.to_string(),
        found,
        coverage,
        request_text,
    })
}
