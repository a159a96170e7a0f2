//! Builds the application: binds the listener, starts the sandbox when no Microsoft
//! configuration is given, and assembles the router. Tests build it on port 0 and read the
//! bound address back, exactly as `main` runs it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use url::Url;

use super::config::Config;
use super::{health, AppState};
use crate::app::{shell, App};
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
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    public_url: Url,
    sandbox: Option<Sandbox>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartupError> {
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

        let leptos_options = LeptosOptions::builder()
            .output_name("ztd-dashboard")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .build();
        let state = AppState {
            leptos_options,
            config: Arc::new(config),
            partner_center,
        };
        Ok(Application {
            listener,
            router: router(state),
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
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let result = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
        result
    }
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/", get(|| async { Redirect::to("/customers") }))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
}
