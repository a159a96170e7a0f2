//! Builds the application: binds the listener, starts the sandbox when no Microsoft
//! configuration is given, and assembles the router. Tests build it on port 0 and read the
//! bound address back, exactly as `main` runs it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use leptos::prelude::*;
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use url::Url;

use super::config::Config;
use super::crypto::TokenCipher;
use super::oidc::Oidc;
use super::store::{Backend, Store};
use super::{auth, connections, device_index, reconcile, uploads, AppState};
use crate::partner_center::{ClientConfig, PartnerCenterClient};
use crate::sandbox::{RegisteredClient, Sandbox, SandboxConfig};

/// Why the dashboard could not start, in one line.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the built-in sandbox: {0}")]
    Sandbox(std::io::Error),
    #[error("cannot set up the Partner Center client: {0}")]
    PartnerCenter(String),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(String),
    #[error("cannot set up sign-in: {0}")]
    SignIn(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    limits: connections::Limits,
    public_url: Url,
    sandbox: Option<Sandbox>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartupError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartupError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let database_url = config.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                config.data_dir.join("ztd-dashboard.db").display()
            )
        });
        if Backend::of(&database_url) == Some(Backend::Postgres) && config.encryption_key.is_none()
        {
            // Each replica would make its own key and could not read the tokens the others
            // stored: every user would be signed out whenever the balancer switched replicas.
            return Err(StartupError::Database(
                "with a shared PostgreSQL database, set ZTD_ENCRYPTION_KEY, the same on every \
                 replica (e.g. from `openssl rand -base64 32`)"
                    .into(),
            ));
        }
        let store = Store::open(&database_url)
            .await
            .map_err(|e| StartupError::Database(e.to_string()))?;
        let cipher = TokenCipher::new(&encryption_key(&config)?);

        let listener = TcpListener::bind(config.listen_addr)
            .await
            .map_err(|source| StartupError::Listen {
                addr: config.listen_addr,
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                addr: config.listen_addr,
                source,
            })?;
        let mut public_url = config.public_url.clone();
        if config.listen_addr.port() == 0 {
            // Port 0 (tests): the public URL takes the port actually bound.
            let _ = public_url.set_port(Some(local_addr.port()));
        }
        let redirect_url = config.redirect_url_for(&public_url);

        let (sandbox, partner_center_url) = match config.entra {
            Some(_) => (None, config.partner_center_url.clone()),
            None => {
                let sandbox = Sandbox::start(SandboxConfig {
                    addr: config.sandbox_addr,
                    clients: vec![RegisteredClient {
                        redirect_uris: vec![redirect_url.to_string()],
                        ..RegisteredClient::default()
                    }],
                    access_token_lifetime: config.sandbox_token_lifetime,
                    size: config.sandbox_seed_size,
                    ..SandboxConfig::default()
                })
                .await
                .map_err(StartupError::Sandbox)?;
                let url = Url::parse(sandbox.base_url())
                    .map_err(|e| StartupError::PartnerCenter(e.to_string()))?;
                (Some(sandbox), url)
            }
        };
        let partner_center = PartnerCenterClient::new(ClientConfig {
            base_url: partner_center_url,
            attempt_timeout: config.partner_center_timeout,
            ..ClientConfig::default()
        })
        .map_err(|e| StartupError::PartnerCenter(e.to_string()))?;

        let oidc = match (&config.entra, &sandbox) {
            (Some(entra), _) => Oidc::new(
                &format!(
                    "{}/{}",
                    entra.authority_host.as_str().trim_end_matches('/'),
                    entra.tenant
                ),
                &entra.tenant,
                &entra.client_id,
                entra.client_secret.expose(),
                redirect_url.as_str(),
            )
            .map(|oidc| oidc.allow_tenants(&entra.allowed_tenants)),
            (None, Some(sandbox)) => {
                let client = &sandbox.config().clients[0];
                Oidc::new(
                    &sandbox.authority(),
                    &sandbox.config().partner_tenant_id.to_string(),
                    &client.client_id,
                    &client.client_secret,
                    redirect_url.as_str(),
                )
            }
            (None, None) => Err("no identity provider".to_string()),
        }
        .map_err(StartupError::SignIn)?;

        let sessions = super::sessions::Sessions::new(store.clone());
        tokio::spawn(
            sessions
                .clone()
                .delete_expired_every(std::time::Duration::from_secs(600)),
        );
        let session_layer = SessionManagerLayer::new(sessions)
            // A name that does not reveal the stack (security checklist 10); over HTTPS with
            // the `__Host-` prefix, so that no sibling host of the site can plant one.
            .with_name(if public_url.scheme() == "https" {
                "__Host-ztd_session"
            } else {
                "ztd_session"
            })
            .with_http_only(true)
            .with_secure(true)
            .with_same_site(SameSite::Lax)
            .with_path("/")
            // The store keeps a session for the absolute lifetime; the idle timeout is
            // decided in `auth::current_user`, which deletes the tokens when it ends one.
            .with_expiry(Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::seconds(
                    config.session_absolute_timeout.as_secs() as i64,
                ),
            ));

        let leptos_options = LeptosOptions::builder()
            .output_name("ztd-dashboard")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .build();
        let batch_lists = super::caches::BatchLists::new(config.batch_list_ttl);
        let parse_limits =
            uploads::parsing::ParseLimits::new(config.parse_concurrency, config.parse_per_user);
        let limits = connections::Limits {
            header_read_timeout: config.header_read_timeout,
            max_connections: config.max_connections,
        };
        if sandbox.is_some() {
            tracing::warn!(
                "running on the built-in SANDBOX: sign-in and Partner Center are simulated, \
                 nothing reaches Microsoft (set ZTD_ENTRA_* to use the real services)"
            );
        }
        let customer_lists = super::caches::CustomerLists::new(config.customer_list_ttl);
        let (asset_names, asset_naming) = super::assets::names(&config.site_root, "ztd-dashboard");
        let device_writes = Arc::new(tokio::sync::Semaphore::new(config.device_writes_at_once));
        let state = AppState {
            leptos_options,
            config: Arc::new(config),
            public_url: public_url.clone(),
            partner_center,
            store,
            oidc: Arc::new(oidc),
            cipher,
            refresh_locks: auth::RefreshLocks::default(),
            page_cursors: Default::default(),
            customer_checks: Default::default(),
            profile_write_refusals: Default::default(),
            customer_lists,
            index_entries: super::caches::PerPartner::new(std::time::Duration::from_secs(2)),
            batch_lists,
            parse_limits,
            device_writes,
            replica: super::leases::replica_name(local_addr).into(),
            asset_names,
            asset_naming,
        };
        match state.store.free_leases_of(&state.replica).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(n, replica = %state.replica, "leases of this replica's last run freed")
            }
            Err(e) => return Err(StartupError::Database(e.to_string())),
        }
        tokio::spawn(super::memory::give_back());
        tokio::spawn(auth::expire_sign_ins(state.clone()));
        tokio::spawn(uploads::retention::delete_old_drafts(state.clone()));
        match reconcile::at_start(&state).await {
            Ok(done) if done != Default::default() => {
                tracing::info!(?done, "uploads left unfinished by the last run taken up")
            }
            Ok(_) => {}
            Err(e) => return Err(StartupError::Database(e.to_string())),
        }
        tokio::spawn(reconcile::watch(state.clone()));
        tokio::spawn(device_index::crawl::keep_fresh(state.clone()));
        if let Some(addr) = state.config.metrics_addr {
            super::metrics::serve(addr, state.clone())
                .await
                .map_err(|source| StartupError::Listen { addr, source })?;
        }
        Ok(Application {
            listener,
            limits,
            router: super::routes::router(state, session_layer),
            public_url,
            sandbox,
        })
    }

    /// The address browsers use, with the port actually bound.
    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener knows its address")
    }

    /// The in-process sandbox, when there is one.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_ref()
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    /// Requests still running [`SHUTDOWN_GRACE`] after `shutdown` are cut off: a stop must
    /// not wait forever on a slow client. Submissions in the background stop with the process;
    /// the next start takes them up (see [`reconcile`]).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signalled = stopping.clone();
        let serve = connections::serve(self.listener, self.router, self.limits, async move {
            shutdown.await;
            signalled.notify_one();
        });
        tokio::select! {
            () = serve => {}
            () = async {
                stopping.notified().await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {
                tracing::warn!(grace = ?SHUTDOWN_GRACE, "requests still running after the stop signal were cut off");
            }
        };
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
        Ok(())
    }
}

/// How long in-flight requests may take to finish once the process is asked to stop.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// The key that encrypts tokens at rest: configured, or made once and kept (mode 0600) in
/// the data directory so that sign-ins survive a restart.
fn encryption_key(config: &Config) -> Result<[u8; 32], StartupError> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use rand::RngCore;
    let decode =
        |text: &str| -> Option<[u8; 32]> { STANDARD.decode(text.trim()).ok()?.try_into().ok() };
    if let Some(secret) = &config.encryption_key {
        if let Some(key) = decode(secret.expose()) {
            return Ok(key);
        }
    }
    let path = config.data_dir.join("encryption.key");
    let io = |source| StartupError::DataDir {
        path: path.display().to_string(),
        source,
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        return decode(&text).ok_or_else(|| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "encryption.key does not hold 32 bytes in base64",
            ))
        });
    }
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    // Created only if absent: two processes starting on one data directory at once must not
    // each write their own key (the loser would seal tokens the other cannot open).
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        file.mode(0o600);
    }
    match file.open(&path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(STANDARD.encode(key).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(io)?;
            Ok(key)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            // The other process may still be writing it.
            for _ in 0..50 {
                if let Some(key) = std::fs::read_to_string(&path).ok().and_then(|t| decode(&t)) {
                    return Ok(key);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "encryption.key does not hold 32 bytes in base64",
            )))
        }
        Err(error) => Err(io(error)),
    }
}
