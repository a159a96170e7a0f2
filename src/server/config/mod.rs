//! The dashboard's one typed configuration: defaults, then an optional TOML file
//! (`ZTD_CONFIG=path`), then `ZTD_*` environment variables. Anything invalid stops start-up
//! with one line that names the setting.
//!
//! | setting (file key / environment) | default |
//! |---|---|
//! | `listen_addr` / `ZTD_LISTEN_ADDR` (or cargo-leptos's `LEPTOS_SITE_ADDR`) | `127.0.0.1:3000` |
//! | `public_url` / `ZTD_PUBLIC_URL` | `http://` + the listen address |
//! | `redirect_url` / `ZTD_REDIRECT_URL` | public URL + `/auth/callback` |
//! | `entra_tenant`, `entra_client_id`, `entra_client_secret` / `ZTD_ENTRA_…` | none: the sandbox |
//! | `entra_allowed_tenants` / `ZTD_ENTRA_ALLOWED_TENANTS` | the configured tenant (required, comma-separated tenant ids, when `entra_tenant` is `organizations` or `common`) |
//! | `entra_authority_host` / `ZTD_ENTRA_AUTHORITY_HOST` | `https://login.microsoftonline.com` |
//! | `partner_center_url` / `ZTD_PARTNER_CENTER_URL` | `https://api.partnercenter.microsoft.com` |
//! | `partner_center_timeout_secs` / `ZTD_PARTNER_CENTER_TIMEOUT_SECS` | 30 |
//! | `data_dir` / `ZTD_DATA_DIR` | `data` |
//! | `database_url` / `ZTD_DATABASE_URL` | `sqlite://<data_dir>/ztd-dashboard.db` (or `postgres://…`, shared by replicas) |
//! | `encryption_key` / `ZTD_ENCRYPTION_KEY` | 32 random bytes kept in `<data_dir>/encryption.key` (required with PostgreSQL) |
//! | `session_idle_timeout_mins` / `ZTD_SESSION_IDLE_TIMEOUT_MINS` | 60 |
//! | `session_absolute_timeout_hours` / `ZTD_SESSION_ABSOLUTE_TIMEOUT_HOURS` | 12 |
//! | `batch_list_reuse_secs` / `ZTD_BATCH_LIST_REUSE_SECS` | 5 (0: always ask Partner Center) |
//! | `work_lease_secs` / `ZTD_WORK_LEASE_SECS` | 30 (5 or more; how long a dead replica's work waits) |
//! | `site_root` / `ZTD_SITE_ROOT` (or cargo-leptos's `LEPTOS_SITE_ROOT`) | `target/site` |
//! | `sandbox_addr` / `ZTD_SANDBOX_ADDR` | `127.0.0.1:0` (a free port) |
//! | `sandbox_token_lifetime_secs` / `ZTD_SANDBOX_TOKEN_LIFETIME_SECS` | 3600 (short values exercise token refresh) |
//! | `sandbox_seed_size` / `ZTD_SANDBOX_SEED_SIZE` | `small`; `large` adds 50,000 devices (the device index's benchmark) |
//! | `upload_max_mb` / `ZTD_UPLOAD_MAX_MB` | 50 |
//! | `upload_max_rows` / `ZTD_UPLOAD_MAX_ROWS` | 50000 |
//! | `upload_chunk_size` / `ZTD_UPLOAD_CHUNK_SIZE` | 500 devices per Partner Center request |
//! | `header_read_timeout_secs` / `ZTD_HEADER_READ_TIMEOUT_SECS` | 30 (a request's headers, and an idle keep-alive connection) |
//! | `max_connections` / `ZTD_MAX_CONNECTIONS` | 512 open connections; more wait to be accepted |
//! | `body_min_bytes_per_sec` / `ZTD_BODY_MIN_BYTES_PER_SEC` | 1024, over each 10 s of a request body (0: no minimum) |
//! | `server_fn_max_kb` / `ZTD_SERVER_FN_MAX_KB` | 64 (largest request to a server function) |
//! | `pages_at_once` / `ZTD_PAGES_AT_ONCE` | 32 (pages and their data calls rendered at once; more wait their turn) |
//! | `parse_concurrency` / `ZTD_PARSE_CONCURRENCY` | the number of cores (uploaded files read at once; more wait) |
//! | `parse_per_user` / `ZTD_PARSE_PER_USER` | 2 (files one user may have read at once; more are refused) |
//! | `draft_retention_days` / `ZTD_DRAFT_RETENTION_DAYS` | 14 (unsubmitted drafts and their files are deleted then) |
//! | `device_index_refresh_secs` / `ZTD_DEVICE_INDEX_REFRESH_SECS` | 21600 (a customer's devices are read again this long after the last time) |
//! | `customer_list_ttl_secs` / `ZTD_CUSTOMER_LIST_TTL_SECS` | 600 (how long a sign-in's list of customers decides what a device search may show) |
//! | `device_index_reads_at_once` / `ZTD_DEVICE_INDEX_READS_AT_ONCE` | 4 (customers one process reads into the device index at the same time) |
//! | `device_writes_at_once` / `ZTD_DEVICE_WRITES_AT_ONCE` | 4 (calls one operation has under way at once: a deletion's `DELETE`s, an assignment's parts) |
//! | `trusted_proxies` / `ZTD_TRUSTED_PROXIES` | none (comma-separated addresses or networks, `10.0.0.0/8`, of the reverse proxies in front: only their `X-Request-Id` and `X-Forwarded-For` are believed) |
//! | `metrics_addr` / `ZTD_METRICS_ADDR` | none: no metrics (an address like `127.0.0.1:9100` serves Prometheus metrics at `/metrics`) |
//!
//! Logging is set up before the configuration is read, so it has environment variables only:
//! `RUST_LOG` (what is logged, `info` by default) and `ZTD_LOG_FORMAT` (`text`, or `json` for
//! one JSON object a line).
//!
//! Secret settings (`entra_client_secret`, `encryption_key`, `database_url`, which may hold a
//! password) are never repeated in an error, only named.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

mod values;
use values::{
    check_key, entra_settings, parse_http_url, parse_or, parse_pair, positive, reachable_url,
    read_file, whole_number,
};

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The app registration in the partner's Entra ID tenant.
#[derive(Clone, Debug)]
pub struct EntraSettings {
    /// Partner tenant id or domain (or `organizations`).
    pub tenant: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub authority_host: Url,
    /// Tenant ids whose users may sign in. Empty for a single-tenant authority, whose issuer
    /// already names the one tenant; required with `organizations` or `common`, which let any
    /// organisation's users reach the sign-in.
    pub allowed_tenants: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    /// The address browsers use to reach the dashboard.
    pub public_url: Url,
    /// Where Entra ID sends the browser back; must be registered byte for byte.
    pub redirect_url: Option<Url>,
    /// `None`: no Microsoft configuration, so the built-in sandbox is used.
    pub entra: Option<EntraSettings>,
    pub partner_center_url: Url,
    pub partner_center_timeout: Duration,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Base64 of 32 bytes; `None` means "generate one and keep it in the data directory".
    pub encryption_key: Option<Secret>,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
    /// How long a batch list a sign-in has just seen is shown again without asking Partner
    /// Center ([`super::caches::BatchLists`]); zero: always ask.
    pub batch_list_ttl: Duration,
    /// How long a replica that stopped answering keeps its work (an upload being sent or
    /// followed) before another replica takes it over ([`super::leases`]).
    pub work_lease: Duration,
    pub site_root: PathBuf,
    pub sandbox_addr: SocketAddr,
    /// Lifetime of the tokens the in-process sandbox issues.
    pub sandbox_token_lifetime: Duration,
    /// How much data the built-in sandbox seeds.
    pub sandbox_seed_size: crate::sandbox::config::SeedSize,
    /// Largest upload body; larger ones are answered 413 before they are read.
    pub upload_max_bytes: usize,
    /// Most device rows in one upload.
    pub upload_max_rows: usize,
    /// Devices per Partner Center request; larger uploads are sent in several.
    pub upload_chunk_size: usize,
    /// How long a connection may take to send a request's headers, and may stay idle between
    /// requests ([`super::connections`]).
    pub header_read_timeout: Duration,
    /// Open connections at most; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Bytes a request body must bring in each [`Config::body_rate_window`]; 0: no minimum.
    pub body_min_bytes_per_sec: u64,
    /// The window the body rate is judged over (10 s; tests shorten it).
    pub body_rate_window: Duration,
    /// Largest request body a server function reads.
    pub server_fn_max_bytes: usize,
    /// Pages and data calls rendered at once ([`super::pages_at_once`]).
    pub pages_at_once: usize,
    /// Uploaded files read at once by this process ([`super::uploads::parsing`]).
    pub parse_concurrency: usize,
    /// Uploaded files one user may have read at once.
    pub parse_per_user: usize,
    /// How long a draft that is never submitted is kept, with its file.
    pub draft_retention: Duration,
    /// How long a customer's entry in the device index is fresh (`device_index_refresh_secs`).
    pub device_index_refresh: Duration,
    /// How long a sign-in's customer list is used for device search before it is read again.
    pub customer_list_ttl: Duration,
    /// Customers one process reads into the device index at the same time.
    pub device_index_reads_at_once: usize,
    /// Partner Center calls one operation has under way at once (a bulk deletion's `DELETE`s,
    /// an assignment's parts): Partner Center deletes one device per request, and throttles
    /// a partner at about 500 requests a minute.
    pub device_writes_at_once: usize,
    /// The reverse proxies in front (`trusted_proxies`): a request from one of them may say
    /// its id (`X-Request-Id`) and who sent it (`X-Forwarded-For`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where Prometheus metrics are served (`metrics_addr`); none by default.
    pub metrics_addr: Option<SocketAddr>,
}

/// One invalid setting, said in one line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

/// Every setting's name: file key, and `ZTD_` + upper case for the environment.
const KEYS: [&str; 38] = [
    "listen_addr",
    "public_url",
    "redirect_url",
    "entra_tenant",
    "entra_client_id",
    "entra_client_secret",
    "entra_authority_host",
    "partner_center_url",
    "partner_center_timeout_secs",
    "data_dir",
    "database_url",
    "encryption_key",
    "session_idle_timeout_mins",
    "session_absolute_timeout_hours",
    "batch_list_reuse_secs",
    "work_lease_secs",
    "site_root",
    "sandbox_addr",
    "sandbox_token_lifetime_secs",
    "sandbox_seed_size",
    "upload_max_mb",
    "upload_max_rows",
    "upload_chunk_size",
    "entra_allowed_tenants",
    "header_read_timeout_secs",
    "max_connections",
    "body_min_bytes_per_sec",
    "server_fn_max_kb",
    "pages_at_once",
    "parse_concurrency",
    "parse_per_user",
    "draft_retention_days",
    "device_index_refresh_secs",
    "customer_list_ttl_secs",
    "device_index_reads_at_once",
    "device_writes_at_once",
    "trusted_proxies",
    "metrics_addr",
];

/// Settings whose values are never repeated in an error: a start-up log is read by more
/// people than the secrets are meant for.
const SECRET_KEYS: [&str; 3] = ["entra_client_secret", "encryption_key", "database_url"];

/// A value given for a setting, and where: the variable's name, or the file key.
struct Given {
    setting: String,
    raw: String,
    secret: bool,
}

impl Config {
    /// Loads from the process environment (and the file `ZTD_CONFIG` names, if any).
    pub fn from_env() -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Config::load(&env)
    }

    /// Loads from the given environment variables (tests pass their own).
    pub fn load(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let file = match env.get("ZTD_CONFIG").filter(|p| !p.trim().is_empty()) {
            Some(path) => read_file(Path::new(path))?,
            None => HashMap::new(),
        };
        let value = |key: &str| -> Option<Given> {
            let secret = SECRET_KEYS.contains(&key);
            let variable = format!("ZTD_{}", key.to_ascii_uppercase());
            if let Some(v) = env.get(&variable).filter(|v| !v.trim().is_empty()) {
                return Some(Given {
                    setting: variable,
                    raw: v.trim().to_string(),
                    secret,
                });
            }
            file.get(key)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Given {
                    setting: format!("{key} (in the ZTD_CONFIG file)"),
                    raw: v.trim().to_string(),
                    secret,
                })
        };
        // `cargo leptos serve` says where to listen in LEPTOS_SITE_ADDR.
        let listen = value("listen_addr").or_else(|| {
            env.get("LEPTOS_SITE_ADDR").map(|v| Given {
                setting: "LEPTOS_SITE_ADDR".to_string(),
                raw: v.clone(),
                secret: false,
            })
        });
        let listen_addr = parse_or(listen, "127.0.0.1:3000".parse().ok(), |v| {
            v.parse::<SocketAddr>()
                .map_err(|_| "expected an address like 127.0.0.1:3000".to_string())
        })?;
        let public_url = match value("public_url") {
            Some(given) => parse_pair(given, |raw| parse_http_url(raw).and_then(reachable_url))?,
            None => parse_http_url(&format!("http://{listen_addr}"))
                .and_then(reachable_url)
                .map_err(|problem| ConfigError {
                    setting: "ZTD_PUBLIC_URL".into(),
                    problem: format!("unset, so it would be http://{listen_addr}/, and {problem}"),
                })?,
        };
        let redirect_url = value("redirect_url")
            .map(|p| parse_pair(p, parse_http_url))
            .transpose()?;
        let entra = entra_settings(&value)?;
        let partner_center_url = parse_or(
            value("partner_center_url"),
            Url::parse("https://api.partnercenter.microsoft.com").ok(),
            parse_http_url,
        )?;
        let partner_center_timeout = Duration::from_secs(parse_or(
            value("partner_center_timeout_secs"),
            Some(30),
            positive,
        )?);
        let data_dir = PathBuf::from(
            value("data_dir")
                .map(|given| given.raw)
                .unwrap_or_else(|| "data".into()),
        );
        let database_url = value("database_url").map(|given| given.raw);
        let encryption_key = value("encryption_key")
            .map(|given| parse_pair(given, |v| check_key(v).map(|_| Secret::new(v))))
            .transpose()?;
        let session_idle_timeout = Duration::from_secs(
            60 * parse_or(value("session_idle_timeout_mins"), Some(60), positive)?,
        );
        let session_absolute_timeout = Duration::from_secs(
            3600 * parse_or(value("session_absolute_timeout_hours"), Some(12), positive)?,
        );
        let batch_list_ttl = Duration::from_secs(parse_or(
            value("batch_list_reuse_secs"),
            Some(super::caches::BATCH_LIST_TTL.as_secs()),
            whole_number,
        )?);
        let work_lease = Duration::from_secs(parse_or(value("work_lease_secs"), Some(30), |v| {
            match v.parse::<u64>() {
                // Renewed every third of it, over a database that may take a moment.
                Ok(n) if n >= 5 => Ok(n),
                _ => Err("expected a whole number of seconds, 5 or more".into()),
            }
        })?);
        let site_root = value("site_root")
            .map(|given| given.raw)
            .or_else(|| env.get("LEPTOS_SITE_ROOT").cloned())
            .unwrap_or_else(|| "target/site".into())
            .into();
        let sandbox_addr = parse_or(value("sandbox_addr"), "127.0.0.1:0".parse().ok(), |v| {
            v.parse::<SocketAddr>()
                .map_err(|_| "expected an address like 127.0.0.1:0".to_string())
        })?;
        let sandbox_token_lifetime = Duration::from_secs(parse_or(
            value("sandbox_token_lifetime_secs"),
            Some(3600),
            positive,
        )?);
        let sandbox_seed_size = parse_or(
            value("sandbox_seed_size"),
            Some(crate::sandbox::config::SeedSize::Small),
            str::parse,
        )?;
        let upload_max_bytes =
            1024 * 1024 * parse_or(value("upload_max_mb"), Some(50), positive)? as usize;
        let upload_max_rows = parse_or(value("upload_max_rows"), Some(50_000), positive)? as usize;
        let upload_chunk_size = parse_or(value("upload_chunk_size"), Some(500), positive)? as usize;
        let header_read_timeout = Duration::from_secs(parse_or(
            value("header_read_timeout_secs"),
            Some(30),
            positive,
        )?);
        let max_connections = parse_or(value("max_connections"), Some(512), positive)? as usize;
        let body_min_bytes_per_sec =
            parse_or(value("body_min_bytes_per_sec"), Some(1024), whole_number)?;
        let server_fn_max_bytes =
            1024 * parse_or(value("server_fn_max_kb"), Some(64), positive)? as usize;
        let pages_at_once = parse_or(value("pages_at_once"), Some(32), positive)? as usize;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let parse_concurrency =
            parse_or(value("parse_concurrency"), Some(cores), positive)? as usize;
        let parse_per_user = parse_or(value("parse_per_user"), Some(2), positive)? as usize;
        let device_index_refresh = Duration::from_secs(parse_or(
            value("device_index_refresh_secs"),
            Some(6 * 3600),
            positive,
        )?);
        let customer_list_ttl = Duration::from_secs(parse_or(
            value("customer_list_ttl_secs"),
            Some(600),
            positive,
        )?);
        let device_index_reads_at_once =
            parse_or(value("device_index_reads_at_once"), Some(4), positive)? as usize;
        let device_writes_at_once =
            parse_or(value("device_writes_at_once"), Some(4), positive)? as usize;
        let draft_retention = Duration::from_secs(
            86_400 * parse_or(value("draft_retention_days"), Some(14), positive)?,
        );
        let trusted_proxies = parse_or(value("trusted_proxies"), Some(Vec::new()), |raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<ipnet::IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            format!("“{s}” is not an address or a network like 10.0.0.0/8")
                        })
                })
                .collect()
        })?;
        let metrics_addr = match value("metrics_addr") {
            Some(given) => Some(parse_pair(given, |v| {
                v.parse::<SocketAddr>()
                    .map_err(|_| "expected an address like 127.0.0.1:9100".to_string())
            })?),
            None => None,
        };
        Ok(Config {
            trusted_proxies,
            metrics_addr,
            draft_retention,
            device_index_refresh,
            customer_list_ttl,
            device_index_reads_at_once,
            device_writes_at_once,
            parse_concurrency,
            parse_per_user,
            header_read_timeout,
            max_connections,
            body_min_bytes_per_sec,
            body_rate_window: Duration::from_secs(10),
            server_fn_max_bytes,
            pages_at_once,
            upload_max_bytes,
            upload_max_rows,
            upload_chunk_size,
            sandbox_token_lifetime,
            sandbox_seed_size,
            listen_addr,
            public_url,
            redirect_url,
            entra,
            partner_center_url,
            partner_center_timeout,
            data_dir,
            database_url,
            encryption_key,
            session_idle_timeout,
            session_absolute_timeout,
            batch_list_ttl,
            work_lease,
            site_root,
            sandbox_addr,
        })
    }

    /// The callback address: configured, or derived from the public URL.
    pub fn redirect_url_for(&self, public_url: &Url) -> Url {
        self.redirect_url.clone().unwrap_or_else(|| {
            public_url
                .join("/auth/callback")
                .unwrap_or_else(|_| public_url.clone())
        })
    }
}

#[cfg(test)]
mod tests;
