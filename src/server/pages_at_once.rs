//! How many pages (and data calls of open pages) the dashboard renders at once
//! (`pages_at_once`); more wait their turn here, before any work is done for them.
//!
//! Why: a page being rendered holds its data, its reactive graph and its HTML, and with no
//! ceiling a crowd's memory grows with the crowd. Measured with 200 signed-in people
//! browsing with no pause (`make bench`): 75–85 MB at the peak with every page rendered at
//! once, 72 MB with 32 at a time, at the same pages per second (two cores are busy with far
//! fewer). Waiting here costs a page nothing but the wait, and the connections that can wait
//! are themselves limited (`max_connections`). Health checks, static files, uploads and
//! downloads do not wait: they are not pages.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

/// The turns to render, shared by every page route.
#[derive(Clone)]
pub struct Turns(Arc<Semaphore>);

impl Turns {
    pub fn new(at_once: usize) -> Self {
        Turns(Arc::new(Semaphore::new(at_once)))
    }
}

/// Middleware: renders the page once a turn is free, and frees it with the answer.
pub async fn take_turn(State(turns): State<Turns>, request: Request, next: Next) -> Response {
    // The semaphore is never closed, so a turn always comes.
    let _turn = turns.0.acquire().await;
    next.run(request).await
}
