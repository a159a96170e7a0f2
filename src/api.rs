//! Server functions and the data they return: the one boundary between browser and server.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Facts about this installation that every page shows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Installation {
    /// Running against the built-in sandbox rather than Microsoft.
    pub sandbox: bool,
}

#[server]
pub async fn get_installation() -> Result<Installation, ServerFnError> {
    let state = expect_context::<crate::server::AppState>();
    Ok(Installation {
        sandbox: state.sandbox_mode(),
    })
}
