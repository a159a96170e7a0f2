//! How the resources are read from and written to the wire.

use super::*;
use crate::partner_center::wire::from_slice;
use chrono::TimeZone;
use serde_json::json;

#[test]
fn upload_status_reads_documented_and_undocumented_values() {
    let read = |json: &str| serde_json::from_str::<UploadStatus>(json).unwrap();
    assert_eq!(read(r#""queued""#), UploadStatus::Queued);
    assert_eq!(read(r#""processing""#), UploadStatus::Processing);
    assert_eq!(read(r#""finished""#), UploadStatus::Finished);
    assert_eq!(
        read(r#""finished_with_errors""#),
        UploadStatus::FinishedWithErrors
    );
    assert_eq!(
        read(r#""FinishedWithErrors""#),
        UploadStatus::FinishedWithErrors
    );
    assert_eq!(read(r#""in-progress""#), UploadStatus::Unknown);
    assert_eq!(read(r#""unknown""#), UploadStatus::Unknown);
    assert_eq!(read("4"), UploadStatus::FinishedWithErrors);
    assert_eq!(read("99"), UploadStatus::Unknown);
    assert_eq!(read("null"), UploadStatus::Unknown);
}

#[test]
fn only_finished_states_are_terminal() {
    let terminal: Vec<_> = UploadStatus::ALL
        .iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(
        terminal,
        [&UploadStatus::Finished, &UploadStatus::FinishedWithErrors]
    );
}

#[test]
fn enums_are_written_with_their_wire_names() {
    assert_eq!(
        serde_json::to_value(UploadStatus::FinishedWithErrors).unwrap(),
        json!("finished_with_errors")
    );
    assert_eq!(
        serde_json::to_value(PolicyCategory::Oobe).unwrap(),
        json!("o_o_b_e")
    );
    assert_eq!(
        serde_json::to_value(PolicySetting::OobeUserNotLocalAdmin).unwrap(),
        json!("oobe_user_not_local_admin")
    );
    for setting in PolicySetting::ALL {
        let text = serde_json::to_string(setting).unwrap();
        assert_eq!(
            &serde_json::from_str::<PolicySetting>(&text).unwrap(),
            setting
        );
    }
}

#[test]
fn policy_category_and_settings_accept_sdk_integers_and_casing() {
    assert_eq!(
        serde_json::from_str::<PolicyCategory>(r#""OOBE""#).unwrap(),
        PolicyCategory::Oobe
    );
    assert_eq!(
        serde_json::from_str::<PolicyCategory>("1").unwrap(),
        PolicyCategory::Oobe
    );
    assert_eq!(
        serde_json::from_str::<PolicySetting>("16").unwrap(),
        PolicySetting::SkipEula
    );
    assert_eq!(
        serde_json::from_str::<PolicySetting>(r#""hide_cortana""#).unwrap(),
        PolicySetting::Unknown
    );
}

#[test]
fn customer_from_get_by_id_with_bom_and_extras() {
    let body = "\u{feff}{\"id\":\"8B7C6A1E-0000-4000-8000-000000000001\",\
        \"commerceId\":\"bbb6b7a4-0000-4000-8000-00000000000b\",\
        \"companyProfile\":{\"tenantId\":\"8b7c6a1e-0000-4000-8000-000000000001\",\
        \"domain\":\"contoso.onmicrosoft.com\",\"companyName\":\"Contoso\",\
        \"links\":{\"self\":{\"uri\":\"/customers/x/profiles/company\",\"method\":\"GET\",\"headers\":[]}},\
        \"attributes\":{\"objectType\":\"CustomerCompanyProfile\"}},\
        \"billingProfile\":{\"id\":\"x\"},\"relationshipToPartner\":\"reseller\",\
        \"allowDelegatedAccess\":true,\"customDomains\":[\"contoso.com\"],\
        \"associatedPartnerId\":null,\
        \"links\":{\"self\":{\"uri\":\"/customers/x\",\"method\":\"GET\",\"headers\":[]}},\
        \"attributes\":{\"objectType\":\"Customer\"}}";
    let customer: Customer = from_slice(body.as_bytes()).unwrap();
    assert_eq!(
        customer.id.to_string(),
        "8b7c6a1e-0000-4000-8000-000000000001"
    );
    assert_eq!(customer.company_profile.domain, "contoso.onmicrosoft.com");
    assert_eq!(customer.display_name(), "Contoso");
    assert_eq!(
        customer.relationship_to_partner,
        RelationshipToPartner::Reseller
    );
    assert_eq!(customer.custom_domains, vec!["contoso.com".to_string()]);
    assert_eq!(customer.allow_delegated_access, Some(true));
    assert_eq!(customer.associated_partner_id, None);
}

#[test]
fn sparse_customer_from_a_listing() {
    let customer: Customer = serde_json::from_value(json!({
        "id": "8b7c6a1e-0000-4000-8000-000000000002",
        "companyProfile": {"domain": "fabrikam.onmicrosoft.com"},
        "relationshipToPartner": "some_future_relationship",
        "customDomains": null
    }))
    .unwrap();
    assert_eq!(
        customer.relationship_to_partner,
        RelationshipToPartner::Unknown
    );
    assert!(customer.custom_domains.is_empty());
    assert_eq!(customer.display_name(), "fabrikam.onmicrosoft.com");
    let bare: Customer =
        serde_json::from_value(json!({"id": "8b7c6a1e-0000-4000-8000-000000000003"})).unwrap();
    assert_eq!(bare.display_name(), "8b7c6a1e-0000-4000-8000-000000000003");
}

#[test]
fn device_batch_reads_either_count_name_and_both_at_once() {
    let batch: DeviceBatch = serde_json::from_value(json!({
        "id": "Test batch",
        "creationDate": "2017-07-25T10:00:00",
        "devicesCount": 2,
        "devicesLink": {"uri": "/customers/x/deviceBatches/Test batch/devices", "method": "GET", "headers": []},
        "status": "finished",
        "attributes": {"objectType": "DeviceBatch"}
    }))
    .unwrap();
    assert_eq!(batch.id, "Test batch");
    assert_eq!(batch.devices_count, Some(2));
    assert_eq!(
        batch.creation_date,
        Some(Utc.with_ymd_and_hms(2017, 7, 25, 10, 0, 0).unwrap())
    );
    assert_eq!(batch.status, Some(UploadStatus::Finished));
    assert!(batch.devices_link.is_some());

    let old: DeviceBatch =
        serde_json::from_value(json!({"id": "b", "deviceCount": 7, "createdBy": "Contoso"}))
            .unwrap();
    assert_eq!(old.devices_count, Some(7));
    assert_eq!(old.created_by.as_deref(), Some("Contoso"));
    assert_eq!(old.status, None);

    let both: DeviceBatch =
        serde_json::from_value(json!({"id": "b", "deviceCount": 7, "devicesCount": 8})).unwrap();
    assert_eq!(both.devices_count, Some(8));
    let neither: DeviceBatch = serde_json::from_value(json!({"id": "b"})).unwrap();
    assert_eq!(neither.devices_count, None);
}

#[test]
fn device_from_a_listing() {
    let device: Device = serde_json::from_value(json!({
        "id": "7c14e1b6-0000-4000-8000-000000000001",
        "serialNumber": "PF3ABC12",
        "productKey": "",
        "modelName": "Surface Laptop 5",
        "oemManufacturerName": "Microsoft Corporation",
        "policies": [{"key": "o_o_b_e", "value": "56ed0000-0000-4000-8000-000000000001"}],
        "uploadedDate": "2024-05-02T09:00:05.1234567Z",
        "attributes": {"objectType": "Device"}
    }))
    .unwrap();
    assert_eq!(
        device.id.as_deref(),
        Some("7c14e1b6-0000-4000-8000-000000000001")
    );
    assert_eq!(device.serial_number.as_deref(), Some("PF3ABC12"));
    assert_eq!(device.product_key, None, "blank product key reads as none");
    assert_eq!(device.hardware_hash, None);
    assert_eq!(
        device.oobe_policy_id(),
        Some("56ed0000-0000-4000-8000-000000000001")
    );
    assert!(device.uploaded_date.is_some());
    assert!(device.allowed_operations.is_empty());

    let unassigned: Device = serde_json::from_value(json!({
        "id": "9993-8627-3608-6844-6369-4361-72",
        "policies": [{"key": "o_o_b_e", "value": null}],
        "allowedOperations": ["GET", "DELETE"]
    }))
    .unwrap();
    assert_eq!(unassigned.oobe_policy_id(), None);
    assert_eq!(unassigned.allowed_operations, vec!["GET", "DELETE"]);
}

#[test]
fn new_devices_send_only_what_they_have_in_camel_case() {
    let device = NewDevice {
        serial_number: Some("5CG1234XYZ".into()),
        oem_manufacturer_name: Some("HP".into()),
        model_name: Some("HP EliteBook 840 G8 Notebook PC".into()),
        ..NewDevice::default()
    };
    assert_eq!(
        serde_json::to_value(&device).unwrap(),
        json!({"serialNumber": "5CG1234XYZ", "oemManufacturerName": "HP",
               "modelName": "HP EliteBook 840 G8 Notebook PC"})
    );
    let hashed = NewDevice {
        hardware_hash: Some("T0H=".into()),
        product_key: Some("00329-00000-0003-AA606".into()),
        ..NewDevice::default()
    };
    assert_eq!(
        serde_json::to_value(&hashed).unwrap(),
        json!({"hardwareHash": "T0H=", "productKey": "00329-00000-0003-AA606"})
    );
}

#[test]
fn job_status_example_from_the_reference() {
    let body = br#"{"batchTrackingId":"3d9e5c1a-7b61-4f7e-9c55-0f6c2d7e8a10","status":"finished",
 "startedTime":"2024-05-02T09:00:01Z","completedTime":"2024-05-02T09:00:09Z",
 "devicesStatus":[
  {"deviceId":"c2f0","serialNumber":"PF3ABC12","productKey":null,"status":"finished",
   "errorCode":null,"errorDescription":null,"attributes":{"objectType":"DeviceUploadDetails"}},
  {"serialNumber":"5CG1234XYZ","status":"finished_with_errors","errorCode":808,
   "errorDescription":"ZtdDeviceAssignedToOtherTenant","attributes":{"objectType":"DeviceUploadDetails"}}],
 "attributes":{"objectType":"BatchUploadDetails"}}"#;
    let job: BatchUploadDetails = from_slice(body).unwrap();
    assert!(job.is_terminal());
    assert_eq!(job.status, UploadStatus::Finished);
    assert_eq!(
        job.completed_time,
        Some(Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 9).unwrap())
    );
    assert_eq!(job.devices_status.len(), 2);
    let failed: Vec<_> = job.failed_devices().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].error_code.as_deref(), Some("808"));
    assert_eq!(
        failed[0].error_description.as_deref(),
        Some("ZtdDeviceAssignedToOtherTenant")
    );
    assert_eq!(failed[0].device_id, None);
}

#[test]
fn a_queued_job_without_times_or_devices() {
    let job: BatchUploadDetails = from_slice(
        b"\xEF\xBB\xBF{\"status\":\"in-progress\",\"startedTime\":null,\"devicesStatus\":null}",
    )
    .unwrap();
    assert_eq!(job.status, UploadStatus::Unknown);
    assert!(!job.is_terminal());
    assert!(job.devices_status.is_empty());
    assert_eq!(job.started_time, None);
}

#[test]
fn policy_reads_either_assigned_count_name_and_both_at_once() {
    let body = "\u{feff}{\"id\":\"56ed0000-0000-4000-8000-000000000001\",\"name\":\"Retail\",\
        \"category\":\"o_o_b_e\",\"description\":\"Kiosks\",\"devicesAssigned\":3,\
        \"devicesAssignedCount\":3,\"policySettings\":[\"skip_eula\",\"remove_oem_preinstalls\"],\
        \"createdDate\":\"2017-07-25T11:03:03.8457088-07:00\",\
        \"lastModifiedDate\":\"2017-07-25T11:03:03.8457088-07:00\",\
        \"attributes\":{\"objectType\":\"ConfigurationPolicy\"}}";
    let policy: ConfigurationPolicy = from_slice(body.as_bytes()).unwrap();
    assert_eq!(policy.devices_assigned_count, Some(3));
    assert_eq!(policy.category, PolicyCategory::Oobe);
    assert_eq!(
        policy.policy_settings,
        vec![PolicySetting::SkipEula, PolicySetting::RemoveOemPreinstalls]
    );
    assert!(policy.created_date.is_some());

    let docs: ConfigurationPolicy = serde_json::from_value(json!({
        "id": "p", "name": "n", "category": "o_o_b_e", "devicesAssigned": 5,
        "policySettings": ["skip_express_settings"]
    }))
    .unwrap();
    assert_eq!(docs.devices_assigned_count, Some(5));
    let sdk: ConfigurationPolicy = serde_json::from_value(json!({
        "id": "p", "name": "n", "devicesAssignedCount": 6, "policySettings": null
    }))
    .unwrap();
    assert_eq!(sdk.devices_assigned_count, Some(6));
    assert!(sdk.policy_settings.is_empty());
}

#[test]
fn policy_is_written_back_whole_in_camel_case() {
    let policy = ConfigurationPolicy {
        id: Some("p".into()),
        name: Some("Retail".into()),
        category: PolicyCategory::Oobe,
        description: None,
        devices_assigned_count: Some(2),
        policy_settings: vec![PolicySetting::SkipEula],
        created_date: None,
        last_modified_date: None,
    };
    assert_eq!(
        serde_json::to_value(&policy).unwrap(),
        json!({"id": "p", "name": "Retail", "category": "o_o_b_e", "devicesAssigned": 2,
               "policySettings": ["skip_eula"]})
    );
    let round: ConfigurationPolicy =
        serde_json::from_value(serde_json::to_value(&policy).unwrap()).unwrap();
    assert_eq!(round, policy);
}

#[test]
fn new_policy_and_assignment_bodies() {
    let mut policy = NewPolicy::oobe("Retail", vec![PolicySetting::SkipEula]);
    assert_eq!(
        serde_json::to_value(&policy).unwrap(),
        json!({"name": "Retail", "category": "o_o_b_e", "policySettings": ["skip_eula"]})
    );
    policy.description = Some("Kiosks".into());
    assert_eq!(
        serde_json::to_value(&policy).unwrap()["description"],
        "Kiosks"
    );

    let update = DevicePolicyUpdate {
        id: "9993-8627-3608-6844-6369-4361-72".into(),
        policies: vec![PolicyAssignment::oobe(None)],
    };
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"id": "9993-8627-3608-6844-6369-4361-72",
               "policies": [{"key": "o_o_b_e", "value": null}]})
    );
}

#[test]
fn customer_filter_is_serialised_like_the_sdk() {
    let filter = CustomerFilter {
        field: CustomerFilterField::CompanyName,
        value: "cont\"oso".into(),
    };
    assert_eq!(
        filter.to_query_value(),
        r#"{"Field":"CompanyName","Value":"cont\"oso","Operator":"starts_with"}"#
    );
    let domain = CustomerFilter {
        field: CustomerFilterField::Domain,
        value: "fab".into(),
    };
    assert_eq!(
        domain.to_query_value(),
        r#"{"Field":"Domain","Value":"fab","Operator":"starts_with"}"#
    );
}
