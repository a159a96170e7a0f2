//! The dashboard's accept loop: hyper serving the router, with the limits a server reachable
//! by strangers needs, which `axum::serve` does not set.
//!
//! - **A header-read timeout** ([`Config::header_read_timeout`]): hyper's timer, which
//!   `axum::serve` leaves unset, so that a connection that sends part of a request and then
//!   nothing was kept open for ever. The same timer closes a keep-alive connection that stays
//!   idle between requests.
//! - **A cap on open connections** ([`Config::max_connections`]): past it the loop stops
//!   accepting until one closes; the next ones wait in the kernel's listen backlog instead of
//!   using up the process's file descriptors.
//!
//! No total time limit applies to a request: a download streams for as long as the browser
//! reads it. Slow request *bodies* are ended by [`super::body_rate`].
//!
//! [`Config::header_read_timeout`]: super::Config::header_read_timeout
//! [`Config::max_connections`]: super::Config::max_connections

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// What [`serve`] holds every connection to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// the open connections to finish their requests (idle ones are closed at once).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // EMFILE and the like: wait a moment instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = stream;
        // One router shared by every connection (cloning it is cheap); each request says
        // which connection it came on (the access log, a trusted proxy's word).
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        ));
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
