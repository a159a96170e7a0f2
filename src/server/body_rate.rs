//! Request bodies must keep arriving: at least [`Config::body_min_bytes_per_sec`] over each
//! [`Config::body_rate_window`] while a handler reads them. A client that sends a few bytes
//! and then trickles (or stops) would otherwise hold a connection, a handler and its buffers
//! for as long as it likes. Such a request is answered 408 with a sentence, and the connection
//! is closed. A body that arrives whole within the window is never judged, however small.
//!
//! Only reading is timed, never the answer: a download streams for as long as the browser
//! reads it.
//!
//! [`Config::body_min_bytes_per_sec`]: super::Config::body_min_bytes_per_sec
//! [`Config::body_rate_window`]: super::Config::body_rate_window

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The minimum a body must bring, per window.
#[derive(Clone, Copy, Debug)]
pub struct MinRate {
    pub bytes_per_sec: u64,
    pub window: Duration,
}

impl MinRate {
    fn per_window(self) -> u64 {
        (self.bytes_per_sec as f64 * self.window.as_secs_f64()) as u64
    }
}

/// The middleware: wraps every request body that has one; answers 408 when it was too slow.
pub async fn require(State(rate): State<MinRate>, request: Request, next: Next) -> Response {
    let has_body = request.headers().contains_key(header::CONTENT_LENGTH)
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    if rate.bytes_per_sec == 0 || !has_body {
        return next.run(request).await;
    }
    let too_slow = Arc::new(AtomicBool::new(false));
    let flag = too_slow.clone();
    let request = request.map(|body| Body::new(Timed::new(body, rate, flag)));
    let response = next.run(request).await;
    if !too_slow.load(Ordering::Relaxed) {
        return response;
    }
    tracing::info!(
        bytes_per_sec = rate.bytes_per_sec,
        "a request body arrived too slowly: answered 408"
    );
    // Plain words, not a page of the app: the connection is closed with this answer, and a
    // link this slow should not be asked to carry more than it must.
    let body = format!(
        "The request arrived too slowly: less than {} KB a second reached the dashboard, so \
         it stopped waiting. Nothing was saved. Try again on a steadier connection.",
        (rate.bytes_per_sec as f64 / 1024.0).max(1.0).round()
    );
    let mut response = (StatusCode::REQUEST_TIMEOUT, body).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A body that fails once a window passes with fewer than the minimum bytes in it.
struct Timed {
    inner: Body,
    per_window: u64,
    window: Duration,
    received: u64,
    window_ends: Pin<Box<Sleep>>,
    too_slow: Arc<AtomicBool>,
}

impl Timed {
    fn new(inner: Body, rate: MinRate, too_slow: Arc<AtomicBool>) -> Timed {
        Timed {
            inner,
            per_window: rate.per_window(),
            window: rate.window,
            received: 0,
            window_ends: Box::pin(tokio::time::sleep(rate.window)),
            too_slow,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
struct TooSlow;

impl HttpBody for Timed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
                this.received += data.map_or(0, |d| d.len() as u64);
            }
            return Poll::Ready(frame);
        }
        // Nothing yet: judge the windows that have ended (the timer wakes this task).
        while this.window_ends.as_mut().poll(cx).is_ready() {
            if this.received < this.per_window {
                this.too_slow.store(true, Ordering::Relaxed);
                return Poll::Ready(Some(Err(axum::Error::new(TooSlow))));
            }
            this.received = 0;
            let next = Instant::now() + this.window;
            this.window_ends.as_mut().reset(next);
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
