//! The audit trail: an append-only record of what people did with the partner's delegated
//! access (see `migrations/…_audit.sql`, whose triggers refuse changes and deletions).
//! Writing an event never stops the action it records; a failure to write is logged.

use std::collections::HashMap;

use uuid::Uuid;

use super::auth::SessionUser;
use super::store::Store;
use super::{unix_now, AppState};
use crate::model::audit::{AuditAction, AuditOutcome};
use crate::model::operations::OperationKind;
use crate::partner_center::CustomerId;
use crate::server::operations::OperationId;

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
    pub customer_id: Option<CustomerId>,
    pub operation_id: Option<OperationId>,
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
    /// How many events the list of [`Store::audit_events`] has, on every page (0 elsewhere).
    #[sqlx(default)]
    pub total: i64,
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
        .bind(event.customer_id)
        .bind(event.operation_id)
        .bind(&event.detail)
        .bind(event.correlation_id.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// One page of the trail of a partner tenant (and failed sign-ins of no known tenant):
    /// the events of no operation, and of each operation the one that started it, ordered by
    /// the last thing that happened to each, newest first. An operation is one row however
    /// often it was sent again ([`Store::later_audit_events`]).
    pub async fn audit_events(
        &self,
        tenant_id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, sqlx::Error> {
        sqlx::query_as(
            "SELECT a.*, o.kind, COUNT(*) OVER () AS total FROM audit_events a \
             LEFT JOIN operations o ON o.id = a.operation_id WHERE (a.tenant_id = $1 OR a.tenant_id IS NULL) \
             AND (a.operation_id IS NULL OR a.id = (SELECT MIN(f.id) FROM audit_events f \
                 WHERE f.operation_id = a.operation_id)) \
             ORDER BY COALESCE((SELECT MAX(l.id) FROM audit_events l \
                 WHERE l.operation_id = a.operation_id), a.id) DESC LIMIT $2 OFFSET $3",
        )
        .bind(tenant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await
    }

    /// The events of these operations after the one that started each, oldest first.
    pub async fn later_audit_events(
        &self,
        operation_ids: &[&str],
    ) -> Result<Vec<AuditEntry>, sqlx::Error> {
        if operation_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = (1..=operation_ids.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT a.*, o.kind FROM audit_events a LEFT JOIN operations o \
             ON o.id = a.operation_id WHERE a.operation_id IN ({placeholders}) \
             AND a.id > (SELECT MIN(f.id) FROM audit_events f \
                 WHERE f.operation_id = a.operation_id) ORDER BY a.id"
        );
        let mut query = sqlx::query_as(&sql);
        for id in operation_ids {
            query = query.bind(*id);
        }
        query.fetch_all(self.pool()).await
    }
}

/// The audit event of one run of sending an operation's parts, as `user`: `action`, said in
/// `detail`; failed when the run did.
pub(crate) async fn record_run(
    state: &AppState,
    user: &SessionUser,
    run: &super::operations::sending::Run,
    action: AuditAction,
    detail: String,
) {
    let event = Event {
        action,
        ok: run.failure.is_none(),
        actor: Actor::from(user),
        customer_id: Some(run.operation.customer_id),
        operation_id: Some(run.operation.id),
        detail,
        correlation_id: run.correlation_id(),
    };
    record(state, event).await;
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

fn when(at: i64) -> String {
    super::display_time(chrono::DateTime::from_timestamp(at, 0)).unwrap_or_default()
}

/// An event as its row shows it, with the later events of its operation.
fn audit_row(e: AuditEntry, later: Vec<AuditEntry>) -> crate::model::audit::AuditRow {
    use crate::model::audit::{AuditRow, LaterEvent};
    AuditRow {
        when: when(e.at),
        operation_link: match (&e.customer_id, &e.operation_id, e.kind) {
            (Some(customer), Some(id), Some(kind)) => Some((
                crate::urls::operation(customer, id),
                format!("Open the {}", kind.noun()),
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
        later: later
            .into_iter()
            .map(|l| LaterEvent {
                when: when(l.at),
                action: l.action,
                ok: l.outcome == AuditOutcome::Ok,
                upn: l.upn,
                detail: l.detail,
                correlation_id: l.correlation_id,
            })
            .collect(),
    }
}

/// The server side of `/audit`: any signed-in user of the partner may read it.
pub async fn page(page: u32) -> Result<crate::model::audit::AuditView, crate::model::AppError> {
    use crate::model::audit::AuditView;
    let caller = super::caller::caller().await?;
    let page = page.max(1);
    let window = super::PageWindow::new(page, EVENTS_PER_PAGE);
    let events = caller
        .state
        .store
        .audit_events(&caller.user.tenant_id, window.offset, window.limit)
        .await?;
    let count = events.first().map_or(0, |e| e.total);
    let (events, has_next) = window.split(events);
    let operations: Vec<&str> = events
        .iter()
        .filter_map(|e| e.operation_id.as_deref())
        .collect();
    let mut later: HashMap<String, Vec<AuditEntry>> = HashMap::new();
    for event in caller.state.store.later_audit_events(&operations).await? {
        if let Some(id) = event.operation_id.clone() {
            later.entry(id).or_default().push(event);
        }
    }
    let rows = events
        .into_iter()
        .map(|e| {
            let of_this = e.operation_id.as_ref().and_then(|id| later.remove(id));
            audit_row(e, of_this.unwrap_or_default())
        })
        .collect();
    Ok(AuditView {
        rows,
        page,
        has_next,
        pages: window.pages(page, count, has_next),
    })
}
