//! ztd-dashboard: register Windows Autopilot devices through the Partner Center API.
//!
//! Module map:
//! - [`app`]: the HTML shell, router and layout (both targets).
//! - [`pages`]: one module per page; [`components`]: pieces they share; [`urls`]: their
//!   addresses (all both targets).
//! - [`api`]: server functions (both targets; bodies run on the server).
//! - [`model`]: what the pages show and the errors they explain (both targets, a leaf).
//! - [`upload_progress`]: the upload form sent with a progress bar (both targets; the
//!   sending itself in the browser only).
//! - [`html`]: HTML written by hand: escaping (both targets), the plain handlers' pages.
//! - [`server`]: configuration, start-up, health checks (server only).
//! - [`ingest`]: reading and validating device lists, pure (server only); [`check`]: the
//!   `check` command around it.
//! - [`partner_center`]: the typed Partner Center REST client (server only).
//! - [`sandbox`]: a faithful simulator of Entra ID and Partner Center (server only), used when
//!   no Microsoft configuration is given and by every test.

pub mod api;
pub mod app;
pub mod components;
pub mod html;
pub mod model;
pub mod pages;
pub mod upload_progress;
pub mod urls;

#[cfg(feature = "ssr")]
pub mod check;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod partner_center;
#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the browser bundle: take over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
