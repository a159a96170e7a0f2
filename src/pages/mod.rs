//! One module per page.

pub mod customers;
pub mod not_found;
