use leptos::prelude::*;

use crate::model::selection::{Selection, CONFIRMED};

/// A confirmation form's hidden fields: the devices the list's form chose, carried on as it
/// sent them, and how many the confirmation showed, which the server checks again before it
/// does anything.
#[component]
pub fn CarriedChoice(selection: Selection, count: usize) -> impl IntoView {
    view! {
        {selection
            .fields()
            .into_iter()
            .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
            .collect_view()}
        <input type="hidden" name=CONFIRMED value=count.to_string()/>
    }
}
