//! The typed Partner Center REST client (server side only).
//!
//! The dashboard calls Partner Center with the signed-in user's delegated token to manage a
//! customer's Windows Autopilot devices. Everything that knows about Partner Center's wire
//! format lives here, so the rest of the application deals in typed values:
//!
//! - [`ids`]: identifiers parsed once at the edge (`CustomerId`, `BatchId`, `TrackingId`,
//!   `RequestId`), each with a `parse` that says what is wrong.
//! - [`models`]: the resources read and written (customers, batches, devices, jobs,
//!   Autopilot profiles), forgiving on read, minimal on write.
//! - [`wire`]: the tolerant readers behind the models (BOM, three timestamp forms, codes as
//!   strings or numbers, the collection envelope, error bodies).
//! - [`paging`]: pages and the opaque, URL-safe continuation token.
//! - [`error`]: the one error type, with a kind the caller can act on and the ids support
//!   needs.
//! - [`client`]: the HTTP client with Partner Center's headers, bounded retries and
//!   idempotent writes.
//!
//! See `partner-center-api.md` for the service facts these modules encode.

pub mod client;
pub mod error;
pub mod ids;
pub mod models;
pub mod paging;
pub mod wire;

#[cfg(test)]
mod client_tests;

pub use client::{
    is_retryable_status, AccessToken, CallContext, ClientBuildError, ClientConfig, Contact,
    PartnerCenterClient, Reachability,
};
pub use error::{ErrorKind, PartnerCenterError, MFA_REQUIRED_CODE, NO_RELATIONSHIP_CODE};
pub use ids::{BatchId, CustomerId, IdError, RequestId, TrackingId, BATCH_ID_MAX_CHARS};
pub use models::{
    BatchUploadDetails, CompanyProfile, ConfigurationPolicy, Customer, CustomerFilter,
    CustomerFilterField, CustomerQuery, Device, DeviceBatch, DevicePolicyUpdate,
    DeviceUploadDetails, NewDevice, NewPolicy, PolicyAssignment, PolicyCategory, PolicySetting,
    RelationshipToPartner, UploadStatus,
};
pub use paging::{Continuation, InvalidContinuation, Page};
pub use wire::Link;
