//! Entra ID (Microsoft identity platform v2.0) as the dashboard sees it: OIDC discovery, the
//! authorization endpoint with a small sign-in page, the token endpoint (authorization code
//! with PKCE, refresh with rotation), and the JWKS.

pub mod keys;
mod signin_page;
mod token;
pub mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::config::{RegisteredClient, PARTNER_DOMAIN};
use super::faults::lock;
use super::SandboxState;
use users::DemoUser;

/// The audience of Partner Center access tokens.
pub const PARTNER_CENTER_RESOURCE: &str = "https://api.partnercenter.microsoft.com";
/// The audience of tokens for anything else (Microsoft Graph), which Partner Center refuses.
const GRAPH_RESOURCE: &str = "00000003-0000-0000-c000-000000000000";

pub(crate) struct IdentityState {
    pub keys: keys::SigningKey,
    codes: Mutex<HashMap<String, PendingCode>>,
    refresh_tokens: Mutex<HashMap<String, RefreshGrant>>,
    /// The last access and refresh tokens handed out (at most [`ISSUED_KEPT`]), for tests that
    /// prove none of them leaks from the dashboard (`GET /_sandbox/tokens`).
    issued: Mutex<std::collections::VecDeque<String>>,
    /// Requests the token endpoint received, answered or not.
    token_requests: std::sync::atomic::AtomicUsize,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    scopes: Vec<String>,
    user: &'static DemoUser,
    issued: Instant,
}

struct RefreshGrant {
    client_id: String,
    scopes: Vec<String>,
    user: &'static DemoUser,
}

impl IdentityState {
    pub fn new() -> Self {
        IdentityState {
            keys: keys::SigningKey::generate(),
            codes: Mutex::new(HashMap::new()),
            refresh_tokens: Mutex::new(HashMap::new()),
            issued: Mutex::default(),
            token_requests: Default::default(),
        }
    }

    /// Every access and refresh token issued so far (oldest first), and how many requests
    /// the token endpoint received.
    pub fn tokens(&self) -> (Vec<String>, usize) {
        let requests = self
            .token_requests
            .load(std::sync::atomic::Ordering::SeqCst);
        (lock(&self.issued).iter().cloned().collect(), requests)
    }

    /// Makes every refresh token issued so far unusable (`invalid_grant`), as an admin
    /// revoking sessions would. Returns how many were revoked.
    pub fn revoke_refresh_tokens(&self) -> usize {
        let mut tokens = lock(&self.refresh_tokens);
        let count = tokens.len();
        tokens.clear();
        count
    }
}

/// How many issued tokens the sandbox keeps for `GET /_sandbox/tokens`.
const ISSUED_KEPT: usize = 10_000;

fn remember_issued(state: &SandboxState, token: &str) {
    let mut issued = lock(&state.identity.issued);
    if issued.len() == ISSUED_KEPT {
        issued.pop_front();
    }
    issued.push_back(token.to_string());
}

/// Claims of the access tokens the sandbox issues (and Partner Center checks).
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub tid: Uuid,
    pub oid: Uuid,
    pub name: String,
    pub preferred_username: String,
    pub amr: Vec<String>,
    #[serde(default)]
    pub scp: String,
    #[serde(default)]
    pub azp: String,
    #[serde(default)]
    pub ver: String,
}

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    exp: i64,
    nbf: i64,
    iat: i64,
    tid: Uuid,
    oid: Uuid,
    sub: String,
    name: &'a str,
    preferred_username: &'a str,
    amr: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    ver: &'static str,
}

pub(crate) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/logout", get(logout))
        .route("/{tenant}/discovery/v2.0/keys", get(jwks))
}

/// The issuer of every token: `{base}/{tenant id}/v2.0`.
pub(crate) fn issuer(state: &SandboxState) -> String {
    format!("{}/{}/v2.0", state.base_url, state.config.partner_tenant_id)
}

/// Accepts the partner tenant's id or domain, `organizations` and `common`, like Entra ID.
fn known_tenant(state: &SandboxState, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&state.config.partner_tenant_id.to_string())
        || tenant.eq_ignore_ascii_case(PARTNER_DOMAIN)
        || tenant.eq_ignore_ascii_case("organizations")
        || tenant.eq_ignore_ascii_case("common")
}

fn unknown_tenant(tenant: &str) -> OAuthError {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        &format!("AADSTS90002: Tenant '{tenant}' not found."),
    )
}

async fn discovery(State(state): State<Arc<SandboxState>>, Path(tenant): Path<String>) -> Response {
    if !known_tenant(&state, &tenant) {
        return unknown_tenant(&tenant).into_response();
    }
    let base = &state.base_url;
    // Like Entra ID: the multi-tenant aliases advertise a templated issuer.
    let issuer =
        if tenant.eq_ignore_ascii_case("organizations") || tenant.eq_ignore_ascii_case("common") {
            format!("{base}/{{tenantid}}/v2.0")
        } else {
            issuer(&state)
        };
    Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "nonce", "oid",
            "preferred_username", "tid", "amr", "ver"],
        "tenant_region_scope": "EU",
    }))
    .into_response()
}

async fn jwks(State(state): State<Arc<SandboxState>>, Path(tenant): Path<String>) -> Response {
    if !known_tenant(&state, &tenant) {
        return unknown_tenant(&tenant).into_response();
    }
    Json(state.identity.keys.jwks()).into_response()
}

async fn logout(Query(params): Query<HashMap<String, String>>) -> Response {
    signin_page::signed_out(params.get("post_logout_redirect_uri").map(String::as_str))
}

/// `GET /{tenant}/oauth2/v2.0/authorize`.
async fn authorize(
    State(state): State<Arc<SandboxState>>,
    Path(tenant): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !known_tenant(&state, &tenant) {
        return signin_page::error_page(&format!("AADSTS90002: Tenant '{tenant}' not found."));
    }
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    // Until client and redirect URI are known to be genuine, errors are shown, never redirected.
    let Some(client) = find_client(&state, param("client_id")) else {
        return signin_page::error_page(&format!(
            "AADSTS700016: Application with identifier '{}' was not found in the directory.",
            param("client_id")
        ));
    };
    let redirect_uri = param("redirect_uri");
    if !client
        .redirect_uris
        .iter()
        .any(|allowed| allowed == redirect_uri)
    {
        return signin_page::error_page(&format!(
            "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not \
             match the redirect URIs configured for the application '{}'.",
            client.client_id
        ));
    }
    let state_param = params.get("state").map(String::as_str);
    let refuse = |error: &str, description: &str| {
        redirect_with(
            redirect_uri,
            &[("error", error), ("error_description", description)],
            state_param,
        )
    };
    if param("response_type") != "code" {
        return refuse(
            "unsupported_response_type",
            "AADSTS700054: The sandbox supports only response_type 'code'.",
        );
    }
    if !matches!(param("response_mode"), "" | "query") {
        return refuse(
            "invalid_request",
            "The sandbox supports only response_mode 'query'.",
        );
    }
    if param("scope").trim().is_empty() {
        return refuse(
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'scope'.",
        );
    }
    let challenge = param("code_challenge");
    if challenge.is_empty() {
        return refuse(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required for this client.",
        );
    }
    if param("code_challenge_method") != "S256" {
        return refuse(
            "invalid_request",
            "AADSTS501491: The code_challenge_method must be 'S256'.",
        );
    }
    if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
        return refuse(
            "invalid_request",
            "AADSTS501491: The code_challenge is not a base64url SHA-256 value.",
        );
    }
    if param("sandbox_action") == "cancel" {
        return refuse(
            "access_denied",
            "AADSTS65004: User declined to consent to access the app.",
        );
    }
    let hint = param("login_hint");
    let Some(user) = users::by_upn(hint) else {
        let note = (!hint.is_empty()).then(|| format!("There is no user '{hint}' in this tenant."));
        return signin_page::choose_user(&params, note.as_deref());
    };
    let code = random_token();
    lock(&state.identity.codes).insert(
        code.clone(),
        PendingCode {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.to_string(),
            code_challenge: challenge.to_string(),
            nonce: params.get("nonce").cloned(),
            scopes: param("scope")
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            user,
            issued: Instant::now(),
        },
    );
    redirect_with(redirect_uri, &[("code", &code)], state_param)
}

fn find_client<'a>(state: &'a SandboxState, client_id: &str) -> Option<&'a RegisteredClient> {
    state
        .config
        .clients
        .iter()
        .find(|client| client.client_id.eq_ignore_ascii_case(client_id))
}

fn redirect_with(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in params {
        query.append_pair(key, value);
    }
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{separator}{}", query.finish())).into_response()
}

/// An OAuth error in Entra ID's shape:
/// `{error, error_description, error_codes, timestamp, trace_id, correlation_id}`.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, description: &str) -> OAuthError {
    OAuthError {
        status,
        error,
        description: description.to_string(),
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let code = self
            .description
            .strip_prefix("AADSTS")
            .and_then(|rest| rest.split(':').next())
            .and_then(|digits| digits.parse::<u64>().ok());
        let body = serde_json::json!({
            "error": self.error,
            "error_description": self.description,
            "error_codes": code.map(|c| vec![c]).unwrap_or_default(),
            "timestamp": chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
            "trace_id": Uuid::new_v4(),
            "correlation_id": Uuid::new_v4(),
        });
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(body),
        )
            .into_response()
    }
}

/// 256 bits from the OS, base64url: codes and refresh tokens.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Who is calling Partner Center, after the bearer token was verified.
#[derive(Clone, Debug)]
pub struct Principal {
    pub tenant_id: Uuid,
    pub user: &'static DemoUser,
    pub mfa: bool,
}

/// Why a bearer token was refused.
pub enum TokenRefusal {
    /// Missing, malformed, badly signed, expired, or for another audience.
    Invalid(String),
    /// Valid, but the sign-in did not use MFA.
    NoMfa,
}

/// Verifies a Partner Center bearer token: signature, issuer, audience, expiry, and `mfa`.
pub(crate) fn verify_access_token(
    state: &SandboxState,
    authorization: Option<&str>,
) -> Result<Principal, TokenRefusal> {
    let token = authorization
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| TokenRefusal::Invalid("The partner token is missing.".into()))?;
    let claims: AccessClaims = state
        .identity
        .keys
        .verify(token.trim(), &issuer(state), PARTNER_CENTER_RESOURCE)
        .map_err(|error| {
            TokenRefusal::Invalid(format!("The partner token is not valid: {error}."))
        })?;
    let user = users::by_oid(claims.oid)
        .ok_or_else(|| TokenRefusal::Invalid("The token names an unknown user.".into()))?;
    let mfa = claims.amr.iter().any(|method| method == "mfa");
    if !mfa {
        return Err(TokenRefusal::NoMfa);
    }
    Ok(Principal {
        tenant_id: claims.tid,
        user,
        mfa,
    })
}
