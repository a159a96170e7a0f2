use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::take_focus::TakeFocus;

/// Any path the dashboard does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <h1>"Page not found"</h1>
        <p>"There is no page at this address. " <a href="/customers">"Go to your customers"</a> "."</p>
        <TakeFocus/>
    }
}
