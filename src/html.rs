//! HTML written by hand, outside Leptos' views: escaping (both targets), and the pages plain
//! handlers answer with themselves (server only): a refused form post, a sign-in that went
//! wrong, signed out. Those answer at the form's own address, which no page route matches, so
//! a hydrated Leptos page there would be taken over by the browser's router and show "Page not
//! found"; what a write did *is* shown inside the Leptos page it redirects to (`?done=…`).

#[cfg(feature = "ssr")]
use axum::http::StatusCode;
#[cfg(feature = "ssr")]
use axum::response::{Html, IntoResponse, Response};

/// A complete page in the dashboard's look, `body` being trusted HTML (escape what goes in).
/// Like every dynamic response, never cached (`server::headers`).
#[cfg(feature = "ssr")]
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · ztd-dashboard</title><link rel=\"stylesheet\" href=\"/pkg/ztd-dashboard.css\"></head>\
         <body><header class=\"top\"><a class=\"product\" href=\"/customers\">ztd-dashboard</a></header>\
         <main id=\"main\">{body}</main></body></html>",
        escape(title)
    );
    (status, Html(html)).into_response()
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// [`escape`], appending to `out`: for HTML built up in one buffer.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}
