//! One module per page.

pub mod audit;
pub mod batch;
pub mod batch_delete;
pub mod batches;
pub mod customers;
pub mod device_delete;
pub mod devices;
pub mod found_delete;
pub mod history;
pub mod not_found;
pub mod operation;
pub mod profiles;
pub mod refused_device;
pub mod signed_out;
pub mod upload_new;
pub mod upload_preview;

use leptos_router::params::ParamsMap;

/// The page of a paged list its address asks for (`?page=N`); the first when it names none
/// or nonsense.
pub fn page_number(query: &ParamsMap) -> u32 {
    query
        .get("page")
        .and_then(|page| page.parse().ok())
        .unwrap_or(1)
}

/// Whether the address asks for every box of the page ticked (`?tick=all`,
/// [`crate::urls::every_ticked`]).
pub fn every_ticked(query: &ParamsMap) -> bool {
    query.get("tick").as_deref() == Some("all")
}

/// The filter of a device list its address asks for (`?show=`); `all` when it names none or
/// one the list does not know.
pub fn shown<T: for<'a> TryFrom<&'a str>>(query: &ParamsMap, all: T) -> T {
    query
        .get("show")
        .and_then(|show| T::try_from(show.as_str()).ok())
        .unwrap_or(all)
}
