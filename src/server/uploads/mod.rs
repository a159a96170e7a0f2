//! Uploads: from a file (or pasted or typed rows) to devices sent to Partner Center.
//!
//! - [`intake`]: the upload form's post, read.
//! - [`drafts`]: what the upload form and the buttons do to an upload: a draft created from
//!   the input read and checked, its rows and batch changed, submitted, resumed, retried.
//! - [`judging`]: each row's findings, and the devices the customer already has.
//! - [`parsing`]: how many files are read at once, per user and in all.
//! - [`views`]: the pages' data (upload form, preview, job).
//! - [`actions`]: the preview's buttons (remove rows, change the batch, submit).
//! - [`job_actions`]: an upload's buttons on its operation page (send the rest, retry the
//!   failed rows).
//! - [`submit`]: sending the chunks, each with its stored `MS-RequestId`.
//! - [`settle`]: a part whose answer was lost, settled by looking at Partner Center.
//! - [`follow`]: asking Partner Center how each job goes, until every device has an outcome
//!   (in the background by `server::operations::follow`; error codes in words by
//!   `server::operations::device_errors`).
//! - resuming what a previous process left half-sent: `server::reconcile`.
//! - [`retention`]: drafts past their retention, deleted.
//! - [`status`]: where an upload stands, in one word, worked out in one place.
//! - [`downloads`]: the failed rows and the full report, as CSV.
//! - [`draft_rows`]: the preview's changes to a draft's rows.
//! - [`chunks`]: an upload's parts, each with its stored request id.
//! - [`model`]: an upload, its input's report, its rows, as the dashboard holds them.
//! - [`store`], [`outcomes`]: the tables behind all of it.

pub mod access;
pub mod actions;
pub mod batch_choice;
pub mod chunks;
pub mod downloads;
pub mod draft_rows;
pub mod drafts;
pub mod follow;
pub mod intake;
pub mod job_actions;
pub mod judging;
pub mod model;
pub mod outcomes;
pub mod parsing;
pub mod refused;
pub mod retention;
pub mod settle;
pub mod status;
pub mod store;
pub mod submit;
pub mod views;
