//! The pages every operation has, whatever its kind: its own page
//! (`/customers/{id}/operations/{operationId}`), with the button that sends again what it
//! left, and the history of them all ([`history`]). They sit above the kinds: the page asks
//! the kind for what it acted on, and "Send again" gives the kind's own run to
//! [`operations::retry`]. A new kind adds an arm to each `match` below.

pub mod history;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Redirect;
use axum::routing::{any, post};
use axum::Router;

use super::auth::SignedIn;
use super::caller::{caller, Caller};
use super::operations::{self, OperationId};
use super::path_ids::Ids;
use super::refusal::Refusal;
use super::uploads::actions::OwnUpload;
use super::{assignments, deletions, uploads, AppState};
use crate::model::done::Done;
use crate::model::operation_page::OperationView;
use crate::model::operations::OperationKind;
use crate::model::uploads::DevicesShown;
use crate::model::AppError;
use crate::partner_center::CustomerId;
use crate::urls;

/// The form posts every operation's page has, and its kinds' old addresses; the page itself is
/// the app's route (`src/app.rs`), an upload's own buttons and downloads are routed with the
/// other upload routes.
pub fn routes() -> Router<AppState> {
    let mut routes = Router::new().route(
        "/customers/{customer}/operations/{operation}/resume",
        post(resume),
    );
    for old in ["jobs", "deletions", "assignments"] {
        routes = routes.route(
            &format!("/customers/{{customer}}/{old}/{{*rest}}"),
            any(moved),
        );
    }
    routes
}

/// The server side of an operation's page: the kind's view of it. `show` and `page` choose
/// the devices an upload lists.
pub async fn view(
    (customer, id): (CustomerId, OperationId),
    show: DevicesShown,
    page: u32,
) -> Result<OperationView, AppError> {
    let caller = caller().await?;
    let ids = (customer, id);
    let operation = operations::of_caller(&caller, &ids.0, &ids.1).await?;
    Ok(match operation.kind {
        OperationKind::Upload => OperationView::Upload(Box::new(
            uploads::views::upload_job(caller, ids, show, page).await?,
        )),
        OperationKind::DeviceDeletion => {
            OperationView::Deletion(deletions::view(&caller, operation, page).await?)
        }
        OperationKind::ProfileAssignment => {
            OperationView::Assignment(assignments::page::view(&caller, operation).await?)
        }
    })
}

/// `POST /customers/{id}/operations/{operationId}/resume`: sends what a failed operation left
/// (a part whose answer was lost under its stored request id, a refused one under a new one),
/// as the person asking, then back to its page. An upload is resumed only by the person who
/// submitted it ([`OwnUpload`]).
pub async fn resume(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, id)): Ids<(CustomerId, OperationId)>,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let operation = operations::of_caller(&caller, &customer, &id).await?;
    let page = urls::operation(operation.customer_id, operation.id);
    let (state, user, operation_id) = (&caller.state, &caller.user, &operation.id);
    match operation.kind {
        OperationKind::Upload => {
            let own = OwnUpload::of(caller, customer, &id).await?;
            uploads::job_actions::resume(own).await
        }
        OperationKind::DeviceDeletion => {
            let send = |lease| deletions::run_holding(state, user, operation_id, lease);
            operations::retry(&caller, &operation, page, Done::DeletionRetried, send).await
        }
        OperationKind::ProfileAssignment => {
            let send = |lease| assignments::send_then_follow(state, user, operation_id, lease);
            operations::retry(&caller, &operation, page, Done::AssignmentRetried, send).await
        }
    }
}

/// An operation's page and everything under it had an address of its kind's before there was
/// one page for any kind (`/customers/{id}/jobs/…`, `…/deletions/…`, `…/assignments/…`).
/// Bookmarks and links kept in notes still lead there: a permanent redirect to the same place
/// under `/operations/`, 308 so that a form post stays a post.
pub async fn moved(uri: Uri) -> Redirect {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::permanent(&moved_to(path_and_query))
}

fn moved_to(path_and_query: &str) -> String {
    // "", "customers", the customer, the kind's old word, the rest.
    match path_and_query.splitn(5, '/').collect::<Vec<_>>().as_slice() {
        ["", "customers", customer, "jobs", rest] => {
            format!("/customers/{customer}/operations/{rest}")
        }
        // Their "Try again" is now every kind's "resume" ("retry" is an upload's failed rows).
        ["", "customers", customer, "deletions" | "assignments", rest] => {
            let rest = match rest.strip_suffix("/retry") {
                Some(operation) => format!("{operation}/resume"),
                None => rest.to_string(),
            };
            format!("/customers/{customer}/operations/{rest}")
        }
        _ => "/customers".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::moved_to;

    #[test]
    fn an_old_address_leads_to_the_same_place_under_operations() {
        assert_eq!(
            moved_to("/customers/c1/jobs/u1?show=failed&page=2"),
            "/customers/c1/operations/u1?show=failed&page=2"
        );
        assert_eq!(
            moved_to("/customers/c1/jobs/u1/rows/7"),
            "/customers/c1/operations/u1/rows/7"
        );
        assert_eq!(
            moved_to("/customers/c1/deletions/o1/retry"),
            "/customers/c1/operations/o1/resume"
        );
        assert_eq!(
            moved_to("/customers/c1/jobs/u1/retry"),
            "/customers/c1/operations/u1/retry"
        );
        assert_eq!(
            moved_to("/customers/c1/assignments/o1"),
            "/customers/c1/operations/o1"
        );
        assert_eq!(moved_to("/elsewhere"), "/customers");
    }
}
