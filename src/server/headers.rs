//! Browser hardening headers on every response (security checklist 18).
//!
//! Leptos pages get a Content-Security-Policy naming the nonce Leptos made for this response
//! and put on its hydration scripts ([`page_policy`], set through the page context). Every
//! other response (plain pages, downloads, refusals, server functions) gets a policy that
//! allows no script at all. Signed-in content is never stored by a browser or proxy: what
//! does not say how long it may be kept is `no-store` (the static files say it themselves,
//! [`super::assets`]).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// What both policies share: nothing embeds the dashboard, no plugins, no `<base>` tricks.
macro_rules! common_policy {
    () => {
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    };
}

/// The policy of a rendered Leptos page. Scripts run only from this origin and only with this
/// response's nonce (the inline hydration loader carries it); `'wasm-unsafe-eval'` lets the
/// browser compile the app's WebAssembly.
pub fn page_policy(nonce: &str) -> HeaderValue {
    let reload = LIVE_RELOAD_SOURCE.as_str();
    let policy = format!(
        concat!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; ",
            "style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; ",
            common_policy!()
        ),
        nonce = nonce,
        reload = reload
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(NO_SCRIPT_POLICY))
}

/// The policy of every response that is not a Leptos page: no script runs.
const NO_SCRIPT_POLICY: &str = concat!(
    "default-src 'none'; style-src 'self'; img-src 'self' data:; ",
    common_policy!()
);

/// `cargo leptos watch` injects a reload script that opens a WebSocket to its own port; allow
/// it only while that tool runs the server (it sets `LEPTOS_WATCH`). Read once per process.
static LIVE_RELOAD_SOURCE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    if std::env::var_os("LEPTOS_WATCH").is_none() {
        return String::new();
    }
    let port = std::env::var("LEPTOS_RELOAD_PORT").unwrap_or_else(|_| "3001".into());
    format!(" ws://127.0.0.1:{port} ws://localhost:{port}")
});

/// For the page context of every Leptos route: puts this response's nonce into its policy.
pub fn provide_page_policy() {
    use leptos::prelude::use_context;
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, page_policy(&nonce));
    }
}

/// The outermost middleware: adds what a response has not set itself.
pub async fn harden(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set_default(
        headers,
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(NO_SCRIPT_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    set_default(
        headers,
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    if state.public_url.scheme() == "https" {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

fn set_default(headers: &mut HeaderMap, name: header::HeaderName, value: HeaderValue) {
    headers.entry(name).or_insert(value);
}
