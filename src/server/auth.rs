//! Who is signed in: the gate in front of every private page, the session's timeouts, and the
//! user's delegated Partner Center token (refreshed before it expires, one refresh at a time
//! per sign-in). Signing in and out is [`super::sign_in`]. Tokens are never in the session:
//! they sit encrypted in `sign_ins`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::oidc::OidcError;
use super::store::{SignInRow, UserKey};
use super::{unix_now, AppState};
use crate::partner_center::AccessToken;

/// The session key of the signed-in [`SessionUser`].
pub(super) const USER: &str = "user";
/// When the session was last used (unix seconds), for the idle timeout.
const SEEN_AT: &str = "seen_at";
/// Access tokens this close to expiry are refreshed first.
const REFRESH_MARGIN_SECS: i64 = 300;

/// Who is signed in, as kept in the session record (no tokens here).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub sign_in_id: String,
    pub tenant_id: String,
    pub object_id: String,
    pub name: String,
    pub upn: String,
    pub signed_in_at: i64,
}

impl SessionUser {
    pub fn key(&self) -> UserKey {
        UserKey {
            tenant_id: self.tenant_id.clone(),
            object_id: self.object_id.clone(),
        }
    }
}

/// The signed-in user of a private request, as the gate ([`require_sign_in`]) found it. The
/// gate puts it in the request's extensions, so that pages, server functions and handlers
/// read it there instead of checking the session and the sign-in again.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: SessionUser,
    /// The stored sign-in as the gate read it in this request, so that a token that is still
    /// fresh costs no second read. Only ever kept for one request: a sign-in ended elsewhere
    /// must stop the next one.
    row: Option<Arc<SignInRow>>,
}

impl SignedIn {
    /// The gate's finding, if this request passed it signed in.
    pub fn of(extensions: &axum::http::Extensions) -> Option<SignedIn> {
        extensions.get::<SignedIn>().cloned()
    }

    /// The user's Partner Center token: the one the gate read when it is still fresh, else
    /// as [`access_token`] finds it.
    pub async fn access_token(&self, state: &AppState) -> Result<AccessToken, TokenFailure> {
        token(state, &self.user.sign_in_id, self.row.as_deref()).await
    }
}

/// For handlers behind the gate; a request that did not pass it signed in is answered 401.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Response> {
        SignedIn::of(&parts.extensions)
            .ok_or_else(|| (StatusCode::UNAUTHORIZED, "Sign in first.").into_response())
    }
}

/// Why no token can be had for a request.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenFailure {
    /// Not signed in, or the sign-in ended (refresh refused, signed out elsewhere).
    SignedOut,
    /// The sign-in service could not be reached to refresh the token.
    Unavailable,
}

/// One lock per sign-in, so concurrent requests near expiry cause one refresh in this
/// process. Replicas may each refresh once; the one whose refresh token was already used
/// takes the token the other stored ([`access_token`]).
///
/// A lock lives only while someone holds or awaits it: each time one is handed out, the locks
/// nobody holds any more are dropped, so the map stays as small as the refreshes under way
/// (it once kept an entry for every sign-in the process had ever refreshed).
#[derive(Clone, Default)]
pub struct RefreshLocks(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl RefreshLocks {
    fn for_sign_in(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map holds it: no refresh of that sign-in is under way or waiting.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id.to_string()).or_default().clone()
    }

    /// How many locks are kept (for the test that they do not pile up).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The signed-in user of this session, if the session has been used within the idle timeout
/// and the sign-in is within its absolute lifetime (security checklist 12). Either limit
/// ends the sign-in: its tokens are deleted, not just forgotten by the browser. A sign-in
/// ended elsewhere (a refused refresh, sign-out on another replica) leaves the session
/// anonymous from the next request on (checklist 14).
///
/// The last visit is noted at most once per tenth of the idle timeout, not on every request,
/// so that browsing costs no session write (an idle session can therefore end up to a tenth
/// early). The session store itself keeps sessions for the absolute lifetime, so that this
/// check, not the store's expiry, is what ends an idle one.
pub async fn current_user(state: &AppState, session: &Session) -> Option<SignedIn> {
    let user: SessionUser = session.get(USER).await.ok().flatten()?;
    let now = unix_now();
    let seen_at: i64 = session
        .get(SEEN_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(user.signed_in_at);
    let idle_limit = state.config.session_idle_timeout.as_secs() as i64;
    let too_old = now - user.signed_in_at > state.config.session_absolute_timeout.as_secs() as i64;
    if too_old || now - seen_at > idle_limit {
        let limit = if too_old { "absolute" } else { "idle" };
        tracing::info!(sign_in = %user.sign_in_id, limit, "session timed out");
        end_sign_in(state, session, &user).await;
        return None;
    }
    let row = match state.store.sign_in(&user.sign_in_id).await {
        Ok(Some(row)) => Some(Arc::new(row)),
        Ok(None) => {
            let _ = session.flush().await;
            return None;
        }
        // The database is down: let the request through to say so in its own words.
        Err(error) => {
            tracing::warn!(%error, "could not check a sign-in");
            None
        }
    };
    if (now - seen_at) * 10 >= idle_limit && session.insert(SEEN_AT, now).await.is_err() {
        tracing::warn!("could not note a visit in the session");
    }
    Some(SignedIn { user, row })
}

/// Runs for the life of the process: deletes sign-ins (and their tokens) past the absolute
/// lifetime, including those whose session simply stopped being used.
pub async fn expire_sign_ins(state: AppState) {
    let lifetime = state.config.session_absolute_timeout;
    let mut every = tokio::time::interval(lifetime.clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(600),
    ));
    loop {
        every.tick().await;
        let before = unix_now() - lifetime.as_secs() as i64;
        match state.store.delete_sign_ins_created_before(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "sign-ins past their absolute lifetime deleted"),
            Err(error) => tracing::warn!(%error, "could not delete expired sign-ins"),
        }
    }
}

pub(super) async fn end_sign_in(state: &AppState, session: &Session, user: &SessionUser) {
    if let Err(error) = state.store.delete_sign_in(&user.sign_in_id).await {
        tracing::warn!(%error, "could not delete a sign-in");
    }
    let _ = session.flush().await;
}

/// The user of a stored sign-in, for work that outlives a request (resuming an upload after a
/// restart); `None` when the sign-in has ended or is past its absolute lifetime.
pub async fn user_of_sign_in(state: &AppState, sign_in_id: &str) -> Option<SessionUser> {
    let row = state.store.sign_in(sign_in_id).await.ok().flatten()?;
    let age = unix_now() - row.created_at;
    if age > state.config.session_absolute_timeout.as_secs() as i64 {
        return None;
    }
    Some(SessionUser {
        sign_in_id: row.id,
        tenant_id: row.tenant_id,
        object_id: row.object_id,
        name: row.display_name,
        upn: row.upn,
        signed_in_at: row.created_at,
    })
}

/// The user's Partner Center access token, refreshed first when it is about to expire. For
/// work outside a request (submitting, following a job), which reads the sign-in each time.
pub async fn access_token(
    state: &AppState,
    user: &SessionUser,
) -> Result<AccessToken, TokenFailure> {
    token(state, &user.sign_in_id, None).await
}

/// The token of sign-in `id`, from `read` (the row as this request already read it) when it
/// is fresh, else from the database, refreshing it if it is about to expire.
async fn token(
    state: &AppState,
    id: &str,
    read: Option<&SignInRow>,
) -> Result<AccessToken, TokenFailure> {
    let fresh = |row: &SignInRow| {
        (row.access_expires_at - REFRESH_MARGIN_SECS > unix_now())
            .then(|| state.cipher.open(&row.access_token, id))
            .flatten()
    };
    if let Some(token) = read.and_then(fresh) {
        return Ok(AccessToken::new(token));
    }
    let row = load(state, id).await?;
    if let Some(token) = fresh(&row) {
        return Ok(AccessToken::new(token));
    }
    let lock = state.refresh_locks.for_sign_in(id);
    let _guard = lock.lock().await;
    // Another request may have refreshed while this one waited.
    let row = load(state, id).await?;
    if let Some(token) = fresh(&row) {
        return Ok(AccessToken::new(token));
    }
    let refresh_token = row
        .refresh_token
        .as_deref()
        .and_then(|sealed| state.cipher.open(sealed, id))
        .ok_or(TokenFailure::SignedOut)?;
    match state.oidc.refresh(&refresh_token).await {
        Ok(tokens) => {
            let sealed_refresh = tokens
                .refresh_token
                .as_deref()
                .map(|t| state.cipher.seal(t, id))
                .or(row.refresh_token.clone());
            let expires_at = unix_now() + tokens.expires_in.as_secs() as i64;
            state
                .store
                .rotate_tokens(
                    id,
                    row.refresh_token.as_deref(),
                    &state.cipher.seal(&tokens.access_token, id),
                    sealed_refresh.as_deref(),
                    expires_at,
                    unix_now(),
                )
                .await
                .map_err(|_| TokenFailure::Unavailable)?;
            Ok(AccessToken::new(tokens.access_token))
        }
        Err(OidcError::Expired) => {
            if let Some(token) = rotated_elsewhere(state, id, &row).await? {
                return Ok(token);
            }
            match state
                .store
                .delete_refused_sign_in(id, row.refresh_token.as_deref())
                .await
            {
                Ok(true) => {
                    tracing::info!(
                        sign_in = id,
                        "refresh token refused: the user must sign in again"
                    );
                    Err(TokenFailure::SignedOut)
                }
                // Rotated at the last moment: the other replica's token is good.
                Ok(false) => rotated_elsewhere(state, id, &row)
                    .await?
                    .ok_or(TokenFailure::SignedOut),
                Err(_) => Err(TokenFailure::Unavailable),
            }
        }
        Err(error) => {
            tracing::warn!(%error, "token refresh failed");
            Err(TokenFailure::Unavailable)
        }
    }
}

/// How long a refused refresh waits for another replica's token (see [`rotated_elsewhere`]).
const ROTATED_ELSEWHERE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The token another replica stored after refreshing with the same refresh token as `used`,
/// when Entra ID has just refused that token to this one (refresh tokens are single use).
///
/// The other replica stores its token only once its own answer arrives, which can be just
/// after this refusal: the row is read again every 50 ms for up to
/// [`ROTATED_ELSEWHERE_WAIT`]. Its access token is taken however little life it has left: it
/// was issued a moment ago. `Ok(None)` when nothing changed by then (the token was revoked);
/// a sign-in that is gone, or a database that does not answer, is said as such.
async fn rotated_elsewhere(
    state: &AppState,
    id: &str,
    used: &SignInRow,
) -> Result<Option<AccessToken>, TokenFailure> {
    let deadline = tokio::time::Instant::now() + ROTATED_ELSEWHERE_WAIT;
    loop {
        let current = load(state, id).await?;
        if current.refresh_token != used.refresh_token {
            return state
                .cipher
                .open(&current.access_token, id)
                .map(|token| Some(AccessToken::new(token)))
                .ok_or(TokenFailure::Unavailable);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn load(state: &AppState, id: &str) -> Result<SignInRow, TokenFailure> {
    match state.store.sign_in(id).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(TokenFailure::SignedOut),
        Err(_) => Err(TokenFailure::Unavailable),
    }
}

/// Paths anyone may open: sign-in, health checks, static assets.
fn is_public(path: &str) -> bool {
    path.starts_with("/auth/")
        || path.starts_with("/pkg/")
        || matches!(
            path,
            "/" | "/healthz" | "/readyz" | "/signed-out" | "/sign-in/problem" | "/favicon.svg"
        )
}

/// The gate: pages send anonymous visitors to sign in (and back afterwards); server
/// functions and other requests answer 401. A signed-in request goes on with [`SignedIn`].
pub async fn require_sign_in(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if is_public(path) {
        return next.run(request).await;
    }
    if let Some(signed_in) = current_user(&state, &session).await {
        let requester = super::access_log::Requester {
            tenant_id: signed_in.user.tenant_id.clone(),
            object_id: signed_in.user.object_id.clone(),
        };
        request.extensions_mut().insert(signed_in);
        let mut response = next.run(request).await;
        response.extensions_mut().insert(requester);
        return response;
    }
    let is_page = request.method() == axum::http::Method::GET && !path.starts_with("/api/");
    if is_page {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", target)
            .finish();
        Redirect::to(&format!("/auth/login?{query}")).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "Sign in first.").into_response()
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_locks_are_kept_only_while_someone_holds_them() {
        let locks = RefreshLocks::default();
        for n in 0..1000 {
            drop(locks.for_sign_in(&n.to_string()));
        }
        assert!(locks.len() <= 1, "{} locks kept", locks.len());
        let held = locks.for_sign_in("busy");
        for n in 0..10 {
            drop(locks.for_sign_in(&n.to_string()));
        }
        assert!(
            Arc::ptr_eq(&held, &locks.for_sign_in("busy")),
            "one lock per sign-in"
        );
        assert_eq!(locks.len(), 1);
    }
}
