//! A form post that was not done: why, in words, with its status. The one error of the write
//! handlers (the upload form, the preview's and the operation page's buttons, a device's
//! deletion): a handler returns `Result<_, Refusal>` and uses `?` on database errors, page
//! errors and file-reading errors alike. [`pages`] answers it in one place, as post/redirect/
//! get: back to the page the form was on (it knows from the address which that is), the
//! refusal sealed into the redirect's address, and that page shows it inside the app, with
//! the refusal's status ([`shown`]).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::crypto::TokenCipher;
use super::sealed_note;
use super::{unix_now, AppState};
use crate::ingest::ReadError;
use crate::model::done::Refused;
use crate::model::AppError;
use crate::urls;

/// Why a write was not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY);
        Refusal::new(status, error.to_string())
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Self {
        AppError::from(error).into()
    }
}

impl From<crate::partner_center::PartnerCenterError> for Refusal {
    fn from(error: crate::partner_center::PartnerCenterError) -> Self {
        AppError::from(error).into()
    }
}

impl From<ReadError> for Refusal {
    fn from(error: ReadError) -> Self {
        let status = match error {
            ReadError::TooManyRows { .. }
            | ReadError::UnpacksTooLarge { .. }
            | ReadError::TooManySheets { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ReadError::NotADeviceList(_) | ReadError::Encrypted => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Refusal::new(status, error.to_string())
    }
}

/// The status, and the refusal itself for [`pages`] to put into words.
impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware: a [`Refusal`] answer becomes a redirect back to the page the refused form was
/// on, carrying it.
pub async fn pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    match response.extensions().get::<Refusal>() {
        Some(refusal) => {
            let context = context(&path);
            back_with(&state.cipher, &context.back, context.heading, refusal)
        }
        None => response,
    }
}

/// What a refusal's redirect carries, sealed ([`sealed_note`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Carried {
    status: u16,
    heading: String,
    message: String,
    /// The refused request's id, to quote.
    #[serde(default)]
    request_id: Option<String>,
}

/// What the seal is bound to, so that no other sealed value of the dashboard opens as one.
const SEALED_AS: &str = "refusal";
/// The longest message carried: every refusal is a sentence or a few, and the address stays
/// far below what browsers and proxies take.
const MESSAGE_MAX_CHARS: usize = 1_000;

/// A redirect (303) to `page`, carrying `refusal` under `heading`.
pub(crate) fn back_with(
    cipher: &TokenCipher,
    page: &str,
    heading: &str,
    refusal: &Refusal,
) -> Response {
    let message: String = refusal.message.chars().take(MESSAGE_MAX_CHARS).collect();
    let carried = Carried {
        status: refusal.status.as_u16(),
        heading: heading.to_string(),
        message,
        request_id: super::request_ids::current().map(|id| id.to_string()),
    };
    let token = sealed_note::seal(cipher, SEALED_AS, carried, unix_now());
    Redirect::to(&urls::with_refused(page, &token)).into_response()
}

/// The refusal `token` carries, when this dashboard sealed it in the last minutes.
fn open(cipher: &TokenCipher, token: &str, now: i64) -> Option<Carried> {
    sealed_note::open(cipher, SEALED_AS, token, now)
}

/// The server side of the notice a page shows for `?refused=…`: the refusal, if the address
/// carries one this dashboard sealed lately (anything else shows nothing). A page rendered
/// with it answers with the refusal's status; a call from a page already in the browser
/// answers 200, or its client would take the answer for a failure.
pub async fn shown(token: String) -> Result<Option<Refused>, AppError> {
    use leptos::prelude::use_context;
    let (state, parts) = super::caller::request_context()?;
    let Some(carried) = open(&state.cipher, &token, unix_now()) else {
        return Ok(None);
    };
    let rendering_a_page = !parts.uri.path().starts_with("/api/");
    if let (true, Some(response)) = (
        rendering_a_page,
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(status) = StatusCode::from_u16(carried.status) {
            response.set_status(status);
        }
    }
    Ok(Some(Refused {
        heading: carried.heading,
        message: carried.message,
        request_id: carried.request_id,
    }))
}

/// What was refused, and where back is, by the address the form was posted to.
struct Context {
    heading: &'static str,
    back: String,
}

fn context(path: &str) -> Context {
    let not_done = |back: String| Context {
        heading: "That did not work",
        back,
    };
    // The segments are taken as they stand in the address, still percent-encoded.
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        ["", "customers", customer, "uploads"] => Context {
            heading: "The upload was not accepted",
            back: format!("/customers/{customer}/uploads/new"),
        },
        ["", "customers", customer, "uploads", upload, _] => {
            not_done(format!("/customers/{customer}/uploads/{upload}"))
        }
        ["", "customers", customer, "operations", operation, "failed.csv" | "report.csv"] => {
            Context {
                heading: "The download is not available",
                back: format!("/customers/{customer}/operations/{operation}"),
            }
        }
        ["", "customers", customer, "operations", operation, _] => {
            not_done(format!("/customers/{customer}/operations/{operation}"))
        }
        ["", "customers", customer, "batches", batch, "devices", _, "delete"] => Context {
            heading: "The device was not deleted",
            back: format!("/customers/{customer}/batches/{batch}"),
        },
        ["", "customers", customer, "batches", batch, "delete"] => Context {
            heading: "The devices were not deleted",
            back: format!("/customers/{customer}/batches/{batch}"),
        },
        ["", "customers", customer, "batches", batch, "profile"] => {
            not_done(format!("/customers/{customer}/batches/{batch}"))
        }
        ["", "customers", customer, "profiles"] => {
            not_done(format!("/customers/{customer}/profiles/new"))
        }
        ["", "customers", customer, "profiles", profile] => {
            not_done(format!("/customers/{customer}/profiles/{profile}/edit"))
        }
        ["", "customers", customer, "profiles", _, "delete"] => {
            not_done(format!("/customers/{customer}/profiles"))
        }
        ["", "devices", ..] => not_done("/devices".into()),
        _ => not_done("/customers".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::sealed_note::SHOWN_FOR_SECS;

    #[test]
    fn back_leads_to_the_page_the_refused_form_was_on() {
        let back = |path: &str| context(path).back;
        assert_eq!(back("/customers/c1/uploads"), "/customers/c1/uploads/new");
        assert_eq!(
            back("/customers/c1/uploads/u1/submit"),
            "/customers/c1/uploads/u1"
        );
        assert_eq!(
            back("/customers/c1/batches/b1/delete"),
            "/customers/c1/batches/b1"
        );
        assert_eq!(
            back("/customers/c1/operations/u1/resume"),
            "/customers/c1/operations/u1"
        );
        assert_eq!(
            back("/customers/c1/batches/Spring%202025/devices/d1/delete"),
            "/customers/c1/batches/Spring%202025"
        );
        assert_eq!(
            back("/customers/c1/batches/b1/profile"),
            "/customers/c1/batches/b1"
        );
        assert_eq!(
            back("/customers/c1/operations/o1/profile"),
            "/customers/c1/operations/o1"
        );
        assert_eq!(back("/customers/c1/profiles"), "/customers/c1/profiles/new");
        assert_eq!(
            back("/customers/c1/profiles/p1"),
            "/customers/c1/profiles/p1/edit"
        );
        assert_eq!(
            back("/customers/c1/profiles/p1/delete"),
            "/customers/c1/profiles"
        );
        assert_eq!(back("/devices/read-all"), "/devices");
        assert_eq!(
            context("/customers/c1/operations/u1/report.csv").heading,
            "The download is not available"
        );
        assert_eq!(back("/devices/check/c1"), "/devices");
        assert_eq!(back("/elsewhere"), "/customers");
    }

    #[test]
    fn a_refusal_is_carried_sealed_and_shown_only_while_fresh_and_untouched() {
        let cipher = TokenCipher::new(&[7; 32]);
        let refusal = Refusal::new(StatusCode::CONFLICT, "x".repeat(5_000));
        let redirect = back_with(&cipher, "/customers/c1/uploads/u1", "Not done", &refusal);
        assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
        let location = redirect.headers()["location"].to_str().unwrap().to_string();
        let token = location
            .strip_prefix("/customers/c1/uploads/u1?refused=")
            .expect("back to the form's page, carrying it");
        let token = url::form_urlencoded::parse(format!("t={token}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        let now = unix_now();
        let carried = open(&cipher, &token, now).expect("opens");
        assert_eq!(carried.status, 409);
        assert_eq!(carried.heading, "Not done");
        assert_eq!(carried.message.chars().count(), MESSAGE_MAX_CHARS);
        assert!(
            open(&cipher, &token, now + SHOWN_FOR_SECS + 1).is_none(),
            "too old"
        );
        assert!(
            open(&TokenCipher::new(&[8; 32]), &token, now).is_none(),
            "another key"
        );
        let other = cipher.seal(&serde_json::to_string(&carried).unwrap(), "session");
        assert!(
            open(&cipher, &other, now).is_none(),
            "sealed for something else"
        );
        assert!(open(&cipher, "not a token", now).is_none());
    }
}
