use leptos::prelude::*;
use leptos_meta::Title;

use super::error_notice::ErrorNotice;
use super::take_focus::TakeFocus;
use crate::api::codec::PageData;

/// A page's data: `show` with it once loaded, `loading` while it first loads, and when it
/// could not be loaded, the error in words ([`ErrorNotice`], which also sets the page's
/// status) under the page's `title`, which is also its main heading unless the page shows
/// one of its own above (`headed`, for a page whose search form stays). Every page renders on the server in
/// full (`SsrMode::Async`), so this is what a browser without JavaScript receives too.
///
/// A reload of the data (the next page of a list, a filter, a page that refreshes itself)
/// keeps what is on screen until the new data is there (a `Transition`): heading, breadcrumb
/// and pager stay, marked busy (`aria-busy`, dimmed by the style sheet) while it loads;
/// but not a page that asks again by itself (`polled`): its refreshes are not the person's
/// doing, and its live status would flicker dimmed every few seconds.
#[component]
pub fn Loaded<T, V, F>(
    data: PageData<T>,
    title: &'static str,
    loading: &'static str,
    show: F,
    #[prop(optional)] headed: bool,
    #[prop(optional)] polled: bool,
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
                Ok(data) => view! { {show(data)} <TakeFocus/> }.into_any(),
                Err(error) => view! {
                    <Title text=title/>
                    {(!headed).then(|| view! { <h1>{title}</h1> })}
                    <ErrorNotice error/>
                    <TakeFocus/>
                }
                .into_any(),
            }
        })
    };
    let fallback = move || view! { <p>{loading}</p> };
    let pending = RwSignal::new(false);
    // Only the browser follows the pending state: the server renders a page once, complete,
    // so nothing is pending there. Asked on the server too, `Transition` runs an effect that
    // reads its task list while the page's data, on the other worker thread, writes it; the
    // signal is read with a lock that does not wait, and a read that meets the write panics
    // as "a reactive value that has already been disposed" (10–16 times in 15 s under
    // the benchmarks' loads, each report costing time and memory).
    #[cfg(feature = "ssr")]
    let transition = view! { <Transition fallback>{content}</Transition> };
    #[cfg(not(feature = "ssr"))]
    let transition =
        view! { <Transition fallback set_pending=pending.write_only()>{content}</Transition> };
    view! {
        <div class="loaded" aria-busy=move || (pending.get() && !polled).to_string()>
            {transition}
        </div>
    }
}
