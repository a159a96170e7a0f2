//! Who may change Autopilot profiles: Admin agents only (Sales agents are refused 403, as
//! Partner Center refuses them).

use axum::http::StatusCode;

use super::super::identity::users::PartnerRole;
use super::super::identity::Principal;
use super::super::wire::{codes, Fault};

/// A request of an Admin agent: what a handler takes when only Admin agents may do what it
/// does (create, change, delete or assign Autopilot profiles); anyone else is refused 403.
pub(super) struct AdminAgent;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AdminAgent {
    type Rejection = Fault;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Fault> {
        let principal = parts.extensions.get::<Principal>().ok_or_else(|| {
            Fault::new(
                StatusCode::UNAUTHORIZED,
                codes::ACCESS_DENIED,
                "No token was presented.",
            )
        })?;
        require_admin(principal).map(|()| AdminAgent)
    }
}

/// Only Admin agents may create, change or assign Autopilot profiles.
pub(super) fn require_admin(principal: &Principal) -> Result<(), Fault> {
    if principal.user.role == Some(PartnerRole::AdminAgent) {
        Ok(())
    } else {
        Err(Fault::new(
            StatusCode::FORBIDDEN,
            codes::ACCESS_DENIED,
            "Access denied: only Admin agents can manage Autopilot profiles.",
        ))
    }
}
