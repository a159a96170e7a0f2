use leptos::prelude::*;

/// Previous / next links for a paged list. `href(page)` builds the URL of a page, so every
/// page has its own bookmarkable address. A list that fits on one page shows none. `of`: how
/// many pages there are, when the list's length is known ("Page 2 of 3").
#[component]
pub fn Pager(
    page: u32,
    has_next: bool,
    href: impl Fn(u32) -> String + 'static,
    #[prop(into)] label: String,
    #[prop(optional_no_strip)] of: Option<u32>,
) -> impl IntoView {
    if page <= 1 && !has_next {
        return ().into_any();
    }
    let previous = (page > 1).then(|| href(page - 1));
    let next = has_next.then(|| href(page + 1));
    view! {
        <nav class="pager" aria-label=label>
            {match previous {
                Some(url) => view! { <a rel="prev" href=url>"← Previous"</a> }.into_any(),
                None => view! { <span class="disabled">"← Previous"</span> }.into_any(),
            }}
            <span class="page">{match of {
                Some(pages) => format!("Page {page} of {pages}"),
                None => format!("Page {page}"),
            }}</span>
            {match next {
                Some(url) => view! { <a rel="next" href=url>"Next →"</a> }.into_any(),
                None => view! { <span class="disabled">"Next →"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}
