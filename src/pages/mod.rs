//! One module per page.

pub mod batch;
pub mod batches;
pub mod customers;
pub mod not_found;
