use leptos::prelude::*;
use leptos_meta::Title;

use super::error_notice::ErrorNotice;
use crate::model::AppError;

/// A page's data: `show` with it once loaded, `loading` while it loads, and when it could not
/// be loaded, the error in words ([`ErrorNotice`], which also sets the page's status) under
/// the page's `title`. Every page renders on the server in full (`SsrMode::Async`), so this
/// is what a browser without JavaScript receives too. `keep_shown`: a reload of the data
/// keeps what is on screen until the new data is there (a `Transition`), for a page that
/// refreshes itself.
#[component]
pub fn Loaded<T, V, F>(
    data: Resource<Result<T, AppError>>,
    title: &'static str,
    loading: &'static str,
    show: F,
    #[prop(optional)] keep_shown: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    let content = move || {
        let show = show.clone();
        Suspend::new(async move {
            match data.await {
                Ok(data) => show(data).into_any(),
                Err(error) => view! { <Title text=title/><ErrorNotice error/> }.into_any(),
            }
        })
    };
    let fallback = move || view! { <p>{loading}</p> };
    if keep_shown {
        view! { <Transition fallback>{content}</Transition> }.into_any()
    } else {
        view! { <Suspense fallback>{content}</Suspense> }.into_any()
    }
}
