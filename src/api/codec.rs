//! How the pages' data travels between server and browser: in postcard, a compact binary serde
//! format, both the server functions' answers and the data a server-rendered page hands to its
//! hydration (base64 in the page).
//!
//! Why not JSON, Leptos' default: the browser bundle carries a decoder for every type that
//! travels, and serde_json's decoders were the largest single part of the bundle (442 KB of
//! its 2.36 MB of code before wasm-opt); postcard's are a fraction of that, and the cold load
//! of a page is measured against its budget in `make bench`. Nothing reads these answers but
//! the dashboard's own pages, built from the same types in the same build.
//!
//! What the browser sends stays a form (`PostUrl`): the pages' forms post the same fields
//! without JavaScript.

use std::future::Future;

use leptos::prelude::*;

use crate::model::AppError;

/// The encoding of a page's data in the server-rendered page.
pub type Codec = codee::binary::PostcardCodec;

/// The encoding of a server function's answer: `#[server(output = codec::Answer)]`.
pub type Answer = leptos::server_fn::codec::Postcard;

/// A page's data, or the error to show instead.
pub type PageData<T> = Resource<Result<T, AppError>, Codec>;

/// Loads data from `fetch` (a server function) again whenever `source` changes: on the server
/// for the page it renders (handed to the browser in the page), in the browser after a
/// client-side navigation. Every page's data is made here, so all of it travels one way.
#[track_caller]
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Codec>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetch, false)
}
