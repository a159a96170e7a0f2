//! The batch an upload goes to, as the upload form and the preview's "change the batch" form
//! choose it.

use axum::http::StatusCode;

use crate::model::uploads::BatchTarget;
use crate::partner_center::BatchId;
use crate::server::refusal::Refusal;

/// The batch the form chose: a new one (its name checked) or an existing one. Whether a new
/// name is taken is checked on the preview, where the user can choose to add to that batch
/// instead. The upload form and the preview's "change the batch" form both send
/// `target=new&batch_name=…` or `target=existing&existing_batch=…`.
pub(crate) fn batch_choice(
    target: Option<&str>,
    batch_name: Option<&str>,
    existing_batch: Option<&str>,
) -> Result<(BatchTarget, BatchId), Refusal> {
    let refuse = |message: String| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    let target = BatchTarget::try_from(target.unwrap_or(BatchTarget::New.as_str()))
        .map_err(|_| refuse("Choose a new batch or an existing one.".into()))?;
    let name = match target {
        BatchTarget::New => batch_name,
        BatchTarget::Existing => existing_batch,
    }
    .unwrap_or_default();
    if name.trim().is_empty() {
        return Err(refuse(match target {
            BatchTarget::New => "Give the new batch a name.".into(),
            BatchTarget::Existing => "Pick the batch to add the devices to.".into(),
        }));
    }
    let batch = BatchId::parse(name)
        .map_err(|why| refuse(format!("“{}” cannot be a batch name: {why}.", name.trim())))?;
    Ok((target, batch))
}
