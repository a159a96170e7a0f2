use leptos::prelude::*;
use leptos_meta::Title;

/// `/customers`: the customer picker.
#[component]
pub fn CustomersPage() -> impl IntoView {
    view! {
        <Title text="Customers"/>
        <h1>"Customers"</h1>
    }
}
