//! The devices of a batch a form chose ([`Selection`]), read from Partner Center as they are
//! now: a ticked device no longer in the batch refuses the whole request, so that nothing is
//! done to devices the person did not see; one operation carries at most `upload_max_rows`.

use std::collections::HashSet;

use futures::TryStreamExt;

use super::caller::Caller;
use crate::model::selection::Selection;
use crate::model::AppError;
use crate::partner_center::{BatchId, CustomerId, Device};

/// The chosen devices, each with its Partner Center id, in the batch's order.
pub(crate) async fn chosen_devices(
    caller: &Caller,
    customer: &CustomerId,
    batch: &BatchId,
    selection: &Selection,
) -> Result<Vec<Device>, AppError> {
    let listed = caller
        .state
        .partner_center
        .devices(&caller.ctx, customer, batch)
        .try_filter(|device| std::future::ready(device.id.is_some()));
    let chosen: Vec<Device> = match selection {
        Selection::All => listed.try_collect().await?,
        Selection::Ticked(ids) => {
            let ticked: HashSet<&str> = ids.iter().map(String::as_str).collect();
            let chosen: Vec<Device> = listed
                .try_filter(|d| std::future::ready(ticked.contains(d.id.as_deref().unwrap_or(""))))
                .try_collect()
                .await?;
            if chosen.len() < ids.len() {
                return Err(AppError::Changed(format!(
                    "{} of the {} devices you ticked are no longer in this batch: deleted or \
                     moved since the page was shown. Nothing was done. Go back, reload the \
                     batch and tick them again.",
                    ids.len() - chosen.len(),
                    ids.len()
                )));
            }
            chosen
        }
    };
    if chosen.is_empty() {
        return Err(AppError::Changed(
            "This batch has no devices: nothing to change.".into(),
        ));
    }
    let most = caller.state.config.upload_max_rows;
    if chosen.len() > most {
        return Err(AppError::TooMany {
            most,
            chosen: chosen.len(),
        });
    }
    Ok(chosen)
}
