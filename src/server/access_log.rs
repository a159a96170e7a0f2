//! One log line per request, written when its answer has been sent (or the client left): its
//! id, method, route pattern (never the raw path, which holds ids, nor the query, which may
//! hold a sign-in's code), status, duration, bytes sent, the client's address and the
//! signed-in person's tenant and object id. Every other line the request logs carries its id
//! too (the `request` span), and so does its answer (`X-Request-Id`). The same numbers go to
//! the metrics ([`super::metrics`]).

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tracing::Instrument;

use super::metrics::{HTTP_DURATION, HTTP_REQUESTS};
use super::request_ids::{self, REQUEST_ID};
use super::AppState;

/// Who made a request, once the sign-in gate knows: it puts this on the answer.
#[derive(Clone, Debug)]
pub struct Requester {
    pub tenant_id: String,
    pub object_id: String,
}

/// The middleware, outermost: gives the request its id and span, and logs it once answered.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let origin = request_ids::origin(
        request.extensions().get::<ConnectInfo<SocketAddr>>(),
        request.headers(),
        &state.config.trusted_proxies,
    );
    let id = request_ids::request_id(request.headers(), &origin);
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str(),
        // The bundle's files (a service nested under /pkg has no route pattern of its own).
        None if request.uri().path().starts_with("/pkg/") => "/pkg/{file}",
        None => "(no route)",
    }
    .to_string();
    let method = request.method().clone();
    request.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", id = %id);
    let response = request_ids::CURRENT
        .scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        parts.headers.insert(REQUEST_ID.clone(), value);
    }
    let line = Line {
        method,
        route,
        status: parts.status.as_u16(),
        client: origin.client.map(|c| c.to_string()),
        requester: parts.extensions.get::<Requester>().cloned(),
        started,
        span,
    };
    let body = Body::new(Counted {
        inner: body,
        sent: 0,
        ended: false,
        line: Some(line),
    });
    Response::from_parts(parts, body)
}

/// What the line says, but the bytes and the end, known when the body is done.
struct Line {
    method: Method,
    route: String,
    status: u16,
    client: Option<String>,
    requester: Option<Requester>,
    started: Instant,
    span: tracing::Span,
}

impl Line {
    fn write(self, bytes: u64, completed: bool) {
        let seconds = self.started.elapsed().as_secs_f64();
        let (tenant, object) = match &self.requester {
            Some(r) => (r.tenant_id.as_str(), r.object_id.as_str()),
            None => ("", ""),
        };
        let _in_request = self.span.enter();
        tracing::info!(
            target: "access",
            method = %self.method,
            route = %self.route,
            status = self.status,
            duration_ms = (seconds * 1000.0).round() as u64,
            bytes,
            completed,
            client = self.client.as_deref().unwrap_or(""),
            tenant,
            object,
            "{} {} {}",
            self.method,
            self.route,
            self.status
        );
        let (method, route) = (self.method.to_string(), self.route);
        metrics::counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => self.status.to_string())
            .increment(1);
        metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route).record(seconds);
    }
}

/// The answer's body, counted as it goes; the line is written at its end, or when it is
/// dropped unfinished (the client went away).
struct Counted {
    inner: Body,
    sent: u64,
    ended: bool,
    line: Option<Line>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        if let Some(line) = self.line.take() {
            // A body with nothing in it may never be read: it is complete all the same.
            let completed = self.ended || self.inner.is_end_stream();
            line.write(self.sent, completed);
        }
    }
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        match &frame {
            Poll::Ready(Some(Ok(frame))) => {
                this.sent += frame.data_ref().map_or(0, |d| d.len() as u64);
            }
            Poll::Ready(None) => {
                this.ended = true;
                if let Some(line) = this.line.take() {
                    line.write(this.sent, true);
                }
            }
            _ => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
