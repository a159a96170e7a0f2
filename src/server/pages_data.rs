//! What the pages' server functions do: find the signed-in user and their token, call
//! Partner Center, and turn answers into view models and refusals into [`AppError`]s.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use tower_sessions::Session;
use uuid::Uuid;

use super::auth::{self, SessionUser, TokenFailure};
use super::store::RecentCustomer;
use super::AppState;
use crate::api::{
    AppError, BatchRow, BatchesView, CustomerRow, CustomerSearch, DeviceRow, DevicesView,
    SearchField, SessionInfo, UserView,
};
use crate::partner_center::{
    BatchId, CallContext, Continuation, Customer, CustomerFilter, CustomerFilterField, CustomerId,
    CustomerQuery, ErrorKind, Page, PartnerCenterError,
};

const CUSTOMERS_PER_PAGE: u32 = 50;
const RECENT_CUSTOMERS: i64 = 5;

impl From<PartnerCenterError> for AppError {
    fn from(error: PartnerCenterError) -> Self {
        tracing::warn!(%error, "Partner Center call failed");
        match error.kind {
            ErrorKind::MfaRequired => AppError::MfaRequired,
            ErrorKind::Forbidden => AppError::Forbidden { code: error.code },
            ErrorKind::Unauthorized => AppError::SignedOut,
            ErrorKind::Throttled => AppError::Busy,
            ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport => AppError::Unavailable,
            ErrorKind::NotFound => AppError::NotFound {
                what: "What you asked for".into(),
            },
            _ => AppError::Upstream {
                code: error.code,
                description: error.description,
                correlation_id: error.correlation_id.to_string(),
                request_id: error.request_id.to_string(),
            },
        }
    }
}

/// Customers each sign-in was recently allowed to open, so that the pages of one customer
/// (a job page polled every few seconds, above all) do not each ask Partner Center again, and
/// a moment of Partner Center trouble does not fail the pages served from the dashboard's own
/// database. A lost role or reseller relationship takes effect within [`CUSTOMER_CHECK_TTL`].
/// Bounded: it forgets everything when full.
#[derive(Clone, Default)]
pub struct CustomerChecks(Arc<Mutex<HashMap<CheckKey, (Instant, CustomerRow)>>>);

/// A sign-in id and a customer id.
type CheckKey = (String, String);

/// How long an allowed customer stays allowed without asking Partner Center.
pub const CUSTOMER_CHECK_TTL: Duration = Duration::from_secs(60);
const MAX_CUSTOMER_CHECKS: usize = 50_000;

impl CustomerChecks {
    fn allowed(&self, sign_in_id: &str, customer_id: &str) -> Option<CustomerRow> {
        let checks = self.lock();
        let (at, row) = checks.get(&(sign_in_id.to_string(), customer_id.to_string()))?;
        (at.elapsed() < CUSTOMER_CHECK_TTL).then(|| row.clone())
    }

    fn remember(&self, sign_in_id: &str, customer_id: &str, row: &CustomerRow) {
        let key = (sign_in_id.to_string(), customer_id.to_string());
        let mut checks = self.lock();
        if checks.len() >= MAX_CUSTOMER_CHECKS && !checks.contains_key(&key) {
            checks.clear();
        }
        checks.insert(key, (Instant::now(), row.clone()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CheckKey, (Instant, CustomerRow)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The continuation tokens met while paging a list, so page N of a bookmarked URL can be
/// reached (Partner Center pages only forward). Bounded: it forgets everything when full.
#[derive(Clone, Default)]
pub struct PageCursors(Arc<Mutex<HashMap<String, Vec<Continuation>>>>);

const MAX_CURSOR_LISTS: usize = 10_000;

impl PageCursors {
    fn known(&self, key: &str) -> Vec<Continuation> {
        self.lock().get(key).cloned().unwrap_or_default()
    }

    /// Records the cursor of page `page + 1`.
    fn remember(&self, key: &str, page: u32, next: &Continuation) {
        let mut lists = self.lock();
        if lists.len() >= MAX_CURSOR_LISTS && !lists.contains_key(key) {
            lists.clear();
        }
        let list = lists.entry(key.to_string()).or_default();
        let index = page as usize - 1;
        if index == list.len() {
            list.push(next.clone());
        } else if index < list.len() {
            list[index] = next.clone();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Continuation>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Page `page` (1-based) of a list, walking forward from the last page whose cursor is
    /// known. Past the end: an empty page.
    async fn page<T, F, Fut>(&self, key: &str, page: u32, fetch: F) -> Result<Page<T>, AppError>
    where
        F: Fn(Option<Continuation>) -> Fut,
        Fut: Future<Output = Result<Page<T>, PartnerCenterError>>,
    {
        let page = page.max(1);
        let known = self.known(key);
        let (mut current, mut cursor) = if page == 1 {
            (1, None)
        } else if let Some(cursor) = known.get(page as usize - 2) {
            (page, Some(cursor.clone()))
        } else {
            (known.len() as u32 + 1, known.last().cloned())
        };
        loop {
            let result = fetch(cursor.clone()).await?;
            if let Some(next) = &result.next {
                self.remember(key, current, next);
            }
            if current == page {
                return Ok(result);
            }
            match result.next {
                Some(next) => {
                    cursor = Some(next);
                    current += 1;
                }
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        total_count: Some(0),
                        next: None,
                    })
                }
            }
        }
    }
}

/// The request's app state, signed-in user and Partner Center call context.
/// A signed-in user with a fresh token, ready to call Partner Center.
pub(crate) struct Caller {
    pub state: AppState,
    pub user: SessionUser,
    pub ctx: CallContext,
}

impl Caller {
    /// For plain handlers, which have the session at hand (server functions use [`caller`]).
    pub async fn from_session(state: AppState, session: &Session) -> Result<Caller, AppError> {
        let user = auth::current_user(&state, session)
            .await
            .ok_or(AppError::SignedOut)?;
        let token = auth::access_token(&state, &user)
            .await
            .map_err(|failure| match failure {
                TokenFailure::SignedOut => AppError::SignedOut,
                TokenFailure::Unavailable => AppError::Unavailable,
            })?;
        Ok(Caller {
            state,
            user,
            // One correlation id per user request, sent with every call it makes.
            ctx: CallContext::new(token, Uuid::new_v4()),
        })
    }
}

async fn state_and_session() -> Result<(AppState, Session), AppError> {
    let state =
        use_context::<AppState>().ok_or_else(|| AppError::Internal("no app state".into()))?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal("no session".into()))?;
    Ok((state, session))
}

pub(crate) async fn caller() -> Result<Caller, AppError> {
    let (state, session) = state_and_session().await?;
    Caller::from_session(state, &session).await
}

pub async fn session_info() -> Result<SessionInfo, AppError> {
    let (state, session) = state_and_session().await?;
    let user = auth::current_user(&state, &session)
        .await
        .map(|user| UserView {
            name: user.name,
            upn: user.upn,
        });
    Ok(SessionInfo {
        sandbox: state.sandbox_mode(),
        user,
    })
}

fn customer_row(customer: &Customer) -> CustomerRow {
    CustomerRow {
        id: customer.id.to_string(),
        name: customer.display_name(),
        domain: customer.company_profile.domain.clone(),
    }
}

pub async fn search_customers(
    query: String,
    field: SearchField,
    page: u32,
) -> Result<CustomerSearch, AppError> {
    let caller = caller().await?;
    let query = query.trim().to_string();
    if query.chars().count() > 100 {
        return Err(AppError::BadInput(
            "Search for at most 100 characters.".into(),
        ));
    }
    let filter = (!query.is_empty()).then(|| CustomerFilter {
        field: match field {
            SearchField::Name => CustomerFilterField::CompanyName,
            SearchField::Domain => CustomerFilterField::Domain,
        },
        value: query.clone(),
    });
    let customer_query = CustomerQuery {
        filter,
        size: Some(CUSTOMERS_PER_PAGE),
    };
    let key = format!(
        "{}|customers|{}|{}",
        caller.user.sign_in_id,
        field.as_query(),
        query.to_lowercase()
    );
    let client = &caller.state.partner_center;
    let result = caller
        .state
        .page_cursors
        .page(&key, page, |cursor| {
            let customer_query = customer_query.clone();
            let ctx = &caller.ctx;
            async move {
                client
                    .customers_page(ctx, &customer_query, cursor.as_ref())
                    .await
            }
        })
        .await?;
    let recent = if query.is_empty() && page <= 1 {
        caller
            .state
            .store
            .recent_customers(&caller.user.key(), RECENT_CUSTOMERS)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|r| CustomerRow {
                id: r.customer_id,
                name: r.company_name,
                domain: r.domain,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CustomerSearch {
        items: result.items.iter().map(customer_row).collect(),
        page: page.max(1),
        has_next: result.next.is_some(),
        recent,
    })
}

pub(crate) fn parse_customer(customer_id: &str) -> Result<CustomerId, AppError> {
    CustomerId::parse(customer_id)
        .map_err(|_| AppError::BadInput(format!("'{customer_id}' is not a customer id.")))
}

/// The customer, remembered as recently used by this user.
pub(crate) async fn open_customer(
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<CustomerRow, AppError> {
    let checks = &caller.state.customer_checks;
    if let Some(row) = checks.allowed(&caller.user.sign_in_id, &customer_id.to_string()) {
        return Ok(row);
    }
    let customer = caller
        .state
        .partner_center
        .customer(&caller.ctx, customer_id)
        .await
        .map_err(|error| match error.kind {
            ErrorKind::NotFound => AppError::NotFound {
                what: "This customer".into(),
            },
            _ => error.into(),
        })?;
    let row = customer_row(&customer);
    let recent = RecentCustomer {
        customer_id: row.id.clone(),
        company_name: row.name.clone(),
        domain: row.domain.clone(),
    };
    if let Err(error) = caller
        .state
        .store
        .touch_recent_customer(&caller.user.key(), &recent, Utc::now().timestamp())
        .await
    {
        tracing::warn!(%error, "could not remember a recent customer");
    }
    checks.remember(&caller.user.sign_in_id, &customer_id.to_string(), &row);
    Ok(row)
}

/// `2025-04-17 09:00 UTC`: rendered on the server, so both sides show the same text.
pub(crate) fn display_time(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
}

pub async fn customer_batches(customer_id: String) -> Result<BatchesView, AppError> {
    let caller = caller().await?;
    let id = parse_customer(&customer_id)?;
    let customer = open_customer(&caller, &id).await?;
    let mut batches = caller
        .state
        .partner_center
        .device_batches(&caller.ctx, &id)
        .await?;
    batches.sort_by_key(|batch| std::cmp::Reverse(batch.creation_date));
    Ok(BatchesView {
        customer,
        batches: batches
            .into_iter()
            .map(|batch| BatchRow {
                created: display_time(batch.creation_date),
                devices: batch.devices_count,
                status: batch.status.map(|s| s.as_str().replace('_', " ")),
                id: batch.id,
            })
            .collect(),
    })
}

pub async fn batch_devices(
    customer_id: String,
    batch_id: String,
    page: u32,
) -> Result<DevicesView, AppError> {
    let caller = caller().await?;
    let id = parse_customer(&customer_id)?;
    let batch = BatchId::parse(&batch_id)
        .map_err(|why| AppError::BadInput(format!("'{batch_id}' is not a batch name: {why}.")))?;
    let customer = open_customer(&caller, &id).await?;
    let client = &caller.state.partner_center;
    let key = format!(
        "{}|devices|{}|{}",
        caller.user.sign_in_id,
        id,
        batch_id.to_lowercase()
    );
    let result = caller
        .state
        .page_cursors
        .page(&key, page, |cursor| {
            let (ctx, id, batch) = (&caller.ctx, &id, &batch);
            async move { client.devices_page(ctx, id, batch, cursor.as_ref()).await }
        })
        .await
        .map_err(|error| match error {
            AppError::NotFound { .. } => AppError::NotFound {
                what: format!("The batch '{batch_id}'"),
            },
            other => other,
        })?;
    // Profile names make the table readable; without them, ids are shown.
    let profiles: HashMap<String, String> = client
        .policies(&caller.ctx, &id)
        .await
        .map(|policies| {
            policies
                .into_iter()
                .filter_map(|p| Some((p.id?, p.name.unwrap_or_default())))
                .collect()
        })
        .unwrap_or_default();
    let items = result
        .items
        .into_iter()
        .map(|device| {
            let profile = device
                .oobe_policy_id()
                .map(|id| profiles.get(id).cloned().unwrap_or_else(|| id.to_string()));
            DeviceRow {
                id: device.id.clone().unwrap_or_default(),
                serial: device.serial_number,
                product_key: device.product_key.filter(|k| !k.is_empty()),
                manufacturer: device.oem_manufacturer_name,
                model: device.model_name,
                profile,
                uploaded: display_time(device.uploaded_date),
            }
        })
        .collect();
    Ok(DevicesView {
        customer,
        batch_id: batch.as_str().to_string(),
        page: page.max(1),
        items,
        has_next: result.next.is_some(),
    })
}
