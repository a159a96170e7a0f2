//! Sign-in with Entra ID (or the sandbox, which speaks the same protocol): authorization code
//! with PKCE (S256), `state` and `nonce`; the id_token validated against the tenant's JWKS.

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, RwLock};

/// Scopes: Partner Center as the signed-in user, a refresh token, and an id_token.
pub const SCOPES: [&str; 4] = [
    "https://api.partnercenter.microsoft.com/user_impersonation",
    "offline_access",
    "openid",
    "profile",
];

/// The token response, keeping the `id_token` oauth2's basic response drops.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct IdTokenField {
    pub id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}

type TokenResponseWithId = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponseWithId,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What the provider's discovery document says.
#[derive(Clone, Debug, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// Kept in the session between `/auth/login` and `/auth/callback`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
}

/// The claims the dashboard uses from a validated id_token.
#[derive(Clone, Debug, Deserialize)]
pub struct IdClaims {
    pub tid: String,
    pub oid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub preferred_username: String,
    #[serde(default)]
    nonce: Option<String>,
}

/// Fresh tokens from the token endpoint.
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Duration,
    pub id_token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in service could not be reached: {0}")]
    Unreachable(String),
    #[error("the sign-in service refused: {0}")]
    Refused(String),
    /// The refresh token is no longer valid (`invalid_grant`): sign in again.
    #[error("the sign-in has expired")]
    Expired,
    #[error("the id_token is not acceptable: {0}")]
    InvalidIdToken(String),
    /// A valid sign-in, by a user of a tenant that may not sign in here.
    #[error("tenant {0} is not allowed to sign in")]
    TenantNotAllowed(String),
}

/// How long signing keys fetched from the JWKS are trusted before they are fetched again, so
/// that a key the provider withdrew stops being accepted within a day.
pub const JWKS_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The signing keys as last fetched, and when.
struct Keys {
    by_id: HashMap<String, DecodingKey>,
    fetched_at: Option<std::time::Instant>,
}

pub struct Oidc {
    discovery_url: String,
    /// Tenant ids the `tid` claim must be one of: the configured tenant when it is a GUID,
    /// else the allowed list (required for `organizations` and `common`).
    allowed_tenants: Vec<String>,
    client_id: String,
    client_secret: String,
    redirect_url: String,
    http: reqwest::Client,
    metadata: OnceCell<Metadata>,
    keys: RwLock<Keys>,
    jwks_lifetime: Duration,
}

impl Oidc {
    /// `authority` is `{host}/{tenant}`; discovery is `{authority}/v2.0/.well-known/…`.
    pub fn new(
        authority: &str,
        tenant: &str,
        client_id: &str,
        client_secret: &str,
        redirect_url: &str,
    ) -> Result<Oidc, String> {
        // No redirects, bounded time (security checklist 4).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Oidc {
            discovery_url: format!(
                "{}/v2.0/.well-known/openid-configuration",
                authority.trim_end_matches('/')
            ),
            allowed_tenants: uuid::Uuid::parse_str(tenant)
                .ok()
                .map(|id| vec![id.to_string()])
                .unwrap_or_default(),
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            redirect_url: redirect_url.to_string(),
            http,
            metadata: OnceCell::new(),
            keys: RwLock::new(Keys {
                by_id: HashMap::new(),
                fetched_at: None,
            }),
            jwks_lifetime: JWKS_LIFETIME,
        })
    }

    /// Only users of these tenants (ids) may sign in; replaces the configured tenant's id.
    pub fn allow_tenants(mut self, tenants: &[String]) -> Oidc {
        if !tenants.is_empty() {
            self.allowed_tenants = tenants.iter().map(|id| id.to_ascii_lowercase()).collect();
        }
        self
    }

    /// Trust fetched signing keys this long instead of [`JWKS_LIFETIME`] (tests).
    pub fn with_jwks_lifetime(mut self, lifetime: Duration) -> Oidc {
        self.jwks_lifetime = lifetime;
        self
    }

    async fn metadata(&self) -> Result<&Metadata, OidcError> {
        self.metadata
            .get_or_try_init(|| async {
                let response = self
                    .http
                    .get(&self.discovery_url)
                    .send()
                    .await
                    .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))?;
                if !response.status().is_success() {
                    return Err(OidcError::Unreachable(format!(
                        "discovery answered {}",
                        response.status()
                    )));
                }
                response
                    .json::<Metadata>()
                    .await
                    .map_err(|e| OidcError::Unreachable(format!("discovery document: {e}")))
            })
            .await
    }

    async fn client(&self) -> Result<OAuthClient, OidcError> {
        let metadata = self.metadata().await?;
        let bad = |what: &str| OidcError::Unreachable(format!("the {what} URL is invalid"));
        Ok(oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_auth_uri(
                AuthUrl::new(metadata.authorization_endpoint.clone())
                    .map_err(|_| bad("authorize"))?,
            )
            .set_token_uri(
                TokenUrl::new(metadata.token_endpoint.clone()).map_err(|_| bad("token"))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(self.redirect_url.clone()).map_err(|_| bad("redirect"))?,
            ))
    }

    /// The authorize URL to send the browser to, and what to remember until it comes back.
    pub async fn begin(&self, return_to: String) -> Result<(String, PendingSignIn), OidcError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", nonce.secret().clone());
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.to_string()));
        }
        let (url, state) = request.url();
        Ok((
            url.to_string(),
            PendingSignIn {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                return_to,
            },
        ))
    }

    /// Redeems the code and validates the id_token it came with.
    pub async fn finish(
        &self,
        pending: &PendingSignIn,
        code: &str,
    ) -> Result<(IdClaims, TokenSet), OidcError> {
        let client = self.client().await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let tokens = token_set(&response);
        let id_token = tokens.id_token.as_deref().ok_or_else(|| {
            OidcError::InvalidIdToken("the token response has no id_token".into())
        })?;
        let claims = self.validate_id_token(id_token, &pending.nonce).await?;
        Ok((claims, tokens))
    }

    /// A new access token (and rotated refresh token) from a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, OidcError> {
        let client = self.client().await?;
        let token = RefreshToken::new(refresh_token.to_string());
        let mut request = client.exchange_refresh_token(&token);
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.to_string()));
        }
        let response = request
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        Ok(token_set(&response))
    }

    /// OpenID Connect Core §3.1.3.7: signature (RS256 only, key from the JWKS), `iss`,
    /// `aud`, `exp`, `nbf`, `nonce`, and the tenant.
    pub async fn validate_id_token(&self, token: &str, nonce: &str) -> Result<IdClaims, OidcError> {
        let invalid = |why: String| OidcError::InvalidIdToken(why);
        let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header.kid.ok_or_else(|| invalid("no key id".into()))?;
        let key = self.key(&kid).await?;
        let metadata = self.metadata().await?;
        let unverified_tid = unverified_claim(token, "tid").unwrap_or_default();
        // Multi-tenant authorities publish `{tenantid}` in the issuer.
        let issuer = metadata.issuer.replace("{tenantid}", &unverified_tid);
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.client_id]);
        validation.set_issuer(&[&issuer]);
        validation.validate_nbf = true;
        validation.leeway = 60;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
            .map_err(|e| invalid(e.to_string()))?
            .claims;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(invalid("the nonce does not match this sign-in".into()));
        }
        let tid = claims.tid.to_ascii_lowercase();
        if !self.allowed_tenants.is_empty() && !self.allowed_tenants.contains(&tid) {
            return Err(OidcError::TenantNotAllowed(tid));
        }
        Ok(claims)
    }

    /// The signing key with this id; the JWKS is fetched again once for an unknown id, and
    /// whenever the keys are older than their lifetime (a key no longer published is then no
    /// longer trusted; if the JWKS cannot be fetched, no key is).
    async fn key(&self, kid: &str) -> Result<DecodingKey, OidcError> {
        {
            let keys = self.keys.read().await;
            let fresh = keys
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.jwks_lifetime);
            if let Some(key) = keys.by_id.get(kid).filter(|_| fresh) {
                return Ok(key.clone());
            }
        }
        let metadata = self.metadata().await?;
        let jwks: jsonwebtoken::jwk::JwkSet = self
            .http
            .get(&metadata.jwks_uri)
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| OidcError::Unreachable(format!("JWKS: {e}")))?;
        let mut keys = self.keys.write().await;
        keys.by_id.clear();
        for jwk in &jwks.keys {
            if let (Some(id), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) {
                keys.by_id.insert(id, key);
            }
        }
        keys.fetched_at = Some(std::time::Instant::now());
        keys.by_id
            .get(kid)
            .cloned()
            .ok_or_else(|| OidcError::InvalidIdToken("signed with an unknown key".into()))
    }
}

fn token_set(response: &TokenResponseWithId) -> TokenSet {
    TokenSet {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        expires_in: response.expires_in().unwrap_or(Duration::from_secs(3600)),
        id_token: response.extra_fields().id_token.clone(),
    }
}

fn token_error<RE: std::error::Error + 'static>(
    error: RequestTokenError<RE, BasicErrorResponse>,
) -> OidcError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            if matches!(
                response.error(),
                oauth2::basic::BasicErrorResponseType::InvalidGrant
            ) {
                OidcError::Expired
            } else {
                OidcError::Refused(response.error().to_string())
            }
        }
        RequestTokenError::Request(e) => OidcError::Unreachable(e.to_string()),
        RequestTokenError::Parse(e, _) => OidcError::Refused(format!("unreadable answer: {e}")),
        RequestTokenError::Other(e) => OidcError::Refused(e),
    }
}

/// One claim read before verification, only to pick the issuer to verify against.
fn unverified_claim(token: &str, name: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get(name)?.as_str().map(str::to_string)
}
