//! History: every operation of the partner's staff (uploads, deletions, profile assignments) for a customer, or
//! for all the customers the signed-in user has worked on, newest first, with where each one
//! stands.

use crate::model::operations::OperationKind;
use crate::model::uploads::{BatchTarget, HistoryRow, HistoryView, UploadSource, UploadStatus};
use crate::model::AppError;
use crate::partner_center::CustomerId;
use crate::server::caller::{caller, open_customer};
use crate::server::display_time;
use crate::server::store::Store;
use crate::server::uploads::status::status_sql;
use crate::server::PageWindow;
use crate::urls;

const UPLOADS_PER_PAGE: i64 = 50;

/// Which uploads a history page lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub tenant_id: String,
    /// One customer's page; otherwise every customer `object_id` has uploaded to.
    pub customer_id: Option<String>,
    pub object_id: String,
    pub status: Option<UploadStatus>,
    pub upn: Option<String>,
}

/// One operation as the history lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HistoryEntry {
    #[sqlx(rename = "id")]
    pub operation_id: String,
    pub kind: OperationKind,
    pub customer_id: String,
    pub customer_name: String,
    pub upn: String,
    pub object_id: String,
    /// An upload's; `None` for other kinds.
    pub source: Option<UploadSource>,
    pub file_name: Option<String>,
    pub batch_id: Option<String>,
    /// An upload's; `None` for other kinds.
    pub target: Option<BatchTarget>,
    /// A profile assignment's profile; `None` for other kinds, and for a removal.
    pub profile_name: Option<String>,
    pub at: i64,
    pub devices: i64,
    pub registered: i64,
    pub failed: i64,
    pub status: UploadStatus,
    /// How many entries the filters let through, on every page.
    pub total: i64,
}

impl HistoryFilter {
    /// The uploads in scope (no status or user filter), as a condition on `uploads u`, and
    /// its bind values in order from `$1`.
    fn scope(&self) -> (String, Vec<String>) {
        match &self.customer_id {
            Some(customer) => (
                "u.tenant_id = $1 AND u.customer_id = $2".into(),
                vec![self.tenant_id.clone(), customer.clone()],
            ),
            None => (
                "u.tenant_id = $1 AND u.customer_id IN (SELECT customer_id FROM operations \
                 WHERE tenant_id = $1 AND object_id = $2)"
                    .into(),
                vec![self.tenant_id.clone(), self.object_id.clone()],
            ),
        }
    }
}

impl Store {
    /// One page of the history, newest first.
    pub async fn history(
        &self,
        filter: &HistoryFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, sqlx::Error> {
        let (scope, mut binds) = filter.scope();
        let mut outer = Vec::new();
        if let Some(status) = &filter.status {
            binds.push(status.as_str().to_string());
            outer.push(format!("status = ${}", binds.len()));
        }
        if let Some(upn) = &filter.upn {
            // Both databases lower only ASCII letters in this column (PostgreSQL: its C
            // collation), so the name given is lowered the same way.
            binds.push(upn.to_ascii_lowercase());
            outer.push(format!("LOWER(upn) = ${}", binds.len()));
        }
        let outer = if outer.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", outer.join(" AND "))
        };
        let sql = format!(
            "SELECT *, COUNT(*) OVER () AS total FROM (SELECT u.id, u.kind, u.customer_id, u.customer_name, u.upn, u.object_id, \
             d.source, d.file_name, d.target, a.profile_name, \
             COALESCE(u.submitted_at, u.created_at) AS at, \
             COALESCE(d.batch_id, (SELECT MIN(x.batch_id) FROM device_deletions x \
                 WHERE x.operation_id = u.id), (SELECT MIN(x.batch_id) \
                 FROM profile_assignment_devices x WHERE x.operation_id = u.id)) AS batch_id, \
             CASE WHEN d.id IS NULL \
                 THEN (SELECT CAST(COALESCE(SUM(p.items), 0) AS BIGINT) FROM operation_parts p \
                     WHERE p.operation_id = u.id) \
                 ELSE (SELECT COUNT(*) FROM upload_rows r WHERE r.upload_id = u.id AND r.excluded = 0) \
             END AS devices, \
             (SELECT COUNT(*) FROM upload_rows r WHERE r.upload_id = u.id AND r.outcome = 'registered') AS registered, \
             CASE WHEN a.operation_id IS NOT NULL \
                 THEN (SELECT COUNT(*) FROM profile_assignment_devices x WHERE x.operation_id = u.id \
                     AND x.outcome IN ('failed', 'unreported')) \
                 WHEN d.id IS NULL \
                 THEN (SELECT COUNT(*) FROM operation_parts p WHERE p.operation_id = u.id \
                     AND p.state IN ('refused', 'uncertain')) \
                 ELSE (SELECT COUNT(*) FROM upload_rows r WHERE r.upload_id = u.id AND r.outcome = 'failed') \
             END AS failed, \
             {} AS status FROM operations u LEFT JOIN uploads d ON d.id = u.id \
             LEFT JOIN profile_assignments a ON a.operation_id = u.id WHERE {scope}) h {outer} \
             ORDER BY at DESC, id LIMIT ${} OFFSET ${}",
            status_sql(),
            binds.len() + 1,
            binds.len() + 2
        );
        let mut query = sqlx::query_as(&sql);
        for bind in &binds {
            query = query.bind(bind);
        }
        query.bind(limit).bind(offset).fetch_all(self.pool()).await
    }

    /// Who uploaded within the scope, for the user filter.
    pub async fn history_users(&self, filter: &HistoryFilter) -> Result<Vec<String>, sqlx::Error> {
        let (scope, binds) = filter.scope();
        let sql = format!("SELECT DISTINCT u.upn FROM operations u WHERE {scope} ORDER BY u.upn");
        let mut query = sqlx::query_scalar(&sql);
        for bind in &binds {
            query = query.bind(bind);
        }
        query.fetch_all(self.pool()).await
    }
}

/// The server side of `/uploads` and a customer's `…/uploads`.
pub async fn history(
    customer: Option<CustomerId>,
    status: Option<UploadStatus>,
    user: String,
    page: u32,
) -> Result<HistoryView, AppError> {
    let caller = caller().await?;
    let customer = match &customer {
        Some(id) => Some(open_customer(&caller, id).await?),
        None => None,
    };
    let user = Some(user.trim().to_string()).filter(|u| !u.is_empty());
    let filter = HistoryFilter {
        tenant_id: caller.user.tenant_id.clone(),
        customer_id: customer.as_ref().map(|c| c.id.clone()),
        object_id: caller.user.object_id.clone(),
        status,
        upn: user.clone(),
    };
    let store = &caller.state.store;
    let page = page.max(1);
    let window = PageWindow::new(page, UPLOADS_PER_PAGE);
    let entries = store.history(&filter, window.offset, window.limit).await?;
    let count = entries.first().map_or(0, |e| e.total);
    let (entries, has_next) = window.split(entries);
    let users = store.history_users(&filter).await?;
    Ok(HistoryView {
        customer,
        rows: entries
            .into_iter()
            .map(|entry| history_row(entry, &caller.user.object_id))
            .collect(),
        users,
        status,
        user: user.unwrap_or_default(),
        page,
        has_next,
        pages: window.pages(page, count, has_next),
        draft_retention: crate::model::uploads::retention_words(
            caller.state.config.draft_retention.as_secs(),
        ),
    })
}

/// One entry as the list shows it to the person `reader` (their object id).
fn history_row(entry: HistoryEntry, reader: &str) -> HistoryRow {
    let discardable = entry.status == UploadStatus::Draft && entry.object_id == reader;
    let link = match entry.status {
        // A draft is shown by its preview, where it can still be changed and submitted.
        UploadStatus::Draft => urls::upload(&entry.customer_id, &entry.operation_id),
        _ => urls::operation(&entry.customer_id, &entry.operation_id),
    };
    let (from, registered) = match (entry.source, entry.kind) {
        (Some(source), _) => (
            source.describe(entry.file_name.as_deref()),
            Some(entry.registered),
        ),
        (None, OperationKind::ProfileAssignment) => (
            match entry.profile_name {
                Some(name) => format!("the profile “{name}” applied"),
                None => "the profile removed".to_string(),
            },
            None,
        ),
        (None, _) => ("devices deleted by hand".to_string(), None),
    };
    HistoryRow {
        when: display_time(chrono::DateTime::from_timestamp(entry.at, 0)).unwrap_or_default(),
        customer_id: entry.customer_id,
        customer_name: entry.customer_name,
        upn: entry.upn,
        from,
        batch_id: entry.batch_id.unwrap_or_default(),
        new_batch: entry.target == Some(BatchTarget::New),
        devices: entry.devices,
        registered,
        failed: entry.failed,
        status: entry.status,
        link,
        discardable,
    }
}
