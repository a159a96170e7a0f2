//! Judging a draft's rows before the preview: what the reader found on each row, the devices
//! the customer already has in Partner Center (flagged as already registered, a check that
//! only helps: it gives up rather than keep a person waiting), and the devices the dashboard's
//! index finds with the partner's other customers (flagged with where they are, before
//! Partner Center refuses them with 808), with the rows nothing could look up said so.

use futures::{StreamExt, TryStreamExt};

use super::model::InputReport;
use crate::ingest::identity::RowKeys;
use crate::ingest::{self, Check, DeviceRow, ExistingDevice, Finding, Ingested};
use crate::model::AppError;
use crate::partner_center::{BatchId, CustomerId, ErrorKind};
use crate::server::caller::Caller;
use crate::server::device_index::whereabouts;

/// Customers with more devices than this are not pre-checked for repeats (too many calls).
const PRECHECK_MAX_DEVICES: usize = 20_000;
/// The check only helps and a person is waiting for the preview: it gives up after this long.
const PRECHECK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// Batches whose devices are listed at the same time for the check.
const PRECHECK_BATCHES_AT_ONCE: usize = 4;

/// The report and the rows (with their findings) of a draft, the rows also checked against
/// the devices the customer already has.
pub(crate) async fn check_rows(
    caller: &Caller,
    customer: &CustomerId,
    ingested: Ingested,
) -> (InputReport, Vec<(DeviceRow, Vec<Finding>)>) {
    let mut by_row = row_findings(&ingested);
    let mut report = input_report(&ingested);
    let listed = tokio::time::timeout(
        PRECHECK_DEADLINE,
        existing_devices(caller, customer, ingested.devices.len()),
    )
    .await
    .map_or_else(
        |_| {
            Err(format!(
                "Partner Center took more than {} seconds to list them.",
                PRECHECK_DEADLINE.as_secs()
            ))
        },
        |listed| listed.map_err(|error| error.to_string()),
    );
    match listed {
        Ok(existing) => {
            for finding in ingest::already_registered(&ingested.devices, &existing) {
                if let Some(list) = finding.row.and_then(|row| by_row.get_mut(&row)) {
                    list.push(finding);
                }
            }
        }
        // The check only helps; without it Partner Center still refuses each repeat (806).
        Err(error) => report.findings.push(Finding::warning(
            None,
            None,
            Check::PrecheckSkipped,
            format!(
                "The customer's existing devices could not be listed, so devices already \
                 registered are not flagged here; Partner Center will refuse them one by one \
                 (806). Why: {error}"
            ),
        )),
    }
    let keys: Vec<RowKeys> = ingested.devices.iter().map(RowKeys::of).collect();
    match whereabouts::indexed_matches(caller, customer, &keys).await {
        Ok(indexed) => {
            let flagged: std::collections::HashSet<u32> = by_row
                .iter()
                .filter(|(_, findings)| {
                    findings.iter().any(|f| f.check == Check::AlreadyRegistered)
                })
                .map(|(row, _)| *row)
                .collect();
            let here = ingest::known_devices::registered_here(&keys, &indexed, &flagged);
            for finding in here
                .into_iter()
                .chain(ingest::registered_elsewhere(&keys, &indexed))
            {
                if let Some(list) = finding.row.and_then(|row| by_row.get_mut(&row)) {
                    list.push(finding);
                }
            }
            report.findings.extend(ingest::not_checked(&keys, &indexed));
        }
        // Only a help, like the check above: Partner Center still answers 808 per device.
        Err(error) => tracing::warn!(%error, "could not look the rows up in the device index"),
    }
    let rows = ingested
        .devices
        .into_iter()
        .map(|device| {
            let findings = by_row.remove(&device.row).unwrap_or_default();
            (device, findings)
        })
        .collect();
    (report, rows)
}

/// The customer's devices, for the "already registered" check; empty when the customer has
/// too many to list cheaply (Partner Center then answers 806 per device, which the job shows).
/// Batches are listed a few at a time.
async fn existing_devices(
    caller: &Caller,
    customer: &CustomerId,
    uploading: usize,
) -> Result<Vec<ExistingDevice>, AppError> {
    let client = &caller.state.partner_center;
    let batches = crate::server::browse::batch_list(caller, customer).await?;
    let total: usize = batches
        .iter()
        .map(|b| b.devices.unwrap_or(0) as usize)
        .sum();
    if total == 0 || total + uploading > PRECHECK_MAX_DEVICES {
        return Ok(Vec::new());
    }
    // Owned, so that the listing futures borrow nothing across their awaits.
    let named: Vec<(BatchId, String)> = batches
        .iter()
        .filter_map(|batch| Some((BatchId::parse(&batch.id).ok()?, batch.id.clone())))
        .collect();
    let listings = futures::stream::iter(named)
        .map(|(batch_id, name)| async move {
            let devices: Result<Vec<_>, _> = client
                .devices(&caller.ctx, customer, &batch_id)
                .try_collect()
                .await;
            match devices {
                Ok(devices) => Ok((name, devices)),
                // A batch deleted meanwhile has nothing to compare.
                Err(error) if error.kind() == ErrorKind::NotFound => Ok((name, Vec::new())),
                Err(error) => Err(AppError::from(error)),
            }
        })
        .buffered(PRECHECK_BATCHES_AT_ONCE)
        .try_collect::<Vec<_>>()
        .await?;
    let mut existing = Vec::with_capacity(total);
    for (batch, devices) in listings {
        existing.extend(devices.into_iter().map(|d| ExistingDevice {
            batch: batch.clone(),
            serial_number: d.serial_number,
            product_key: d.product_key,
            manufacturer: d.oem_manufacturer_name,
            model: d.model_name,
        }));
    }
    Ok(existing)
}

fn row_findings(ingested: &Ingested) -> std::collections::HashMap<u32, Vec<Finding>> {
    let mut by_row: std::collections::HashMap<u32, Vec<Finding>> = ingested
        .devices
        .iter()
        .map(|d| (d.row, Vec::new()))
        .collect();
    for finding in &ingested.findings {
        if let Some(list) = finding.row.and_then(|row| by_row.get_mut(&row)) {
            list.push(finding.clone());
        }
    }
    by_row
}

/// What the preview shows about the input as a whole. Findings on the header or title rows
/// (which are not device rows) are kept here too.
fn input_report(ingested: &Ingested) -> InputReport {
    let device_rows: std::collections::HashSet<u32> =
        ingested.devices.iter().map(|d| d.row).collect();
    InputReport {
        description: ingested.description(),
        format: ingested.format.label().to_string(),
        encoding: ingested.encoding.clone(),
        delimiter: ingested.delimiter.clone(),
        sheet: ingested.sheet.clone(),
        sheets: ingested.sheets.clone(),
        header_row: ingested.header_row,
        columns: ingested
            .columns
            .iter()
            .filter(|c| !c.header.is_empty())
            .map(|c| (c.header.clone(), c.field.map(|f| f.label().to_string())))
            .collect(),
        findings: ingested
            .findings
            .iter()
            .filter(|f| f.row.is_none_or(|row| !device_rows.contains(&row)))
            .cloned()
            .collect(),
    }
}
