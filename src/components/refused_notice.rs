use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::refused;

/// What a form post (or a sign-in) that was not done ran into, when the redirect back here
/// carries it (`?refused=…`): at the top of the page the form was on, so the person reads why
/// and tries again where they were. The server sealed it; anything else in the address shows
/// nothing.
#[component]
pub fn RefusedNotice() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("refused");
    let refusal = Resource::new(token, |token| async move {
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
                        {refusal.request_id.map(|id| view! {
                            <p class="ids">"Request id, to quote to your IT: " <code>{id}</code></p>
                        })}
                    </div>
                })
            })}
        </Suspense>
    }
}
