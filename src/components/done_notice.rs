use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::model::done::Done;

/// What the form post that led here did, when its redirect says (`?done=…`). A word the
/// dashboard does not know shows nothing: the address is the only thing that carried it.
#[component]
pub fn DoneNotice() -> impl IntoView {
    let query = use_query_map();
    let done = move || {
        query
            .read()
            .get("done")
            .and_then(|word| Done::try_from(word.as_str()).ok())
    };
    move || {
        done().map(|done| {
            view! { <div class="notice" role="status"><p>{done.sentence()}</p></div> }
        })
    }
}
