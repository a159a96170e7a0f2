//! Requests to server functions (`/api/…`) that cannot be what the app's own pages send are
//! answered here, in words and with the right status, before Leptos decodes them: its
//! server-function handler answers every failure, a body it could not decode included, with
//! 500, and reads a body of any size.
//!
//! - not a POST: 405; a body that is not `application/x-www-form-urlencoded` (what the pages
//!   send): 415;
//!   a body over [`Config::server_fn_max_bytes`]: 413, read no further.
//! - Arguments that are missing, mistyped or badly encoded become [`AppError::BadInput`]
//!   (`api.rs`), and every error answer gets the status its [`AppError`] names, not 500.
//!
//! [`Config::server_fn_max_bytes`]: super::Config::server_fn_max_bytes

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::{ContentType, Decodes};

use crate::model::AppError;

/// How [`AppError`] travels (its `FromServerFnError::Encoder`).
type ErrorEncoding = <AppError as FromServerFnError>::Encoder;

/// The largest error answer read back to find its status (errors are a sentence or two).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The middleware; `limit` is the largest body read.
pub async fn guard(State(limit): State<usize>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    if request.method() != Method::POST {
        let mut response = refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "The dashboard's pages call this with POST only.",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let has_body = declared.is_some_and(|length| length > 0)
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|kind| {
            kind.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    // An empty body (a function without arguments) needs no type.
    if has_body && !form {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The dashboard's pages send a form (application/x-www-form-urlencoded) here, and nothing else is read.",
        );
    }
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large(limit);
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let over = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return if over {
                too_large(limit)
            } else {
                refusal(
                    StatusCode::BAD_REQUEST,
                    "The request could not be read to its end. Reload the page and try again.",
                )
            };
        }
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    with_its_own_status(response).await
}

/// A server function's error answer, with the status its [`AppError`] names (the
/// server-function crate sends every error as 500).
async fn with_its_own_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, ERROR_BODY_LIMIT).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The answer could not be sent.",
        )
            .into_response();
    };
    if let Ok(error) = <ErrorEncoding as Decodes<AppError>>::decode(bytes.clone()) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn too_large(limit: usize) -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "The request is larger than the {} KB the dashboard's pages ever send here.",
            limit / 1024
        ),
    )
}

/// A refusal as the app's own pages read errors: an [`AppError`], encoded as every server
/// function's error is.
fn refusal(status: StatusCode, sentence: &str) -> Response {
    let error = AppError::BadInput(sentence.to_string());
    let content_type = HeaderValue::from_static(ErrorEncoding::CONTENT_TYPE);
    (status, [(header::CONTENT_TYPE, content_type)], error.ser()).into_response()
}
