//! A page whose operation Partner Center is still working on keeps itself up to date: with
//! JavaScript it fetches its data again with growing pauses (progress moves in place); without
//! it, the page reloads itself.

use leptos::prelude::*;

use super::error_notice::forget_page_request_id;
use crate::api::codec::PageData;

/// The first pause, then half as long again each time up to the longest.
const POLL_FIRST_MS: u64 = 2_000;
const POLL_LONGEST_MS: u64 = 30_000;
const RELOAD_SECONDS: u32 = 5;

/// With JavaScript: fetches `data` again while `running` says the operation runs.
pub fn poll_while_running<T>(
    data: PageData<T>,
    running: impl Fn(&T) -> bool + Send + Sync + 'static,
) where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    let pause = StoredValue::new(POLL_FIRST_MS);
    Effect::new(move |_| {
        let runs = data
            .get()
            .is_some_and(|view| view.is_ok_and(|view| running(&view)));
        if !runs {
            return;
        }
        let ms = pause.get_value();
        pause.set_value((ms * 3 / 2).min(POLL_LONGEST_MS));
        if let Ok(handle) = set_timeout_with_handle(
            move || {
                forget_page_request_id();
                data.refetch();
            },
            std::time::Duration::from_millis(ms),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
}

/// Without JavaScript: reloads the page every few seconds while shown.
#[component]
pub fn ReloadWithoutScript() -> impl IntoView {
    view! {
        <noscript inner_html=format!(r#"<meta http-equiv="refresh" content="{RELOAD_SECONDS}">"#)></noscript>
    }
}
