//! The upload pages' server functions: load from the database (and Partner Center where the
//! page needs fresh facts) into the view models of `api::uploads`.

use super::access::load;
use super::drafts::batch_names;
use super::follow;
use super::model::{RowCounts, RowFilter, StoredRow, Upload};
use crate::ingest::{Check, Finding};
use crate::model::operations::{OperationState, PartState};
use crate::model::uploads::{
    ChunkView, DeviceStatus, DevicesShown, FindingView, JobDeviceRow, JobView, OutcomeCountsView,
    PreviewRow, PreviewView, RowCountsView, SplitPartView, UploadFormView, UploadSummary,
};
use crate::model::{AppError, CustomerRow};
use crate::partner_center::{BatchId, CustomerId};
use crate::server::caller::{caller, open_customer, Caller};
use crate::server::device_index::whereabouts;
use crate::server::display_time;
use crate::server::operations::parts::Part;
use crate::server::operations::{self, device_errors, OperationId};
use crate::server::PageWindow;

const ROWS_PER_PAGE: i64 = 100;

pub async fn upload_form(id: CustomerId) -> Result<UploadFormView, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    let batches = batch_names(&caller, &id)
        .await
        .map_err(|e| e.about(&customer))?;
    let config = &caller.state.config;
    Ok(UploadFormView {
        customer,
        batches,
        max_mb: config.upload_max_bytes / (1024 * 1024),
        max_rows: config.upload_max_rows,
    })
}

pub async fn upload_preview(
    upload: (CustomerId, OperationId),
    page: u32,
    only_findings: bool,
) -> Result<PreviewView, AppError> {
    let Opened {
        caller,
        id,
        upload,
        customer,
        counts,
    } = open(upload).await?;
    let store = &caller.state.store;
    let page = page.max(1);
    let filter = if only_findings {
        RowFilter::WithFindings
    } else {
        RowFilter::All
    };
    let (rows, has_next, pages) = page_of_rows(store, &upload.operation.id, filter, page).await?;
    let batches = batch_names(&caller, &id)
        .await
        .map_err(|e| e.about(&customer))?;
    let batch_id = upload.batch_id.clone().unwrap_or_default();
    let name_taken = match BatchId::parse(&batch_id) {
        Ok(wanted) if upload.target.is_new() => {
            batches.iter().find(|b| wanted.same_batch_as(b)).cloned()
        }
        _ => None,
    };
    let group_tags = store.group_tags(&upload.operation.id).await?;
    let split_parts = store
        .split_parts(&upload.operation.id)
        .await?
        .into_iter()
        .map(|part| SplitPartView {
            upload_id: part.upload_id.to_string(),
            batch_id: part.batch_id,
            state: part.state,
            rows: part.rows,
        })
        .collect();
    let report = upload.report.clone();
    let other_sheets = report.has_other_sheets();
    Ok(PreviewView {
        customer,
        upload: summary(&upload),
        description: report.description,
        // Only when there is another sheet to read: the picker shows when this is not empty.
        sheets: if other_sheets {
            report.sheets
        } else {
            Vec::new()
        },
        columns: report.columns,
        // The split offer explains group tags with live counts; the reader's note would repeat it.
        file_findings: report
            .findings
            .iter()
            .filter(|f| group_tags.is_empty() || f.check != Check::GroupTagPerRow)
            .map(finding_view)
            .collect(),
        counts: RowCountsView {
            total: counts.total,
            excluded: counts.excluded,
            errors: counts.errors,
            warnings: counts.warnings,
        },
        name_taken,
        batches,
        group_tags,
        split_parts,
        rows: rows.into_iter().map(preview_row).collect(),
        page,
        has_next,
        pages,
        only_findings,
    })
}

pub(crate) async fn upload_job(
    caller: Caller,
    upload: (CustomerId, OperationId),
    show: DevicesShown,
    page: u32,
) -> Result<JobView, AppError> {
    let Opened {
        caller,
        id,
        upload,
        customer,
        ..
    } = open_as(caller, upload).await?;
    let store = &caller.state.store;
    let chunks = store.parts(&upload.operation.id).await?;
    // Whoever looks refreshes, with their own sign-in.
    let refresh = follow::refresh(&caller.state, &caller.ctx, &upload);
    operations::follow::refresh_for_page(&chunks, refresh).await;
    // The status before what it sums up: a follower may record outcomes between these reads,
    // and a status only moves forward, so the parts, counts and devices read after it are at
    // least as far along. Read the other way round, a page could say "Finished" above counts
    // from before the last part's job ended.
    let state = store
        .upload_status(&upload.operation.id)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: "This upload".into(),
        })?;
    let chunks = store.parts(&upload.operation.id).await?;
    let counts = store.outcome_counts(&upload.operation.id).await?;
    let filter = match show {
        DevicesShown::All => RowFilter::Included,
        DevicesShown::Failed => RowFilter::Failed,
        DevicesShown::Registered => RowFilter::Registered,
    };
    let page = page.max(1);
    let (rows, has_next, pages) = page_of_rows(store, &upload.operation.id, filter, page).await?;
    let accepted = Part::accepted(&chunks);
    let refused = rows.iter().map(|r| (&r.device, r.failed_with()));
    let mut found = whereabouts::of_refused(&caller, &id, refused).await;
    let time =
        |at: Option<i64>| display_time(at.and_then(|at| chrono::DateTime::from_timestamp(at, 0)));
    let running = state.is_running() || chunks.iter().any(Part::job_running);
    // Once Partner Center is done, the registered devices can be given a profile: the
    // profiles are asked for only then, not at every refresh of a running job.
    let profiles = match running || counts.registered == 0 {
        true => Vec::new(),
        false => caller
            .state
            .partner_center
            .policies(&caller.ctx, &id)
            .await
            .map(crate::server::profiles::options)
            .unwrap_or_default(),
    };
    Ok(JobView {
        profiles,
        profiles_read_only: crate::server::profiles::read_only(&caller),
        customer,
        upload: summary(&upload),
        state,
        running,
        started: time(chunks.iter().filter_map(|c| c.started_at).min()),
        completed: if chunks.iter().any(Part::job_running) {
            None
        } else {
            time(chunks.iter().filter_map(|c| c.completed_at).max())
        },
        counts: OutcomeCountsView {
            total: counts.total,
            registered: counts.registered,
            failed: counts.failed,
            already_registered: counts.already_registered,
        },
        can_resume: upload.operation.state == OperationState::Failed
            && chunks.iter().any(|c| !c.state.is_done()),
        check_error: chunks
            .iter()
            .filter(|c| c.job_running())
            .find_map(|c| c.check_error.clone()),
        decisions: decisions(&chunks),
        chunks: chunks.into_iter().map(chunk_view).collect(),
        show,
        devices: rows
            .iter()
            .map(|row| JobDeviceRow {
                found: found.remove(&row.device.row),
                ..job_device_row(row, &accepted)
            })
            .collect(),
        page,
        has_next,
        pages,
    })
}

/// What the dashboard decided about each part whose answer was lost, in words, in order.
fn decisions(chunks: &[Part]) -> Vec<String> {
    let part = |n: i64| n + 1;
    chunks
        .iter()
        .filter_map(|c| match c.state {
            PartState::Uncertain => Some(format!(
                "Part {}: its answer was lost or said nothing about its devices. Before \
                 anything more is sent, the dashboard asks Partner Center which of its {} \
                 devices the batch holds, and sends only the others.",
                part(c.number),
                c.items
            )),
            PartState::Settled => {
                let found = c.found.unwrap_or(0);
                let rest = c
                    .resent_as
                    .and_then(|n| chunks.iter().find(|r| r.number == n));
                let looked = format!(
                    "Part {}: its answer was lost or said nothing about its devices, so the \
                     dashboard asked Partner Center: {found} of its {} devices are in the \
                     batch and count as registered",
                    part(c.number),
                    c.items
                );
                Some(match rest {
                    Some(r) if r.creates_batch() => format!(
                        "{looked}; the batch was not there, so part {} creates it again with \
                         the other {} devices, under a new request id.",
                        part(r.number),
                        r.items
                    ),
                    Some(r) => format!(
                        "{looked}; the other {} went again as part {}, under a new request \
                         id. A device of that part reported as already in this customer \
                         (806) was registered by part {}, and counts as registered.",
                        r.items,
                        part(r.number),
                        part(c.number)
                    ),
                    None => format!("{looked}: nothing was left to send."),
                })
            }
            _ => None,
        })
        .collect()
}

fn chunk_view(c: Part) -> ChunkView {
    ChunkView {
        number: c.number + 1,
        operation: if c.creates_batch() {
            "create batch"
        } else {
            "add devices"
        }
        .into(),
        devices: c.items,
        state: c.state,
        tracking_id: c.tracking_id.map(|t| t.to_string()),
        error: c.error,
        job_status: c.job_status.map(|s| s.as_str().to_string()),
    }
}

/// A row as the job page and the downloads show it. `accepted_chunks`: the parts Partner
/// Center took, whose rows without an outcome are waiting rather than unsent. Borrows the row:
/// its hardware hash is not shown and need not be copied.
pub(crate) fn job_device_row(stored: &StoredRow, accepted_chunks: &[i64]) -> JobDeviceRow {
    let device = &stored.device;
    let device_id = stored
        .outcome
        .as_ref()
        .filter(|o| o.registered)
        .and_then(|o| o.device_id.clone());
    let (status, error_code, explanation) = match &stored.outcome {
        // Registered with a code: an 806 in a part sent again after a lost answer.
        Some(outcome) if outcome.registered => match &outcome.error_code {
            Some(code) => (
                DeviceStatus::Registered,
                Some(code.clone()),
                Some(
                    "Already in this customer when it was sent again: the part whose answer \
                     was lost had registered it."
                        .to_string(),
                ),
            ),
            None => (DeviceStatus::Registered, None, None),
        },
        Some(outcome) => {
            let explanation = device_errors::explain(
                outcome.error_code.as_deref(),
                outcome.error_description.as_deref(),
            );
            (
                DeviceStatus::Failed,
                outcome
                    .error_code
                    .clone()
                    .or_else(|| outcome.error_description.clone()),
                Some(explanation),
            )
        }
        None if stored.chunk.is_some_and(|c| accepted_chunks.contains(&c)) => {
            (DeviceStatus::Waiting, None, None)
        }
        None => (DeviceStatus::NotSent, None, None),
    };
    JobDeviceRow {
        row: device.row,
        serial_number: device.serial_number.clone(),
        product_key: device.product_key.clone(),
        manufacturer: device.manufacturer.clone(),
        model: device.model.clone(),
        status,
        error_code,
        explanation,
        device_id,
        found: None,
    }
}

/// The rows of one page, whether another follows, and how many pages there are.
async fn page_of_rows(
    store: &crate::server::store::Store,
    upload_id: &OperationId,
    filter: RowFilter,
    page: u32,
) -> Result<(Vec<StoredRow>, bool, Option<u32>), AppError> {
    let window = PageWindow::new(page, ROWS_PER_PAGE);
    let rows = store
        .rows(upload_id, filter, window.offset, window.limit)
        .await?;
    let count = store.count_rows(upload_id, filter).await?;
    let (rows, has_next) = window.split(rows);
    Ok((rows, has_next, window.pages(page, count, has_next)))
}

/// What the preview and the job page both start from.
struct Opened {
    caller: Caller,
    id: CustomerId,
    upload: Upload,
    customer: CustomerRow,
    counts: RowCounts,
}

async fn open(ids: (CustomerId, OperationId)) -> Result<Opened, AppError> {
    open_as(caller().await?, ids).await
}

async fn open_as(
    caller: Caller,
    (id, upload_id): (CustomerId, OperationId),
) -> Result<Opened, AppError> {
    let upload = load(&caller, &id, &upload_id).await?;
    let customer = open_customer(&caller, &id).await?;
    let counts = caller.state.store.row_counts(&upload.operation.id).await?;
    Ok(Opened {
        caller,
        id,
        upload,
        customer,
        counts,
    })
}

pub(crate) fn summary(upload: &Upload) -> UploadSummary {
    UploadSummary {
        id: upload.operation.id.to_string(),
        state: upload.operation.state,
        source: upload.source,
        file_name: upload.file_name.clone(),
        new_batch: upload.target.is_new(),
        batch_id: upload.batch_id.clone(),
        submitted_by: upload.operation.upn.clone(),
        created: display_time(chrono::DateTime::from_timestamp(
            upload.operation.created_at,
            0,
        ))
        .unwrap_or_default(),
        error: upload.operation.error.clone(),
    }
}

fn finding_view(finding: &Finding) -> FindingView {
    FindingView {
        row: finding.row,
        column: finding.column.clone(),
        error: finding.is_error(),
        code: finding.check.code(),
        message: finding.message.clone(),
    }
}

fn preview_row(stored: StoredRow) -> PreviewRow {
    let device = stored.device;
    PreviewRow {
        row: device.row,
        serial_number: device.serial_number,
        product_key: device.product_key,
        hash_excerpt: device.hardware_hash.map(|h| excerpt(&h)),
        manufacturer: device.manufacturer,
        model: device.model,
        group_tag: device.group_tag,
        excluded: stored.excluded,
        findings: stored.findings.iter().map(finding_view).collect(),
    }
}

fn excerpt(hash: &str) -> String {
    let chars: Vec<char> = hash.chars().collect();
    if chars.len() <= 24 {
        return hash.to_string();
    }
    let head: String = chars[..12].iter().collect();
    let tail: String = chars[chars.len() - 8..].iter().collect();
    format!("{head}…{tail} ({} characters)", chars.len())
}
