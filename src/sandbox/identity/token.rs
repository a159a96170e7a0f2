//! The token endpoint: a client proves who it is, then trades an authorization code (with
//! its PKCE verifier) or a refresh token for tokens, as Entra ID does.

use super::*;

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(super) async fn token(
    State(state): State<Arc<SandboxState>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, OAuthError> {
    state
        .identity
        .token_requests
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let latency = state.faults.settings().token_latency_ms;
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    if !known_tenant(&state, &tenant) {
        return Err(unknown_tenant(&tenant));
    }
    let client = authenticate_client(&state, &headers, &form)?;
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let (user, scopes, nonce) = match field("grant_type") {
        "authorization_code" => {
            // Removing the code makes it single-use whatever happens next.
            let Some(pending) = lock(&state.identity.codes).remove(field("code")) else {
                return Err(invalid_grant(
                    "AADSTS54005: OAuth2 Authorization code was already redeemed or is not valid.",
                ));
            };
            if pending.client_id != client.client_id {
                return Err(invalid_grant(
                    "AADSTS70000: The code was issued to another client.",
                ));
            }
            if pending.issued.elapsed() > state.config.code_lifetime {
                return Err(invalid_grant(
                    "AADSTS70008: The provided authorization code has expired.",
                ));
            }
            if pending.redirect_uri != field("redirect_uri") {
                return Err(invalid_grant("AADSTS50148: The redirect_uri does not match the one used to obtain the authorization code."));
            }
            let verifier = field("code_verifier");
            if verifier.is_empty() {
                return Err(invalid_grant("AADSTS50148: The code_verifier is missing."));
            }
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != pending.code_challenge
            {
                return Err(invalid_grant("AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request."));
            }
            (pending.user, pending.scopes, pending.nonce)
        }
        "refresh_token" => {
            let Some(grant) = lock(&state.identity.refresh_tokens).remove(field("refresh_token"))
            else {
                return Err(invalid_grant(
                    "AADSTS700082: The refresh token has expired or was revoked.",
                ));
            };
            if grant.client_id != client.client_id {
                return Err(invalid_grant(
                    "AADSTS700005: The refresh token was issued to another client.",
                ));
            }
            (grant.user, grant.scopes, None)
        }
        "" => return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
        )),
        other => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("AADSTS70003: The app requested an unsupported grant type '{other}'."),
            ))
        }
    };
    Ok(issue_tokens(
        &state,
        &client.client_id,
        user,
        scopes,
        nonce.as_deref(),
    ))
}

fn issue_tokens(
    state: &SandboxState,
    client_id: &str,
    user: &'static DemoUser,
    scopes: Vec<String>,
    nonce: Option<&str>,
) -> Response {
    let now = chrono::Utc::now().timestamp();
    let lifetime = state.config.access_token_lifetime.as_secs() as i64;
    let issuer = issuer(state);
    let amr: &[&str] = if user.mfa { &["pwd", "mfa"] } else { &["pwd"] };
    let wants_partner_center = scopes
        .iter()
        .any(|scope| scope.starts_with(PARTNER_CENTER_RESOURCE));
    let audience = if wants_partner_center {
        PARTNER_CENTER_RESOURCE
    } else {
        GRAPH_RESOURCE
    };
    let granted: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|scope| !matches!(*scope, "openid" | "profile" | "email" | "offline_access"))
        .collect();
    let access_token = state.identity.keys.sign(&AccessClaims {
        iss: issuer.clone(),
        aud: audience.to_string(),
        exp: now + lifetime,
        nbf: now,
        iat: now,
        tid: state.config.partner_tenant_id,
        oid: user.oid,
        name: user.name.to_string(),
        preferred_username: user.upn.to_string(),
        amr: amr.iter().map(|s| s.to_string()).collect(),
        scp: "user_impersonation".to_string(),
        azp: client_id.to_string(),
        ver: "2.0".to_string(),
    });
    remember_issued(state, &access_token);
    let mut body = serde_json::json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if scopes.iter().any(|scope| scope == "openid") {
        body["id_token"] = serde_json::Value::String(state.identity.keys.sign(&IdClaims {
            iss: &issuer,
            aud: client_id,
            exp: now + lifetime,
            nbf: now,
            iat: now,
            tid: state.config.partner_tenant_id,
            oid: user.oid,
            sub: pairwise_subject(client_id, user),
            name: user.name,
            preferred_username: user.upn,
            amr,
            nonce,
            ver: "2.0",
        }));
    }
    if scopes.iter().any(|scope| scope == "offline_access") {
        let refresh_token = random_token();
        remember_issued(state, &refresh_token);
        lock(&state.identity.refresh_tokens).insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client_id.to_string(),
                scopes,
                user,
            },
        );
        body["refresh_token"] = serde_json::Value::String(refresh_token);
    }
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        Json(body),
    )
        .into_response()
}

/// `sub` in Entra ID is pairwise: it differs per app, so apps must key users by `oid`.
fn pairwise_subject(client_id: &str, user: &DemoUser) -> String {
    let digest = Sha256::digest(format!("{client_id}:{}", user.oid).as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..24])
}

/// Client authentication by `client_secret` in the body or by HTTP Basic.
fn authenticate_client<'a>(
    state: &'a SandboxState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<&'a RegisteredClient, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            // RFC 6749 §2.3.1: both halves are form-urlencoded.
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    let (client_id, secret) = match basic {
        Some(pair) => pair,
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    let invalid_client =
        |description: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    let Some(client) = find_client(state, &client_id) else {
        return Err(invalid_client(&format!(
            "AADSTS700016: Application with identifier '{client_id}' was not found in the directory."
        )));
    };
    if secret.is_empty() {
        return Err(invalid_client(
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }
    if secret != client.client_secret {
        return Err(invalid_client(
            "AADSTS7000215: Invalid client secret provided.",
        ));
    }
    Ok(client)
}

fn invalid_grant(description: &str) -> OAuthError {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}
