//! The audit trail: an append-only record of what people did with the partner's delegated
//! access (see `migrations/…_audit.sql`, whose triggers refuse changes and deletions).
//! Writing an event never stops the action it records; a failure to write is logged.

use uuid::Uuid;

use super::auth::SessionUser;
use super::store::Store;
use super::{unix_now, AppState};
use crate::model::audit::{AuditAction, AuditOutcome};
use crate::model::operations::OperationKind;

/// Who did it: a signed-in user, or as much as is known of someone whose sign-in failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub tenant_id: Option<String>,
    pub object_id: Option<String>,
    pub upn: Option<String>,
}

impl From<&SessionUser> for Actor {
    fn from(user: &SessionUser) -> Self {
        Actor {
            tenant_id: Some(user.tenant_id.clone()),
            object_id: Some(user.object_id.clone()),
            upn: Some(user.upn.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub action: AuditAction,
    pub ok: bool,
    pub actor: Actor,
    pub customer_id: Option<String>,
    pub operation_id: Option<String>,
    /// One line for a person: which batch, how many devices, why it failed.
    pub detail: String,
    pub correlation_id: Uuid,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: i64,
    pub action: AuditAction,
    pub outcome: AuditOutcome,
    pub tenant_id: Option<String>,
    pub object_id: Option<String>,
    pub upn: Option<String>,
    pub customer_id: Option<String>,
    pub operation_id: Option<String>,
    /// The kind of that operation; `None` once it is gone (a draft past its retention).
    pub kind: Option<OperationKind>,
    pub detail: String,
    pub correlation_id: String,
}

impl Store {
    pub async fn append_audit(&self, event: &Event, at: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_events (at, action, outcome, tenant_id, object_id, upn, \
             customer_id, operation_id, detail, correlation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(at)
        .bind(event.action)
        .bind(if event.ok {
            AuditOutcome::Ok
        } else {
            AuditOutcome::Failed
        })
        .bind(&event.actor.tenant_id)
        .bind(&event.actor.object_id)
        .bind(&event.actor.upn)
        .bind(&event.customer_id)
        .bind(&event.operation_id)
        .bind(&event.detail)
        .bind(event.correlation_id.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The events of one partner tenant (and failed sign-ins of no known tenant), newest
    /// first.
    pub async fn audit_events(
        &self,
        tenant_id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, sqlx::Error> {
        sqlx::query_as(
            "SELECT a.*, o.kind FROM audit_events a LEFT JOIN operations o \
             ON o.id = a.operation_id WHERE a.tenant_id = $1 OR a.tenant_id IS NULL \
             ORDER BY a.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(tenant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await
    }
}

/// The longest detail kept: enough for any real event, and a bound on what a crafted request
/// can leave behind.
const DETAIL_MAX_CHARS: usize = 500;

/// Appends an event; a failure is logged, never passed on.
pub async fn record(state: &AppState, mut event: Event) {
    if event.detail.chars().count() > DETAIL_MAX_CHARS {
        event.detail = event
            .detail
            .chars()
            .take(DETAIL_MAX_CHARS)
            .collect::<String>()
            + "…";
    }
    if let Err(error) = state.store.append_audit(&event, unix_now()).await {
        tracing::error!(%error, action = event.action.as_str(), correlation = %event.correlation_id, "could not write an audit event");
    }
}

const EVENTS_PER_PAGE: i64 = 50;

/// The server side of `/audit`: any signed-in user of the partner may read it.
pub async fn page(page: u32) -> Result<crate::model::audit::AuditView, crate::model::AppError> {
    use crate::model::audit::{AuditRow, AuditView};
    let caller = super::caller::caller().await?;
    let page = page.max(1);
    let window = super::PageWindow::new(page, EVENTS_PER_PAGE);
    let events = caller
        .state
        .store
        .audit_events(&caller.user.tenant_id, window.offset, window.limit)
        .await?;
    let (events, has_next) = window.split(events);
    let rows = events
        .into_iter()
        .map(|e| AuditRow {
            when: super::display_time(chrono::DateTime::from_timestamp(e.at, 0))
                .unwrap_or_default(),
            operation_link: match (&e.customer_id, &e.operation_id, e.kind) {
                (Some(customer), Some(id), Some(OperationKind::Upload)) => {
                    Some((crate::urls::job(customer, id), "Open the upload".into()))
                }
                (Some(customer), Some(id), Some(OperationKind::DeviceDeletion)) => Some((
                    crate::urls::deletion(customer, id),
                    "Open the deletion".into(),
                )),
                (Some(customer), Some(id), Some(OperationKind::ProfileAssignment)) => Some((
                    crate::urls::assignment(customer, id),
                    "Open the assignment".into(),
                )),
                _ => None,
            },
            action: e.action,
            ok: e.outcome == AuditOutcome::Ok,
            upn: e.upn,
            tenant_id: e.tenant_id,
            object_id: e.object_id,
            customer_id: e.customer_id,
            detail: e.detail,
            correlation_id: e.correlation_id,
        })
        .collect();
    Ok(AuditView {
        rows,
        page,
        has_next,
    })
}
