//! The upload pages' server functions: load from the database (and Partner Center where the
//! page needs fresh facts) into the view models of `api::uploads`.

use super::store::{RowCounts, RowFilter, StoredRow, Upload};
use crate::api::uploads::{
    ChunkView, FindingView, JobView, PreviewRow, PreviewView, RowCountsView, SplitPartView,
    UploadFormView, UploadSummary,
};
use crate::api::{AppError, CustomerRow};
use crate::ingest::{Check, Finding};
use crate::partner_center::{BatchId, CustomerId};
use crate::server::pages_data::{caller, display_time, open_customer, parse_customer, Caller};

const ROWS_PER_PAGE: i64 = 100;

pub async fn upload_form(customer_id: String) -> Result<UploadFormView, AppError> {
    let caller = caller().await?;
    let id = parse_customer(&customer_id)?;
    let customer = open_customer(&caller, &id).await?;
    let batches = batch_names(&caller, &id).await?;
    let config = &caller.state.config;
    Ok(UploadFormView {
        customer,
        batches,
        max_mb: config.upload_max_bytes / (1024 * 1024),
        max_rows: config.upload_max_rows,
    })
}

pub async fn upload_preview(
    customer_id: String,
    upload_id: String,
    page: u32,
    only_findings: bool,
) -> Result<PreviewView, AppError> {
    let Opened {
        caller,
        id,
        upload,
        customer,
        counts,
    } = open(&customer_id, &upload_id).await?;
    let store = &caller.state.store;
    let page = page.max(1);
    let filter = if only_findings {
        RowFilter::WithFindings
    } else {
        RowFilter::All
    };
    let mut rows = store
        .rows(
            &upload.id,
            filter,
            (page as i64 - 1) * ROWS_PER_PAGE,
            ROWS_PER_PAGE + 1,
        )
        .await
        .map_err(database)?;
    let has_next = rows.len() as i64 > ROWS_PER_PAGE;
    rows.truncate(ROWS_PER_PAGE as usize);
    let batches = batch_names(&caller, &id).await?;
    let batch_id = upload.batch_id.clone().unwrap_or_default();
    let name_taken = match BatchId::parse(&batch_id) {
        Ok(wanted) if upload.new_batch => batches.iter().find(|b| wanted.same_batch_as(b)).cloned(),
        _ => None,
    };
    let group_tags = store.group_tags(&upload.id).await.map_err(database)?;
    let split_parts = store
        .split_parts(&upload.id)
        .await
        .map_err(database)?
        .into_iter()
        .map(|part| SplitPartView {
            upload_id: part.upload_id,
            batch_id: part.batch_id,
            state: part.state.as_str().to_string(),
            rows: part.rows,
        })
        .collect();
    let report = upload.report.clone();
    Ok(PreviewView {
        customer,
        upload: summary(&upload),
        description: report.description,
        sheets: report.sheets,
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
        only_findings,
    })
}

pub async fn upload_job(customer_id: String, upload_id: String) -> Result<JobView, AppError> {
    let Opened {
        caller,
        upload,
        customer,
        counts,
        ..
    } = open(&customer_id, &upload_id).await?;
    let chunks = caller
        .state
        .store
        .chunks(&upload.id)
        .await
        .map_err(database)?;
    let can_resume = upload.state == super::store::UploadState::Failed
        && chunks.iter().any(|c| c.state != "accepted");
    Ok(JobView {
        customer,
        upload: summary(&upload),
        devices: counts.included(),
        chunks: chunks
            .into_iter()
            .map(|c| ChunkView {
                number: c.chunk + 1,
                operation: if c.create {
                    "create batch"
                } else {
                    "add devices"
                }
                .into(),
                devices: c.devices,
                state: c.state,
                tracking_id: c.tracking_id,
                error: c.error,
            })
            .collect(),
        can_resume,
    })
}

/// What the preview and the job page both start from.
struct Opened {
    caller: Caller,
    id: CustomerId,
    upload: Upload,
    customer: CustomerRow,
    counts: RowCounts,
}

async fn open(customer_id: &str, upload_id: &str) -> Result<Opened, AppError> {
    let caller = caller().await?;
    let id = parse_customer(customer_id)?;
    let upload = load(&caller, customer_id, upload_id).await?;
    let customer = open_customer(&caller, &id).await?;
    let counts = caller
        .state
        .store
        .row_counts(&upload.id)
        .await
        .map_err(database)?;
    Ok(Opened {
        caller,
        id,
        upload,
        customer,
        counts,
    })
}

/// The upload, if it belongs to this customer and to the signed-in user's organisation.
pub(crate) async fn load(
    caller: &Caller,
    customer_id: &str,
    upload_id: &str,
) -> Result<Upload, AppError> {
    let upload = caller
        .state
        .store
        .upload(upload_id)
        .await
        .map_err(database)?
        .ok_or(AppError::NoSuchUpload)?;
    if !upload.customer_id.eq_ignore_ascii_case(customer_id)
        || upload.tenant_id != caller.user.tenant_id
    {
        return Err(AppError::NoSuchUpload);
    }
    Ok(upload)
}

/// The customer's batch names, newest first.
pub(crate) async fn batch_names(
    caller: &Caller,
    customer: &CustomerId,
) -> Result<Vec<String>, AppError> {
    let mut batches = caller
        .state
        .partner_center
        .device_batches(&caller.ctx, customer)
        .await?;
    batches.sort_by_key(|b| std::cmp::Reverse(b.creation_date));
    Ok(batches.into_iter().map(|b| b.id).collect())
}

pub(crate) fn database(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "database error");
    AppError::Internal("database error".into())
}

pub(crate) fn summary(upload: &Upload) -> UploadSummary {
    UploadSummary {
        id: upload.id.clone(),
        state: upload.state.as_str().to_string(),
        source: upload.source.clone(),
        file_name: upload.file_name.clone(),
        new_batch: upload.new_batch,
        batch_id: upload.batch_id.clone().unwrap_or_default(),
        submitted_by: upload.upn.clone(),
        created: display_time(chrono::DateTime::from_timestamp(upload.created_at, 0))
            .unwrap_or_default(),
        error: upload.error.clone(),
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
