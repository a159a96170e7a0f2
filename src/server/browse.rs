//! What the browsing pages read from Partner Center: who is signed in, the customers (found
//! by a search, or recently opened), a customer's batches and a batch's devices, turned into
//! the pages' view models.

use std::collections::HashMap;
use std::sync::Arc;

use tower_sessions::Session;

use super::auth;
use super::auth::SignedIn;
use super::caller::{caller, customer_row, open_customer, request_context, Caller};
use super::display_time;
use futures::TryStreamExt;

use crate::model::{
    AppError, BatchDevicesShown, BatchRow, BatchesView, CustomerRow, CustomerSearch, DeviceRow,
    DevicesView, SearchField, SessionInfo, UserView, DEVICES_PER_PAGE,
};
use crate::partner_center::{
    BatchId, CustomerFilter, CustomerFilterField, CustomerId, CustomerQuery, Device,
};

const CUSTOMERS_PER_PAGE: u32 = 50;
const RECENT_CUSTOMERS: i64 = 5;

pub async fn session_info() -> Result<SessionInfo, AppError> {
    let (state, parts) = request_context()?;
    // Pages open to anyone did not pass the gate: the session says whether anyone is in.
    let signed_in = match SignedIn::of(&parts.extensions) {
        Some(signed_in) => Some(signed_in),
        None => {
            let session: Session = leptos_axum::extract()
                .await
                .map_err(|_| AppError::Internal("no session".into()))?;
            auth::current_user(&state, &session).await
        }
    };
    Ok(SessionInfo {
        sandbox: state.sandbox_mode(),
        user: signed_in.map(|SignedIn { user, .. }| UserView {
            name: user.name,
            upn: user.upn,
        }),
    })
}

pub async fn search_customers(
    query: String,
    field: SearchField,
    page: u32,
) -> Result<CustomerSearch, AppError> {
    let caller = caller().await?;
    let query = query.trim().to_string();
    if query.chars().count() > 100 {
        return Err(AppError::BadInput(
            "Search for at most 100 characters.".into(),
        ));
    }
    let filter = (!query.is_empty()).then(|| CustomerFilter {
        field: match field {
            SearchField::Name => CustomerFilterField::CompanyName,
            SearchField::Domain => CustomerFilterField::Domain,
        },
        value: query.clone(),
    });
    let customer_query = CustomerQuery {
        filter,
        size: Some(CUSTOMERS_PER_PAGE),
    };
    let key = format!(
        "{}|customers|{}|{}",
        caller.user.sign_in_id,
        field.as_query(),
        query.to_lowercase()
    );
    let client = &caller.state.partner_center;
    let result = caller
        .state
        .page_cursors
        .page(&key, page, |cursor| {
            let customer_query = customer_query.clone();
            let ctx = &caller.ctx;
            async move {
                client
                    .customers_page(ctx, &customer_query, cursor.as_ref())
                    .await
            }
        })
        .await?;
    let recent = if query.is_empty() && page <= 1 {
        caller
            .state
            .store
            .recent_customers(&caller.user.key(), RECENT_CUSTOMERS)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|r| CustomerRow {
                id: r.customer_id,
                name: r.company_name,
                domain: r.domain,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CustomerSearch {
        items: result.items.iter().map(customer_row).collect(),
        page: page.max(1),
        has_next: result.next.is_some(),
        recent,
    })
}

pub async fn customer_batches(id: CustomerId) -> Result<BatchesView, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    let batches = batch_list(&caller, &id)
        .await
        .map_err(|e| e.about(&customer))?
        .to_vec();
    Ok(BatchesView { customer, batches })
}

/// The customer's batches, newest first: the one way the pages and the upload checks get
/// them. A list this sign-in saw a moment ago is used again while the customer has had no
/// change by the dashboard since ([`super::caches::BatchLists`]); otherwise Partner Center
/// is asked. Work that must see Partner Center's state as it is now (sending, settling)
/// asks Partner Center itself.
pub(crate) async fn batch_list(
    caller: &Caller,
    customer: &CustomerId,
) -> Result<Arc<Vec<BatchRow>>, AppError> {
    let lists = &caller.state.batch_lists;
    let sign_in = caller.user.sign_in_id.as_str();
    let customer_key = customer.to_string();
    // Read before Partner Center is asked, so that a change made meanwhile outdates the list.
    // Without the count (the database does not answer) the list is neither reused nor kept.
    let changes = match caller.state.store.customer_changes(&customer_key).await {
        Ok(changes) => Some(changes),
        Err(error) => {
            tracing::warn!(%error, "could not read the customer's change count");
            None
        }
    };
    if let Some(batches) = changes.and_then(|changes| lists.recent(sign_in, &customer_key, changes))
    {
        return Ok(batches);
    }
    let mut batches = caller
        .state
        .partner_center
        .device_batches(&caller.ctx, customer)
        .await?;
    batches.sort_by_key(|batch| std::cmp::Reverse(batch.creation_date));
    let batches: Arc<Vec<BatchRow>> = Arc::new(
        batches
            .into_iter()
            .map(|batch| BatchRow {
                created: display_time(batch.creation_date),
                devices: batch.devices_count,
                status: batch.status.map(|s| s.as_str().replace('_', " ")),
                id: batch.id,
            })
            .collect(),
    );
    if let Some(changes) = changes {
        lists.remember(sign_in, &customer_key, changes, batches.clone());
    }
    Ok(batches)
}

/// A device as the pages show it; `profile`: its Autopilot profile's name (or id), if any.
pub(crate) fn device_row(device: Device, profile: Option<String>) -> DeviceRow {
    DeviceRow {
        id: device.id.unwrap_or_default(),
        serial: device.serial_number,
        product_key: device.product_key.filter(|k| !k.is_empty()),
        manufacturer: device.oem_manufacturer_name,
        model: device.model_name,
        profile,
        uploaded: display_time(device.uploaded_date),
    }
}

/// The server side of a batch's page: a page of its devices (Partner Center's pages, or,
/// filtered, the devices without a profile found on all of them), each with its profile's
/// name, and the customer's profiles to apply.
pub async fn batch_devices(
    id: CustomerId,
    batch: BatchId,
    show: BatchDevicesShown,
    page: u32,
) -> Result<DevicesView, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    let client = &caller.state.partner_center;
    let page = page.max(1);
    let batch_gone = |error| match error {
        AppError::NotFound { .. } => AppError::NotFound {
            what: format!("The batch '{batch}'"),
        },
        other => other.about(&customer),
    };
    let (devices, has_next, without_profile) = match show {
        BatchDevicesShown::All => {
            let key = format!(
                "{}|devices|{}|{}",
                caller.user.sign_in_id,
                id,
                batch.as_str().to_lowercase()
            );
            let result = caller
                .state
                .page_cursors
                .page(&key, page, |cursor| {
                    let (ctx, id, batch) = (&caller.ctx, &id, &batch);
                    async move { client.devices_page(ctx, id, batch, cursor.as_ref()).await }
                })
                .await
                .map_err(batch_gone)?;
            (result.items, result.next.is_some(), None)
        }
        BatchDevicesShown::NoProfile => {
            let all: Vec<Device> = client
                .devices(&caller.ctx, &id, &batch)
                .try_collect()
                .await
                .map_err(|e| batch_gone(e.into()))?;
            let without: Vec<Device> = all
                .into_iter()
                .filter(|d| d.oobe_policy_id().is_none())
                .collect();
            let count = without.len();
            let skip = (page as usize - 1) * DEVICES_PER_PAGE;
            let shown: Vec<Device> = without
                .into_iter()
                .skip(skip)
                .take(DEVICES_PER_PAGE)
                .collect();
            (shown, skip + DEVICES_PER_PAGE < count, Some(count))
        }
    };
    // Profile names make the table readable; without them, ids are shown.
    let profiles = client
        .policies(&caller.ctx, &id)
        .await
        .map(super::profiles::options)
        .unwrap_or_default();
    let names: HashMap<&str, &str> = profiles
        .iter()
        .map(|p| (p.id.as_str(), p.label.as_str()))
        .collect();
    let items = devices
        .into_iter()
        .map(|device| {
            let profile = device
                .oobe_policy_id()
                .map(|id| names.get(id).map_or(id, |name| name).to_string());
            device_row(device, profile)
        })
        .collect();
    let listed = batch_list(&caller, &id).await.ok().and_then(|list| {
        list.iter()
            .find(|b| b.id.eq_ignore_ascii_case(batch.as_str()))
            .cloned()
    });
    Ok(DevicesView {
        customer,
        batch_id: batch.as_str().to_string(),
        show,
        page,
        items,
        has_next,
        listed,
        without_profile,
        profiles_read_only: super::profiles::read_only(&caller),
        profiles,
    })
}
