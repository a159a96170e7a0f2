//! The site's static files, as `scripts/build-site.sh` writes them to the site folder
//! (`site_root`): the browser bundle under `/pkg/` (script, WebAssembly, style sheet) and the
//! icon at the root. A release build names the bundle's files after their content
//! (`ztd-dashboard.1f0c…e2.wasm`) and lists those names in `assets.json`; the pages name
//! them from there ([`names`]), and browsers may keep them for a year without asking again:
//! a new release has new names. Without the list (a `cargo leptos watch` build) the names are
//! the plain ones, and browsers check each file again before using it (a 304 when it is
//! unchanged). Files built compressed beside the originals (`.br`, `.gz`) are sent to a
//! browser that accepts them; anything else is compressed on the way out
//! ([`super::routes`]).

use std::path::Path;

use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use crate::app::AssetNames;

/// The list of the bundle's file names, at the site's root.
const NAMES_FILE: &str = "assets.json";
/// For a file named after its content: it never changes.
const FOREVER: &str = "public, max-age=31536000, immutable";
/// For a file whose name stays: kept, but checked before each use.
const CHECK_FIRST: &str = "no-cache";

/// The bundle's file names under `/pkg/`, from the site's `assets.json` when the build wrote
/// one; the plain names otherwise (and when it cannot be read, said in the log).
/// How the bundle's files are named, which says how long browsers may keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// After their content (`scripts/build-site.sh`): a new build has new names, so a
    /// browser keeps each file for a year without asking again.
    ByContent,
    /// The plain names (`cargo leptos watch`): the same name holds each new build, so a
    /// browser asks again before each use (304 when unchanged).
    Plain,
}

pub fn names(site_root: &Path, output_name: &str) -> (AssetNames, Naming) {
    let path = site_root.join(NAMES_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return (AssetNames::plain(output_name), Naming::Plain);
        }
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "could not read the bundle's file names: using the plain names");
            return (AssetNames::plain(output_name), Naming::Plain);
        }
    };
    match serde_json::from_str::<AssetNames>(&text) {
        Ok(names) if names.all_plain_file_names() => (names, Naming::ByContent),
        _ => {
            tracing::warn!(path = %path.display(), "the bundle's file names are not a list of three plain file names: using the plain names");
            (AssetNames::plain(output_name), Naming::Plain)
        }
    }
}

/// `/pkg/…` and `/favicon.svg`, from the site folder, each with how long browsers keep it.
pub fn routes(state: &AppState) -> Router<AppState> {
    let root = Path::new(state.leptos_options.site_root.as_ref());
    let pkg = ServeDir::new(root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    let kept = match state.asset_naming {
        Naming::ByContent => FOREVER,
        Naming::Plain => CHECK_FIRST,
    };
    // Only what was found is kept: a file missing here (asked of a replica not yet upgraded)
    // must not stay missing in the browser for a year; it gets the default `no-store`.
    fn caching<B>(
        value: &'static str,
    ) -> SetResponseHeaderLayer<impl Fn(&Response<B>) -> Option<HeaderValue> + Clone> {
        SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, move |response: &Response<B>| {
            let found =
                response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
            found.then(|| HeaderValue::from_static(value))
        })
    }
    // The same address answers brotli, gzip or neither: a cache must keep them apart.
    let varies = SetResponseHeaderLayer::if_not_present(
        header::VARY,
        HeaderValue::from_static("accept-encoding"),
    );
    Router::new()
        .nest_service(
            "/pkg",
            ServiceBuilder::new()
                .layer(varies)
                .layer(caching(kept))
                .service(pkg),
        )
        .route_service(
            "/favicon.svg",
            ServiceBuilder::new()
                .layer(caching(CHECK_FIRST))
                .service(ServeFile::new(root.join("favicon.svg"))),
        )
}
