//! Security checklist items that need more than a page request: the authorize URL itself, the
//! sign-in client against a misbehaving identity provider, id_token forgeries, the log, the
//! database file, timeouts, response headers and the raw upload socket (numbered as in
//! SECURITY.md).
//!
//! This binary captures everything the dashboard logs (at `debug`) so that tests can search it.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::uploads::*;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ztd_dashboard::sandbox::identity::keys::SigningKey;
use ztd_dashboard::server::oidc::{Oidc, OidcError, PendingSignIn, SCOPES};

// ----- log capture -----

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of this test binary into [`LOG`], as an operator's log would hold it.
fn capture_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(|| Capture)
            .init();
    });
}

fn log_text() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

// ----- helpers -----

/// What the sandbox has issued and how many token requests it received.
async fn sandbox_tokens(app: &TestApp) -> (Vec<String>, u64) {
    let value = admin_json_at(&app.sandbox_url, "tokens").await;
    let issued = value["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    (issued, value["requests"].as_u64().unwrap())
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Everything the database holds, as text: the SQLite file's bytes (with its journal, so
/// freed pages count too), or every PostgreSQL table's rows.
async fn stored_text(app: &TestApp) -> String {
    if !app.database.is_postgres() {
        let mut stored = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let path = app.data_dir.join(format!("ztd-dashboard.db{suffix}"));
            stored.extend(std::fs::read(&path).unwrap_or_default());
        }
        return String::from_utf8_lossy(&stored).into_owned();
    }
    let store = app.store().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut stored = String::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t"))
                .fetch_all(store.pool())
                .await
                .unwrap();
        stored.push_str(&rows.join("\n"));
    }
    stored
}

async fn sign_in_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sign_ins")
        .fetch_one(app.store().await.pool())
        .await
        .unwrap()
}

// ----- 1, 2: the authorize redirect and the callback -----

#[tokio::test]
async fn the_login_redirect_asks_for_a_code_with_pkce_fresh_state_and_nonce_and_minimal_scopes() {
    let app = spawn_app().await;
    let first = query_of(&location(&Browser::new(&app).get("/auth/login").await));
    let second = query_of(&location(&Browser::new(&app).get("/auth/login").await));
    assert_eq!(first["response_type"], "code");
    assert_eq!(first["code_challenge_method"], "S256");
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(&first["code_challenge"])
            .unwrap()
            .len(),
        32,
        "a SHA-256 challenge"
    );
    assert_eq!(
        first["redirect_uri"],
        format!("{}/auth/callback", app.address),
        "byte for byte the configured redirect URI"
    );
    let scopes: Vec<&str> = first["scope"].split(' ').collect();
    assert_eq!(scopes, SCOPES, "only the scopes the dashboard needs");
    assert!(!first.contains_key("response_mode"), "never form_post");
    for name in ["state", "nonce"] {
        let bytes = URL_SAFE_NO_PAD.decode(&first[name]).unwrap();
        assert!(bytes.len() >= 16, "{name} has at least 128 bits");
        assert_ne!(
            first[name], second[name],
            "{name} is fresh for each sign-in"
        );
    }
    assert_ne!(first["state"], first["nonce"]);
    assert_ne!(first["code_challenge"], second["code_challenge"]);
}

#[tokio::test]
async fn a_callback_with_a_bad_state_makes_no_token_request() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let authorize = location(&browser.get("/auth/login").await);
    let callback = location(
        &http()
            .get(format!("{authorize}&login_hint={ADMIN}"))
            .send()
            .await
            .unwrap(),
    );
    let path = callback.strip_prefix(&app.address).unwrap().to_string();
    let (_, before) = sandbox_tokens(&app).await;
    let forged = path.replace("state=", "state=forged");
    assert_eq!(browser.get(&forged).await.status(), 400);
    assert_eq!(
        browser.get(&path).await.status(),
        400,
        "the attempt is used up"
    );
    // A sign-in started afresh each time, so that the state check itself is what refuses.
    let missing = path.split("&state=").next().unwrap().to_string();
    browser.get("/auth/login").await;
    assert_eq!(browser.get(&missing).await.status(), 400);
    browser.get("/auth/login").await;
    assert_eq!(browser.get(&forged).await.status(), 400);
    let (_, after) = sandbox_tokens(&app).await;
    assert_eq!(before, after, "no code was redeemed");
    assert_eq!(browser.get("/customers").await.status(), 303, "no session");
}

// ----- 4, 5: the sign-in client against an identity provider the test controls -----

const TENANT: &str = "5b6a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d";
const CLIENT: &str = "c0ffee00-1234-4abc-8def-000000000001";
const SECRET: &str = "a-client-secret";

/// How the fake identity provider's token endpoint misbehaves.
#[derive(Clone, Copy)]
enum TokenEndpoint {
    RedirectsElsewhere,
    Stalls,
}

struct FakeIdentity {
    base: String,
    jwks_fetches: Arc<AtomicUsize>,
    elsewhere_hits: Arc<AtomicUsize>,
    /// What `/keys` publishes: the test may withdraw a key.
    jwks: Arc<Mutex<serde_json::Value>>,
}

/// Discovery and a JWKS holding `key`, and a token endpoint that misbehaves as told.
async fn fake_identity(key: &SigningKey, token: TokenEndpoint) -> FakeIdentity {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let jwks_fetches = Arc::new(AtomicUsize::new(0));
    let elsewhere_hits = Arc::new(AtomicUsize::new(0));
    let discovery = serde_json::json!({
        "issuer": format!("{base}/{TENANT}/v2.0"),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/keys"),
    });
    let jwks = Arc::new(Mutex::new(key.jwks()));
    let published = jwks.clone();
    let fetches = jwks_fetches.clone();
    let hits = elsewhere_hits.clone();
    let router = axum::Router::new()
        .route(
            &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
            get(move || async move { axum::Json(discovery) }),
        )
        .route(
            "/keys",
            get(move || async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                axum::Json(published.lock().unwrap().clone())
            }),
        )
        .route(
            "/token",
            post(move || async move {
                match token {
                    TokenEndpoint::RedirectsElsewhere => {
                        (StatusCode::TEMPORARY_REDIRECT, [("location", "/elsewhere")])
                            .into_response()
                    }
                    TokenEndpoint::Stalls => {
                        tokio::time::sleep(Duration::from_secs(120)).await;
                        StatusCode::OK.into_response()
                    }
                }
            }),
        )
        .route(
            "/elsewhere",
            any(move || async move {
                hits.fetch_add(1, Ordering::SeqCst);
                axum::Json(serde_json::json!({"access_token": "x", "token_type": "Bearer"}))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    FakeIdentity {
        base,
        jwks_fetches,
        elsewhere_hits,
        jwks,
    }
}

fn oidc_for(identity: &FakeIdentity) -> Oidc {
    Oidc::new(
        &format!("{}/{TENANT}", identity.base),
        TENANT,
        CLIENT,
        SECRET,
        "http://127.0.0.1:3000/auth/callback",
    )
    .unwrap()
}

fn pending() -> PendingSignIn {
    PendingSignIn {
        state: "s".into(),
        nonce: "n".into(),
        pkce_verifier: "v".repeat(43),
        return_to: "/".into(),
    }
}

#[tokio::test]
async fn the_sign_in_client_follows_no_redirect_and_gives_up_in_bounded_time() {
    let key = SigningKey::generate();
    let redirecting = fake_identity(&key, TokenEndpoint::RedirectsElsewhere).await;
    let result = oidc_for(&redirecting).finish(&pending(), "code").await;
    assert!(result.is_err(), "a redirect is not a token response");
    assert_eq!(redirecting.elsewhere_hits.load(Ordering::SeqCst), 0);

    let stalling = fake_identity(&key, TokenEndpoint::Stalls).await;
    let started = Instant::now();
    let result = oidc_for(&stalling).finish(&pending(), "code").await;
    assert!(
        matches!(result, Err(OidcError::Unreachable(_))),
        "{:?}",
        result.err()
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "gave up after {:?}",
        started.elapsed()
    );
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn good_claims(identity: &FakeIdentity) -> serde_json::Value {
    serde_json::json!({
        "iss": format!("{}/{TENANT}/v2.0", identity.base),
        "aud": CLIENT,
        "exp": now() + 600,
        "nbf": now() - 10,
        "iat": now() - 10,
        "tid": TENANT,
        "oid": "0b1c2d3e-0000-4000-8000-000000000009",
        "name": "Avery Admin",
        "preferred_username": "admin@example.com",
        "nonce": "n",
    })
}

fn with(mut claims: serde_json::Value, name: &str, value: serde_json::Value) -> serde_json::Value {
    claims[name] = value;
    claims
}

#[tokio::test]
async fn id_tokens_failing_any_check_are_refused() {
    let key = SigningKey::generate();
    let identity = fake_identity(&key, TokenEndpoint::Stalls).await;
    let oidc = oidc_for(&identity);
    let good = good_claims(&identity);
    let claims = oidc
        .validate_id_token(&key.sign(&good), "n")
        .await
        .expect("a genuine id_token is accepted");
    assert_eq!(claims.oid, "0b1c2d3e-0000-4000-8000-000000000009");
    assert_eq!(identity.jwks_fetches.load(Ordering::SeqCst), 1);

    let kid = key.jwks()["keys"][0]["kid"].as_str().unwrap().to_string();
    let other_tenant = "11111111-2222-4333-8444-555555555555";
    let forged: Vec<(&str, String)> = vec![
        (
            "wrong aud",
            key.sign(&with(good.clone(), "aud", "another-app".into())),
        ),
        (
            "wrong iss",
            key.sign(&with(
                good.clone(),
                "iss",
                "https://evil.example/v2.0".into(),
            )),
        ),
        (
            "expired",
            key.sign(&with(good.clone(), "exp", (now() - 3600).into())),
        ),
        (
            "nbf in the future",
            key.sign(&with(good.clone(), "nbf", (now() + 3600).into())),
        ),
        (
            "wrong nonce",
            key.sign(&with(good.clone(), "nonce", "other".into())),
        ),
        (
            "null nonce",
            key.sign(&with(good.clone(), "nonce", serde_json::Value::Null)),
        ),
        ("no nonce", {
            let mut claims = good.clone();
            claims.as_object_mut().unwrap().remove("nonce");
            key.sign(&claims)
        }),
        ("alg none", {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{kid}"}}"#));
            let payload = URL_SAFE_NO_PAD.encode(good.to_string());
            format!("{header}.{payload}.")
        }),
        ("HS256 with the client secret", {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = Some(kid.clone());
            jsonwebtoken::encode(
                &header,
                &good,
                &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap()
        }),
        ("signature of another token", {
            let genuine = key.sign(&good);
            let tampered = key.sign(&with(good.clone(), "oid", "someone-else".into()));
            let signature = genuine.rsplit('.').next().unwrap();
            let (body, _) = tampered.rsplit_once('.').unwrap();
            format!("{body}.{signature}")
        }),
    ];
    for (case, token) in &forged {
        let result = oidc.validate_id_token(token, "n").await;
        assert!(
            matches!(result, Err(OidcError::InvalidIdToken(_))),
            "{case}: {:?}",
            result.map(|c| c.oid)
        );
    }
    // A user of another tenant: refused as such, so that the page can say it in words.
    let result = oidc
        .validate_id_token(
            &key.sign(&with(good.clone(), "tid", other_tenant.into())),
            "n",
        )
        .await;
    assert!(
        matches!(&result, Err(OidcError::TenantNotAllowed(tid)) if tid == other_tenant),
        "{:?}",
        result.map(|c| c.oid)
    );
    assert_eq!(
        identity.jwks_fetches.load(Ordering::SeqCst),
        1,
        "known keys need no new fetch"
    );
    let stranger = SigningKey::generate();
    let result = oidc.validate_id_token(&stranger.sign(&good), "n").await;
    assert!(matches!(result, Err(OidcError::InvalidIdToken(_))));
    assert_eq!(
        identity.jwks_fetches.load(Ordering::SeqCst),
        2,
        "an unknown key id is refused after one JWKS refresh"
    );
}

#[tokio::test]
async fn with_a_multi_tenant_authority_only_the_allowed_tenants_sign_in() {
    let key = SigningKey::generate();
    let identity = fake_identity(&key, TokenEndpoint::Stalls).await;
    let allowed = "22222222-3333-4444-8555-666666666666";
    // As configured with `organizations`: the authority names no tenant, the list does.
    let oidc = Oidc::new(
        &format!("{}/{TENANT}", identity.base),
        "organizations",
        CLIENT,
        SECRET,
        "http://127.0.0.1:3000/auth/callback",
    )
    .unwrap()
    .allow_tenants(&[allowed.to_uppercase(), TENANT.to_string()]);
    let good = good_claims(&identity);
    oidc.validate_id_token(&key.sign(&good), "n")
        .await
        .expect("a listed tenant signs in");
    let outsider = "33333333-4444-4555-8666-777777777777";
    let result = oidc
        .validate_id_token(&key.sign(&with(good, "tid", outsider.into())), "n")
        .await;
    assert!(
        matches!(&result, Err(OidcError::TenantNotAllowed(tid)) if tid == outsider),
        "{:?}",
        result.map(|c| c.oid)
    );
}

/// An identity provider at `organizations`, as Entra ID's multi-tenant authority: its token
/// endpoint answers with an id_token for the tenant and nonce the test puts in `next`.
async fn multi_tenant_identity(next: Arc<Mutex<(String, String)>>) -> String {
    let key = Arc::new(SigningKey::generate());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let discovery = serde_json::json!({
        "issuer": format!("{base}/{{tenantid}}/v2.0"),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/keys"),
    });
    let jwks = key.jwks();
    let signer = key.clone();
    let issuer_base = base.clone();
    let router = axum::Router::new()
        .route(
            "/organizations/v2.0/.well-known/openid-configuration",
            get(move || async move { axum::Json(discovery) }),
        )
        .route("/keys", get(move || async move { axum::Json(jwks) }))
        .route(
            "/token",
            post(move || async move {
                let (tenant, nonce) = next.lock().unwrap().clone();
                let claims = serde_json::json!({
                    "iss": format!("{issuer_base}/{tenant}/v2.0"),
                    "aud": CLIENT,
                    "exp": now() + 600,
                    "nbf": now() - 10,
                    "tid": tenant,
                    "oid": "0b1c2d3e-0000-4000-8000-000000000042",
                    "name": "Outside User",
                    "preferred_username": "someone@outside.example",
                    "nonce": nonce,
                });
                axum::Json(serde_json::json!({
                    "access_token": "an-access-token",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": "a-refresh-token",
                    "id_token": signer.sign(&claims),
                }))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::test]
async fn a_user_of_a_tenant_not_allowed_is_refused_in_words() {
    let next = Arc::new(Mutex::new((String::new(), String::new())));
    let base = multi_tenant_identity(next.clone()).await;
    let app = spawn_app_with(&[
        ("ZTD_ENTRA_TENANT", "organizations"),
        ("ZTD_ENTRA_ALLOWED_TENANTS", TENANT),
        ("ZTD_ENTRA_CLIENT_ID", CLIENT),
        ("ZTD_ENTRA_CLIENT_SECRET", SECRET),
        ("ZTD_ENTRA_AUTHORITY_HOST", &base),
        ("ZTD_PARTNER_CENTER_URL", CLOSED_URL),
    ])
    .await;
    // Signs in as a user of `tenant`: the provider's answer carries this sign-in's nonce.
    let sign_in_as = |tenant: &'static str| {
        let next = next.clone();
        let app = &app;
        async move {
            let browser = Browser::new(app);
            let login = browser.get("/auth/login").await;
            let authorize = query_of(&location(&login));
            *next.lock().unwrap() = (tenant.to_string(), authorize["nonce"].clone());
            let response = browser
                .get(&format!(
                    "/auth/callback?code=c&state={}",
                    authorize["state"]
                ))
                .await;
            let status = response.status();
            (status, response.text().await.unwrap())
        }
    };
    let outsider = "33333333-4444-4555-8666-777777777777";
    let (status, page) = sign_in_as(outsider).await;
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("Your organisation cannot sign in here"),
        "{page}"
    );
    assert!(page.contains(outsider), "{page}");
    assert!(page.contains("ZTD_ENTRA_ALLOWED_TENANTS"), "{page}");
    assert_eq!(sign_in_rows(&app).await, 0, "no tokens kept");
    let (status, _) = sign_in_as(TENANT).await;
    assert_eq!(status, 303, "a user of the allowed tenant signs in");
    assert_eq!(sign_in_rows(&app).await, 1);
}

#[tokio::test]
async fn a_signing_key_withdrawn_from_the_jwks_stops_being_trusted_after_the_keys_lifetime() {
    let key = SigningKey::generate();
    // Made first: making an RSA key can take longer than the keys' lifetime below (a debug
    // build on a busy machine), which would let the lifetime run out before it is looked at.
    let successor = SigningKey::generate();
    let identity = fake_identity(&key, TokenEndpoint::Stalls).await;
    let oidc = oidc_for(&identity).with_jwks_lifetime(Duration::from_millis(700));
    let token = key.sign(&good_claims(&identity));
    oidc.validate_id_token(&token, "n")
        .await
        .expect("trusted while published");
    // The provider rotates: the old key is withdrawn, a successor published.
    *identity.jwks.lock().unwrap() = successor.jwks();
    oidc.validate_id_token(&token, "n")
        .await
        .expect("within their lifetime the fetched keys are used as they are");
    assert_eq!(identity.jwks_fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let result = oidc.validate_id_token(&token, "n").await;
    assert!(
        matches!(result, Err(OidcError::InvalidIdToken(_))),
        "the withdrawn key is no longer trusted: {:?}",
        result.map(|c| c.oid)
    );
    assert_eq!(identity.jwks_fetches.load(Ordering::SeqCst), 2);
    oidc.validate_id_token(&successor.sign(&good_claims(&identity)), "n")
        .await
        .expect("the successor is");
}

// ----- 6: users are (tid, oid) -----

#[tokio::test]
async fn users_are_told_apart_by_tenant_and_object_id_never_by_name() {
    let app = spawn_app().await;
    let avery = signed_in(&app).await;
    let preview = draft(
        &avery,
        CONTOSO,
        to_new_batch(
            file_form("mine.csv", autopilot_csv(1, 2).into_bytes()),
            "Mine",
        ),
    )
    .await;
    let namesake = Browser::new(&app);
    namesake.sign_in(NAMESAKE, "/customers").await;
    let header = namesake.page("/customers", 200).await;
    assert!(header.contains("Avery Admin"), "the same display name");

    let refused = namesake.post(&format!("{preview}/submit")).await;
    assert_eq!(refused.status(), 403);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains(&format!("Only {ADMIN} can change or submit")),
        "{text}"
    );
    assert!(upload_posts(&app).await.is_empty(), "nothing was sent");

    // `/uploads` covers the customers this person uploaded to: none, for the namesake.
    let theirs = namesake.page("/uploads", 200).await;
    assert!(
        !theirs.contains("mine.csv"),
        "another person's uploads are not theirs"
    );
    let own = avery.page("/uploads", 200).await;
    assert!(own.contains("mine.csv"));
}

// ----- 7: the error callback and the log -----

#[tokio::test]
async fn an_error_callback_cannot_forge_log_lines() {
    capture_log();
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.get("/auth/login").await;
    let description = "nope\r\n2026-11-23T00:00:00Z  INFO forged: admin signed in\n<b>x</b>";
    let path = format!(
        "/auth/callback?error=server_error&error_description={}",
        ztd_dashboard::urls::encode(description)
    );
    let body = browser.page(&path, 400).await;
    assert!(body.contains("&lt;b&gt;x&lt;/b&gt;"));
    let log = log_text();
    assert!(
        log.contains("sign-in refused by the identity provider"),
        "logged"
    );
    assert!(
        !log.lines()
            .any(|line| line.contains("INFO forged") && !line.contains("sign-in refused")),
        "a description cannot start a line of its own"
    );
    assert!(!log.contains('\r'));
}

// ----- 12: timeouts -----

#[tokio::test]
async fn an_idle_session_ends_on_the_server_and_its_tokens_are_deleted() {
    let app = spawn_app_configured(&[], |config| {
        config.session_idle_timeout = Duration::from_secs(3);
        config.session_absolute_timeout = Duration::from_secs(300);
    })
    .await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    // In use: alive well past the idle timeout.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(browser.get("/customers").await.status(), 200, "in use");
    }
    let cookie = browser.cookie("ztd_session").unwrap();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let after_pause = browser.get("/customers").await;
    assert_eq!(after_pause.status(), 303);
    assert!(location(&after_pause).starts_with("/auth/login"));
    assert_eq!(
        sign_in_rows(&app).await,
        0,
        "its tokens are deleted at once"
    );
    let replay = Browser::new(&app);
    replay.set_cookie("ztd_session", &cookie);
    assert_eq!(replay.get("/customers").await.status(), 303);
}

#[tokio::test]
async fn the_absolute_timeout_ends_a_busy_session_and_sign_ins_left_behind() {
    let app = spawn_app_configured(&[], |config| {
        config.session_idle_timeout = Duration::from_secs(300);
        config.session_absolute_timeout = Duration::from_secs(5);
    })
    .await;
    let left = Browser::new(&app);
    left.sign_in(SALES, "/customers").await;
    let busy = Browser::new(&app);
    busy.sign_in(ADMIN, "/customers").await;
    let started = Instant::now();
    let mut ended_after = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if busy.get("/customers").await.status() == 303 {
            ended_after = Some(started.elapsed());
            break;
        }
    }
    let ended_after = ended_after.expect("the absolute timeout ends a busy session");
    assert!(
        ended_after >= Duration::from_secs(4),
        "not before the absolute timeout: {ended_after:?}"
    );
    // The sign-in whose browser never came back goes too, with its tokens.
    for _ in 0..150 {
        if sign_in_rows(&app).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sign-ins past their lifetime were not deleted");
}

// ----- 14: a refused refresh -----

#[tokio::test]
async fn after_a_refused_refresh_the_session_is_anonymous_and_partner_center_is_not_called() {
    // Tokens that live 60 s are always within the refresh margin: every call refreshes.
    let app = spawn_app_with(&[("ZTD_SANDBOX_TOKEN_LIFETIME_SECS", "60")]).await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    browser.page("/customers?q=cont", 200).await;
    revoke_refresh_tokens_at(&app.sandbox_url).await;
    clear_request_log_at(&app.sandbox_url).await;

    let ended = browser.page("/customers?q=nor", 401).await;
    assert!(ended.contains("Your sign-in has ended"));
    let next = browser.get(&format!("/customers/{CONTOSO}/batches")).await;
    assert_eq!(next.status(), 303, "anonymous from now on");
    assert!(location(&next).starts_with("/auth/login"));
    assert_eq!(
        browser
            .post(<ztd_dashboard::api::GetSessionInfo as leptos::server_fn::ServerFn>::PATH)
            .await
            .status(),
        401
    );
    assert_eq!(sign_in_rows(&app).await, 0, "the dead sign-in is gone");
    let log = admin_list_at(&app.sandbox_url, "requests").await;
    assert!(
        log.is_empty(),
        "no Partner Center call with a dead token: {log:?}"
    );
}

// ----- 18: headers -----

#[tokio::test]
async fn every_response_carries_hardening_headers_and_pages_a_fresh_script_nonce() {
    // A site root of its own, so that a static file is there whatever was built.
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/ztd-dashboard.css"), "main{}").unwrap();
    let app = spawn_app_with(&[("ZTD_SITE_ROOT", site.path().to_str().unwrap())]).await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let response = browser.get("/customers").await;
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        let policy = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        for part in [
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{part} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in the policy")
            .to_string();
        assert!(URL_SAFE_NO_PAD.decode(&nonce).unwrap().len() >= 16);
        let body = response.text().await.unwrap();
        let scripts = body.matches("<script").count();
        assert!(scripts > 0, "the page hydrates");
        assert_eq!(
            body.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every script carries this response's nonce"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(
            !headers.contains_key("strict-transport-security"),
            "plain HTTP"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce for each response");
    // The not-found page is a Leptos page too: it hydrates under its own nonce.
    let missing = browser.get("/no-such-page").await;
    assert_eq!(missing.status(), 404);
    let policy = missing.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("'nonce-"), "{policy}");

    // So is the page a sign-out or a failed sign-in leads to.
    for path in ["/signed-out", "/sign-in/problem"] {
        let page = browser.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        let policy = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("'nonce-"), "{path}: {policy}");
    }

    for path in ["/healthz"] {
        let response = browser.get(path).await;
        let headers = response.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'none'"), "{path}: {policy}");
        assert!(!policy.contains("script-src"), "{path}: no script runs");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
    let refused = browser
        .send(
            http()
                .post(format!("{}/auth/logout", app.address))
                .header("Sec-Fetch-Site", "cross-site"),
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["x-content-type-options"], "nosniff");
    use leptos::server_fn::ServerFn;
    let function = browser.post(ztd_dashboard::api::GetSessionInfo::PATH).await;
    assert_eq!(function.status(), 200);
    assert_eq!(function.headers()["cache-control"], "no-store");
    let function_policy = function.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        function_policy.contains("default-src 'none'"),
        "{function_policy}"
    );
    let to_sign_in = Browser::new(&app).get("/customers").await;
    assert_eq!(to_sign_in.status(), 303);
    assert_eq!(to_sign_in.headers()["x-content-type-options"], "nosniff");
    assert_eq!(to_sign_in.headers()["cache-control"], "no-store");
    let asset = browser.get("/pkg/ztd-dashboard.css").await;
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "no-cache",
        "static files are kept, and checked again before use"
    );

    let https = spawn_app_with(&[("ZTD_PUBLIC_URL", "https://127.0.0.1:0")]).await;
    let response = http()
        .get(format!(
            "http://{}/healthz",
            https.address.trim_start_matches("https://")
        ))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age="),
        "HSTS when served over HTTPS"
    );
}

// ----- 19, 20: tokens stay on the server, sealed, refreshed once -----

/// The parts of a token that are its own: every JWT the sandbox signs starts with the same
/// header, so a JWT is searched for by its claims and its signature; any other token whole.
/// Each also by its first 20 characters: a truncated log line is a leak too.
fn telltales(token: &str) -> Vec<String> {
    let segments: Vec<&str> = token.split('.').collect();
    let own: Vec<&str> = if segments.len() == 3 {
        segments[1..].to_vec()
    } else {
        vec![token]
    };
    own.into_iter()
        .flat_map(|part| [part.to_string(), part.chars().take(20).collect()])
        .filter(|part| part.len() >= 20)
        .collect()
}

#[tokio::test]
async fn no_token_reaches_a_response_the_log_or_the_database_in_plaintext() {
    capture_log();
    // Tokens that live 60 s are refreshed on every call: many tokens, rotated refresh tokens.
    let app = spawn_app_with(&[("ZTD_SANDBOX_TOKEN_LIFETIME_SECS", "60")]).await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("leak.csv", autopilot_csv(40, 2).into_bytes()),
            "Leak test",
        ),
    )
    .await;
    let submitted = browser.post(&format!("{preview}/submit")).await;
    assert_eq!(submitted.status(), 303);
    let job = location(&submitted);
    until_finished(&browser, &job).await;

    let mut seen = String::new();
    // A page's hydration data is base64: what it carries is read decoded too.
    let mut keep = |response_headers: &reqwest::header::HeaderMap, body: &str| {
        seen.push_str(&format!("{response_headers:?}\n{body}\n"));
        seen.push_str(&hydration_data(body));
    };
    for path in [
        "/customers".to_string(),
        format!("/customers/{CONTOSO}/batches"),
        format!("/customers/{CONTOSO}/batches/Contoso-PO-4711"),
        format!("/customers/{CONTOSO}/uploads/new"),
        format!("/customers/{CONTOSO}/uploads"),
        preview.clone(),
        job.clone(),
        format!("{job}/failed.csv"),
        format!("{job}/report.csv"),
        "/uploads".into(),
        "/audit".into(),
    ] {
        let response = browser.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        keep(&headers, &response.text().await.unwrap());
    }
    use leptos::server_fn::ServerFn;
    use ztd_dashboard::api::{self, audit::AuditTrail, uploads::UploadForm};
    for (function, fields) in [
        (api::GetSessionInfo::PATH, vec![]),
        (api::CustomerBatches::PATH, vec![("customer_id", CONTOSO)]),
        (UploadForm::PATH, vec![("customer_id", CONTOSO)]),
        (AuditTrail::PATH, vec![("page", "1")]),
    ] {
        let response = post_form(&browser, function, &fields).await;
        assert_eq!(response.status(), 200, "{function}");
        let headers = response.headers().clone();
        keep(&headers, &response.text().await.unwrap());
    }
    let cookie = browser.cookie("ztd_session").unwrap();

    let (issued, _) = sandbox_tokens(&app).await;
    assert!(
        issued.len() >= 6,
        "refreshes happened: {} tokens",
        issued.len()
    );
    let log = log_text();
    let stored = stored_text(&app).await;
    assert!(
        !stored.contains(&cookie),
        "the database holds the session id that signs this browser in"
    );
    assert!(
        stored.contains("admin@sandbox-partner"),
        "the search can find plaintext"
    );
    for token in &issued {
        for part in telltales(token) {
            assert!(!seen.contains(&part), "a response carries a token: {part}");
            assert!(!log.contains(&part), "the log carries a token: {part}");
            assert!(
                !stored.contains(&part),
                "the database holds a token in plaintext"
            );
            assert!(!cookie.contains(&part));
        }
    }
}

#[tokio::test]
async fn concurrent_requests_near_expiry_cause_one_refresh() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let expire = || async {
        sqlx::query("UPDATE sign_ins SET access_expires_at = 0")
            .execute(app.store().await.pool())
            .await
            .unwrap();
    };
    for round in 0..2 {
        expire().await;
        let (_, before) = sandbox_tokens(&app).await;
        let path = format!("/customers/{CONTOSO}/batches");
        let pages = futures::future::join_all((0..8).map(|_| browser.get(&path))).await;
        for page in pages {
            assert_eq!(page.status(), 200, "round {round}");
        }
        let (_, after) = sandbox_tokens(&app).await;
        // The second round uses the refresh token the first one stored.
        assert_eq!(
            after - before,
            1,
            "round {round}: one refresh for 8 requests"
        );
    }
}

// ----- 23: an oversized upload is refused before it is read -----

/// Sends a request head over a raw socket and returns the socket.
async fn raw_request(app: &TestApp, head: &str) -> tokio::net::TcpStream {
    let address = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket
}

/// Reads until the answer's head (status line and headers) is complete, and returns it.
async fn answer_head(socket: &mut tokio::io::ReadHalf<tokio::net::TcpStream>) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !received.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the connection closed without an answer");
        received.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&received);
    text[..text.find("\r\n\r\n").unwrap()].to_string()
}

/// `head`, the answer's status line and headers, is a refusal's redirect back to the upload
/// form, whose page says why with 413.
async fn refused_with_413(browser: &Browser, head: &str) {
    assert!(head.starts_with("HTTP/1.1 303 "), "{head}");
    let back = head
        .lines()
        .find_map(|line| line.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("a redirect: {head}"));
    assert!(back.contains("/uploads/new?refused="), "{back}");
    let page = browser.page(back, 413).await;
    assert!(page.contains("The upload was not accepted"), "{page}");
}

#[tokio::test]
async fn an_oversized_upload_is_refused_before_its_body_is_read() {
    let app = spawn_app_with(&[("ZTD_UPLOAD_MAX_MB", "1")]).await;
    let browser = signed_in(&app).await;
    let cookie = browser.cookie("ztd_session").unwrap();
    let head = |framing: &str| {
        format!(
            "POST /customers/{CONTOSO}/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Cookie: ztd_session={cookie}\r\n\
             Content-Type: multipart/form-data; boundary=b\r\n{framing}\r\n"
        )
    };

    // A declared length over the limit: answered at once, though the body never comes.
    let socket = raw_request(&app, &head("Content-Length: 1073741824\r\n")).await;
    let (mut reader, _writer) = tokio::io::split(socket);
    let status = tokio::time::timeout(Duration::from_secs(10), answer_head(&mut reader))
        .await
        .expect("answered without waiting for the body");
    refused_with_413(&browser, &status).await;

    // No length, an endless body: refused once the limit is passed, while still sending.
    let socket = raw_request(&app, &head("Transfer-Encoding: chunked\r\n")).await;
    let (mut reader, mut writer) = tokio::io::split(socket);
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let sender = tokio::spawn(async move {
        let chunk = vec![b'x'; 64 * 1024];
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        let preamble =
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n";
        let first = format!("{:x}\r\n{preamble}\r\n", preamble.len());
        writer.write_all(first.as_bytes()).await.ok();
        while writer.write_all(&framed).await.is_ok() {
            counter.fetch_add(framed.len(), Ordering::SeqCst);
        }
    });
    let status = tokio::time::timeout(Duration::from_secs(20), answer_head(&mut reader))
        .await
        .expect("answered while the body was still coming");
    refused_with_413(&browser, &status).await;
    sender.abort();
    assert!(
        sent.load(Ordering::SeqCst) < 64 * 1024 * 1024,
        "refused long before the client gave up"
    );
}

// ----- 41: removing selected rows is a few statements -----

#[tokio::test]
async fn removing_a_thousand_selected_rows_takes_a_few_statements_not_one_each() {
    capture_log();
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        CONTOSO,
        to_new_batch(
            file_form("many.csv", autopilot_csv(40_000, 1_200).into_bytes()),
            "Many",
        ),
    )
    .await;
    // The statement, as the database log shows it, whatever the rows.
    let statements = || {
        log_text()
            .matches("SET excluded = $1 WHERE upload_id = $2 AND row_number")
            .count()
    };
    let before = statements();
    let mut fields: Vec<(String, String)> = vec![("action".into(), "remove-selected".into())];
    // Data rows are numbered from 2 (the header is row 1).
    fields.extend((2..=1_201).map(|row| ("row".to_string(), row.to_string())));
    let removed = browser
        .send(browser.post_to(&format!("{preview}/rows")).form(&fields))
        .await;
    assert_eq!(removed.status(), 303);
    let issued = statements() - before;
    assert!(
        (1..=6).contains(&issued),
        "{issued} statements for 1,200 rows (500 to a statement)"
    );
    let page = browser.page(&preview, 200).await;
    assert!(page.contains("Every row was removed"), "every row removed");
}
