//! Strangers and slow clients cannot hurt a deployment (SECURITY.md 29–40): starting sign-ins
//! writes nothing, the audit trail takes no text from a caller, silent and slow connections
//! are dropped, connections are capped, server functions refuse bad requests in words,
//! readiness does not call Microsoft, cookies are `__Host-` over HTTPS, and the sandbox's
//! admin routes stay on loopback.

mod common;

use std::time::{Duration, Instant};

use common::uploads::*;
use common::*;
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::Decodes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ztd_dashboard::model::AppError;

/// The dashboard's `host:port`.
fn host(app: &TestApp) -> String {
    app.address
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_string()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(app.store().await.pool())
        .await
        .unwrap()
}

/// Reads what the server sends until it closes the connection (or `limit` passes, which
/// fails the test).
async fn until_closed(socket: &mut TcpStream, limit: Duration) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let read_all = async {
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read_all)
        .await
        .expect("the server closed the connection in time");
    String::from_utf8_lossy(&received).into_owned()
}

// ----- 29: starting a sign-in writes nothing -----

#[tokio::test]
async fn starting_sign_ins_writes_nothing_however_many_and_however_long() {
    let app = spawn_app().await;
    let long = format!("/customers?x={}", "a".repeat(60 * 1024));
    let query = format!(
        "/auth/login?return_to={}",
        ztd_dashboard::urls::encode(&long)
    );
    let client = http();
    let started = futures::future::join_all((0..300).map(|_| {
        let client = client.clone();
        let url = format!("{}{query}", app.address);
        async move { client.get(url).send().await.unwrap() }
    }))
    .await;
    for response in &started {
        assert_eq!(response.status(), 303);
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("ztd_sign_in="), "{cookie}");
        assert!(
            cookie.len() < 4096,
            "fits in a browser's cookie: {}",
            cookie.len()
        );
    }
    assert_eq!(count(&app, "sessions").await, 0, "no session rows");
    assert_eq!(count(&app, "sign_ins").await, 0);
    if !app.database.is_postgres() {
        let file = app.data_dir.join("ztd-dashboard.db");
        let wal = app.data_dir.join("ztd-dashboard.db-wal");
        let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
        assert!(
            size(&file) + size(&wal) < 2 * 1024 * 1024,
            "{} bytes",
            size(&file) + size(&wal)
        );
    }

    // A "return to" over 2 KB is dropped for the start page; one within it is kept.
    let browser = Browser::new(&app);
    assert_eq!(browser.sign_in(ADMIN, &long).await, "/");
    let kept = format!("/customers?q={}", "c".repeat(1900));
    let browser = Browser::new(&app);
    assert_eq!(browser.sign_in(ADMIN, &kept).await, kept);
}

// ----- 30: the audit trail takes no text from the caller -----

#[tokio::test]
async fn a_refused_sign_in_is_audited_by_its_code_never_by_the_callers_text() {
    let app = spawn_app().await;
    for code in ["temporarily_unavailable", "call_us_now"] {
        // A sign-in this browser started, so the failure is recorded at all.
        let stranger = Browser::new(&app);
        stranger.get("/auth/login").await;
        let shown = stranger
            .page(
                &format!(
                    "/auth/callback?error={code}&error_description=Call%20%3Cb%3E0800%20FRAUD%3C%2Fb%3E"
                ),
                400,
            )
            .await;
        // The browser that came back is told, escaped.
        assert!(
            shown.contains("Call &lt;b&gt;0800 FRAUD&lt;/b&gt;"),
            "{shown}"
        );
    }
    let admin = signed_in(&app).await;
    let audit = admin.page("/audit", 200).await;
    assert!(
        audit.contains("error code temporarily_unavailable"),
        "{audit}"
    );
    assert!(audit.contains("error code other"), "{audit}");
    assert!(
        !audit.contains("FRAUD"),
        "no caller text in the audit trail"
    );
    assert!(
        !audit.contains("call_us_now"),
        "no caller-chosen code either"
    );
}

// ----- 31: silent and idle connections are dropped -----

#[tokio::test]
async fn connections_that_stop_sending_headers_or_stay_idle_are_closed() {
    let app = spawn_app_configured(&[], |config| {
        config.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..50 {
        let mut socket = TcpStream::connect(host(&app)).await.unwrap();
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        silent.push(socket);
    }
    let started = Instant::now();
    for socket in &mut silent {
        until_closed(socket, Duration::from_secs(10)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A keep-alive connection left idle after its answer is closed too.
    let mut idle = TcpStream::connect(host(&app)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

// ----- 32: open connections are capped -----

#[tokio::test]
async fn past_the_connection_cap_new_connections_wait_for_a_free_place() {
    let app = spawn_app_configured(&[("ZTD_MAX_CONNECTIONS", "4")], |config| {
        config.header_read_timeout = Duration::from_secs(2);
    })
    .await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        let mut socket = TcpStream::connect(host(&app)).await.unwrap();
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        holders.push(socket);
    }
    // Let the server accept all four before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut fifth = TcpStream::connect(host(&app)).await.unwrap();
    fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut fifth, Duration::from_secs(15)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "answered after {:?}: the fifth was accepted while four were open",
        started.elapsed()
    );
}

// ----- 33: request bodies must keep arriving -----

#[tokio::test]
async fn an_upload_body_that_trickles_is_answered_408_and_the_connection_closed() {
    let app = spawn_app_configured(&[], |config| {
        config.body_rate_window = Duration::from_secs(1);
    })
    .await;
    let browser = signed_in(&app).await;
    let cookie = browser.cookie("ztd_session").unwrap();
    let mut socket = TcpStream::connect(host(&app)).await.unwrap();
    let head = format!(
        "POST /customers/{CONTOSO}/uploads HTTP/1.1\r\nHost: x\r\nCookie: ztd_session={cookie}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n\
         --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();
    let trickle = tokio::spawn(async move {
        // 20 bytes a second: far under the minimum of 1 KB a second.
        while writer.write_all(b"SN-1,,AAAA\r\nSN-2,,BB").await.is_ok() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut received = Vec::new();
    let read_all = async {
        let mut buffer = [0u8; 4096];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(15), read_all)
        .await
        .expect("answered and closed while the body was still trickling");
    trickle.abort();
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("arrived too slowly"), "{answer}");
    assert_eq!(count(&app, "uploads").await, 0, "nothing was kept");
}

// ----- 34: server functions refuse bad requests in words -----

#[tokio::test]
async fn malformed_server_function_requests_are_refused_in_words_never_500() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let form = "application/x-www-form-urlencoded";
    // The server function's own path (its name and a hash of its signature).
    let path = <ztd_dashboard::api::SearchCustomers as leptos::server_fn::ServerFn>::PATH;
    let call = |content_type: &'static str, body: Vec<u8>| {
        browser
            .post_to(path)
            .header("content-type", content_type)
            .body(body)
    };
    let ok = browser
        .send(call(form, b"query=con&field=Name&page=1".to_vec()))
        .await;
    assert_eq!(ok.status(), 200, "a genuine call still works");

    let huge = format!("query={}&field=Name&page=1", "a".repeat(3 * 1024 * 1024));
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("3 MB", call(form, huge.into_bytes()), 413),
        ("JSON", call("application/json", b"{}".to_vec()), 415),
        ("no arguments", call(form, Vec::new()), 400),
        (
            "missing page",
            call(form, b"query=a&field=Name".to_vec()),
            400,
        ),
        (
            "unknown field",
            call(form, b"query=a&field=Nope&page=1".to_vec()),
            400,
        ),
        (
            "negative page",
            call(form, b"query=a&field=Name&page=-1".to_vec()),
            400,
        ),
        (
            "page past u32",
            call(form, b"query=a&field=Name&page=99999999999".to_vec()),
            400,
        ),
        ("GET", browser.get_to(path), 405),
    ];
    for (case, request, status) in cases {
        let response = browser.send(request).await;
        assert_eq!(response.status().as_u16(), status, "{case}");
        // Encoded as every server function's error is, so the pages can read it.
        type Encoding = <AppError as FromServerFnError>::Encoder;
        let body = response.bytes().await.unwrap();
        let error = <Encoding as Decodes<AppError>>::decode(body.clone())
            .unwrap_or_else(|_| panic!("{case}: {body:?}"));
        let AppError::BadInput(sentence) = error else {
            panic!("{case}: {error:?}");
        };
        assert!(
            sentence.ends_with('.') && sentence.len() > 30,
            "{case}: {sentence}"
        );
    }
}

// ----- 35: readiness never calls Partner Center -----

#[tokio::test]
async fn readiness_answers_from_the_database_while_partner_center_is_down() {
    // Partner Center at an address where nothing listens.
    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let settings = microsoft_settings(&sandbox, port, CLOSED_URL);
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&settings).await;
    let browser = Browser::new(&app);
    let ready: serde_json::Value =
        serde_json::from_str(&browser.page("/readyz", 200).await).unwrap();
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["partner_center"]["last_request"], "none yet");
    // A real call fails: readiness says so beside the status, and stays ready.
    browser.sign_in(ADMIN, "/customers").await;
    let page = browser.get(&format!("/customers/{CONTOSO}/batches")).await;
    assert_ne!(page.status(), 200);
    let ready: serde_json::Value =
        serde_json::from_str(&browser.page("/readyz", 200).await).unwrap();
    assert_eq!(ready["partner_center"]["last_request"], "not reachable");
    assert!(ready["partner_center"]["at"].as_str().unwrap().len() > 10);
}

// ----- 36: `__Host-` cookies over HTTPS -----

#[tokio::test]
async fn behind_https_both_cookies_carry_the_host_prefix() {
    let app = spawn_app_with(&[("ZTD_PUBLIC_URL", "https://127.0.0.1:0")]).await;
    // TLS ends at the proxy: the dashboard itself is reached over plain HTTP.
    let plain = format!("http://{}", host(&app));
    let client = http();
    let login = client
        .get(format!("{plain}/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let started = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(started.starts_with("__Host-ztd_sign_in="), "{started}");
    for attribute in ["Secure", "Path=/", "HttpOnly"] {
        assert!(started.contains(attribute), "{started}");
    }
    assert!(
        !started.to_ascii_lowercase().contains("domain"),
        "{started}"
    );
    let pair = started.split(';').next().unwrap().to_string();
    let authorize = location(&login);
    let callback = location(
        &client
            .get(format!("{authorize}&login_hint={ADMIN}"))
            .send()
            .await
            .unwrap(),
    );
    assert!(callback.starts_with("https://"), "{callback}");
    let done = client
        .get(callback.replacen("https://", "http://", 1))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let session = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.contains("ztd_session"))
        .expect("a session cookie");
    assert!(session.starts_with("__Host-ztd_session="), "{session}");
    assert!(
        session.contains("Secure") && session.contains("Path=/"),
        "{session}"
    );
    let session_pair = session.split(';').next().unwrap();
    let page = client
        .get(format!("{plain}/customers"))
        .header("cookie", session_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "signed in with the prefixed cookie");
    // The unprefixed name means nothing there.
    let unprefixed = session_pair.trim_start_matches("__Host-");
    let page = client
        .get(format!("{plain}/customers"))
        .header("cookie", unprefixed)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
}

// ----- 37: the sandbox's admin routes stay on loopback -----

#[tokio::test]
async fn the_sandbox_admin_routes_answer_only_on_a_loopback_listener() {
    let on_loopback = sandbox().await;
    let faults = http()
        .get(format!("{}/_sandbox/faults", on_loopback.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);

    let everywhere = sandbox_with(|config| {
        config.addr = "0.0.0.0:0".parse().unwrap();
    })
    .await;
    let port = everywhere.local_addr().port();
    for path in ["_sandbox", "_sandbox/faults", "_sandbox/tokens"] {
        let response = http()
            .get(format!("http://127.0.0.1:{port}/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let reset = http()
        .post(format!("http://127.0.0.1:{port}/_sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 404);
    // Its simulated services still answer.
    let discovery = http()
        .get(format!(
            "http://127.0.0.1:{port}/{}/v2.0/.well-known/openid-configuration",
            everywhere.config().partner_tenant_id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 200);
}

// ----- 38: the sandbox says so on every page -----

#[tokio::test]
async fn pages_say_when_the_dashboard_runs_on_the_sandbox_and_only_then() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let page = browser.page("/customers", 200).await;
    assert!(page.contains("class=\"sandbox-banner\""), "{page}");
    assert!(page.contains("nothing here reaches Microsoft"), "{page}");

    let port = free_port();
    let sandbox = sandbox_for_dashboard_on(port).await;
    let settings = microsoft_settings(&sandbox, port, sandbox.base_url());
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let microsoft = spawn_app_with(&settings).await;
    let browser = Browser::new(&microsoft);
    browser.sign_in(ADMIN, "/customers").await;
    let page = browser.page("/customers", 200).await;
    assert!(!page.contains("sandbox-banner"), "{page}");
}

/// Pages wait for a turn to render (`pages_at_once`), so a crowd's memory has a ceiling: with
/// one turn, two pages that each wait on Partner Center are rendered one after the other,
/// while `/healthz`, not a page, answers meanwhile. Judged by the order and spacing of the
/// answers, bounds that a busy machine (two test runs side by side) only widens.
#[tokio::test]
async fn pages_beyond_pages_at_once_wait_their_turn() {
    let app = spawn_app_with(&[("ZTD_PAGES_AT_ONCE", "1")]).await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let latency = Duration::from_millis(500);
    set_faults_at(
        &app.sandbox_url,
        ztd_dashboard::sandbox::FaultSettings {
            latency_ms: latency.as_millis() as u64,
            ..Default::default()
        },
    )
    .await;
    // Each page's first visit asks Partner Center about its customer, which takes `latency`.
    let page = |customer: &str| {
        let path = format!("/customers/{customer}/batches");
        let browser = &browser;
        async move {
            let status = browser.get(&path).await.status().as_u16();
            (status, Instant::now())
        }
    };
    let health = async {
        tokio::time::sleep(latency / 3).await;
        let answer = http().get(format!("{}/healthz", app.address)).send().await;
        (answer.map(|a| a.status().as_u16()).ok(), Instant::now())
    };
    let ((contoso, contoso_at), (fabrikam, fabrikam_at), (health, health_at)) =
        tokio::join!(page(CONTOSO), page(FABRIKAM), health);
    assert_eq!((contoso, fabrikam, health), (200, 200, Some(200)));
    let (first, second) = (contoso_at.min(fabrikam_at), contoso_at.max(fabrikam_at));
    // The second page's turn came when the first had its answer; then it waited on Partner
    // Center itself. Rendered at once, they would have been answered together.
    assert!(
        second - first >= latency.mul_f64(0.8),
        "the two pages answered {:?} apart: rendered at once, not in turn",
        second - first
    );
    assert!(
        health_at < second,
        "/healthz answered {:?} after the second page: it waited for a turn",
        health_at - second
    );
}
