//! `/customers/{customerId}/operations/{operationId}`: one page for any operation (an upload
//! once submitted, a deletion, a profile assignment). It keeps itself up to date while the
//! operation runs; each kind shows what it acted on in its own module.

mod assignment;
mod deletion;
mod upload;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::codec::resource;
use crate::api::get_operation;
use crate::components::poll::poll_while_running;
use crate::components::{done_notice::DoneNotice, loaded::Loaded};
use crate::model::operation_page::OperationView;
use crate::model::uploads::DevicesShown;

#[component]
pub fn OperationPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let (params, query) = (params.read(), query.read());
        (
            params.get("customer").unwrap_or_default(),
            params.get("operation").unwrap_or_default(),
            super::shown(&query, DevicesShown::All),
            super::page_number(&query),
        )
    };
    let data = resource(key, |(customer, operation, show, page)| {
        get_operation(customer, operation, show, page)
    });
    poll_while_running(data, OperationView::running);
    view! {
        <DoneNotice/>
        // A refetch keeps the page on screen (Loaded's Transition), so progress moves in place.
        <Loaded data=data title="An operation" loading="Loading…" show=move |data| match data {
            OperationView::Upload(data) => view! { <upload::Job data=*data/> }.into_any(),
            OperationView::Deletion(data) => view! { <deletion::Deletion data/> }.into_any(),
            OperationView::Assignment(data) => view! { <assignment::Assignment data/> }.into_any(),
        } polled=true/>
    }
}
