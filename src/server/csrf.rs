//! Refuses cross-site writes before any handler runs. Leptos server functions have no CSRF
//! protection of their own, and `SameSite=Lax` still lets top-level POSTs
//! from other sites carry the cookie in some browsers' history; Fetch Metadata settles it.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

pub async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe {
        return next.run(request).await;
    }
    let headers = request.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = match (site, origin) {
        // Same-origin only: a sibling subdomain is "same-site", and SameSite=Lax cookies
        // travel with its requests too.
        (Some("same-origin"), _) => true,
        (Some(_), _) => false,
        (None, Some(origin)) => origin.trim_end_matches('/') == state.public_origin(),
        // Neither header: not a browser (scripts, tests); cookies are SameSite=Lax anyway.
        (None, None) => true,
    };
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!(method = %request.method(), path = request.uri().path(), "cross-site write refused");
        (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not accepted.",
        )
            .into_response()
    }
}
