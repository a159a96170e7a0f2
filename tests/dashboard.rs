//! The dashboard from outside: the real app on port 0 against its in-process sandbox, over
//! HTTP, as a browser without JavaScript would use it.

mod common;

use common::*;

const CONTOSO: &str = "8b7c6a1e-0000-4000-8000-000000000001";
const FABRIKAM: &str = "8b7c6a1e-0000-4000-8000-000000000002";
const TAILSPIN: &str = "8b7c6a1e-0000-4000-8000-000000000003";

/// Rows in the page's table bodies.
fn rows(html: &str) -> usize {
    html.split("<tbody>")
        .skip(1)
        .map(|body| {
            body.split("</tbody>")
                .next()
                .unwrap_or("")
                .matches("<tr")
                .count()
        })
        .sum()
}

#[tokio::test]
async fn health_checks_answer_without_signing_in() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    assert_eq!(browser.page("/healthz", 200).await, "ok");
    let ready: serde_json::Value =
        serde_json::from_str(&browser.page("/readyz", 200).await).unwrap();
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["partner_center"]["last_request"], "none yet");
    browser.sign_in(ADMIN, "/customers").await;
    browser
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    let ready: serde_json::Value =
        serde_json::from_str(&browser.page("/readyz", 200).await).unwrap();
    assert_eq!(ready["partner_center"]["last_request"], "answering");
}

#[tokio::test]
async fn anonymous_pages_lead_to_sign_in_and_other_requests_get_401() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let response = browser.get("/customers?q=con").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/auth/login?return_to=%2Fcustomers%3Fq%3Dcon"
    );
    let root = browser.get("/").await;
    assert_eq!(location(&root), "/customers");
    let api = browser.post("/api/search_customers").await;
    assert_eq!(api.status(), 401);
    let login = browser.get("/auth/login").await;
    assert!(
        location(&login).starts_with(&app.sandbox_url),
        "off to the sandbox's Entra ID"
    );
}

#[tokio::test]
async fn signing_in_returns_to_the_page_first_asked_for_with_a_new_session_id() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.get("/auth/login").await;
    assert_eq!(
        browser.cookie("ztd_session"),
        None,
        "starting a sign-in makes no session (it travels in a sealed cookie)"
    );
    assert!(browser.cookie("ztd_sign_in").is_some());
    browser.sign_in(ADMIN, "/customers").await;
    let before = browser.cookie("ztd_session").unwrap();
    assert_eq!(browser.cookie("ztd_sign_in"), None, "used up");
    // Signing in again in the same browser: a new session id, and the first sign-in's
    // tokens deleted at once (the session forgets it).
    let back_to = browser
        .sign_in(ADMIN, &format!("/customers/{CONTOSO}/batches"))
        .await;
    assert_eq!(back_to, format!("/customers/{CONTOSO}/batches"));
    let after = browser.cookie("ztd_session").unwrap();
    assert_ne!(before, after, "the session id changes at sign-in");
    let page = browser.page(&back_to, 200).await;
    assert!(page.contains("Avery Admin"));
    let sign_ins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_ins")
        .fetch_one(app.store().await.pool())
        .await
        .unwrap();
    assert_eq!(sign_ins, 1, "the earlier sign-in's tokens are gone");

    let stale = Browser::new(&app);
    stale.set_cookie("ztd_session", &before);
    assert_eq!(
        stale.get("/customers").await.status(),
        303,
        "the old id is worthless"
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_secure_lax_and_unrevealing() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    for name in ["ztd_session", "ztd_sign_in"] {
        let cookie = browser.set_cookie_header(name).unwrap();
        assert!(cookie.starts_with(&format!("{name}=")), "{cookie}");
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    }
}

#[tokio::test]
async fn a_session_id_the_server_did_not_issue_is_ignored_and_never_adopted() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.set_cookie("ztd_session", "made-up-by-an-attacker");
    let page = browser.get(&format!("/customers/{CONTOSO}/batches")).await;
    assert_eq!(page.status(), 303, "anonymous: sent to sign in");
    browser.sign_in(ADMIN, "/customers").await;
    let issued = browser.cookie("ztd_session").unwrap();
    assert_ne!(issued, "made-up-by-an-attacker");
    // The made-up id stays worthless.
    let forged = Browser::new(&app);
    forged.set_cookie("ztd_session", "made-up-by-an-attacker");
    assert_eq!(
        forged
            .get(&format!("/customers/{CONTOSO}/batches"))
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn a_callback_with_a_wrong_or_missing_state_or_a_replayed_code_is_refused() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);

    let login = browser.get("/auth/login").await;
    let authorize = location(&login);
    let callback = location(
        &http()
            .get(format!("{authorize}&login_hint={ADMIN}"))
            .send()
            .await
            .unwrap(),
    );
    let path = callback.strip_prefix(&app.address).unwrap().to_string();
    let forged = path.replace("state=", "state=forged");
    assert_eq!(browser.get(&forged).await.status(), 400);
    // The pending sign-in was used up by the refused attempt: the genuine one fails too.
    assert_eq!(browser.get(&path).await.status(), 400);
    assert_eq!(
        browser.get("/customers").await.status(),
        303,
        "no session was created"
    );

    let without_state = Browser::new(&app);
    without_state.get("/auth/login").await;
    let cut = path.split("&state=").next().unwrap().to_string();
    assert_eq!(without_state.get(&cut).await.status(), 400);

    let replay = Browser::new(&app);
    replay.sign_in(SALES, "/customers").await;
    let again = Browser::new(&app);
    again.get("/auth/login").await;
    let login = again.get("/auth/login").await;
    let authorize = location(&login);
    let callback = location(
        &http()
            .get(format!("{authorize}&login_hint={SALES}"))
            .send()
            .await
            .unwrap(),
    );
    let path = callback.strip_prefix(&app.address).unwrap().to_string();
    assert_eq!(again.get(&path).await.status(), 303);
    let thief = Browser::new(&app);
    assert_eq!(
        thief.get(&path).await.status(),
        400,
        "a code works once, in one browser"
    );
}

#[tokio::test]
async fn an_error_callback_is_shown_escaped() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.get("/auth/login").await;
    let body = browser
        .page(
            "/auth/callback?error=server_error&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            400,
        )
        .await;
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert!(!body.contains("<script>alert(1)"));
}

#[tokio::test]
async fn the_customer_picker_searches_by_prefix_pages_past_500_and_lists_recent_customers() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;

    let found = browser.page("/customers?q=cont&by=name", 200).await;
    assert!(found.contains("Contoso Ltd"));
    assert!(found.contains("starts with “cont”"));
    let by_domain = browser
        .page("/customers?q=fabrikam.onmicrosoft&by=domain", 200)
        .await;
    assert!(by_domain.contains("Fabrikam, Inc."));
    assert_eq!(rows(&by_domain), 1);

    // 50 a page: page 11 holds customers 501 to 550, page 25 is the last.
    let page_11 = browser.page("/customers?q=&by=name&page=11", 200).await;
    assert_eq!(rows(&page_11), 50);
    assert!(page_11.contains("Page 11"));
    let last = browser.page("/customers?q=&by=name&page=25", 200).await;
    assert_eq!(rows(&last), 50);
    assert!(
        !last.contains("rel=\"next\""),
        "no next page after the last"
    );

    browser
        .page(&format!("/customers/{FABRIKAM}/batches"), 200)
        .await;
    let start = browser.page("/customers", 200).await;
    let recent = start.find("Recently opened").expect("a recent section");
    assert!(
        start[recent..].find("Fabrikam, Inc.").unwrap()
            < start[recent..].find("All customers").unwrap()
    );
}

#[tokio::test]
async fn batches_are_listed_newest_first_and_devices_page_by_100() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(SALES, "/customers").await;

    let batches = browser
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    let position = |name: &str| {
        batches
            .find(name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert!(position("Kiosk refresh") < position("Contoso Laptops 2024"));
    assert!(position("Contoso Laptops 2024") < position("Contoso-PO-4711"));
    assert!(batches.contains("263"));
    // Relative to the list's own address (see urls::batch_from_list).
    assert!(batches.contains(r#"href="batches/Contoso%20Laptops%202024""#));

    let first = browser
        .page(
            &format!("/customers/{CONTOSO}/batches/Contoso%20Laptops%202024"),
            200,
        )
        .await;
    assert_eq!(rows(&first), 100);
    // What the batch list says of it, and a search of the customer's devices from its page.
    let shown = first.replace("<!>", "");
    let facts = &shown[shown.find("</h1>").unwrap()..];
    assert!(
        facts.starts_with("</h1><p class=\"muted\">263 devices · created <time datetime=\"2025-"),
        "{facts}"
    );
    assert!(
        facts[..facts.find("</p>").unwrap()].ends_with(" · finished"),
        "{facts}"
    );
    let find = &shown[shown
        .find("aria-label=\"Find a device of Contoso Ltd\"")
        .expect("a search")..];
    assert!(
        find.contains(&format!(
            r#"<input type="hidden" name="customer" value="{CONTOSO}">"#
        )),
        "{find}"
    );
    // A bookmarked last page works without visiting the ones before.
    let fresh = Browser::new(&app);
    fresh.sign_in(SALES, "/customers").await;
    let third = fresh
        .page(
            &format!("/customers/{CONTOSO}/batches/Contoso%20Laptops%202024?page=3"),
            200,
        )
        .await;
    assert_eq!(rows(&third), 63);
    assert!(third.contains("Page 3 of 3"), "{third}");
    assert!(third.contains("rel=\"prev\""));
    assert!(!third.contains("rel=\"next\""));

    let kiosk = browser
        .page(
            &format!("/customers/{CONTOSO}/batches/Kiosk%20refresh"),
            200,
        )
        .await;
    assert!(kiosk.contains("Shared kiosk"), "profile names, not ids");
}

#[tokio::test]
async fn partner_center_refusals_are_explained_in_words() {
    let app = spawn_app().await;

    let no_role = Browser::new(&app);
    no_role.sign_in(NO_ROLE, "/customers").await;
    let page = no_role.page("/customers", 403).await;
    assert!(page.contains("Admin agent or Sales agent"), "{page}");
    assert!(
        !page.contains("reseller relationship"),
        "not the customer's fault: {page}"
    );
    assert!(page.contains("Request id, to quote"), "{page}");

    let no_mfa = Browser::new(&app);
    no_mfa.sign_in(NO_MFA, "/customers").await;
    let page = no_mfa.page("/customers", 403).await;
    assert!(page.contains("multi-factor authentication"));

    let admin = Browser::new(&app);
    admin.sign_in(ADMIN, "/customers").await;
    let page = admin
        .page(&format!("/customers/{TAILSPIN}/batches"), 403)
        .await;
    // An Admin agent is told it is the customer's relationship, not their role, naming it.
    assert!(
        page.contains(
            "refused access to Tailspin Toys: your organisation has no reseller relationship"
        ),
        "{page}"
    );
    assert!(!page.contains("Admin agent or Sales agent"), "{page}");
    assert!(page.contains("Request id, to quote"), "{page}");
    let page = admin.page("/customers/not-a-customer/batches", 404).await;
    assert!(page.contains("Nothing is at this address"), "{page}");
    let page = admin
        .page(
            &format!("/customers/{CONTOSO}/batches/No%20such%20batch"),
            404,
        )
        .await;
    assert!(page.contains("was not found"));
}

#[tokio::test]
async fn markup_in_names_from_partner_center_is_shown_as_text() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let page = browser
        .page(
            "/customers/8b7c6a1e-0000-4000-8000-000000000005/batches",
            200,
        )
        .await;
    assert!(page.contains("&lt;b&gt;Angle&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<script>alert('batch')</script>"));
}

#[tokio::test]
async fn signing_out_is_a_post_that_ends_the_session() {
    let app = spawn_app().await;
    let store = app.store().await;
    let stored_tokens = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sign_ins")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    assert_eq!(stored_tokens().await, 1);
    let cookie = browser.cookie("ztd_session").unwrap();
    assert_eq!(browser.get("/auth/logout").await.status(), 405);
    let out = browser.post("/auth/logout").await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/signed-out");
    assert!(browser
        .page("/signed-out", 200)
        .await
        .contains("You signed out"));
    assert_eq!(stored_tokens().await, 0, "the tokens are deleted");

    let replay = Browser::new(&app);
    replay.set_cookie("ztd_session", &cookie);
    assert_eq!(
        replay.get("/customers").await.status(),
        303,
        "the old cookie is anonymous"
    );
}

#[tokio::test]
async fn every_page_download_and_server_function_needs_a_sign_in() {
    let app = spawn_app().await;
    let anonymous = Browser::new(&app);
    let upload = "00000000-0000-4000-8000-000000000000";
    let pages = [
        "/customers".to_string(),
        "/uploads".into(),
        "/audit".into(),
        format!("/customers/{CONTOSO}/batches"),
        format!("/customers/{CONTOSO}/batches/Contoso-PO-4711"),
        format!("/customers/{CONTOSO}/uploads"),
        format!("/customers/{CONTOSO}/uploads/new"),
        format!("/customers/{CONTOSO}/uploads/{upload}"),
        format!("/customers/{CONTOSO}/operations/{upload}"),
        format!("/customers/{CONTOSO}/operations/{upload}/failed.csv"),
        format!("/customers/{CONTOSO}/operations/{upload}/report.csv"),
        format!("/customers/{CONTOSO}/jobs/{upload}"),
        format!("/customers/{CONTOSO}/batches/Contoso-PO-4711/devices/x/delete"),
    ];
    for page in &pages {
        let response = anonymous.get(page).await;
        assert_eq!(response.status(), 303, "{page}");
        assert!(location(&response).starts_with("/auth/login"), "{page}");
    }
    for function in [
        "search_customers",
        "customer_batches",
        "batch_devices",
        "upload_form",
        "upload_preview",
        "get_operation",
        "upload_history",
        "audit_trail",
    ] {
        let response = anonymous.post(&format!("/api/{function}")).await;
        assert_eq!(response.status(), 401, "{function}");
    }
    // What stays open: health checks, sign-in, and the static files.
    assert_eq!(anonymous.get("/healthz").await.status(), 200);
    assert_eq!(anonymous.get("/auth/login").await.status(), 303);
    assert_ne!(anonymous.get("/pkg/ztd-dashboard.css").await.status(), 303);
}

#[tokio::test]
async fn cross_site_writes_are_refused_before_any_handler() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let url = format!("{}/auth/logout", app.address);
    let cross = browser
        .send(http().post(&url).header("Sec-Fetch-Site", "cross-site"))
        .await;
    assert_eq!(cross.status(), 403);
    // A sibling subdomain is "same-site", and Lax cookies travel with its requests.
    let sibling = browser
        .send(http().post(&url).header("Sec-Fetch-Site", "same-site"))
        .await;
    assert_eq!(sibling.status(), 403);
    let foreign = browser
        .send(http().post(&url).header("Origin", "https://evil.example"))
        .await;
    assert_eq!(foreign.status(), 403);
    browser.page("/customers", 200).await; // still signed in
    let same = browser
        .send(http().post(&url).header("Sec-Fetch-Site", "same-origin"))
        .await;
    assert_eq!(same.status(), 303);
}

#[tokio::test]
async fn tokens_are_refreshed_and_a_refused_refresh_signs_the_user_out() {
    // Tokens that live 60 s are always within the refresh margin: every call refreshes.
    let app = spawn_app_with(&[("ZTD_SANDBOX_TOKEN_LIFETIME_SECS", "60")]).await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    browser.page("/customers?q=cont", 200).await;
    browser.page("/customers?q=fab", 200).await; // the rotated refresh token was kept

    revoke_refresh_tokens_at(&app.sandbox_url).await;
    let page = browser.page("/customers?q=nor", 401).await;
    assert!(page.contains("Your sign-in has ended"));
    assert!(page.contains("/auth/login"));
}

#[tokio::test]
async fn tokens_never_reach_the_browser() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let pages = [
        "/customers".to_string(),
        format!("/customers/{CONTOSO}/batches"),
        format!("/customers/{CONTOSO}/batches/Contoso-PO-4711"),
    ];
    for path in pages {
        let body = browser.page(&path, 200).await;
        // Every token the sandbox issues is a JWT (eyJ…) or a 43-character refresh token.
        assert!(!body.contains("eyJ"), "{path} carries a JWT");
    }
    let cookie = browser.cookie("ztd_session").unwrap();
    assert!(cookie.len() < 40, "the cookie is an id, not a token");
}

/// The batch-list calls the sandbox received so far.
async fn batch_list_calls(app: &TestApp, customer: &str) -> usize {
    let path = format!("/v1/customers/{customer}/deviceBatches");
    admin_list_at(&app.sandbox_url, "requests")
        .await
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str() == Some(path.as_str()))
        .count()
}

#[tokio::test]
async fn a_batch_list_just_seen_is_shown_again_without_asking_and_a_submission_clears_it() {
    use common::uploads::{autopilot_csv, draft, file_form, submit, to_new_batch};
    // Long enough that only a submission can clear it during the test.
    let app = spawn_app_configured(&[], |config| {
        config.batch_list_ttl = std::time::Duration::from_secs(600)
    })
    .await;
    let admin = Browser::new(&app);
    admin.sign_in(ADMIN, "/customers").await;
    let path = format!("/customers/{FABRIKAM}/batches");

    admin.page(&path, 200).await;
    // Opening the customer starts the device index's own read of it in the background.
    app.index_read(FABRIKAM).await;
    let first = batch_list_calls(&app, FABRIKAM).await;
    assert!(first >= 1, "the first visit asks Partner Center");
    admin.page(&path, 200).await;
    assert_eq!(
        batch_list_calls(&app, FABRIKAM).await,
        first,
        "a second visit a moment later does not"
    );

    let sales = Browser::new(&app);
    sales.sign_in(SALES, "/customers").await;
    sales.page(&path, 200).await;
    assert_eq!(
        batch_list_calls(&app, FABRIKAM).await,
        first + 1,
        "another sign-in gets its own list"
    );

    let csv = autopilot_csv(61_000, 2).into_bytes();
    let preview = draft(
        &admin,
        FABRIKAM,
        to_new_batch(file_form("two.csv", csv), "Fresh from the dashboard"),
    )
    .await;
    submit(&admin, &preview).await;
    let before = batch_list_calls(&app, FABRIKAM).await;
    admin.page(&path, 200).await;
    assert_eq!(
        batch_list_calls(&app, FABRIKAM).await,
        before + 1,
        "after the dashboard's own submission the list is asked for again"
    );
}

#[tokio::test]
async fn a_page_address_with_a_trailing_slash_leads_to_the_one_without() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(SALES, "/customers").await;
    let slashed = browser
        .get(&format!("/customers/{CONTOSO}/batches/?x=1"))
        .await;
    assert_eq!(slashed.status(), 308);
    assert_eq!(
        location(&slashed),
        format!("/customers/{CONTOSO}/batches?x=1")
    );
    let elsewhere = browser.get("//evil.example/").await;
    assert_eq!(elsewhere.status(), 308);
    assert_eq!(location(&elsewhere), "/evil.example");
    // Writes are not redirected (a browser would not repeat the body everywhere).
    assert_ne!(browser.post("/auth/logout/").await.status(), 308);
}
