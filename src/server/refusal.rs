//! A form post that was not done: why, in words, with its status. The one error of the write
//! handlers (the upload form, the preview's and the job page's buttons, a device's deletion):
//! a handler returns `Result<_, Refusal>` and uses `?` on database errors, page errors and
//! file-reading errors alike. The page that says so is built in one place ([`pages`]), which
//! knows from the address what was refused and where "back" is.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::html::{escape, page};
use crate::ingest::ReadError;
use crate::model::AppError;

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

/// Middleware: a [`Refusal`] answer becomes its page, with the way back from where the
/// refused form was.
pub async fn pages(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    match response.extensions().get::<Refusal>() {
        Some(refusal) => refusal_page(&path, refusal),
        None => response,
    }
}

/// What was refused, and where back is, by the address the form was posted to.
struct Context {
    heading: &'static str,
    title: &'static str,
    back: String,
    back_label: &'static str,
}

fn context(path: &str) -> Context {
    let not_done = |back: String, back_label| Context {
        heading: "That did not work",
        title: "Not done",
        back,
        back_label,
    };
    // The segments are taken as they stand in the address, still percent-encoded.
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        ["", "customers", customer, "uploads"] => Context {
            heading: "The upload was not accepted",
            title: "Upload not accepted",
            back: format!("/customers/{customer}/uploads/new"),
            back_label: "Back to the upload form",
        },
        ["", "customers", customer, "uploads", upload, _] => not_done(
            format!("/customers/{customer}/uploads/{upload}"),
            "Back to the upload",
        ),
        ["", "customers", customer, "operations", operation, "failed.csv" | "report.csv"] => {
            Context {
                heading: "The download is not available",
                title: "Download",
                back: format!("/customers/{customer}/operations/{operation}"),
                back_label: "Back to the upload",
            }
        }
        ["", "customers", customer, "operations", operation, _] => not_done(
            format!("/customers/{customer}/operations/{operation}"),
            "Back to its page",
        ),
        ["", "customers", customer, "batches", batch, "devices", _, "delete"] => Context {
            heading: "The device was not deleted",
            title: "Not deleted",
            back: format!("/customers/{customer}/batches/{batch}"),
            back_label: "Back to the batch",
        },
        ["", "customers", customer, "batches", batch, "profile"] => not_done(
            format!("/customers/{customer}/batches/{batch}"),
            "Back to the batch",
        ),
        ["", "customers", customer, "profiles"] => not_done(
            format!("/customers/{customer}/profiles/new"),
            "Back to the new profile",
        ),
        ["", "customers", customer, "profiles", profile] => not_done(
            format!("/customers/{customer}/profiles/{profile}/edit"),
            "Back to the profile",
        ),
        ["", "customers", customer, "profiles", _, "delete"] => not_done(
            format!("/customers/{customer}/profiles"),
            "Back to the profiles",
        ),
        ["", "devices", ..] => not_done("/devices".into(), "Back to finding devices"),
        _ => not_done("/customers".into(), "Back to the customers"),
    }
}

fn refusal_page(path: &str, refusal: &Refusal) -> Response {
    let context = context(path);
    let body = format!(
        "<h1>{}</h1><div class=\"notice error\" role=\"alert\"><p>{}</p></div>\
         <p><a class=\"button\" href=\"{}\">{}</a></p>",
        context.heading,
        escape(&refusal.message),
        escape(&context.back),
        context.back_label,
    );
    page(refusal.status, context.title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_leads_to_the_page_the_refused_form_was_on() {
        let back = |path: &str| context(path).back;
        assert_eq!(back("/customers/c1/uploads"), "/customers/c1/uploads/new");
        assert_eq!(
            back("/customers/c1/uploads/u1/submit"),
            "/customers/c1/uploads/u1"
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
}
