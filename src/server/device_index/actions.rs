//! Acting on what a search found: deleting the devices its form chose (the ticked results, or
//! every device the search finds), across customers; or, within one customer, giving them a
//! profile. The index says where each device was;
//! Partner Center is asked where it is now, batch by batch, before anything is stored, so
//! that nothing is deleted that moved or was deleted since the index read it. Each customer's
//! devices become one deletion operation ([`crate::server::deletions`]): an operation belongs
//! to one customer, and the history and the audit trail show each.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::response::Redirect;
use futures::TryStreamExt;

use super::search::{found, Found};
use super::IndexedDevice;
use crate::model::devices::{CustomerDevices, FoundToDelete};
use crate::model::done::Done;
use crate::model::selection::{split_found_device, Selection};
use crate::model::{AppError, CustomerRow};
use crate::partner_center::{BatchId, CustomerId};
use crate::server::assignments::{self, DeviceToAssign};
use crate::server::auth::SignedIn;
use crate::server::caller::{caller, open_customer, Caller};
use crate::server::deletions::{self, DeviceToRemove};
use crate::server::form_fields::{field, Fields};
use crate::server::refusal::Refusal;
use crate::server::AppState;
use crate::urls;

/// How many devices of each customer the confirmation names; it counts the rest.
const NAMED_PER_CUSTOMER: usize = 20;

/// The search a form was under: its text and the customer it was limited to.
pub struct Searched {
    pub query: String,
    pub customer: Option<CustomerId>,
}

/// The devices chosen, by customer in the search's order, each as Partner Center lists it
/// now. Refused when a ticked device is no longer found, when one is no longer where the
/// index saw it, or when there are more than one operation may carry.
async fn chosen(
    caller: &Caller,
    searched: &Searched,
    selection: &Selection,
) -> Result<Vec<(CustomerRow, Vec<DeviceToRemove>)>, AppError> {
    let most = caller.state.config.upload_max_rows;
    let found: Found = found(
        caller,
        &searched.query,
        searched.customer.as_ref(),
        most + 1,
    )
    .await?;
    let devices: Vec<&IndexedDevice> = match selection {
        Selection::All => found.every_one(most)?.iter().collect(),
        Selection::Ticked(ticked) => {
            let wanted: HashSet<(&str, &str)> = ticked
                .iter()
                .filter_map(|t| split_found_device(t))
                .collect();
            let devices: Vec<&IndexedDevice> = found
                .devices
                .iter()
                .filter(|d| wanted.contains(&(d.customer_id.as_str(), d.device_id.as_str())))
                .collect();
            if devices.len() < ticked.len() {
                return Err(AppError::Changed(format!(
                    "{} of the {} devices you ticked are no longer found by this search: \
                     deleted or moved since the page was shown. Nothing was done. Search again \
                     and tick them again.",
                    ticked.len() - devices.len(),
                    ticked.len()
                )));
            }
            devices
        }
    };
    if devices.is_empty() {
        return Err(AppError::Changed(
            "The search finds no device now: nothing was done.".into(),
        ));
    }
    if devices.len() > most {
        return Err(AppError::TooMany {
            most,
            chosen: devices.len(),
        });
    }
    let mut by_customer: Vec<(&str, Vec<&IndexedDevice>)> = Vec::new();
    for device in devices {
        match by_customer
            .iter_mut()
            .find(|(c, _)| *c == device.customer_id)
        {
            Some((_, list)) => list.push(device),
            None => by_customer.push((&device.customer_id, vec![device])),
        }
    }
    let mut chosen = Vec::with_capacity(by_customer.len());
    for (customer, devices) in by_customer {
        let id: CustomerId = customer
            .parse()
            .map_err(|_| AppError::Internal("a damaged index entry".into()))?;
        let opened = open_customer(caller, &id).await?;
        let listed = as_listed_now(caller, &id, &devices).await?;
        if listed.len() < devices.len() {
            return Err(AppError::Changed(format!(
                "{} of the devices of {} are no longer where the device index saw them: \
                 deleted or moved since it read them. Nothing was done. Search again (the \
                 index has been told) and choose again.",
                devices.len() - listed.len(),
                opened.name
            )));
        }
        chosen.push((opened, listed));
    }
    Ok(chosen)
}

/// `devices` of `customer` as Partner Center lists them now, each read from its batch; a
/// device no longer there is left out (and out of the index).
async fn as_listed_now(
    caller: &Caller,
    customer: &CustomerId,
    devices: &[&IndexedDevice],
) -> Result<Vec<DeviceToRemove>, AppError> {
    let mut batches: HashMap<&str, HashSet<&str>> = HashMap::new();
    for device in devices {
        batches
            .entry(device.batch_id.as_str())
            .or_default()
            .insert(device.device_id.as_str());
    }
    let mut listed = Vec::with_capacity(devices.len());
    for (batch, ids) in batches {
        let Ok(batch_id) = batch.parse::<BatchId>() else {
            continue;
        };
        let in_batch: Result<Vec<_>, _> = caller
            .state
            .partner_center
            .devices(&caller.ctx, customer, &batch_id)
            .try_filter(|d| std::future::ready(d.id.as_deref().is_some_and(|id| ids.contains(id))))
            .try_collect()
            .await;
        let in_batch = match in_batch.map_err(AppError::from) {
            Ok(devices) => devices,
            // The batch itself is gone: so are its devices.
            Err(AppError::NotFound { .. }) => Vec::new(),
            Err(other) => return Err(other),
        };
        listed.extend(
            in_batch
                .into_iter()
                .filter_map(|d| DeviceToRemove::listed(&batch_id, d)),
        );
    }
    if listed.len() < devices.len() {
        let here: HashSet<&str> = listed.iter().map(|d| d.device_id.as_str()).collect();
        let tenant = &caller.user.tenant_id;
        for gone in devices
            .iter()
            .filter(|d| !here.contains(d.device_id.as_str()))
        {
            let store = &caller.state.store;
            if let Err(error) = store
                .unindex_device(tenant, &gone.customer_id, &gone.device_id)
                .await
            {
                tracing::warn!(%error, "could not take a device that is gone out of the index");
            }
        }
    }
    // In the search's order.
    let order: HashMap<&str, usize> = devices
        .iter()
        .enumerate()
        .map(|(at, d)| (d.device_id.as_str(), at))
        .collect();
    listed.sort_by_key(|d| order.get(d.device_id.as_str()).copied());
    Ok(listed)
}

/// What the confirmation page (`GET /devices/delete?q=…&devices=…`, a Leptos page) shows.
pub async fn to_delete(
    searched: Searched,
    selection: Selection,
) -> Result<FoundToDelete, AppError> {
    let caller = caller().await?;
    let one = match &searched.customer {
        Some(id) => Some(open_customer(&caller, id).await?),
        None => None,
    };
    let chosen = chosen(&caller, &searched, &selection).await?;
    Ok(FoundToDelete {
        query: searched.query,
        customer: one,
        selection,
        count: chosen.iter().map(|(_, d)| d.len()).sum(),
        customers: chosen
            .into_iter()
            .map(|(customer, devices)| CustomerDevices {
                customer,
                count: devices.len(),
                named: devices
                    .into_iter()
                    .take(NAMED_PER_CUSTOMER)
                    .map(|d| d.serial_number.unwrap_or(d.device_id))
                    .collect(),
            })
            .collect(),
    })
}

/// `POST /devices/profile`: `profile` (an id, or `none`) for the devices a search within one
/// customer chose (`q`, `customer`, `devices`, `device`), as Partner Center lists them now:
/// one profile assignment ([`assignments`]), then to its page.
pub async fn apply_profile(
    State(state): State<AppState>,
    signed_in: SignedIn,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let Some(customer) = field(&fields, "customer").filter(|c| !c.is_empty()) else {
        return Err(AppError::BadInput(
            "A profile belongs to one customer: search within the customer first.".into(),
        )
        .into());
    };
    let customer: CustomerId = crate::server::path_ids::from_address(customer)?;
    open_customer(&caller, &customer).await?;
    let choice = assignments::forms::chosen_profile(&caller, &customer, &fields).await?;
    let searched = Searched {
        query: field(&fields, "q").unwrap_or_default().to_string(),
        customer: Some(customer),
    };
    let selection = Selection::of_form(&fields)?;
    let chosen = chosen(&caller, &searched, &selection).await?;
    let Some((opened, devices)) = chosen.into_iter().next() else {
        return Err(AppError::Changed("The search finds no device now.".into()).into());
    };
    let devices: Vec<DeviceToAssign> = devices
        .into_iter()
        .map(|d| DeviceToAssign {
            batch_id: d.batch_id.to_string(),
            device_id: d.device_id,
            serial_number: d.serial_number,
            model: d.model,
        })
        .collect();
    assignments::forms::start_and_show(&caller, (&customer, &opened.name), &choice, &devices).await
}

/// `POST /devices/delete`: `q` and `customer` (the search), `devices` and `device` (the
/// choice), `confirmed` (how many the confirmation showed). One deletion per customer, all
/// stored together, then each sent in the background; then to the deletion's page, or, for
/// several, to the history that lists them.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let searched = Searched {
        query: field(&fields, "q").unwrap_or_default().to_string(),
        customer: match field(&fields, "customer").filter(|c| !c.is_empty()) {
            Some(id) => Some(crate::server::path_ids::from_address(id)?),
            None => None,
        },
    };
    let selection = Selection::of_form(&fields)?;
    let chosen = chosen(&caller, &searched, &selection).await?;
    Selection::as_confirmed(&fields, chosen.iter().map(|(_, d)| d.len()).sum())?;
    let mut customers = Vec::with_capacity(chosen.len());
    for (customer, _) in &chosen {
        customers.push(crate::server::path_ids::from_address::<CustomerId>(
            &customer.id,
        )?);
    }
    let deletions: Vec<_> = customers
        .iter()
        .zip(&chosen)
        .map(|(id, (customer, devices))| ((id, customer.name.as_str()), devices.as_slice()))
        .collect();
    let ids = deletions::store_new(&caller.state, &caller.user, &deletions).await?;
    let mut started = Vec::with_capacity(ids.len());
    for (id, customer) in ids.into_iter().zip(customers) {
        deletions::send_in_background(&caller.state, &caller.user, id);
        tracing::info!(customer = %customer, operation = %id, "deletion started from a search");
        started.push((customer, id));
    }
    Ok(Redirect::to(&match started.as_slice() {
        [(customer, operation)] => {
            urls::with_done(&urls::operation(customer, operation), Done::DeletionStarted)
        }
        _ => urls::with_done("/uploads", Done::DeletionsStarted),
    }))
}
