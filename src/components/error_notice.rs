use leptos::prelude::*;
use leptos_meta::Meta;

use crate::model::AppError;

/// How often a page that could not reach Partner Center loads itself again.
const RETRY_SECONDS: u32 = 20;

/// Where the browser finds the id of the request that rendered the page (the shell writes it).
pub const REQUEST_ID_META: &str = "request-id";

/// The dashboard's id of the request that rendered this page, to quote when asking for help:
/// on the server, the request's own; in the browser, the one the server wrote into the page,
/// until the page's data comes from another request ([`forget_page_request_id`]).
pub fn page_request_id() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>().and_then(|parts| {
            let id = parts
                .extensions
                .get::<crate::server::request_ids::RequestId>()?;
            Some(id.to_string())
        })
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .query_selector(&format!("meta[name={REQUEST_ID_META}]"))
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .filter(|id| !id.is_empty())
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}

/// Once what the page shows comes from other requests than the one that rendered it (the
/// client-side router led elsewhere, or a page that keeps itself up to date asked again), its
/// request id is no longer the one to quote: no id is better than a wrong one, and the error
/// notice then says to reload the page for one.
pub fn forget_page_request_id() {
    #[cfg(feature = "hydrate")]
    if let Ok(Some(meta)) = document().query_selector(&format!("meta[name={REQUEST_ID_META}]")) {
        meta.remove();
    }
}

/// An error in plain words, with the one action that helps, and the ids to quote.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
    }
    let action = match &error {
        AppError::SignedOut => {
            Some(view! { <a class="button" href="/auth/login">"Sign in again"</a> }.into_any())
        }
        AppError::MfaRequired => Some(
            view! {
                <form method="post" action="/auth/logout">
                    <button type="submit">"Sign out"</button>
                </form>
            }
            .into_any(),
        ),
        AppError::NotFound { .. }
        | AppError::NoSuchUpload
        | AppError::NothingHere
        | AppError::BadInput(_) => {
            Some(view! { <a href="/customers">"Back to customers"</a> }.into_any())
        }
        _ => None,
    };
    let said = match &error {
        AppError::Upstream { description, .. } => description.clone(),
        _ => None,
    };
    let ids = error.request_id().map(|request_id| {
        view! {
            <p class="ids">
                {said.map(|d| format!("Partner Center said: {d} "))}
                "Request id, to quote to Microsoft support: " <code>{request_id.to_string()}</code>
            </p>
        }
    });
    // Partner Center down or throttling: the page tries again by itself (with JavaScript or
    // without), so a screen left open recovers when the service is back.
    let retry = matches!(error, AppError::Busy | AppError::Unavailable).then(|| {
        view! {
            <Meta http_equiv="refresh" content=RETRY_SECONDS.to_string()/>
            <p>{format!("This page tries again by itself every {RETRY_SECONDS} seconds.")}</p>
        }
    });
    let ours = match page_request_id() {
        Some(id) => view! { <RequestIdNote id/> }.into_any(),
        None => {
            view! { <p class="ids">"Reload the page for a request id to quote."</p> }.into_any()
        }
    };
    view! {
        <div class="notice error" role="alert">
            <p>{error.to_string()}</p>
            {ids}
            {ours}
            {retry}
            {action}
        </div>
    }
}

/// The dashboard's id of the request that went wrong, for the person to quote to their IT
/// (who find it on every log line of that request).
#[component]
pub fn RequestIdNote(id: String) -> impl IntoView {
    view! { <p class="ids">"Request id, to quote to your IT: " <code>{id}</code></p> }
}
