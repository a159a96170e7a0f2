//! Server functions: the one boundary between browser and server. Bodies run on the server
//! and stay one call into `crate::server`; what they return is in [`crate::model`].

use leptos::prelude::*;

use crate::model::{
    AppError, BatchesView, CustomerSearch, DeviceToDelete, DevicesView, SearchField, SessionInfo,
};

pub mod audit;
pub mod codec;
pub mod uploads;

/// The refusal an address carries (`?refused=…`), for the notice at the top of every page.
#[server(output = crate::api::codec::Answer)]
pub async fn refused(token: String) -> Result<Option<crate::model::done::Refused>, AppError> {
    crate::server::refusal::shown(token).await
}

/// What a done notice names on `page` (`?about=…`), sealed by the server for that page.
#[server(output = crate::api::codec::Answer)]
pub async fn done_about(token: String, page: String) -> Result<Option<String>, AppError> {
    crate::server::done_about::shown(token, page).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    crate::server::browse::session_info().await
}

#[server(output = crate::api::codec::Answer)]
pub async fn search_customers(
    query: String,
    field: SearchField,
    page: u32,
) -> Result<CustomerSearch, AppError> {
    crate::server::browse::search_customers(query, field, page).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn customer_batches(customer_id: String) -> Result<BatchesView, AppError> {
    use crate::server::path_ids::from_address;
    crate::server::browse::customer_batches(from_address(&customer_id)?).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn customer_profiles(
    customer_id: String,
) -> Result<crate::model::profiles::ProfilesView, AppError> {
    use crate::server::path_ids::from_address;
    crate::server::profiles::list(from_address(&customer_id)?).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn new_profile(
    customer_id: String,
) -> Result<crate::model::profiles::NewProfileView, AppError> {
    use crate::server::path_ids::from_address;
    crate::server::profiles::new_profile(from_address(&customer_id)?).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn customer_profile(
    customer_id: String,
    profile_id: String,
) -> Result<crate::model::profiles::ProfileView, AppError> {
    use crate::server::path_ids::from_address;
    crate::server::profiles::one(from_address(&customer_id)?, profile_id).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn get_device_to_delete(
    customer_id: String,
    batch_id: String,
    device_id: String,
) -> Result<DeviceToDelete, AppError> {
    use crate::server::path_ids::from_address;
    let (customer, batch) = (from_address(&customer_id)?, from_address(&batch_id)?);
    crate::server::deletions::forms::device_to_delete(customer, batch, device_id).await
}

/// The bulk deletion's confirmation: `which` and `ticked` are the batch page's form fields
/// (`devices`, `device`), as its address carries them. `ticked` is an `Option`: a list with
/// nothing in it is left out of a server function's url-encoded arguments, and would then
/// be refused as missing.
#[server(output = crate::api::codec::Answer)]
pub async fn get_devices_to_delete(
    customer_id: String,
    batch_id: String,
    which: Option<String>,
    ticked: Option<Vec<String>>,
) -> Result<crate::model::DevicesToDelete, AppError> {
    use crate::model::selection::Selection;
    use crate::server::path_ids::from_address;
    let (customer, batch) = (from_address(&customer_id)?, from_address(&batch_id)?);
    let ticked = ticked.unwrap_or_default();
    let selection = Selection::read(which.as_deref(), ticked.iter().map(String::as_str))?;
    crate::server::deletions::forms::devices_to_delete(customer, batch, selection).await
}

/// The confirmation of deleting what a search found: `q` and `customer` are the search,
/// `which` and `ticked` the choice (`devices`, `device`), as its address carries them.
#[server(output = crate::api::codec::Answer)]
pub async fn get_found_to_delete(
    q: String,
    customer: Option<String>,
    which: Option<String>,
    ticked: Option<Vec<String>>,
) -> Result<crate::model::devices::FoundToDelete, AppError> {
    use crate::model::selection::Selection;
    use crate::server::device_index::actions::{to_delete, Searched};
    use crate::server::path_ids::from_address;
    let customer = match customer.filter(|c| !c.is_empty()) {
        Some(id) => Some(from_address(&id)?),
        None => None,
    };
    let ticked = ticked.unwrap_or_default();
    let selection = Selection::read(which.as_deref(), ticked.iter().map(String::as_str))?;
    to_delete(Searched { query: q, customer }, selection).await
}

/// Any operation's page: `show` and `page` choose the devices an upload lists.
#[server(output = crate::api::codec::Answer)]
pub async fn get_operation(
    customer_id: String,
    operation_id: String,
    show: crate::model::uploads::DevicesShown,
    page: u32,
) -> Result<crate::model::operation_page::OperationView, AppError> {
    use crate::server::path_ids::from_address;
    let operation = (from_address(&customer_id)?, from_address(&operation_id)?);
    crate::server::operation_pages::view(operation, show, page).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn find_devices(
    query: String,
    customer_id: Option<String>,
) -> Result<crate::model::devices::DeviceSearchView, AppError> {
    use crate::server::path_ids::from_address;
    let customer = customer_id.as_deref().map(from_address).transpose()?;
    crate::server::device_index::search::find(query, customer).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn batch_devices(
    customer_id: String,
    batch_id: String,
    show: crate::model::BatchDevicesShown,
    page: u32,
) -> Result<DevicesView, AppError> {
    use crate::server::path_ids::from_address;
    let (customer, batch) = (from_address(&customer_id)?, from_address(&batch_id)?);
    crate::server::browse::batch_devices(customer, batch, show, page).await
}
