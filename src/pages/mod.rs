//! One module per page.

pub mod audit;
pub mod batch;
pub mod batches;
pub mod customers;
pub mod deletion;
pub mod device_delete;
pub mod history;
pub mod job;
pub mod not_found;
pub mod upload_new;
pub mod upload_preview;
