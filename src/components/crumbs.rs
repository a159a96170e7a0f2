use leptos::prelude::*;

use crate::model::CustomerRow;
use crate::urls;

/// The trail above a page: Customers › the customer (its batches) › `through`, each a link
/// (label, address) › `here`, the page itself. One place, so every page's trail reads alike.
#[component]
pub fn Crumbs(
    #[prop(optional)] customer: Option<CustomerRow>,
    #[prop(optional)] through: Vec<(String, String)>,
    #[prop(into)] here: String,
) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/customers">"Customers"</a> " › "
            {customer.map(|customer| view! {
                <a href=urls::batches(&customer.id)>{customer.name}</a> " › "
            })}
            {through.into_iter().map(|(label, href)| view! { <a href=href>{label}</a> " › " }).collect_view()}
            <span aria-current="page">{here}</span>
        </nav>
    }
}
