//! Server functions: the one boundary between browser and server. Bodies run on the server
//! and stay one call into `crate::server`; what they return is in [`crate::model`].

use leptos::prelude::*;

use crate::model::{
    AppError, BatchesView, CustomerSearch, DeviceToDelete, DevicesView, SearchField, SessionInfo,
};

pub mod audit;
pub mod uploads;

#[server]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    crate::server::browse::session_info().await
}

#[server]
pub async fn search_customers(
    query: String,
    field: SearchField,
    page: u32,
) -> Result<CustomerSearch, AppError> {
    crate::server::browse::search_customers(query, field, page).await
}

#[server]
pub async fn customer_batches(customer_id: String) -> Result<BatchesView, AppError> {
    crate::server::browse::customer_batches(customer_id).await
}

#[server]
pub async fn get_device_to_delete(
    customer_id: String,
    batch_id: String,
    device_id: String,
) -> Result<DeviceToDelete, AppError> {
    crate::server::devices::device_to_delete(customer_id, batch_id, device_id).await
}

#[server]
pub async fn get_deletion(
    customer_id: String,
    operation_id: String,
) -> Result<crate::model::operations::DeletionView, AppError> {
    crate::server::deletions::view(customer_id, operation_id).await
}

#[server]
pub async fn batch_devices(
    customer_id: String,
    batch_id: String,
    page: u32,
) -> Result<DevicesView, AppError> {
    crate::server::browse::batch_devices(customer_id, batch_id, page).await
}
