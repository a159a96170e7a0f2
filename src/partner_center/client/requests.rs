//! The one request function: headers, retries with their waits, and every failure turned
//! into a [`PartnerCenterError`].
use super::*;

impl PartnerCenterClient {
    /// Sends `call` with retries; returns the 2xx answer or the error of the last attempt.
    pub(super) async fn execute(
        &self,
        ctx: &CallContext,
        call: Call,
    ) -> Result<Answer, PartnerCenterError> {
        let span = tracing::info_span!(
            "partner_center",
            operation = call.operation,
            method = %call.method,
            path = %call.url.path(),
            request_id = %call.request_id,
            correlation_id = %ctx.correlation_id,
        );
        self.execute_with_retries(ctx, call).instrument(span).await
    }

    pub(super) async fn execute_with_retries(
        &self,
        ctx: &CallContext,
        call: Call,
    ) -> Result<Answer, PartnerCenterError> {
        let config = &self.inner.config;
        let mut call = call;
        let body = match call.body.take() {
            None => None,
            Some(Ok(body)) => Some(body),
            Some(Err(error)) => {
                return Err(PartnerCenterError::new(
                    ErrorKind::BadRequest,
                    call.request_id,
                    ctx.correlation_id,
                    "the request body cannot be serialised",
                )
                .with_source(error))
            }
        };
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", ctx.access_token.secret())).map_err(
                |_| {
                    PartnerCenterError::new(
                        ErrorKind::Unauthorized,
                        call.request_id,
                        ctx.correlation_id,
                        "the access token contains characters that cannot be sent",
                    )
                },
            )?;
        authorization.set_sensitive(true);

        let mut attempt: u32 = 1;
        let mut correlation_id = ctx.correlation_id;
        loop {
            let outcome = self
                .attempt(&call, body.as_deref(), &authorization, correlation_id)
                .await;
            self.note_contact(match &outcome {
                Ok(answer) if answer.status.is_server_error() => Reachability::Failing,
                Ok(_) => Reachability::Answering,
                Err(_) => Reachability::Unreachable,
            });
            count_call(call.operation, &outcome);
            let failure = match outcome {
                Ok(answer) if answer.status.is_success() => {
                    tracing::info!(
                        attempt,
                        status = answer.status.as_u16(),
                        sent_correlation_id = %correlation_id,
                        "Partner Center answered"
                    );
                    return Ok(answer);
                }
                Ok(answer) => failure_from_answer(answer),
                Err(error) => failure_from_transport(error, call.request_id, correlation_id),
            };
            if !failure.retryable || attempt >= config.max_attempts {
                tracing::info!(
                    attempt,
                    error = %failure.error,
                    sent_correlation_id = %correlation_id,
                    "Partner Center call failed"
                );
                return Err(failure.error);
            }
            metrics::counter!(crate::server::metrics::PARTNER_CENTER_RETRIES, "operation" => call.operation)
                .increment(1);
            let delay = match failure.error.retry_after {
                Some(asked) => asked.min(config.max_retry_after),
                None => backoff_delay(config, attempt),
            };
            let retry_correlation_id = Uuid::new_v4();
            tracing::warn!(
                attempt,
                max_attempts = config.max_attempts,
                status = failure.error.status,
                kind = %failure.error.kind,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                original_correlation_id = %ctx.correlation_id,
                failed_correlation_id = %correlation_id,
                retry_correlation_id = %retry_correlation_id,
                "retrying Partner Center call with the same MS-RequestId and a new MS-CorrelationId"
            );
            tokio::time::sleep(delay).await;
            correlation_id = retry_correlation_id;
            attempt += 1;
        }
    }

    /// One attempt: send, and read the whole answer.
    pub(super) async fn attempt(
        &self,
        call: &Call,
        body: Option<&[u8]>,
        authorization: &HeaderValue,
        correlation_id: Uuid,
    ) -> Result<Answer, reqwest::Error> {
        let inner = &self.inner;
        let mut request = inner
            .http
            .request(call.method.clone(), call.url.clone())
            .header(AUTHORIZATION, authorization.clone())
            .header(ACCEPT, APPLICATION_JSON)
            .header(MS_REQUEST_ID, call.request_id.to_string())
            .header(MS_CORRELATION_ID, correlation_id.to_string())
            .header(X_LOCALE, inner.locale.clone())
            .header(MS_APPLICATION, inner.application.clone());
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, APPLICATION_JSON)
                .body(body.to_vec());
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
            request_id: call.request_id,
            correlation_id,
        })
    }
}

/// A non-2xx answer as an error, and whether to try again.
pub(super) fn failure_from_answer(answer: Answer) -> Failure {
    let status = answer.status.as_u16();
    let summary = wire::error_summary(&answer.body);
    let mut kind = ErrorKind::from_status(status, summary.code.as_deref());
    let mut description = summary.description;
    if answer.status.is_redirection() {
        kind = ErrorKind::InvalidResponse;
        description = Some("the service answered with a redirect, which is not followed".into());
    }
    Failure {
        retryable: is_retryable_status(status),
        error: PartnerCenterError {
            kind,
            status: Some(status),
            code: summary.code,
            description,
            request_id: answer.request_id,
            correlation_id: answer.correlation_id,
            retry_after: retry_after(&answer.headers),
            source: None,
        },
    }
}

/// A request that got no (complete) answer. Retrying it is safe even for writes: the
/// repeated `MS-RequestId` lets the service answer a duplicate with the first result.
pub(super) fn failure_from_transport(
    error: reqwest::Error,
    request_id: RequestId,
    correlation_id: Uuid,
) -> Failure {
    let (kind, description, retryable) = if error.is_timeout() {
        (ErrorKind::Timeout, "no answer within the time limit", true)
    } else if error.is_builder() {
        (
            ErrorKind::BadRequest,
            "the request could not be built",
            false,
        )
    } else if error.is_connect() {
        (ErrorKind::Transport, "could not connect", true)
    } else {
        (ErrorKind::Transport, "the connection failed", true)
    };
    Failure {
        error: PartnerCenterError::new(kind, request_id, correlation_id, description)
            .with_source(error.without_url()),
        retryable,
    }
}

/// `Retry-After` as delay-seconds or as an HTTP date.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// `backoff_base × 3^(retry − 1)` plus up to half a base of jitter, capped at
/// `max_retry_after`: 0.5 s, 1.5 s, 4.5 s… with the defaults.
pub(super) fn backoff_delay(config: &ClientConfig, failed_attempts: u32) -> Duration {
    let base = config.backoff_base;
    let factor = 3u32.saturating_pow(failed_attempts.saturating_sub(1));
    let jitter_max = u64::try_from(base.as_millis() / 2).unwrap_or(u64::MAX);
    let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=jitter_max));
    base.saturating_mul(factor)
        .saturating_add(jitter)
        .min(config.max_retry_after)
}

/// One attempt, in the metrics: by operation, and by how it ended.
fn count_call(operation: &'static str, outcome: &Result<Answer, reqwest::Error>) {
    let outcome = match outcome {
        Ok(answer) if answer.status.is_success() => "ok",
        Ok(answer) if answer.status.as_u16() == 429 => "throttled",
        Ok(answer) if answer.status.is_server_error() => "server-error",
        Ok(_) => "refused",
        Err(_) => "unreachable",
    };
    metrics::counter!(
        crate::server::metrics::PARTNER_CENTER_CALLS,
        "operation" => operation,
        "outcome" => outcome
    )
    .increment(1);
}
