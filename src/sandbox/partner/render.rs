//! Partner Center's JSON shapes (camelCase, `attributes.objectType` on every resource).
//! Links omit `/v1`, and batch ids appear raw in them, as in Microsoft's own examples.

use serde_json::{json, Value};
use uuid::Uuid;

use super::world::{Batch, Customer, Device, Job, JobKind, Policy};
use crate::sandbox::wire::{attributes, link, pc_date};

pub fn customer(customer: &Customer, detailed: bool) -> Value {
    let mut value = json!({
        "id": customer.id,
        "companyProfile": {
            "tenantId": customer.id,
            "domain": customer.domain,
            "companyName": customer.company_name,
            "links": {"self": link(&format!("/customers/{}/profiles/company", customer.id))},
            "attributes": attributes("CustomerCompanyProfile"),
        },
        "relationshipToPartner": customer.relationship,
        "links": {"self": link(&format!("/customers/{}", customer.id))},
        "attributes": attributes("Customer"),
    });
    if !customer.custom_domains.is_empty() {
        value["customDomains"] = json!(customer.custom_domains);
    }
    if detailed {
        value["commerceId"] = json!(customer.commerce_id);
        value["allowDelegatedAccess"] = json!(true);
        value["billingProfile"] = json!({
            "companyName": customer.company_name,
            "culture": "en-US",
            "language": "en",
            "attributes": attributes("CustomerBillingProfile"),
        });
    }
    value
}

pub fn batch(customer: Uuid, batch: &Batch) -> Value {
    let mut value = json!({
        "id": batch.id,
        "createdBy": batch.created_by,
        "creationDate": pc_date(batch.creation_date),
        "devicesCount": batch.devices.len(),
        "devicesLink": link(&format!("/customers/{customer}/deviceBatches/{}/devices", batch.id)),
        "attributes": attributes("DeviceBatch"),
    });
    if let Some(status) = batch.status {
        value["status"] = json!(status.wire());
    }
    value
}

/// Devices as listed: the hardware hash is not echoed back.
pub fn device(device: &Device) -> Value {
    json!({
        "id": device.id,
        "serialNumber": device.serial_number,
        "productKey": device.product_key,
        "modelName": device.model,
        "oemManufacturerName": device.manufacturer,
        "policies": [{"key": "o_o_b_e", "value": device.policy}],
        "uploadedDate": pc_date(device.uploaded),
        "allowedOperations": ["GET", "PATCH", "DELETE"],
        "attributes": attributes("Device"),
    })
}

pub fn job(job: &Job) -> Value {
    let devices: Vec<Value> = job
        .devices
        .iter()
        .map(|device| {
            let device_id = device
                .device_id
                .map(|id| id.to_string())
                .or_else(|| match job.kind {
                    JobKind::PolicyUpdate => device.input.device_id.clone(),
                    JobKind::Upload => None,
                });
            json!({
                "deviceId": device_id,
                "serialNumber": device.input.serial_number,
                "productKey": device.input.product_key,
                "status": device.status.wire(),
                "errorCode": device.error_code,
                "errorDescription": device.error_description,
                "attributes": attributes("DeviceUploadDetails"),
            })
        })
        .collect();
    json!({
        "batchTrackingId": job.tracking_id,
        "status": job.status.wire(),
        "startedTime": job.started.map(pc_date),
        "completedTime": job.completed.map(pc_date),
        "devicesStatus": devices,
        "attributes": attributes("BatchUploadDetails"),
    })
}

/// Both `devicesAssigned` (every REST example) and `devicesAssignedCount` (SDK), as the
/// reference recommends.
pub fn policy(policy: &Policy, assigned: usize) -> Value {
    json!({
        "id": policy.id,
        "name": policy.name,
        "category": "o_o_b_e",
        "description": policy.description,
        "devicesAssigned": assigned,
        "devicesAssignedCount": assigned,
        "policySettings": policy.settings,
        "createdDate": pc_date(policy.created),
        "lastModifiedDate": pc_date(policy.modified),
        "attributes": attributes("ConfigurationPolicy"),
    })
}

/// `{totalCount, items, links?, continuationToken?, attributes}`; `totalCount` counts this
/// page's items, as Partner Center's seek-based collections do.
pub fn collection(items: Vec<Value>, links: Option<Value>, continuation: Option<&str>) -> Value {
    let mut value = json!({
        "totalCount": items.len(),
        "items": items,
        "attributes": attributes("Collection"),
    });
    if let Some(links) = links {
        value["links"] = links;
    }
    if let Some(token) = continuation {
        value["continuationToken"] = json!(token);
    }
    value
}

/// `links.next` that carries the continuation token as a header to send back.
pub fn next_link(uri: &str, token: &str) -> Value {
    json!({
        "uri": uri,
        "method": "GET",
        "headers": [{"key": "MS-ContinuationToken", "value": token}],
    })
}
