//! The sandbox's accept loop.
//!
//! `axum::serve` cannot close a connection without answering, but that is exactly the fault
//! that hurts most in production: Partner Center processed the request, then the connection
//! broke before the answer arrived. So each connection is served by hyper directly, raced
//! against a [`ConnectionKill`] switch that a handler can pull (see [`super::faults`]).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use super::partner::paths::normalise_path;

/// Request extension: pulling it closes the connection without sending a response.
#[derive(Clone)]
pub(crate) struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    pub fn pull(&self) {
        self.0.notify_one();
    }
}

pub(crate) async fn serve(
    listener: TcpListener,
    router: axum::Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (stream, _) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Typically EMFILE under load: wait a moment instead of spinning.
                tracing::warn!(%error, "sandbox: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let router = router.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let switch = ConnectionKill(kill.clone());
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(switch.clone());
                if let Some(uri) = normalise_path(request.uri()) {
                    *request.uri_mut() = uri;
                }
                let router = router.clone();
                async move {
                    let response = match router.oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = kill.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}
