//! Uploads: from a file (or pasted or typed rows) to devices sent to Partner Center.
//!
//! - [`intake`]: the form post → the input read and validated → a stored draft.
//! - [`views`]: the pages' data (upload form, preview, job).
//! - [`actions`]: the preview's buttons (remove rows, change the batch, submit).
//! - [`submit`]: sending the chunks, each with its stored `MS-RequestId`.
//! - [`store`]: the tables behind all of it.

pub mod actions;
pub mod intake;
pub mod store;
pub mod submit;
pub mod views;
