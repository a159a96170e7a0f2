//! The sandbox: a faithful, fault-injectable simulator of Entra ID (v2.0 endpoints) and the
//! Partner Center device-deployment and customer APIs.
//!
//! It is a real HTTP server on its own port, not a mock inside the client: the dashboard talks
//! to it exactly as it would talk to Microsoft, so every code path that runs in production runs
//! against the sandbox too. It serves URLs under the host name `localhost` while the dashboard
//! uses `127.0.0.1`, so the browser treats them as different sites, as it does with the real
//! Entra ID.
//!
//! Layout:
//! - [`config`]: what can be set at start (CLI flags / environment).
//! - [`server`]: the accept loop, which can drop a connection after a request was processed.
//! - [`identity`]: OIDC discovery, authorize, token, JWKS; demo users; token signing.
//! - [`partner`]: the Partner Center routes, the in-memory world, seed data and async jobs.
//! - [`faults`]: throttling, injected errors, latency and dropped connections.
//! - [`admin`]: `/_sandbox/…` endpoints to change faults, reset, and inspect state at run time.

pub mod admin;
pub mod config;
pub mod faults;
pub mod identity;
pub mod partner;
mod server;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::{JobTiming, RegisteredClient, SandboxConfig};
pub use faults::FaultSettings;
pub use identity::users::{DemoUser, PartnerRole, DEMO_USERS};

/// Everything the sandbox's handlers share.
pub(crate) struct SandboxState {
    pub config: SandboxConfig,
    /// `http://localhost:PORT`, without a trailing slash.
    pub base_url: String,
    pub identity: identity::IdentityState,
    pub partner: partner::PartnerState,
    pub faults: faults::FaultState,
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    base_url: String,
    local_addr: SocketAddr,
    config: SandboxConfig,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Binds `config.addr` (port 0 picks a free port), seeds the state and starts serving.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let local_addr = listener.local_addr()?;
        let base_url = format!("http://{}:{}", config.public_host, local_addr.port());
        let state = Arc::new(SandboxState {
            identity: identity::IdentityState::new(),
            partner: partner::PartnerState::new(config.seed, config.size),
            faults: faults::FaultState::new(config.faults.clone(), config.seed),
            base_url: base_url.clone(),
            config: config.clone(),
        });
        if !local_addr.ip().is_loopback() {
            tracing::warn!(
                addr = %local_addr,
                "the sandbox listens beyond this machine: its /_sandbox admin routes are off"
            );
        }
        let router = router(state, local_addr.ip().is_loopback());
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(server::serve(listener, router, shutdown_rx));
        Ok(Sandbox {
            base_url,
            local_addr,
            config,
            shutdown,
            task,
        })
    }

    /// `http://localhost:PORT` — also the Partner Center base URL (routes live under `/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket the sandbox listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The Entra ID authority of the sandbox's partner tenant: `{base}/{tenant id}`.
    pub fn authority(&self) -> String {
        format!("{}/{}", self.base_url, self.config.partner_tenant_id)
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Stops accepting connections and closes the open ones.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Runs until the task ends (it does not, unless shut down).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// The sandbox's routes. The `/_sandbox` admin routes (unauthenticated: they change faults,
/// reset the data and list every token issued) only when it listens on loopback, where only
/// this machine reaches them.
fn router(state: Arc<SandboxState>, loopback: bool) -> axum::Router {
    let router = axum::Router::new()
        .merge(identity::routes())
        .merge(partner::routes(state.clone()));
    let router = if loopback {
        router.merge(admin::routes())
    } else {
        router
    };
    router.fallback(not_found).with_state(state)
}

/// Unknown paths get an ApiFault 404, as Partner Center answers.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    wire::api_fault(
        axum::http::StatusCode::NOT_FOUND,
        wire::codes::NOT_FOUND,
        format!("No resource at '{}'.", uri.path()),
    )
}
