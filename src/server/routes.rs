//! Which handler answers each address, and the middleware every request goes through. A new
//! page is a route of `crate::app::App` (Leptos lists them); a new form post, download or
//! other plain handler gets its line here.

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_sessions::SessionManagerLayer;

use super::{
    access_log, assets, assignments, auth, body_rate, csrf, deletions, device_index, exports,
    headers, health, operation_pages, pages_at_once, profiles, server_fns, sign_in, trailing_slash,
    uploads, AppState,
};
use crate::app::{shell, App};

/// The app's routes, worked out once per process. Leptos works them out by rendering the
/// app with resource loading switched off by a process-wide flag; a page rendering at that
/// moment in another app of the same process (the tests start many) would wait forever
/// (leptos-rs/leptos#4773). Once every app has its list, no such window remains.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Middleware, outermost first: the access log and request id, hardening headers,
/// compression, the request-body rate, trailing slashes, the cross-site write check,
/// sessions, the sign-in gate, the server-function guard, the refusal pages; then, for the
/// pages and their data calls only, a turn to render (`pages_at_once`).
pub(super) fn router(
    state: AppState,
    sessions: SessionManagerLayer<super::sessions::Sessions>,
) -> Router {
    let routes = route_list();
    let options = state.leptos_options.clone();
    let names = state.asset_names.clone();
    let fallback_names = names.clone();
    // The file plus the form's other fields and multipart framing.
    let upload_limit = state.config.upload_max_bytes + 1024 * 1024;
    Router::new()
        .route("/", get(|| async { Redirect::to("/customers") }))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/auth/login", get(sign_in::login))
        .route("/auth/callback", get(sign_in::callback))
        .route("/auth/logout", post(sign_in::logout))
        .route(
            "/customers/{customer}/uploads",
            post(uploads::intake::receive)
                .layer(DefaultBodyLimit::max(upload_limit))
                .layer(from_fn_with_state(
                    (upload_limit, state.config.upload_max_bytes / (1024 * 1024)),
                    uploads::intake::refuse_oversized,
                )),
        )
        .route(
            "/customers/{customer}/uploads/{upload}/rows",
            post(uploads::actions::rows),
        )
        .route(
            "/customers/{customer}/uploads/{upload}/target",
            post(uploads::actions::target),
        )
        .route(
            "/customers/{customer}/uploads/{upload}/submit",
            post(uploads::actions::submit),
        )
        .route(
            "/customers/{customer}/uploads/{upload}/sheet",
            post(uploads::actions::sheet),
        )
        .route(
            "/customers/{customer}/uploads/{upload}/discard",
            post(uploads::actions::discard),
        )
        .route(
            "/customers/{customer}/uploads/{upload}/split",
            post(uploads::actions::split),
        )
        .route(
            "/customers/{customer}/batches/{batch}/devices/{device}/delete",
            post(deletions::forms::delete),
        )
        .route(
            "/customers/{customer}/batches/{batch}/delete",
            post(deletions::forms::delete_chosen),
        )
        .route(
            "/customers/{customer}/batches/{batch}/profile",
            post(assignments::forms::apply_to_batch),
        )
        .route(
            "/customers/{customer}/operations/{upload}/profile",
            post(assignments::forms::apply_to_upload),
        )
        .route(
            "/devices/check/{customer}",
            post(device_index::search::check_again),
        )
        .route("/devices/read-all", post(device_index::search::read_all))
        .route("/devices/delete", post(device_index::actions::delete))
        .route(
            "/devices/profile",
            post(device_index::actions::apply_profile),
        )
        .route("/customers/{customer}/profiles", post(profiles::create))
        .route(
            "/customers/{customer}/profiles/{profile}",
            post(profiles::update),
        )
        .route(
            "/customers/{customer}/profiles/{profile}/delete",
            post(profiles::delete),
        )
        .route(
            "/customers/{customer}/operations/{upload}/retry",
            post(uploads::job_actions::retry),
        )
        .route(
            "/customers/{customer}/operations/{upload}/failed.csv",
            get(uploads::downloads::failed_rows),
        )
        .route(
            "/customers/{customer}/operations/{upload}/report.csv",
            get(uploads::downloads::report),
        )
        .merge(operation_pages::routes())
        .merge(exports::routes())
        .merge(assets::routes(&state))
        .merge(
            // Only the pages (and their data calls) wait for a turn: see pages_at_once.
            Router::new()
                .leptos_routes_with_context(
                    &state,
                    routes,
                    headers::provide_page_policy,
                    move || shell(options.clone(), names.clone()),
                )
                .layer(from_fn_with_state(
                    pages_at_once::Turns::new(state.config.pages_at_once),
                    pages_at_once::take_turn,
                )),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(headers::provide_page_policy, move |options| {
            shell(options, fallback_names.clone())
        }))
        .layer(from_fn_with_state(state.clone(), super::refusal::pages))
        .layer(from_fn_with_state(
            state.config.server_fn_max_bytes,
            server_fns::guard,
        ))
        .layer(from_fn_with_state(state.clone(), auth::require_sign_in))
        .layer(sessions)
        .layer(from_fn_with_state(state.clone(), csrf::same_origin_writes))
        .layer(from_fn(trailing_slash::drop_trailing_slash))
        .layer(from_fn_with_state(
            body_rate::MinRate {
                bytes_per_sec: state.config.body_min_bytes_per_sec,
                window: state.config.body_rate_window,
            },
            body_rate::require,
        ))
        .layer(compression())
        .layer(from_fn_with_state(state.clone(), headers::harden))
        .layer(from_fn_with_state(state.clone(), access_log::observe))
        .with_state(state)
}

/// Answers compressed for a browser that accepts it (brotli or gzip, brotli at level 4, what
/// proxies use on the fly): pages, server functions, CSV downloads, and a static file built
/// without its compressed copies. Not what is compressed already: a precompressed static
/// file (it says its encoding), images, and Excel workbooks (zip files).
fn compression() -> CompressionLayer<impl Predicate> {
    let workbooks = NotForContentType::const_new(exports::XLSX_CONTENT_TYPE);
    CompressionLayer::new().compress_when(DefaultPredicate::new().and(workbooks))
}
