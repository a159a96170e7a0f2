//! ztd-dashboard: register Windows Autopilot devices through the Partner Center API.
//!
//! Module map:
//! - [`partner_center`]: the typed Partner Center REST client (server only).
//! - [`sandbox`]: a faithful simulator of Entra ID and Partner Center (server only), used when
//!   no Microsoft configuration is given and by every test.

#[cfg(feature = "ssr")]
pub mod partner_center;
#[cfg(feature = "ssr")]
pub mod sandbox;
