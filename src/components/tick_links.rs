use leptos::prelude::*;

use crate::urls;

/// "Tick every device" and "Untick all" for a list of devices whose boxes follow `all`.
/// Links, so that they work without JavaScript (the page again, `?tick=all` or without it);
/// with JavaScript they set every box of the page at once, also boxes ticked by hand.
#[component]
pub fn TickLinks(
    /// The list's own address (its page and filter), without `tick`.
    this_page: String,
    all: RwSignal<bool>,
    #[prop(into)] every_label: String,
) -> impl IntoView {
    let set = move |ticked: bool| {
        move |event: leptos::ev::MouseEvent| {
            event.prevent_default();
            all.set(ticked);
        }
    };
    view! {
        <p class="actions">
            <a href=urls::every_ticked(&this_page) on:click=set(true)>{every_label}</a>
            <a href=this_page.clone() on:click=set(false)>"Untick all"</a>
        </p>
    }
}
