//! Who is asking: the signed-in user behind a request, their Partner Center token and call
//! context, and the customer they opened (checked with Partner Center, then remembered for a
//! moment). Every page's server function and every form handler starts here.

use axum::http::request::Parts;
use chrono::Utc;
use leptos::prelude::*;
use uuid::Uuid;

use super::auth::{SessionUser, SignedIn, TokenFailure};
use super::store::RecentCustomer;
use super::AppState;
use crate::model::{AppError, CustomerRow};
use crate::partner_center::{
    CallContext, Customer, CustomerId, ErrorKind, PartnerCenterError, NO_RELATIONSHIP_CODE,
};

impl From<PartnerCenterError> for AppError {
    fn from(error: PartnerCenterError) -> Self {
        tracing::warn!(%error, "Partner Center call failed");
        match error.kind {
            ErrorKind::MfaRequired => AppError::MfaRequired,
            ErrorKind::Forbidden if error.code.as_deref() == Some(NO_RELATIONSHIP_CODE) => {
                AppError::NoRelationship {
                    customer: "this customer".into(),
                    request_id: error.request_id.to_string(),
                }
            }
            ErrorKind::Forbidden => AppError::Forbidden {
                code: error.code,
                request_id: error.request_id.to_string(),
            },
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

impl From<sqlx::Error> for AppError {
    /// Logged with its cause; the page says only that the database failed.
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        AppError::Internal("database error".into())
    }
}

/// The request's app state, signed-in user and Partner Center call context.
pub(crate) struct Caller {
    pub state: AppState,
    pub user: SessionUser,
    pub ctx: CallContext,
}

impl Caller {
    /// The user's Partner Center token, refreshed first if it is about to expire.
    pub async fn new(state: AppState, signed_in: SignedIn) -> Result<Caller, AppError> {
        let token = signed_in
            .access_token(&state)
            .await
            .map_err(|failure| match failure {
                TokenFailure::SignedOut => AppError::SignedOut,
                TokenFailure::Unavailable => AppError::Unavailable,
            })?;
        Ok(Caller {
            state,
            user: signed_in.user,
            // One correlation id per user request, sent with every call it makes.
            ctx: CallContext::new(token, Uuid::new_v4()),
        })
    }
}

/// For server functions and the pages they serve: the state and the request's parts.
pub(crate) fn request_context() -> Result<(AppState, Parts), AppError> {
    let state =
        use_context::<AppState>().ok_or_else(|| AppError::Internal("no app state".into()))?;
    let parts = use_context::<Parts>().ok_or_else(|| AppError::Internal("no request".into()))?;
    Ok((state, parts))
}

pub(crate) async fn caller() -> Result<Caller, AppError> {
    let (state, parts) = request_context()?;
    let signed_in = SignedIn::of(&parts.extensions).ok_or(AppError::SignedOut)?;
    Caller::new(state, signed_in).await
}

pub(crate) fn customer_row(customer: &Customer) -> CustomerRow {
    CustomerRow {
        id: customer.id.to_string(),
        name: customer.display_name(),
        domain: customer.company_profile.domain.clone(),
    }
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
    // At most once a minute a sign-in and customer (the check above is kept that long).
    super::device_index::crawl::opened(&caller.state, &caller.user, &row).await;
    Ok(row)
}
