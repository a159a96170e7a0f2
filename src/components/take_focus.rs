//! Where the focus goes after a link followed in place. With JavaScript on, the client-side
//! router replaces the page without reloading it: the link that had the focus is gone, and the
//! next Tab would start from nowhere. As a browser does on a new page, the focus goes to the
//! top of the new content (and a screen reader reads it from there), but only once that
//! content is in the page: a page that is still loading keeps the old one on screen
//! ([`super::loaded::Loaded`]), and focusing then would read the old page out.

use leptos::prelude::*;

/// The address (path and query) the focus was last placed for: the first one, which the
/// browser handles itself, then each one [`TakeFocus`] was shown on. Provided by the layout.
/// (The address is kept rather than a "navigated" flag: a page already loaded can render
/// before the layout would see the address change.)
#[derive(Clone, Copy)]
pub struct FocusedAt(pub RwSignal<Option<String>>);

impl FocusedAt {
    /// For the address the page was loaded at.
    pub fn here() -> Self {
        let location = leptos_router::hooks::use_location();
        let here = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        FocusedAt(RwSignal::new(Some(here)))
    }
}

/// Put into a page's content: once it is in the document, the main region takes the focus,
/// if the address changed since the focus was last placed (not for the first load, nor when
/// a page that refreshes itself renders again at the same address).
#[component]
pub fn TakeFocus() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let location = leptos_router::hooks::use_location();
        let focused_at = use_context::<FocusedAt>();
        Effect::new(move |_| {
            let Some(FocusedAt(at)) = focused_at else {
                return;
            };
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            if at.get_untracked().as_deref() == Some(here.as_str()) {
                return;
            }
            at.set(Some(here));
            // The effect runs once the content is built, which may be before it is put into
            // the document (a page resolved while "Loading…" shows): on the next frame it is.
            request_animation_frame(|| {
                let main = document()
                    .get_element_by_id("main")
                    .and_then(|main| main.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(main) = main {
                    let _ = main.focus();
                }
            });
        });
    }
}
