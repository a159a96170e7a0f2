//! Shared test harness: a real sandbox on port 0, and sign-in over real HTTP.
#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod hostile;
pub mod metrics;
pub mod process;
pub mod uploads;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use ztd_dashboard::sandbox::config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI,
};
use ztd_dashboard::sandbox::{FaultSettings, JobTiming, Sandbox, SandboxConfig};

pub const ADMIN: &str = "admin@sandbox-partner.onmicrosoft.com";
pub const SALES: &str = "sales@sandbox-partner.onmicrosoft.com";
pub const NO_MFA: &str = "nomfa@sandbox-partner.onmicrosoft.com";
pub const NO_ROLE: &str = "norole@sandbox-partner.onmicrosoft.com";
/// Another admin named “Avery Admin”, like [`ADMIN`]: a namesake, told apart by object id.
pub const NAMESAKE: &str = "avery.admin@sandbox-partner.onmicrosoft.com";
pub const PARTNER_CENTER_SCOPE: &str =
    "https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile";

/// A sandbox on a free port whose jobs finish in well under a second.
pub async fn sandbox() -> Sandbox {
    sandbox_with(|_| {}).await
}

pub async fn sandbox_with(tweak: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig {
        jobs: JobTiming {
            queued: Duration::from_millis(150),
            processing: Duration::from_millis(300),
        },
        ..SandboxConfig::default()
    };
    tweak(&mut config);
    Sandbox::start(config).await.expect("the sandbox starts")
}

/// An HTTP client that, like a test should, follows no redirects, and gives up on an answer
/// after two minutes: a request that hangs fails its test (with the test's captured output)
/// instead of stalling the whole run. (The longest answers, ten 50,000-row reports read at
/// once, take about 45 s alone, and longer while the PostgreSQL run goes side by side.)
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .expect("client builds")
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// The authorize URL the dashboard would send a browser to.
pub fn authorize_url(sandbox: &Sandbox, pkce: &Pkce, extra: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", &DEFAULT_CLIENT_ID.to_string())
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", DEFAULT_REDIRECT_URI)
        .append_pair("scope", PARTNER_CENTER_SCOPE)
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-456")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    for (key, value) in extra {
        query.append_pair(key, value);
    }
    format!(
        "{}/oauth2/v2.0/authorize?{}",
        sandbox.authority(),
        query.finish()
    )
}

/// Follows the authorize redirect and returns its query parameters.
pub async fn authorize(
    sandbox: &Sandbox,
    pkce: &Pkce,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let response = http()
        .get(authorize_url(sandbox, pkce, extra))
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status(), 303, "authorize should redirect");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(DEFAULT_REDIRECT_URI), "{location}");
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Posts to the token endpoint with the client secret in the body.
pub async fn token_request(sandbox: &Sandbox, form: &[(&str, &str)]) -> reqwest::Response {
    let client_id = DEFAULT_CLIENT_ID.to_string();
    let mut fields: Vec<(&str, &str)> = vec![
        ("client_id", client_id.as_str()),
        ("client_secret", DEFAULT_CLIENT_SECRET),
    ];
    fields.extend_from_slice(form);
    http()
        .post(format!("{}/oauth2/v2.0/token", sandbox.authority()))
        .form(&fields)
        .send()
        .await
        .expect("token endpoint answers")
}

#[derive(serde::Deserialize, Debug)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_in: u64,
    pub token_type: String,
    pub scope: String,
}

/// Signs `upn` in through authorize (with `login_hint`) and the token endpoint.
pub async fn sign_in(sandbox: &Sandbox, upn: &str) -> Tokens {
    let pkce = pkce();
    let params = authorize(sandbox, &pkce, &[("login_hint", upn)]).await;
    let code = param(&params, "code").expect("a code").to_string();
    let response = token_request(
        sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("a token response")
}

pub async fn set_faults(sandbox: &Sandbox, faults: FaultSettings) {
    set_faults_at(sandbox.base_url(), faults).await;
}

/// The same, for a sandbox known by its base URL.
pub async fn set_faults_at(base_url: &str, faults: FaultSettings) {
    let response = http()
        .put(admin_url(base_url, "faults"))
        .json(&faults)
        .send()
        .await
        .expect("admin answers");
    assert_eq!(response.status(), 200);
}

/// An address where nothing listens, ever: port 1 is privileged, so no test's server takes
/// it (a port that was free a moment ago may be taken by the other run's next server).
pub const CLOSED_URL: &str = "http://127.0.0.1:1";

/// A port that was free a moment ago: for a dashboard whose redirect URI must be registered
/// with its sandbox before the dashboard starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A sandbox that accepts sign-ins for a dashboard on `port` (and the test client's own).
pub async fn sandbox_for_dashboard_on(port: u16) -> Sandbox {
    sandbox_with(|config| {
        config.clients[0].redirect_uris = vec![
            DEFAULT_REDIRECT_URI.to_string(),
            format!("http://127.0.0.1:{port}/auth/callback"),
        ];
    })
    .await
}

/// The `ZTD_*` settings of a dashboard on `port` configured as for Microsoft but signing in
/// with `sandbox` and calling Partner Center at `partner_center`.
pub fn microsoft_settings(
    sandbox: &Sandbox,
    port: u16,
    partner_center: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("ZTD_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        (
            "ZTD_ENTRA_TENANT",
            sandbox.config().partner_tenant_id.to_string(),
        ),
        ("ZTD_ENTRA_CLIENT_ID", DEFAULT_CLIENT_ID.to_string()),
        ("ZTD_ENTRA_CLIENT_SECRET", DEFAULT_CLIENT_SECRET.to_string()),
        ("ZTD_ENTRA_AUTHORITY_HOST", sandbox.base_url().to_string()),
        ("ZTD_PARTNER_CENTER_URL", partner_center.to_string()),
    ]
}

/// The address of one of the sandbox's `/_sandbox/…` endpoints.
fn admin_url(base_url: &str, path: &str) -> String {
    format!("{}/_sandbox/{path}", base_url.trim_end_matches('/'))
}

/// A JSON list from one of the sandbox's `/_sandbox/…` endpoints.
async fn admin_list(sandbox: &Sandbox, path: &str) -> Vec<serde_json::Value> {
    admin_list_at(sandbox.base_url(), path).await
}

/// The same, for a sandbox known by its base URL (the one a [`TestApp`] started).
pub async fn admin_list_at(base_url: &str, path: &str) -> Vec<serde_json::Value> {
    match admin_json_at(base_url, path).await {
        serde_json::Value::Array(list) => list,
        other => panic!("not a JSON list: {other}"),
    }
}

/// How the audit trail names a device of `customer` the sandbox holds: "SERIAL (MODEL)".
pub async fn audit_name(base_url: &str, customer: &str, device_id: &str) -> String {
    let devices = admin_list_at(base_url, &format!("customers/{customer}/devices")).await;
    let device = devices
        .iter()
        .find(|d| d["id"] == device_id)
        .expect("the device is in the sandbox");
    format!(
        "{} ({})",
        device["serialNumber"].as_str().unwrap(),
        device["modelName"].as_str().unwrap()
    )
}

/// The JSON answer of one of the sandbox's `GET /_sandbox/…` endpoints.
pub async fn admin_json_at(base_url: &str, path: &str) -> serde_json::Value {
    http()
        .get(admin_url(base_url, path))
        .send()
        .await
        .expect("admin answers")
        .json()
        .await
        .expect("a JSON answer")
}

/// Makes every refresh token the sandbox has issued invalid; returns how many there were.
pub async fn revoke_refresh_tokens_at(base_url: &str) -> u64 {
    let response = http()
        .post(admin_url(base_url, "revoke-refresh-tokens"))
        .send()
        .await
        .expect("admin answers");
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.expect("a JSON answer");
    answer["revoked"].as_u64().expect("a count")
}

/// Empties the sandbox's log of Partner Center requests.
pub async fn clear_request_log_at(base_url: &str) {
    let response = http()
        .delete(admin_url(base_url, "requests"))
        .send()
        .await
        .expect("admin answers");
    assert!(response.status().is_success());
}

/// The Partner Center requests the sandbox received, oldest first.
pub async fn request_log(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    admin_list(sandbox, "requests").await
}

/// Every device of a customer as the sandbox stores it (hashes included).
pub async fn stored_devices(sandbox: &Sandbox, customer: uuid::Uuid) -> Vec<serde_json::Value> {
    admin_list(sandbox, &format!("customers/{customer}/devices")).await
}

/// The real dashboard on port 0 with its in-process sandbox, a fresh data directory and a
/// fresh database.
pub struct TestApp {
    pub address: String,
    pub sandbox_url: String,
    pub data_dir: std::path::PathBuf,
    pub database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl TestApp {
    /// The app's own database, to arrange or inspect what the pages cannot.
    pub async fn store(&self) -> ztd_dashboard::server::store::Store {
        ztd_dashboard::server::store::Store::open(&self.database.url)
            .await
            .expect("the app's database opens")
    }

    /// Waits (up to 20 s) until the device index has read `customer` once: opening a customer
    /// starts that read in the background, and a test counting Partner Center calls must not
    /// count it by chance on one run and not on the next.
    pub async fn index_read(&self, customer: &str) {
        let store = self.store().await;
        let tenant = ztd_dashboard::sandbox::config::PARTNER_TENANT_ID.to_string();
        for _ in 0..400 {
            let entry = store.index_entry(&tenant, customer).await.unwrap();
            if entry.is_some_and(|e| e.checked_at.is_some()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the device index never read {customer}");
    }
}

/// The tests' PostgreSQL server (an admin URL whose role may create databases), when the
/// suite runs on PostgreSQL: `make test` sets it when one answers (scripts/postgres.sh).
pub fn postgres_server() -> Option<String> {
    std::env::var("ZTD_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The encryption key replicas share in the tests (a shared database needs one).
pub const TEST_ENCRYPTION_KEY: &str = "dGVzdHMtb25seS10ZXN0cy1vbmx5LXRlc3RzLW9ubHk=";

/// A test's own database: a SQLite file in its data directory, or a new database on the
/// tests' PostgreSQL server, dropped with this. That database sorts and lowers text as
/// English does (ICU `en-US`: `a < B`, `lower('É') = 'é'`), unlike SQLite: the dashboard must
/// list things the same on both, whatever locale a partner's database was made with. ICU
/// locales need PostgreSQL 15 or later (Debian 12's, which `scripts/postgres.sh` installs);
/// on an older server the database is made with the C locale.
pub struct TestDatabase {
    pub url: String,
    /// `(server admin URL, database name)` for a PostgreSQL database.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// On the tests' PostgreSQL server when the suite runs on one, else SQLite.
    pub async fn fresh(data_dir: &std::path::Path) -> TestDatabase {
        TestDatabase::fresh_on(data_dir, postgres_server()).await
    }

    /// On the PostgreSQL server `server` (an admin URL), or SQLite when `None`: for a
    /// benchmark that measures both backends in one run.
    pub async fn fresh_on(data_dir: &std::path::Path, server: Option<String>) -> TestDatabase {
        let Some(server) = server else {
            return TestDatabase {
                url: format!("sqlite://{}", data_dir.join("ztd-dashboard.db").display()),
                postgres: None,
            };
        };
        let name = format!("ztd_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
            .await
            .expect("the tests' PostgreSQL server answers");
        let version: String = sqlx::query_scalar("SHOW server_version_num")
            .fetch_one(&mut admin)
            .await
            .expect("the tests' PostgreSQL server tells its version");
        // ICU locales came with PostgreSQL 15. An older server still runs the suite, on a
        // database that sorts byte by byte, which cannot show a locale-dependent order.
        let locale = if version.parse::<u32>().unwrap_or(0) >= 150_000 {
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        } else {
            eprintln!(
                "PostgreSQL {version} has no ICU locales (15 or later has): test databases \
                 use the C locale"
            );
            "LOCALE 'C'"
        };
        sqlx::query(&format!(
            "CREATE DATABASE {name} {locale} ENCODING 'UTF8' TEMPLATE template0"
        ))
        .execute(&mut admin)
        .await
        .expect("a test database is created");
        let mut url = url::Url::parse(&server).expect("ZTD_TEST_POSTGRES is a URL");
        url.set_path(&name);
        TestDatabase {
            url: url.to_string(),
            postgres: Some((server, name)),
        }
    }

    /// Settings that point a dashboard at this database.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let mut settings = vec![("ZTD_DATABASE_URL", self.url.clone())];
        if self.postgres.is_some() {
            settings.push(("ZTD_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY.to_string()));
        }
        settings
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(mut admin) =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&server).await
                {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            })
        })
        .join();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// `settings` are extra `ZTD_*` variables.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    spawn_app_configured(settings, |_| {}).await
}

/// As [`spawn_app_with`], then `tweak` changes what no variable can (durations in seconds).
pub async fn spawn_app_configured(
    settings: &[(&str, &str)],
    tweak: impl FnOnce(&mut ztd_dashboard::server::Config),
) -> TestApp {
    let data_dir = std::env::temp_dir().join(format!("ztd-test-{}", uuid::Uuid::new_v4()));
    let database = TestDatabase::fresh(&data_dir).await;
    let mut env: std::collections::HashMap<String, String> = [
        ("ZTD_LISTEN_ADDR", "127.0.0.1:0"),
        ("ZTD_DATA_DIR", data_dir.to_str().unwrap()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain(
        database
            .settings()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    )
    .collect();
    for (k, v) in settings {
        env.insert(k.to_string(), v.to_string());
    }
    let mut config = ztd_dashboard::server::Config::load(&env).expect("valid test configuration");
    tweak(&mut config);
    let app = ztd_dashboard::server::startup::Application::build(config)
        .await
        .expect("the dashboard starts");
    let address = app.public_url().as_str().trim_end_matches('/').to_string();
    // Configured for Microsoft (pointed at a test's own sandbox), there is no built-in one.
    let sandbox_url = app
        .sandbox()
        .map(|sandbox| sandbox.base_url().to_string())
        .unwrap_or_default();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        address,
        sandbox_url,
        data_dir,
        database,
    }
}

/// A browser stand-in: keeps cookies by hand (so tests can read their attributes), follows
/// no redirects.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    pub cookies: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// The last `Set-Cookie` header received for each cookie name, attributes and all.
    pub set_cookies: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.address.clone(),
            http: http(),
            cookies: Default::default(),
            set_cookies: Default::default(),
        }
    }

    /// The same browser (its cookies) talking to another replica of the dashboard, as a load
    /// balancer would send it.
    pub fn via(&self, address: &str) -> Browser {
        Browser {
            base: address.trim_end_matches('/').to_string(),
            http: http(),
            cookies: std::sync::Mutex::new(self.cookies.lock().unwrap().clone()),
            set_cookies: Default::default(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    /// The last `Set-Cookie` header received for `name`.
    pub fn set_cookie_header(&self, name: &str) -> Option<String> {
        self.set_cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.into(), value.into());
    }

    /// Sends `request` with this browser's cookies and keeps the cookies it is given. A form
    /// that was not done is answered with a redirect back to its page carrying the refusal
    /// (`?refused=…`); like a browser, this follows it, so the answer is the page that says
    /// why, with the refusal's status.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let response = self.send_once(request).await;
        let refused = response.status() == 303
            && response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.contains("refused="));
        if !refused {
            return response;
        }
        let back = location(&response);
        self.send_once(self.http.get(format!("{}{back}", self.base)))
            .await
    }

    /// Sends `request` and gives its answer as it is, a refusal's redirect too.
    pub async fn send_once(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let header = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if header.is_empty() {
            request
        } else {
            request.header("cookie", header)
        };
        let response = request.send().await.expect("the dashboard answers");
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap().to_string();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = text.to_ascii_lowercase().contains("max-age=0");
            let mut cookies = self.cookies.lock().unwrap();
            if expired || value.is_empty() {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_string(), value.to_string());
            }
            self.set_cookies
                .lock()
                .unwrap()
                .insert(name.to_string(), text.clone());
        }
        response
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// A GET to build on (extra headers); send it with [`Browser::send`].
    pub fn get_to(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    /// A POST to build on (a form, a multipart body); send it with [`Browser::send`].
    pub fn post_to(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.send(self.http.post(format!("{}{path}", self.base)))
            .await
    }

    /// Follows the dashboard's sign-in through the sandbox as `upn`; returns the final
    /// redirect (the page first asked for).
    pub async fn sign_in(&self, upn: &str, return_to: &str) -> String {
        let login = self
            .get(&format!(
                "/auth/login?return_to={}",
                ztd_dashboard::urls::encode(return_to)
            ))
            .await;
        assert_eq!(login.status(), 303);
        let authorize = location(&login);
        let to_callback = http()
            .get(format!("{authorize}&login_hint={upn}"))
            .send()
            .await
            .unwrap();
        let callback = location(&to_callback);
        let path = callback
            .strip_prefix(&self.base)
            .expect("back to the dashboard");
        let done = self.get(path).await;
        assert_eq!(
            done.status(),
            303,
            "{}",
            done.text().await.unwrap_or_default()
        );
        location(&done)
    }

    /// The body of a page, asserting its status.
    pub async fn page(&self, path: &str, status: u16) -> String {
        let response = self.get(path).await;
        let actual = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(actual, status, "{path}: {}", &body[..body.len().min(2000)]);
        body
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// What a server-rendered page hands its browser for hydration (each resource's data: base64
/// of postcard, `api::codec`), decoded to text as far as it is text: for tests that look for
/// what a page carries, not only for what it shows.
pub fn hydration_data(html: &str) -> String {
    use base64::Engine;
    let mut text = String::new();
    for piece in html.split("__RESOLVED_RESOURCES[").skip(1) {
        let Some(encoded) = piece.split('"').nth(1) else {
            continue;
        };
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded)
            .unwrap_or_else(|error| panic!("page data that is not base64 ({error}): {encoded}"));
        text.push_str(&String::from_utf8_lossy(&bytes));
        text.push('\n');
    }
    text
}
