//! The ids in a form post's or a download's address, parsed before the handler runs: a
//! handler takes `Ids<(CustomerId, OperationId)>` and never parses text itself. An address
//! whose ids do not parse names nothing: it is answered like any refused write, with a page
//! that says so (404), not with axum's plain-text rejection.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::refusal::Refusal;

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
                Err(Refusal::new(
                    StatusCode::NOT_FOUND,
                    "Nothing is at this address: it does not name a customer, upload or \
                     deletion the dashboard knows. Go back and follow a link instead.",
                ))
            }
        }
    }
}
