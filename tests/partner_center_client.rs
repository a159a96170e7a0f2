//! The typed Partner Center client against the real sandbox over loopback: every operation,
//! paging, retries, idempotency and refusals.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use futures::TryStreamExt;
use rand::SeedableRng;
use serde_json::Value;
use uuid::Uuid;
use ztd_dashboard::partner_center::{
    AccessToken, BatchId, CallContext, ClientConfig, CustomerFilter, CustomerFilterField,
    CustomerId, CustomerQuery, DevicePolicyUpdate, ErrorKind, NewDevice, NewPolicy,
    PartnerCenterClient, PartnerCenterError, PolicyAssignment, PolicyCategory, PolicySetting,
    RequestId, TrackingId, UploadStatus,
};
use ztd_dashboard::sandbox::partner::seed;
use ztd_dashboard::sandbox::{FaultSettings, Sandbox};

fn client(sandbox: &Sandbox) -> PartnerCenterClient {
    client_with(sandbox, |_| {})
}

fn client_with(sandbox: &Sandbox, tweak: impl FnOnce(&mut ClientConfig)) -> PartnerCenterClient {
    let mut config = ClientConfig {
        base_url: sandbox.base_url().parse().unwrap(),
        backoff_base: Duration::from_millis(10),
        attempt_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    };
    tweak(&mut config);
    PartnerCenterClient::new(config).expect("client builds")
}

async fn context(sandbox: &Sandbox, upn: &str) -> CallContext {
    let tokens = sign_in(sandbox, upn).await;
    CallContext {
        access_token: AccessToken::new(tokens.access_token),
        correlation_id: Uuid::new_v4(),
    }
}

fn contoso() -> CustomerId {
    CustomerId::parse(&seed::CONTOSO.to_string()).unwrap()
}

fn batch(name: &str) -> BatchId {
    BatchId::parse(name).unwrap()
}

fn fresh_hash(seed: u64) -> String {
    seed::hardware_hash(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed))
}

fn hash_device(serial: &str, seed: u64) -> NewDevice {
    NewDevice {
        serial_number: Some(serial.into()),
        hardware_hash: Some(fresh_hash(seed)),
        ..NewDevice::default()
    }
}

fn tuple_device(serial: &str, manufacturer: &str, model: &str) -> NewDevice {
    NewDevice {
        serial_number: Some(serial.into()),
        oem_manufacturer_name: Some(manufacturer.into()),
        model_name: Some(model.into()),
        ..NewDevice::default()
    }
}

fn tuple_of(device: &Value) -> NewDevice {
    tuple_device(
        device["serialNumber"].as_str().unwrap(),
        device["oemManufacturerName"].as_str().unwrap(),
        device["modelName"].as_str().unwrap(),
    )
}

/// Waits for a job to end, returning every status seen on the way.
async fn follow(
    client: &PartnerCenterClient,
    ctx: &CallContext,
    customer: &CustomerId,
    tracking: &TrackingId,
) -> (
    Vec<UploadStatus>,
    ztd_dashboard::partner_center::BatchUploadDetails,
) {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let details = client
            .batch_job_status(ctx, customer, tracking)
            .await
            .expect("job status");
        if seen.last() != Some(&details.status) {
            seen.push(details.status);
        }
        if details.status.is_terminal() {
            return (seen, details);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "job never ended: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn expect_error(result: Result<impl std::fmt::Debug, PartnerCenterError>) -> PartnerCenterError {
    result.expect_err("the call should fail")
}

#[tokio::test]
async fn every_customer_is_listed_exactly_once_across_pages() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    let customers: Vec<_> = client
        .customers(&ctx, &CustomerQuery::default())
        .try_collect()
        .await
        .expect("all pages");
    let ids: HashSet<_> = customers.iter().map(|c| c.id).collect();
    assert_eq!(customers.len(), seed::CUSTOMER_COUNT);
    assert_eq!(ids.len(), seed::CUSTOMER_COUNT, "no customer twice");
    let pages = request_log(&sandbox)
        .await
        .iter()
        .filter(|entry| entry["path"].as_str().unwrap().starts_with("/v1/customers"))
        .count();
    assert_eq!(pages, 3, "500 + 500 + 250");
}

#[tokio::test]
async fn a_search_by_prefix_pages_through_every_match() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, SALES).await;
    let client = client(&sandbox);
    let world = seed::world(sandbox.config().seed, sandbox.config().size);
    let expected = world
        .customers
        .iter()
        .filter(|c| c.company_name.to_lowercase().starts_with("s"))
        .count();
    assert!(expected > 60, "the prefix should need several pages");
    let query = CustomerQuery {
        filter: Some(CustomerFilter {
            field: CustomerFilterField::CompanyName,
            value: "S".into(),
        }),
        size: Some(25),
    };
    let found: Vec<_> = client.customers(&ctx, &query).try_collect().await.unwrap();
    assert_eq!(found.len(), expected);
    assert!(found.iter().all(|c| c
        .company_profile
        .company_name
        .to_lowercase()
        .starts_with('s')));

    let by_domain = CustomerQuery {
        filter: Some(CustomerFilter {
            field: CustomerFilterField::Domain,
            value: "fabrikam".into(),
        }),
        size: None,
    };
    let page = client.customers_page(&ctx, &by_domain, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].company_profile.company_name, "Fabrikam, Inc.");
    assert!(page.next.is_none());
}

#[tokio::test]
async fn a_customer_page_continuation_survives_a_round_trip_through_a_url() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    let query = CustomerQuery {
        filter: None,
        size: Some(10),
    };
    let first = client.customers_page(&ctx, &query, None).await.unwrap();
    let token = first.next.expect("more pages").encode();
    let decoded = ztd_dashboard::partner_center::Continuation::decode(&token).unwrap();
    let second = client
        .customers_page(&ctx, &query, Some(&decoded))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 10);
    assert_ne!(first.items[0].id, second.items[0].id);
}

#[tokio::test]
async fn a_customer_is_read_by_id_and_an_unknown_one_is_not_found() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    let customer = client.customer(&ctx, &contoso()).await.unwrap();
    assert_eq!(customer.company_profile.company_name, "Contoso Ltd");
    assert_eq!(customer.company_profile.domain, "contoso.onmicrosoft.com");

    let unknown = CustomerId::parse("00000000-0000-4000-8000-00000000abcd").unwrap();
    let error = expect_error(client.customer(&ctx, &unknown).await);
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert_eq!(error.status, Some(404));
    assert_eq!(error.code.as_deref(), Some("60003"));
    assert_eq!(error.correlation_id, ctx.correlation_id);
}

#[tokio::test]
async fn batches_list_and_their_devices_page_100_at_a_time() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    let batches = client.device_batches(&ctx, &contoso()).await.unwrap();
    let large = batches
        .iter()
        .find(|b| b.id == seed::LARGE_BATCH)
        .expect("the large batch");
    assert_eq!(large.devices_count, Some(seed::LARGE_BATCH_DEVICES as u64));

    let name = batch(seed::LARGE_BATCH);
    let first = client
        .devices_page(&ctx, &contoso(), &name, None)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 100);
    assert!(first.next.is_some());
    let all: Vec<_> = client
        .devices(&ctx, &contoso(), &name)
        .try_collect()
        .await
        .unwrap();
    let ids: HashSet<_> = all.iter().map(|d| d.id.clone()).collect();
    assert_eq!(all.len(), seed::LARGE_BATCH_DEVICES);
    assert_eq!(ids.len(), seed::LARGE_BATCH_DEVICES);
    assert!(all
        .iter()
        .all(|d| d.uploaded_date.is_some() && d.serial_number.is_some()));
}

#[tokio::test]
async fn a_job_goes_from_queued_to_finished_with_errors_with_each_devices_code() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    let contoso_tuple = stored_devices(&sandbox, seed::CONTOSO)
        .await
        .into_iter()
        .find(|d| d["batchId"] == "Kiosk refresh")
        .unwrap();
    let fabrikam = stored_devices(&sandbox, seed::FABRIKAM).await;
    let good = hash_device("GOOD-1", 1);
    let devices = vec![
        good.clone(),
        NewDevice {
            hardware_hash: Some("bm90IGEgaGFzaA==".into()),
            ..NewDevice::default()
        },
        NewDevice {
            serial_number: Some("ONLY-A-SERIAL".into()),
            ..NewDevice::default()
        },
        tuple_of(&contoso_tuple),
        NewDevice {
            hardware_hash: fabrikam[0]["hardwareHash"].as_str().map(str::to_string),
            ..NewDevice::default()
        },
        good.clone(),
        tuple_device("NOTFOUND-77", "HP", "HP EliteBook 840 G8 Notebook PC"),
        tuple_device("5CG0000042", "HP", "HP EliteBook 840 G8 Notebook PC"),
    ];
    // A name with characters that must be percent-encoded in paths.
    let name = batch("Q3 laptops & more + 50%");
    let tracking = client
        .create_device_batch(&ctx, &contoso(), &name, &devices, RequestId::new())
        .await
        .expect("accepted");
    let (seen, details) = follow(&client, &ctx, &contoso(), &tracking).await;
    assert_eq!(
        seen,
        vec![
            UploadStatus::Queued,
            UploadStatus::Processing,
            UploadStatus::FinishedWithErrors
        ]
    );
    assert!(details.started_time.is_some() && details.completed_time.is_some());
    let codes: Vec<Option<&str>> = details
        .devices_status
        .iter()
        .map(|d| d.error_code.as_deref())
        .collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some("802"),
            Some("803"),
            Some("806"),
            Some("808"),
            Some("ZtdDeviceDuplicated"),
            Some("812"),
            None,
        ]
    );
    assert_eq!(
        details.devices_status[4].error_description.as_deref(),
        Some("ZtdDeviceAssignedToOtherTenant")
    );
    let registered: Vec<_> = client
        .devices(&ctx, &contoso(), &name)
        .try_collect()
        .await
        .unwrap();
    let serials: HashSet<_> = registered
        .iter()
        .filter_map(|d| d.serial_number.clone())
        .collect();
    assert_eq!(
        serials,
        HashSet::from(["GOOD-1".to_string(), "5CG0000042".to_string()])
    );
}

#[tokio::test]
async fn devices_are_added_to_an_existing_batch_and_deleted() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, SALES).await;
    let client = client(&sandbox);
    let po = batch("contoso-po-4711"); // batch ids match case-insensitively
    let tracking = client
        .add_devices(
            &ctx,
            &contoso(),
            &po,
            &[hash_device("ADDED-1", 9)],
            RequestId::new(),
        )
        .await
        .unwrap();
    let (_, details) = follow(&client, &ctx, &contoso(), &tracking).await;
    assert_eq!(details.status, UploadStatus::Finished);
    let devices: Vec<_> = client
        .devices(&ctx, &contoso(), &po)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(devices.len(), 13);
    let added = devices
        .iter()
        .find(|d| d.serial_number.as_deref() == Some("ADDED-1"))
        .unwrap();

    let id = added.id.clone().unwrap();
    client
        .delete_device(&ctx, &contoso(), &po, &id, RequestId::new())
        .await
        .expect("deleted");
    let devices: Vec<_> = client
        .devices(&ctx, &contoso(), &po)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(devices.len(), 12);
    let again = expect_error(
        client
            .delete_device(&ctx, &contoso(), &po, &id, RequestId::new())
            .await,
    );
    assert_eq!(again.kind, ErrorKind::NotFound);

    let missing = expect_error(
        client
            .add_devices(
                &ctx,
                &contoso(),
                &batch("No such batch"),
                &[hash_device("X", 10)],
                RequestId::new(),
            )
            .await,
    );
    assert_eq!(missing.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn an_existing_batch_name_is_a_conflict_and_is_not_retried() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    let request_id = RequestId::new();
    let error = expect_error(
        client
            .create_device_batch(
                &ctx,
                &contoso(),
                &batch("CONTOSO-PO-4711"),
                &[hash_device("C-1", 11)],
                request_id,
            )
            .await,
    );
    assert_eq!(error.kind, ErrorKind::Conflict);
    assert_eq!(error.status, Some(409));
    assert_eq!(error.request_id, request_id);
    let posts = request_log(&sandbox)
        .await
        .into_iter()
        .filter(|e| e["method"] == "POST")
        .count();
    assert_eq!(posts, 1, "4xx business errors are never retried");
}

#[tokio::test]
async fn refusals_name_mfa_roles_and_relationships() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let query = CustomerQuery::default();

    let no_mfa = context(&sandbox, NO_MFA).await;
    let error = expect_error(client.customers_page(&no_mfa, &query, None).await);
    assert_eq!(error.kind, ErrorKind::MfaRequired);
    assert_eq!(error.status, Some(401));
    assert_eq!(error.code.as_deref(), Some("900421"));

    let no_role = context(&sandbox, NO_ROLE).await;
    let error = expect_error(client.customers_page(&no_role, &query, None).await);
    assert_eq!(error.kind, ErrorKind::Forbidden);

    let admin = context(&sandbox, ADMIN).await;
    let tailspin = CustomerId::parse(&seed::TAILSPIN.to_string()).unwrap();
    let error = expect_error(client.device_batches(&admin, &tailspin).await);
    assert_eq!(error.kind, ErrorKind::Forbidden);
    assert_eq!(error.code.as_deref(), Some("20002"));

    let forged = CallContext {
        access_token: AccessToken::new("not.a.token".to_string()),
        correlation_id: Uuid::new_v4(),
    };
    let error = expect_error(client.customers_page(&forged, &query, None).await);
    assert_eq!(error.kind, ErrorKind::Unauthorized);
    assert!(
        !format!("{error}").contains("not.a.token"),
        "errors never show the token"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_with_the_same_request_id() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    set_faults(
        &sandbox,
        FaultSettings {
            throttle_burst: 1,
            burst_retry_after_secs: 1,
            ..FaultSettings::default()
        },
    )
    .await;
    let started = Instant::now();
    client
        .device_batches(&ctx, &contoso())
        .await
        .expect("succeeds after the wait");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited for Retry-After"
    );
    let log = request_log(&sandbox).await;
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["outcome"], "throttled");
    assert_eq!(log[1]["outcome"], "answered");
    assert_eq!(log[0]["request_id"], log[1]["request_id"]);
    assert_eq!(log[0]["correlation_id"], ctx.correlation_id.to_string());
    assert_ne!(
        log[0]["correlation_id"], log[1]["correlation_id"],
        "a fresh correlation id per retry"
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_request_id_within_bounds() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client_with(&sandbox, |c| c.max_attempts = 3);
    set_faults(
        &sandbox,
        FaultSettings {
            fail_next: 2,
            ..FaultSettings::default()
        },
    )
    .await;
    let request_id = RequestId::new();
    client
        .add_devices(
            &ctx,
            &contoso(),
            &batch("Contoso-PO-4711"),
            &[hash_device("R-1", 12)],
            request_id,
        )
        .await
        .expect("third attempt succeeds");
    let log = request_log(&sandbox).await;
    let outcomes: Vec<_> = log.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["failed", "failed", "answered"]);
    assert!(log
        .iter()
        .all(|e| e["request_id"] == request_id.to_string()));

    set_faults(
        &sandbox,
        FaultSettings {
            fail_next: 10,
            ..FaultSettings::default()
        },
    )
    .await;
    let error = expect_error(client.device_batches(&ctx, &contoso()).await);
    assert_eq!(error.kind, ErrorKind::Server);
    assert_eq!(
        request_log(&sandbox).await.len(),
        3 + 3,
        "three attempts, then it gives up"
    );
}

#[tokio::test]
async fn a_dropped_connection_on_batch_creation_is_retried_and_leaves_exactly_one_batch() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    set_faults(
        &sandbox,
        FaultSettings {
            drop_next: 1,
            ..FaultSettings::default()
        },
    )
    .await;
    let name = batch("Dropped once");
    let tracking = client
        .create_device_batch(
            &ctx,
            &contoso(),
            &name,
            &[hash_device("D-1", 13)],
            RequestId::new(),
        )
        .await
        .expect("the retry gets the first answer");
    let log = request_log(&sandbox).await;
    let posts: Vec<_> = log.iter().filter(|e| e["method"] == "POST").collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0]["outcome"], "dropped");
    assert_eq!(posts[0]["request_id"], posts[1]["request_id"]);
    let (_, details) = follow(&client, &ctx, &contoso(), &tracking).await;
    assert_eq!(details.status, UploadStatus::Finished);
    let batches = client.device_batches(&ctx, &contoso()).await.unwrap();
    assert_eq!(batches.iter().filter(|b| b.id == "Dropped once").count(), 1);
    let stored = stored_devices(&sandbox, seed::CONTOSO).await;
    assert_eq!(
        stored.iter().filter(|d| d["serialNumber"] == "D-1").count(),
        1
    );
}

#[tokio::test]
async fn a_timed_out_batch_creation_is_retried_with_the_same_request_id_and_leaves_one_batch() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client_with(&sandbox, |c| c.attempt_timeout = Duration::from_secs(1));
    // Processed at once, answered after the client stopped waiting.
    set_faults(
        &sandbox,
        FaultSettings {
            slow_next_writes: 1,
            slow_write_ms: 3000,
            ..FaultSettings::default()
        },
    )
    .await;
    let name = batch("Timed out once");
    let tracking = client
        .create_device_batch(
            &ctx,
            &contoso(),
            &name,
            &[hash_device("T-1", 14)],
            RequestId::new(),
        )
        .await
        .expect("the retry gets the first answer");
    let (_, details) = follow(&client, &ctx, &contoso(), &tracking).await;
    assert_eq!(details.status, UploadStatus::Finished);
    let log = request_log(&sandbox).await;
    let posts: Vec<_> = log.iter().filter(|e| e["method"] == "POST").collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0]["outcome"], "late", "processed, answered too late");
    assert_eq!(posts[0]["request_id"], posts[1]["request_id"]);
    let batches = client.device_batches(&ctx, &contoso()).await.unwrap();
    assert_eq!(
        batches.iter().filter(|b| b.id == "Timed out once").count(),
        1
    );
    let stored = stored_devices(&sandbox, seed::CONTOSO).await;
    assert_eq!(
        stored.iter().filter(|d| d["serialNumber"] == "T-1").count(),
        1
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_reported_as_such() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let client = client_with(&sandbox, |c| {
        c.attempt_timeout = Duration::from_millis(200);
        c.max_attempts = 2;
    });
    set_faults(
        &sandbox,
        FaultSettings {
            latency_ms: 1000,
            ..FaultSettings::default()
        },
    )
    .await;
    let error = expect_error(client.device_batches(&ctx, &contoso()).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn profiles_are_managed_by_admins_and_assigned_to_devices() {
    let sandbox = sandbox().await;
    let admin = context(&sandbox, ADMIN).await;
    let sales = context(&sandbox, SALES).await;
    let client = client(&sandbox);
    let new = NewPolicy {
        name: "Engineers".into(),
        category: PolicyCategory::Oobe,
        description: Some("No local admin".into()),
        policy_settings: vec![
            PolicySetting::OobeUserNotLocalAdmin,
            PolicySetting::SkipEula,
        ],
    };
    let refused = expect_error(
        client
            .create_policy(&sales, &contoso(), &new, RequestId::new())
            .await,
    );
    assert_eq!(refused.kind, ErrorKind::Forbidden);

    let created = client
        .create_policy(&admin, &contoso(), &new, RequestId::new())
        .await
        .unwrap();
    let id = created.id.clone().unwrap();
    assert_eq!(created.devices_assigned_count, Some(0));
    let listed = client.policies(&admin, &contoso()).await.unwrap();
    assert_eq!(listed.len(), 3);

    let mut changed = client.policy(&admin, &contoso(), &id).await.unwrap();
    changed.name = Some("Engineering laptops".into());
    let updated = client
        .update_policy(&admin, &contoso(), &changed, RequestId::new())
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Engineering laptops"));

    let po = batch("Contoso-PO-4711");
    let device = client
        .devices_page(&admin, &contoso(), &po, None)
        .await
        .unwrap()
        .items[0]
        .clone();
    let tracking = client
        .update_device_policies(
            &admin,
            &contoso(),
            &[DevicePolicyUpdate {
                id: device.id.clone().unwrap(),
                policies: vec![PolicyAssignment {
                    key: PolicyCategory::Oobe,
                    value: Some(id.clone()),
                }],
            }],
            RequestId::new(),
        )
        .await
        .unwrap();
    let (_, details) = follow(&client, &admin, &contoso(), &tracking).await;
    assert_eq!(details.status, UploadStatus::Finished);
    let assigned = client.policy(&admin, &contoso(), &id).await.unwrap();
    assert_eq!(assigned.devices_assigned_count, Some(1));

    client
        .delete_policy(&admin, &contoso(), &id, RequestId::new())
        .await
        .unwrap();
    let gone = expect_error(client.policy(&admin, &contoso(), &id).await);
    assert_eq!(gone.kind, ErrorKind::NotFound);
}

/// Each device of an assignment job carries its own outcome: 809 for a profile the customer
/// does not have, 810 for another customer's profile, 807 for a device that is not the
/// customer's; the others get it, and the profile's device count says so.
#[tokio::test]
async fn an_assignment_job_gives_each_device_its_outcome_and_code() {
    let sandbox = sandbox().await;
    let admin = context(&sandbox, ADMIN).await;
    let client = client(&sandbox);
    let fabrikam = CustomerId::parse(&seed::FABRIKAM.to_string()).unwrap();
    let theirs = client
        .create_policy(
            &admin,
            &fabrikam,
            &NewPolicy::oobe("Fabrikam only", vec![]),
            RequestId::new(),
        )
        .await
        .unwrap()
        .id
        .unwrap();
    let ours = client.policies(&admin, &contoso()).await.unwrap()[0]
        .id
        .clone()
        .unwrap();
    let devices: Vec<String> = client
        .devices_page(&admin, &contoso(), &batch("Contoso-PO-4711"), None)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|d| d.id)
        .take(3)
        .collect();
    let before = client.policy(&admin, &contoso(), &ours).await.unwrap();
    let update = |device: &str, profile: &str| DevicePolicyUpdate {
        id: device.to_string(),
        policies: vec![PolicyAssignment::oobe(Some(profile.to_string()))],
    };
    let unknown = Uuid::new_v4().to_string();
    let cases = [
        (update(&devices[0], &ours), None),
        (update(&devices[1], &theirs), Some("810")),
        (update(&devices[2], &unknown), Some("809")),
        (update(&Uuid::new_v4().to_string(), &ours), Some("807")),
    ];
    let updates: Vec<DevicePolicyUpdate> = cases.iter().map(|(u, _)| u.clone()).collect();
    let tracking = client
        .update_device_policies(&admin, &contoso(), &updates, RequestId::new())
        .await
        .unwrap();
    let (_, details) = follow(&client, &admin, &contoso(), &tracking).await;
    assert_eq!(details.status, UploadStatus::FinishedWithErrors);
    for (update, code) in &cases {
        let status = details
            .devices_status
            .iter()
            .find(|d| d.device_id.as_deref() == Some(update.id.as_str()))
            .unwrap_or_else(|| panic!("an outcome for {}", update.id));
        assert_eq!(status.error_code.as_deref(), *code, "{status:?}");
    }
    let after = client.policy(&admin, &contoso(), &ours).await.unwrap();
    assert_eq!(
        after.devices_assigned_count,
        before.devices_assigned_count.map(|n| n + 1)
    );
}

/// The request example of Microsoft's "Upload a list of devices to create a new batch" page,
/// byte for byte: PascalCase names, nulls, unknown `CreatedBy`, a too-short hash.
const SDK_EXAMPLE_BODY: &str = r#"{
    "BatchId": "SDKTestDeviceBatch",
    "Devices": [{
            "Id": null,
            "SerialNumber": "1R9-ZNP67",
            "ProductKey": "00329-00000-0003-AA606",
            "HardwareHash": "DummyHash123",
            "Policies": null,
            "CreatedBy": null,
            "UploadedDate": "0001-01-01T00:00:00",
            "AllowedOperations": null,
            "Attributes": {
                "ObjectType": "Device"
            }
        }
    ],
    "Attributes": {
        "ObjectType": "DeviceBatchCreationRequest"
    }
}"#;

#[tokio::test]
async fn the_documented_pascal_case_example_is_accepted_and_its_job_served() {
    let sandbox = sandbox().await;
    let ctx = context(&sandbox, ADMIN).await;
    let response = http()
        .post(format!(
            "{}/v1/customers/{}/deviceBatches",
            sandbox.base_url(),
            seed::CONTOSO
        ))
        .bearer_auth(ctx.access_token.secret())
        .header("Content-Type", "application/json")
        .header("MS-RequestId", "c245d5f2-1de3-4ae0-9e42-95e38e3cb8ff")
        .body(SDK_EXAMPLE_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let prefix = format!("/customers/{}/batchJobStatus/", seed::CONTOSO);
    assert!(location.starts_with(&prefix), "no /v1: {location}");
    let tracking = TrackingId::parse(&location[prefix.len()..]).unwrap();
    let client = client(&sandbox);
    let (_, details) = follow(&client, &ctx, &contoso(), &tracking).await;
    assert_eq!(
        details.devices_status[0].serial_number.as_deref(),
        Some("1R9-ZNP67")
    );
    assert_eq!(details.devices_status[0].error_code.as_deref(), Some("802"));
}
