//! Signing in and out: the redirect to the identity provider (what the callback needs sealed in
//! a cookie, [`pending_sign_in`]), the callback that starts the session, sign-out. These
//! change the session, so they are plain handlers, never Leptos pages (writes made while a
//! page streams are lost).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::audit::{self, Actor, Event};
use super::auth::{end_sign_in, SessionUser, USER};
use super::oidc::{OidcError, PendingSignIn};
use super::pending_sign_in;
use super::refusal::{self, Refusal};
use super::store::SignInRow;
use super::{unix_now, AppState};
use crate::model::audit::AuditAction;

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

/// `GET /auth/login`: off to the authorize endpoint with PKCE, `state` and `nonce`. What the
/// callback needs goes in a sealed cookie ([`pending_sign_in`]): a browser that has not
/// signed in causes no database write, however often it comes.
pub async fn login(State(state): State<AppState>, Query(query): Query<LoginQuery>) -> Response {
    let return_to = safe_return_to(query.return_to.as_deref().unwrap_or("/"));
    match state.oidc.begin(return_to).await {
        Ok((url, pending)) => {
            let cookie = pending_sign_in::set_cookie(
                state.pending_sign_in_cookie(),
                &state.cipher,
                &pending,
                unix_now(),
            );
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => {
            tracing::warn!(%error, "sign-in could not start");
            problem(
                &state,
                StatusCode::BAD_GATEWAY,
                "Microsoft sign-in is not reachable",
                "The sign-in service did not answer. Try again in a moment.",
            )
        }
    }
}

/// The error codes an identity provider may send back to the callback (RFC 6749 §4.1.2.1,
/// OpenID Connect Core §3.1.2.6). The audit trail records only one of these, never text the
/// caller chose: anyone can send a browser to the callback with an error of their making.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderError {
    AccessDenied,
    InvalidRequest,
    UnauthorizedClient,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    InteractionRequired,
    LoginRequired,
    AccountSelectionRequired,
    ConsentRequired,
    /// Anything else.
    Other,
}

impl ProviderError {
    const ALL: [ProviderError; 11] = [
        ProviderError::AccessDenied,
        ProviderError::InvalidRequest,
        ProviderError::UnauthorizedClient,
        ProviderError::UnsupportedResponseType,
        ProviderError::InvalidScope,
        ProviderError::ServerError,
        ProviderError::TemporarilyUnavailable,
        ProviderError::InteractionRequired,
        ProviderError::LoginRequired,
        ProviderError::AccountSelectionRequired,
        ProviderError::ConsentRequired,
    ];

    pub fn from_code(code: &str) -> ProviderError {
        ProviderError::ALL
            .into_iter()
            .find(|known| known.code() == code)
            .unwrap_or(ProviderError::Other)
    }

    pub fn code(self) -> &'static str {
        match self {
            ProviderError::AccessDenied => "access_denied",
            ProviderError::InvalidRequest => "invalid_request",
            ProviderError::UnauthorizedClient => "unauthorized_client",
            ProviderError::UnsupportedResponseType => "unsupported_response_type",
            ProviderError::InvalidScope => "invalid_scope",
            ProviderError::ServerError => "server_error",
            ProviderError::TemporarilyUnavailable => "temporarily_unavailable",
            ProviderError::InteractionRequired => "interaction_required",
            ProviderError::LoginRequired => "login_required",
            ProviderError::AccountSelectionRequired => "account_selection_required",
            ProviderError::ConsentRequired => "consent_required",
            ProviderError::Other => "other",
        }
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: checks `state`, redeems the code, validates the id_token, and starts
/// a fresh session (new id: no fixation). The started sign-in's cookie is removed whatever
/// the outcome: a sign-in is tried once.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let name = state.pending_sign_in_cookie();
    let pending = pending_sign_in::from_request(&headers, name, &state.cipher, unix_now());
    let mut response = finish_sign_in(&state, &session, pending, query).await;
    response
        .headers_mut()
        .append(header::SET_COOKIE, pending_sign_in::clear_cookie(name));
    response
}

async fn finish_sign_in(
    state: &AppState,
    session: &Session,
    pending: Option<PendingSignIn>,
    query: CallbackQuery,
) -> Response {
    if let Some(error) = &query.error {
        let description = query.error_description.as_deref().unwrap_or("");
        // `{:?}` escapes CR/LF, so a crafted description cannot forge log lines.
        tracing::info!(error = ?error, description = ?description, "sign-in refused by the identity provider");
        let code = ProviderError::from_code(error);
        // The browser that came back is shown what it was sent (escaped); the audit trail,
        // which every signed-in user reads, only the code from the fixed list.
        let message = if code == ProviderError::AccessDenied {
            "The sign-in was cancelled or refused.".to_string()
        } else {
            format!("Microsoft refused the sign-in ({error}): {description}")
        };
        // Only attempts this browser started are recorded: an address anyone can call must
        // not be a way to write into the audit trail.
        if pending.is_some() {
            sign_in_failed(
                state,
                &format!(
                    "The identity provider refused the sign-in (error code {}).",
                    code.code()
                ),
            )
            .await;
        }
        return problem(
            state,
            StatusCode::BAD_REQUEST,
            "The sign-in did not go through",
            &message,
        );
    }
    let (Some(pending), Some(code), Some(returned_state)) = (pending, query.code, query.state)
    else {
        tracing::info!("a sign-in callback without a sign-in started in this browser");
        return problem(
            state,
            StatusCode::BAD_REQUEST,
            "This sign-in link is no longer valid",
            "It was already used, or it was started in another browser. Start again.",
        );
    };
    if !constant_time_eq(pending.state.as_bytes(), returned_state.as_bytes()) {
        sign_in_failed(
            state,
            "The sign-in's state did not match the one this browser started.",
        )
        .await;
        return problem(
            state,
            StatusCode::BAD_REQUEST,
            "This sign-in link is no longer valid",
            "It does not belong to the sign-in this browser started. Start again.",
        );
    }
    let (claims, tokens) = match state.oidc.finish(&pending, &code).await {
        Ok(done) => done,
        Err(OidcError::TenantNotAllowed(tenant)) => {
            tracing::warn!(%tenant, "sign-in from a tenant that is not allowed");
            sign_in_failed(
                state,
                &format!(
                    "An account of tenant {tenant}, which is not allowed to sign in, was refused."
                ),
            )
            .await;
            return problem(
                state,
                StatusCode::FORBIDDEN,
                "Your organisation cannot sign in here",
                &format!(
                    "Your account belongs to the tenant {tenant}, which this dashboard does not \
                     let in. Sign in with your work account at the partner, or ask the \
                     dashboard's administrator to add that tenant id to ZTD_ENTRA_ALLOWED_TENANTS."
                ),
            );
        }
        Err(error) => {
            tracing::warn!(%error, "sign-in failed");
            sign_in_failed(
                state,
                &format!("The identity provider's answer was refused: {error}."),
            )
            .await;
            return problem(state,
                StatusCode::BAD_REQUEST,
                "The sign-in could not be completed",
                "Microsoft did not confirm the sign-in. Start again; if it keeps failing, ask your administrator.",
            );
        }
    };
    // Signing in again inside a signed-in session: the earlier sign-in's tokens go now, not
    // when its absolute lifetime ends (the session is about to forget it).
    if let Some(earlier) = session.get::<SessionUser>(USER).await.ok().flatten() {
        if let Err(error) = state.store.delete_sign_in(&earlier.sign_in_id).await {
            tracing::warn!(%error, "could not delete the earlier sign-in");
        }
    }
    let sign_in_id = uuid::Uuid::new_v4().to_string();
    let at = unix_now();
    let row = SignInRow {
        id: sign_in_id.clone(),
        tenant_id: claims.tid.clone(),
        object_id: claims.oid.clone(),
        upn: claims.preferred_username.clone(),
        display_name: claims.name.clone(),
        access_token: state.cipher.seal(&tokens.access_token, &sign_in_id),
        refresh_token: tokens
            .refresh_token
            .as_deref()
            .map(|t| state.cipher.seal(t, &sign_in_id)),
        access_expires_at: at + tokens.expires_in.as_secs() as i64,
        created_at: at,
    };
    if let Err(error) = state.store.insert_sign_in(&row).await {
        tracing::error!(%error, "could not store a sign-in");
        return problem(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "The sign-in could not be saved",
            "The database is not available. Try again in a moment.",
        );
    }
    let user = SessionUser {
        sign_in_id,
        tenant_id: claims.tid,
        object_id: claims.oid,
        name: claims.name,
        upn: claims.preferred_username,
        signed_in_at: at,
    };
    if session.cycle_id().await.is_err() || session.insert(USER, &user).await.is_err() {
        return problem(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "The sign-in could not be saved",
            "The session store is not available. Try again in a moment.",
        );
    }
    let correlation_id = uuid::Uuid::new_v4();
    tracing::info!(tid = %user.tenant_id, oid = %user.object_id, correlation = %correlation_id, "signed in");
    audit::record(
        state,
        Event {
            action: AuditAction::SignIn,
            ok: true,
            actor: Actor::from(&user),
            customer_id: None,
            operation_id: None,
            detail: format!("{} signed in.", user.name),
            correlation_id,
        },
    )
    .await;
    Redirect::to(&pending.return_to).into_response()
}

/// Records a failed sign-in; who it was is not known (or not proven) at that point.
async fn sign_in_failed(state: &AppState, reason: &str) {
    let correlation_id = uuid::Uuid::new_v4();
    tracing::info!(correlation = %correlation_id, "sign-in failure recorded in the audit trail");
    audit::record(
        state,
        Event {
            action: AuditAction::SignInFailed,
            ok: false,
            actor: Actor::default(),
            customer_id: None,
            operation_id: None,
            detail: reason.to_string(),
            correlation_id,
        },
    )
    .await;
}

/// `POST /auth/logout`: ends the sign-in (tokens deleted) and the session.
pub async fn logout(State(state): State<AppState>, session: Session) -> Response {
    if let Some(user) = session.get::<SessionUser>(USER).await.ok().flatten() {
        end_sign_in(&state, &session, &user).await;
    } else {
        let _ = session.flush().await;
    }
    Redirect::to("/signed-out").into_response()
}

/// The longest "return to" address kept; a longer one becomes `/` (it travels in the sign-in
/// cookie, and no page of the dashboard needs more).
pub const MAX_RETURN_TO: usize = 2048;

/// Only paths inside this app, of at most [`MAX_RETURN_TO`] bytes: anything else (other
/// hosts, `//host`, `/\host`, schemes, encoded tricks, control characters) becomes `/`.
pub fn safe_return_to(raw: &str) -> String {
    if raw.len() > MAX_RETURN_TO {
        return "/".to_string();
    }
    let decoded: String = url::form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let inside = |s: &str| {
        s.starts_with('/')
            && !s.starts_with("//")
            && !s.starts_with("/\\")
            && !s.chars().any(|c| c.is_control() || c == '\\')
    };
    if inside(raw) && inside(&decoded) {
        raw.to_string()
    } else {
        "/".to_string()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A sign-in that did not work: a redirect to the page that says so and offers to sign in
/// again ([`SIGN_IN_PROBLEM`]), carrying what went wrong as any refused form does (these
/// routes are plain handlers because they change the session).
fn problem(state: &AppState, status: StatusCode, heading: &str, message: &str) -> Response {
    let refusal = Refusal::new(status, message);
    refusal::back_with(&state.cipher, SIGN_IN_PROBLEM, heading, &refusal)
}

/// The page a sign-in that did not work leads to (`pages::signed_out`).
pub const SIGN_IN_PROBLEM: &str = "/sign-in/problem";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_only_ever_points_inside_the_app() {
        for good in [
            "/customers",
            "/customers?q=con",
            "/customers/abc/batches/Q3%20laptops",
        ] {
            assert_eq!(safe_return_to(good), good);
        }
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "%2F%2Fevil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/ok\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(safe_return_to(evil), "/", "{evil:?}");
        }
        let longest = format!("/customers?q={}", "x".repeat(MAX_RETURN_TO - 13));
        assert_eq!(safe_return_to(&longest), longest);
        assert_eq!(safe_return_to(&format!("{longest}x")), "/");
    }

    #[test]
    fn provider_errors_are_recorded_by_code_from_a_fixed_list() {
        for known in ProviderError::ALL {
            assert_eq!(ProviderError::from_code(known.code()), known);
        }
        for strange in ["<script>", "temporarily_unavailable ", "ACCESS_DENIED", ""] {
            assert_eq!(ProviderError::from_code(strange), ProviderError::Other);
        }
    }
}
