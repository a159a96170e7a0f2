//! Server side of the dashboard: configuration, start-up, shared state, health checks.

pub mod config;
mod health;
pub mod startup;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::partner_center::PartnerCenterClient;
pub use config::Config;

/// What every handler and server function shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub partner_center: PartnerCenterClient,
}

impl AppState {
    /// True when the dashboard talks to its built-in sandbox instead of Microsoft.
    pub fn sandbox_mode(&self) -> bool {
        self.config.entra.is_none()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
