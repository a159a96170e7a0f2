//! Settling a part whose answer was lost, by looking at what Partner Center holds.
//!
//! A part can end without an answer that says what became of it: its body was cut off (the
//! process died, the connection broke), every attempt timed out or failed, or Partner Center
//! refused it with something that is not about its devices (a 400 without an ApiFault, such
//! as a replayed refusal of a half-read body). Sending it again under its stored request id
//! may get the same answer forever; sending it under a new id may register its devices
//! twice. So the dashboard looks: whether the batch exists (a batch-creating part whose batch
//! is not there is created again), then which of the part's devices the batch lists. Those
//! count as registered; the rest go as a new part with a new request id, stored before it is
//! sent. A device of that new part answered 806 (already in this customer) was registered by
//! the lost part, listed too late to be seen, and counts as registered too
//! ([`super::follow`]).

use futures::TryStreamExt;

use super::chunks::Settlement;
use crate::ingest::DeviceRow;
use crate::partner_center::{
    BatchId, CallContext, CustomerId, Device, ErrorKind, PartnerCenterError,
};
use crate::server::operations::parts::Part;
use crate::server::operations::refusals;
use crate::server::operations::OperationId;
use crate::server::{unix_now, AppState};

/// ApiFault codes by which Partner Center refuses the content of a request: the devices
/// sent. Any other refusal of a part says nothing about them.
const CODES_ABOUT_THE_DEVICES: [&str; 2] = ["800002", "3000"];

/// Whether Partner Center may have taken a part it answered with `error`: no answer came
/// (timed out, connection lost), it kept failing (5xx), the answer was unusable, or the
/// refusal is not about the devices. A request the client refused to send (no HTTP status)
/// was certainly not taken.
pub fn is_uncertain(error: &PartnerCenterError) -> bool {
    match error.kind() {
        _ if refusals::is_transient(error) => true,
        ErrorKind::BadRequest => {
            error.status.is_some()
                && !error
                    .code
                    .as_deref()
                    .is_some_and(|code| CODES_ABOUT_THE_DEVICES.contains(&code.trim()))
        }
        _ => false,
    }
}

/// Whether a part's failed answer leaves its outcome uncertain: [`is_uncertain`], and also a
/// 409 to a batch-creating part sent again after a lost one. Partner Center creates batches
/// asynchronously, so the lost part may have created the batch after the dashboard looked:
/// "it exists" then says nothing against this upload, and the batch is looked at again.
pub fn leaves_uncertain(error: &PartnerCenterError, chunk: &Part) -> bool {
    is_uncertain(error)
        || (chunk.creates_batch() && chunk.resends.is_some() && error.kind() == ErrorKind::Conflict)
}

/// Looks at Partner Center for the uncertain `chunk` and writes down the decision. Returns
/// the number of the part that sends the rest, if any is left. When Partner Center cannot be
/// asked, the part stays uncertain and the reason is returned: the next run looks again.
pub async fn settle(
    state: &AppState,
    ctx: &CallContext,
    upload_id: &OperationId,
    customer: &CustomerId,
    batch: &BatchId,
    chunk: &Part,
) -> Result<Option<i64>, String> {
    let part = chunk.number + 1;
    let could_not_look = |error: PartnerCenterError| {
        tracing::warn!(upload = %upload_id, part, %error, "could not look up an uncertain part");
        format!(
            "Partner Center's answer to part {part} was lost, and Partner Center could not be \
             asked what it holds ({}). Send the remaining parts later: the dashboard looks \
             again before it sends anything.",
            error.kind()
        )
    };
    let database = |e: sqlx::Error| {
        tracing::error!(upload = %upload_id, error = %e, "database error while settling a part");
        "The dashboard's database failed while sending; send the remaining parts again.".to_string()
    };
    let client = &state.partner_center;
    let batch_exists = client
        .device_batches(ctx, customer)
        .await
        .map_err(could_not_look)?
        .iter()
        .any(|b| batch.same_batch_as(&b.id));
    let listed: Vec<Device> = if batch_exists {
        client
            .devices(ctx, customer, batch)
            .try_collect()
            .await
            .map_err(could_not_look)?
    } else {
        Vec::new()
    };
    let rows = state
        .store
        .chunk_devices(upload_id, chunk.number)
        .await
        .map_err(database)?;
    let (found, rest) = split(&rows, &listed);
    let settlement = Settlement {
        found: &found,
        rest: &rest,
        create: chunk.creates_batch() && !batch_exists,
    };
    let resent_as = state
        .store
        .settle_chunk(upload_id, chunk.number, &settlement, unix_now())
        .await
        .map_err(database)?;
    tracing::info!(
        upload = %upload_id, part, batch_exists, found = found.len(), rest = rest.len(),
        resent_as = ?resent_as.map(|n| n + 1), "an uncertain part settled by looking"
    );
    Ok(resent_as)
}

/// The rows Partner Center lists (row number, the device id it gave), and the rows it does
/// not (row numbers). Each listed device stands for one row at most.
fn split(rows: &[DeviceRow], listed: &[Device]) -> (Vec<(u32, Option<String>)>, Vec<u32>) {
    let mut taken = vec![false; listed.len()];
    let mut found = Vec::new();
    let mut rest = Vec::new();
    for row in rows {
        let hit = (0..listed.len()).find(|&i| !taken[i] && is_listed_as(row, &listed[i]));
        match hit {
            Some(i) => {
                taken[i] = true;
                found.push((row.row, listed[i].id.clone()));
            }
            None => rest.push(row.row),
        }
    }
    (found, rest)
}

/// Whether `device`, as Partner Center lists it, is the one `row` registers, by what the
/// row registers it with: its product key; else, without a hardware hash, its serial number
/// with manufacturer and model; else its serial number (Partner Center lists no hashes). A
/// row with nothing Partner Center lists (a hash alone) is never found: it goes again, and
/// an 806 for it counts as registered.
fn is_listed_as(row: &DeviceRow, device: &Device) -> bool {
    // Identifiers compare exactly, as Partner Center compares them; names without case.
    let same_id = |ours: &Option<String>, theirs: &Option<String>| match (ours, theirs) {
        (Some(a), Some(b)) => !a.trim().is_empty() && a.trim() == b.trim(),
        _ => false,
    };
    let same_name = |ours: &Option<String>, theirs: &Option<String>| match (ours, theirs) {
        (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        _ => false,
    };
    if row.product_key.is_some() {
        return same_id(&row.product_key, &device.product_key);
    }
    let by_tuple = row.hardware_hash.is_none() && row.manufacturer.is_some() && row.model.is_some();
    same_id(&row.serial_number, &device.serial_number)
        && (!by_tuple
            || (same_name(&row.manufacturer, &device.oem_manufacturer_name)
                && same_name(&row.model, &device.model_name)))
}

#[cfg(test)]
mod tests {
    use super::super::chunks::upload_action;
    use super::*;
    use crate::partner_center::RequestId;

    fn listed(id: &str, serial: &str, key: Option<&str>, make: &str, model: &str) -> Device {
        Device {
            id: Some(id.into()),
            serial_number: Some(serial.into()),
            product_key: key.map(Into::into),
            oem_manufacturer_name: Some(make.into()),
            model_name: Some(model.into()),
            hardware_hash: None,
            policies: Vec::new(),
            uploaded_date: None,
            allowed_operations: Vec::new(),
        }
    }

    fn row(row: u32) -> DeviceRow {
        DeviceRow {
            row,
            ..DeviceRow::default()
        }
    }

    #[test]
    fn a_row_is_found_by_what_it_registers_with() {
        let batch = [
            listed("d1", "SER1", None, "Contoso", "Laptop 5"),
            listed("d2", "SER2", Some("KEY2"), "Contoso", "Laptop 5"),
            listed("d3", "SER3", None, "Contoso", "Laptop 5"),
        ];
        let by_hash = DeviceRow {
            serial_number: Some("SER1".into()),
            hardware_hash: Some("QUJD".into()),
            ..row(2)
        };
        let by_key = DeviceRow {
            product_key: Some("KEY2".into()),
            ..row(3)
        };
        let by_tuple = DeviceRow {
            serial_number: Some("SER3".into()),
            manufacturer: Some("contoso".into()),
            model: Some("Laptop 5".into()),
            ..row(4)
        };
        let other_model = DeviceRow {
            serial_number: Some("SER3".into()),
            manufacturer: Some("Contoso".into()),
            model: Some("Laptop 7".into()),
            ..row(5)
        };
        let hash_only = DeviceRow {
            hardware_hash: Some("QUJD".into()),
            ..row(6)
        };
        let other_case = DeviceRow {
            serial_number: Some("ser1".into()),
            hardware_hash: Some("QUJD".into()),
            ..row(7)
        };
        let rows = [
            by_hash,
            by_key,
            by_tuple,
            other_model,
            hash_only,
            other_case,
        ];
        let (found, rest) = split(&rows, &batch);
        assert_eq!(
            found,
            vec![
                (2, Some("d1".into())),
                (3, Some("d2".into())),
                (4, Some("d3".into()))
            ]
        );
        assert_eq!(rest, vec![5, 6, 7]);
    }

    #[test]
    fn one_listed_device_stands_for_one_row() {
        let batch = [listed("d1", "SER1", None, "Contoso", "Laptop 5")];
        let twice = DeviceRow {
            serial_number: Some("SER1".into()),
            hardware_hash: Some("QUJD".into()),
            ..row(2)
        };
        let rows = [twice.clone(), DeviceRow { row: 3, ..twice }];
        assert_eq!(
            split(&rows, &batch),
            (vec![(2, Some("d1".into()))], vec![3])
        );
    }

    fn error(kind: ErrorKind, status: Option<u16>, code: Option<&str>) -> PartnerCenterError {
        PartnerCenterError {
            status,
            code: code.map(Into::into),
            ..PartnerCenterError::new(kind, RequestId::new(), uuid::Uuid::nil(), "")
        }
    }

    #[test]
    fn a_recreated_batch_found_to_exist_is_looked_at_again_but_a_first_conflict_is_not() {
        let conflict = error(ErrorKind::Conflict, Some(409), Some("600030"));
        let part = |create: bool, resends: Option<i64>| Part {
            number: 2,
            action: upload_action(create),
            request_id: RequestId::new(),
            items: 2,
            state: crate::model::operations::PartState::Pending,
            tracking_id: None,
            error: None,
            job_status: None,
            started_at: None,
            completed_at: None,
            checked_at: None,
            check_error: None,
            found: None,
            resent_as: None,
            resends,
        };
        assert!(leaves_uncertain(&conflict, &part(true, Some(0))));
        assert!(!leaves_uncertain(&conflict, &part(true, None)));
        assert!(!leaves_uncertain(&conflict, &part(false, Some(0))));
    }

    #[test]
    fn only_answers_that_say_nothing_about_the_devices_are_uncertain() {
        let uncertain = [
            error(ErrorKind::Timeout, None, None),
            error(ErrorKind::Transport, None, None),
            error(ErrorKind::Server, Some(503), Some("800003")),
            error(ErrorKind::InvalidResponse, Some(202), None),
            // A refused half-read body, replayed: no ApiFault.
            error(ErrorKind::BadRequest, Some(400), None),
            error(ErrorKind::BadRequest, Some(400), Some("900118")),
        ];
        for e in &uncertain {
            assert!(is_uncertain(e), "{e}");
        }
        let refused = [
            error(ErrorKind::BadRequest, Some(400), Some("800002")),
            error(ErrorKind::BadRequest, Some(400), Some(" 3000 ")),
            // Never sent: the client could not form the request.
            error(ErrorKind::BadRequest, None, None),
            error(ErrorKind::Forbidden, Some(403), Some("20002")),
            error(ErrorKind::Conflict, Some(409), Some("600030")),
            error(ErrorKind::Throttled, Some(429), None),
            error(ErrorKind::MfaRequired, Some(401), Some("900421")),
        ];
        for e in &refused {
            assert!(!is_uncertain(e), "{e}");
        }
    }
}
