use leptos::prelude::*;
use leptos_meta::Meta;

use crate::model::AppError;

/// How often a page that could not reach Partner Center loads itself again.
const RETRY_SECONDS: u32 = 20;

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
    view! {
        <div class="notice error" role="alert">
            <p>{error.to_string()}</p>
            {ids}
            {retry}
            {action}
        </div>
    }
}
