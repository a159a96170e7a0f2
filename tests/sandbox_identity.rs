//! The sandbox's Entra ID, driven over real HTTP as the dashboard and scripts drive it.

mod common;

use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use ztd_dashboard::sandbox::config::{DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URI, PARTNER_TENANT_ID};
use ztd_dashboard::sandbox::DEMO_USERS;

async fn get_json(url: &str) -> Value {
    http().get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn discovery_names_the_endpoints_of_the_tenant() {
    let sandbox = sandbox().await;
    let doc = get_json(&format!(
        "{}/v2.0/.well-known/openid-configuration",
        sandbox.authority()
    ))
    .await;
    let authority = sandbox.authority();
    assert_eq!(doc["issuer"], format!("{authority}/v2.0"));
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{authority}/oauth2/v2.0/authorize")
    );
    assert_eq!(
        doc["token_endpoint"],
        format!("{authority}/oauth2/v2.0/token")
    );
    assert_eq!(doc["jwks_uri"], format!("{authority}/discovery/v2.0/keys"));
    assert!(
        sandbox.base_url().starts_with("http://localhost:"),
        "a different site from 127.0.0.1"
    );

    let multi = get_json(&format!(
        "{}/organizations/v2.0/.well-known/openid-configuration",
        sandbox.base_url()
    ))
    .await;
    assert_eq!(
        multi["issuer"],
        format!("{}/{{tenantid}}/v2.0", sandbox.base_url())
    );

    let unknown = http()
        .get(format!(
            "{}/not-a-tenant/v2.0/.well-known/openid-configuration",
            sandbox.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn the_sign_in_page_lists_every_demo_user() {
    let sandbox = sandbox().await;
    let page = http()
        .get(authorize_url(&sandbox, &pkce(), &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for user in DEMO_USERS.iter() {
        assert!(
            html.contains(user.upn),
            "{} missing from the page",
            user.upn
        );
    }
    assert!(
        html.contains("login_hint="),
        "each user is a link that signs in"
    );
}

#[tokio::test]
async fn a_login_hint_signs_in_at_once_and_tokens_carry_the_claims() {
    let sandbox = sandbox().await;
    let pkce = pkce();
    let params = authorize(&sandbox, &pkce, &[("login_hint", ADMIN)]).await;
    assert_eq!(param(&params, "state"), Some("state-123"));
    let code = param(&params, "code").unwrap();
    let response = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Tokens = response.json().await.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 3600);
    assert!(tokens.refresh_token.is_some());

    // Both tokens verify against the published JWKS.
    let jwks = get_json(&format!("{}/discovery/v2.0/keys", sandbox.authority())).await;
    let key = &jwks["keys"][0];
    let decoding =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let issuer = format!("{}/v2.0", sandbox.authority());
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&issuer]);
    validation.set_audience(&[DEFAULT_CLIENT_ID.to_string()]);
    let id: Value =
        jsonwebtoken::decode(tokens.id_token.as_deref().unwrap(), &decoding, &validation)
            .expect("the id token verifies")
            .claims;
    assert_eq!(id["nonce"], "nonce-456");
    assert_eq!(id["tid"], PARTNER_TENANT_ID.to_string());
    assert_eq!(id["oid"], DEMO_USERS[0].oid.to_string());
    assert_eq!(id["preferred_username"], ADMIN);
    assert_eq!(id["amr"], serde_json::json!(["pwd", "mfa"]));
    for claim in ["exp", "nbf", "iat", "name"] {
        assert!(id.get(claim).is_some(), "id token lacks {claim}");
    }

    validation.set_audience(&["https://api.partnercenter.microsoft.com"]);
    let access: Value = jsonwebtoken::decode(&tokens.access_token, &decoding, &validation)
        .expect("the access token verifies")
        .claims;
    assert_eq!(access["oid"], DEMO_USERS[0].oid.to_string());
    assert!(access.get("nonce").is_none());
}

#[tokio::test]
async fn the_user_without_mfa_gets_a_token_without_mfa() {
    let sandbox = sandbox().await;
    let tokens = sign_in(&sandbox, NO_MFA).await;
    let payload = tokens.access_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_redirect_uris_without_redirecting() {
    let sandbox = sandbox().await;
    let url = authorize_url(&sandbox, &pkce(), &[("login_hint", ADMIN)]);
    let wrong_client = url.replace(
        &DEFAULT_CLIENT_ID.to_string(),
        "11111111-2222-3333-4444-555555555555",
    );
    let response = http().get(wrong_client).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("AADSTS700016"));

    // A trailing slash is enough to be a different redirect URI.
    let wrong_redirect = url.replace("auth%2Fcallback", "auth%2Fcallback%2F");
    let response = http().get(wrong_redirect).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("AADSTS50011"));
}

#[tokio::test]
async fn authorize_demands_pkce_s256_and_response_type_code() {
    let sandbox = sandbox().await;
    let pkce = pkce();
    let cases = [
        ("code_challenge_method", "plain", "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
    ];
    for (name, value, error) in cases {
        let url = authorize_url(&sandbox, &pkce, &[("login_hint", ADMIN)]);
        let original = match name {
            "code_challenge_method" => "code_challenge_method=S256",
            _ => "response_type=code",
        };
        let url = url.replace(original, &format!("{name}={value}"));
        let response = http().get(url).send().await.unwrap();
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location.contains(&format!("error={error}")),
            "{name}={value}: {location}"
        );
        assert!(location.contains("state=state-123"));
        assert!(!location.contains("code="));
    }
    let no_challenge = authorize_url(&sandbox, &pkce, &[("login_hint", ADMIN)])
        .replace(&format!("code_challenge={}", pkce.challenge), "");
    let response = http().get(no_challenge).send().await.unwrap();
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.contains("error=invalid_request"), "{location}");
}

#[tokio::test]
async fn cancelling_sends_access_denied_back_to_the_app() {
    let sandbox = sandbox().await;
    let params = authorize(&sandbox, &pkce(), &[("sandbox_action", "cancel")]).await;
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(param(&params, "state"), Some("state-123"));
}

async fn fresh_code(sandbox: &ztd_dashboard::sandbox::Sandbox) -> (String, Pkce) {
    let pkce = pkce();
    let params = authorize(sandbox, &pkce, &[("login_hint", ADMIN)]).await;
    (param(&params, "code").unwrap().to_string(), pkce)
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_code_needs_the_matching_verifier_and_redirect_uri_and_works_once() {
    let sandbox = sandbox().await;

    let (code, _) = fresh_code(&sandbox).await;
    let wrong_verifier = pkce().verifier;
    let refused = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code_verifier", &wrong_verifier),
        ],
    )
    .await;
    assert_eq!(error_of(refused).await, (400, "invalid_grant".into()));

    let (code, pkce) = fresh_code(&sandbox).await;
    let refused = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:3000/elsewhere"),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(error_of(refused).await, (400, "invalid_grant".into()));

    let (code, pkce) = fresh_code(&sandbox).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", DEFAULT_REDIRECT_URI),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    assert_eq!(token_request(&sandbox, &form).await.status(), 200);
    let replayed = token_request(&sandbox, &form).await;
    assert_eq!(error_of(replayed).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_code_expires() {
    let sandbox = sandbox_with(|c| c.code_lifetime = Duration::from_millis(200)).await;
    let (code, pkce) = fresh_code(&sandbox).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let refused = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(error_of(refused).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn clients_authenticate_with_a_secret_in_the_body_or_http_basic() {
    let sandbox = sandbox().await;
    let (code, pkce) = fresh_code(&sandbox).await;
    let token_url = format!("{}/oauth2/v2.0/token", sandbox.authority());
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", DEFAULT_REDIRECT_URI),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let wrong = http()
        .post(&token_url)
        .basic_auth(DEFAULT_CLIENT_ID, Some("not-the-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(wrong).await, (401, "invalid_client".into()));
    let basic = http()
        .post(&token_url)
        .basic_auth(
            DEFAULT_CLIENT_ID,
            Some(ztd_dashboard::sandbox::config::DEFAULT_CLIENT_SECRET),
        )
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        basic.status(),
        200,
        "the code was not used by the refused attempt"
    );
    let missing = http()
        .post(&token_url)
        .form(&[
            ("client_id", DEFAULT_CLIENT_ID.to_string().as_str()),
            ("grant_type", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(missing).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_the_old_one_stops_working() {
    let sandbox = sandbox().await;
    let first = sign_in(&sandbox, ADMIN).await;
    let old = first.refresh_token.unwrap();
    let response = token_request(
        &sandbox,
        &[("grant_type", "refresh_token"), ("refresh_token", &old)],
    )
    .await;
    assert_eq!(response.status(), 200);
    let second: Tokens = response.json().await.unwrap();
    let new = second.refresh_token.unwrap();
    assert_ne!(new, old);
    let replay = token_request(
        &sandbox,
        &[("grant_type", "refresh_token"), ("refresh_token", &old)],
    )
    .await;
    assert_eq!(error_of(replay).await, (400, "invalid_grant".into()));
    let again = token_request(
        &sandbox,
        &[("grant_type", "refresh_token"), ("refresh_token", &new)],
    )
    .await;
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn revoking_refresh_tokens_makes_them_invalid_grant() {
    let sandbox = sandbox().await;
    let tokens = sign_in(&sandbox, SALES).await;
    assert_eq!(revoke_refresh_tokens_at(sandbox.base_url()).await, 1);
    let refresh = tokens.refresh_token.unwrap();
    let refused = token_request(
        &sandbox,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(error_of(refused).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn an_expired_access_token_is_refused_by_partner_center() {
    let sandbox = sandbox_with(|c| c.access_token_lifetime = Duration::from_secs(1)).await;
    let tokens = sign_in(&sandbox, ADMIN).await;
    let customers = format!("{}/v1/customers?size=1", sandbox.base_url());
    let fresh = http()
        .get(&customers)
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let stale = http()
        .get(&customers)
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);
    assert!(stale.headers().get("www-authenticate").is_some());
}

#[tokio::test]
async fn partner_center_refuses_tokens_it_did_not_issue_or_for_another_audience() {
    let sandbox = sandbox().await;
    let other = sandbox_with(|_| {}).await;
    let foreign = sign_in(&other, ADMIN).await;
    let customers = format!("{}/v1/customers?size=1", sandbox.base_url());
    let response = http()
        .get(&customers)
        .bearer_auth(&foreign.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "signed by another key");

    // A token asked for without the Partner Center scope is a Graph token.
    let pkce = pkce();
    let url = authorize_url(&sandbox, &pkce, &[("login_hint", ADMIN)]).replace(
        "scope=https%3A%2F%2Fapi.partnercenter.microsoft.com%2Fuser_impersonation+",
        "scope=",
    );
    let location = http().get(url).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens: Tokens = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    let response = http()
        .get(&customers)
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "wrong audience");

    let missing = http().get(&customers).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: Value =
        serde_json::from_str(missing.text().await.unwrap().trim_start_matches('\u{feff}')).unwrap();
    assert_eq!(body["code"], "800001");
}
