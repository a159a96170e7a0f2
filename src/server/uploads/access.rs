//! Which upload an address may name: one of the customer in the address, started in the
//! signed-in person's own organisation. Every page, button and download of an upload finds
//! it here, so none can forget the check.

use super::model::Upload;
use crate::model::AppError;
use crate::partner_center::CustomerId;
use crate::server::caller::Caller;
use crate::server::operations::OperationId;

/// The upload, if it belongs to this customer and to the signed-in user's organisation.
pub(crate) async fn load(
    caller: &Caller,
    customer: &CustomerId,
    upload_id: &OperationId,
) -> Result<Upload, AppError> {
    caller
        .state
        .store
        .upload(upload_id)
        .await?
        .filter(|upload| upload.operation.is_for(caller, customer))
        .ok_or(AppError::NoSuchUpload)
}
