//! The one page of any operation (`/customers/{id}/operations/{operationId}`): what it shows
//! is the kind's own view. Apart from `operations` and `uploads`, which it draws on, so that
//! neither of them needs the other.

use super::operations::{AssignmentView, DeletionView, OperationState};
use super::uploads::JobView;

/// `/customers/{id}/operations/{operationId}`: one page for any operation, whatever its kind;
/// each kind shows what it acted on in its own way.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum OperationView {
    Upload(Box<JobView>),
    Deletion(DeletionView),
    Assignment(AssignmentView),
}

impl OperationView {
    /// Partner Center, or the dashboard, is still working on it: the page keeps itself up to
    /// date.
    pub fn running(&self) -> bool {
        match self {
            OperationView::Upload(job) => job.running,
            OperationView::Deletion(deletion) => deletion.state == OperationState::Submitting,
            OperationView::Assignment(assignment) => assignment.running,
        }
    }
}
