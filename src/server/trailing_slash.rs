//! One address per page: `/customers/{id}/batches/` answers with a permanent redirect to
//! `/customers/{id}/batches`. Pages link relative to their own address
//! ([`crate::urls::batch_from_list`]), which only works from the address without the slash;
//! without this, the router also drew the page at the slashed address (answered 404).

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::sign_in::safe_return_to;

pub async fn drop_trailing_slash(request: Request, next: Next) -> Response {
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    match canonical(request.uri().path(), request.uri().query()) {
        Some(target) if reads => Redirect::permanent(&target).into_response(),
        _ => next.run(request).await,
    }
}

/// The address without its trailing slash, or `None` when it has none. Leading slashes are
/// collapsed too, and anything else that could lead off the site (`/\host`) becomes `/`.
fn canonical(path: &str, query: Option<&str>) -> Option<String> {
    if path == "/" || !path.ends_with('/') {
        return None;
    }
    let mut target = format!("/{}", path.trim_matches('/'));
    if let Some(query) = query {
        target.push('?');
        target.push_str(query);
    }
    Some(safe_return_to(&target))
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn a_trailing_slash_is_dropped_and_nothing_leads_off_the_site() {
        assert_eq!(canonical("/customers/c1/batches", None), None);
        assert_eq!(canonical("/", None), None);
        assert_eq!(
            canonical("/customers/c1/batches/", Some("page=2")).as_deref(),
            Some("/customers/c1/batches?page=2")
        );
        assert_eq!(
            canonical("/customers//", None).as_deref(),
            Some("/customers")
        );
        assert_eq!(
            canonical("//evil.example/", None).as_deref(),
            Some("/evil.example")
        );
        assert_eq!(canonical("///", None).as_deref(), Some("/"));
        assert_eq!(canonical("/\\evil.example/", None).as_deref(), Some("/"));
    }
}
