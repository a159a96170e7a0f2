use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::error_notice::RequestIdNote;
use crate::api::codec::resource;
use crate::api::refused;

/// What a form post (or a sign-in) that was not done ran into, when the redirect back here
/// carries it (`?refused=…`): at the top of the page the form was on, so the person reads why
/// and tries again where they were. The server sealed it; anything else in the address shows
/// nothing.
#[component]
pub fn RefusedNotice() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("refused");
    let refusal = resource(token, |token| async move {
        match token {
            Some(token) => refused(token).await.ok().flatten(),
            None => None,
        }
    });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                refusal.await.map(|refusal| view! {
                    <div class="notice error refused" role="alert">
                        <h2>{refusal.heading}</h2>
                        <p>{refusal.message}</p>
                        {refusal.request_id.map(|id| view! { <RequestIdNote id/> })}
                    </div>
                })
            })}
        </Suspense>
    }
}
