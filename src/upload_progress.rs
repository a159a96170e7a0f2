//! The upload form, sent by XMLHttpRequest when JavaScript runs, so that a progress bar can
//! follow a large file (fetch cannot report upload progress). Without JavaScript the same
//! form is posted natively; both end on the same pages.

#[cfg(feature = "hydrate")]
use leptos::ev::SubmitEvent;
#[cfg(feature = "hydrate")]
use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use wasm_bindgen::{closure::Closure, JsCast};
#[cfg(feature = "hydrate")]
use web_sys::{FormData, HtmlFormElement, ProgressEvent, XmlHttpRequest};

/// The upload's state in the browser, while [`send`] posts it.
#[derive(Clone, Debug, PartialEq)]
pub enum Sending {
    /// Percent of the body sent.
    Progress(f64),
    /// The connection failed.
    Failed,
    /// The server refused the upload, in these words.
    Refused(String),
}

/// Takes over a submit: posts the form's data, reports progress into `state`, then shows
/// where the server led (the preview, or the page that explains a refusal). If anything is
/// missing to do so, the browser's own submission goes ahead untouched.
#[cfg(feature = "hydrate")]
pub fn send(event: SubmitEvent, state: RwSignal<Option<Sending>>) {
    let Some(form) = event
        .target()
        .and_then(|target| target.dyn_into::<HtmlFormElement>().ok())
    else {
        return;
    };
    let (Ok(data), Ok(request)) = (FormData::new_with_form(&form), XmlHttpRequest::new()) else {
        return;
    };
    if request.open("POST", &form.action()).is_err() {
        return;
    }
    event.prevent_default();
    state.set(Some(Sending::Progress(0.0)));
    if let Ok(upload) = request.upload() {
        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                state.set(Some(Sending::Progress(100.0 * e.loaded() / e.total())));
            }
        });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
    }
    let answered = request.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        let ok = answered.status().is_ok_and(|s| (200..300).contains(&s));
        if ok {
            // The redirect was followed: go to where it led.
            let _ = window().location().assign(&answered.response_url());
        } else {
            // The refusal, in the words of the page the server sent, beside the form: the
            // chosen file is still there to fix the batch name and send again.
            let message = answered
                .response_text()
                .ok()
                .flatten()
                .and_then(|html| refusal_message(&html))
                .unwrap_or_else(|| "The upload was not accepted. Try again.".to_string());
            state.set(Some(Sending::Refused(message)));
        }
    });
    request.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();
    let on_error = Closure::<dyn FnMut()>::new(move || state.set(Some(Sending::Failed)));
    request.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    if request.send_with_opt_form_data(Some(&data)).is_err() {
        state.set(Some(Sending::Failed));
    }
}

/// The message of a refusal: the paragraph of the `role="alert"` notice on the page the
/// refusal's redirect led back to (`components::refused_notice`).
#[cfg(feature = "hydrate")]
fn refusal_message(html: &str) -> Option<String> {
    let parser = web_sys::DomParser::new().ok()?;
    let page = parser
        .parse_from_string(html, web_sys::SupportedType::TextHtml)
        .ok()?;
    let alert = page.query_selector("[role=alert] p").ok()??;
    alert.text_content().map(|text| text.trim().to_string())
}
