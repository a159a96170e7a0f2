use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

use crate::api::codec::resource;
use crate::api::done_about;
use crate::model::done::Done;

/// What the form post that led here did, when its redirect says (`?done=…`), naming what it
/// was done to when the server sealed that into the address too (`?about=…`). A word the
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
    let location = use_location();
    let token = move || (query.read().get("about"), location.pathname.get());
    let about = resource(token, |(token, page)| async move {
        match token {
            Some(token) => done_about(token, page).await.ok().flatten(),
            None => None,
        }
    });
    move || {
        done().map(|done| {
            let words =
                move || Suspend::new(async move { done.sentence_about(about.await.as_deref()) });
            view! {
                <div class="notice" role="status">
                    <p><Suspense fallback=move || done.sentence()>{words}</Suspense></p>
                </div>
            }
        })
    }
}
