//! The ids in an address, parsed at the edge: a form post's or a download's handler takes
//! `Ids<(CustomerId, OperationId)>`, a page's server function parses the ids its page was
//! given with [`from_address`]; past that, nothing parses an id from text. An address whose
//! ids do not parse names nothing ([`AppError::NothingHere`], 404): a write is answered like
//! any refused one, with a page that says so, not with axum's plain-text rejection.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::refusal::Refusal;
use crate::model::AppError;

/// An id from a page's address (`CustomerId`, `OperationId`, `BatchId`).
pub fn from_address<T: std::str::FromStr>(text: &str) -> Result<T, AppError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|why: T::Err| {
        tracing::debug!(%why, "an address whose ids do not parse");
        AppError::NothingHere
    })
}

/// The address's ids, each parsed by its type's `Deserialize` (which validates it).
pub struct Ids<T>(pub T);

impl<S, T> FromRequestParts<S> for Ids<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(ids)) => Ok(Ids(ids)),
            Err(rejection) => {
                tracing::debug!(%rejection, "an address whose ids do not parse");
                Err(AppError::NothingHere.into())
            }
        }
    }
}
