//! Following a listing page after page: continuation tokens and `next` links, checked to
//! stay on the configured origin.
use super::*;

impl PartnerCenterClient {
    /// The request for the page after `continuation`: its link (checked to stay on our
    /// origin and under the list's scope) with the link's headers, or the first request
    /// again with the token.
    pub(super) fn next_page_call(
        &self,
        listing: &Listing,
        continuation: &Continuation,
    ) -> Result<Call, &'static str> {
        let mut headers = Vec::new();
        let url = match &continuation.uri {
            Some(uri) => {
                let url = self.resolve_link(uri)?;
                if !url.path().to_lowercase().starts_with(&listing.scope) {
                    return Err("the link leaves the list it belongs to");
                }
                for (name, value) in &continuation.headers {
                    if let Some(header) = link_header(name, value) {
                        headers.push(header);
                    }
                }
                url
            }
            None => {
                let mut url = listing.first.clone();
                if listing.seek_next {
                    url.query_pairs_mut().append_pair("seekOperation", "Next");
                }
                url
            }
        };
        let has_token = headers
            .iter()
            .any(|(name, _)| name.as_str().eq_ignore_ascii_case(CONTINUATION_HEADER));
        if !has_token {
            if let Some(token) = continuation.continuation_token() {
                let value = HeaderValue::from_str(token)
                    .map_err(|_| "the continuation token cannot be sent as a header")?;
                headers.push((HeaderName::from_static("ms-continuationtoken"), value));
            }
        }
        let mut call = Call::get(listing.operation, url);
        call.headers = headers;
        Ok(call)
    }

    pub(super) async fn fetch_page<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        listing: &Listing,
        continuation: Option<&Continuation>,
    ) -> Result<Page<T>, PartnerCenterError> {
        let call = match continuation {
            None => Call::get(listing.operation, listing.first.clone()),
            Some(continuation) => self.next_page_call(listing, continuation).map_err(|why| {
                PartnerCenterError::new(
                    ErrorKind::BadRequest,
                    RequestId::new(),
                    ctx.correlation_id,
                    format!("the page token cannot be followed: {why}"),
                )
            })?,
        };
        let answer = self.execute(ctx, call).await?;
        let collection: Collection<T> = answer.json()?;
        let next = Continuation::from_answer(collection.links.next, collection.continuation_token);
        if let Some(next) = &next {
            if Some(next) == continuation {
                return Err(answer.invalid("the service repeated the same page token"));
            }
            // Refuse a next link we would refuse to follow, while the answer that carried
            // it can still be named in the error.
            self.next_page_call(listing, next)
                .map_err(|why| answer.invalid(format!("the next-page link is unusable: {why}")))?;
        }
        Ok(Page {
            items: collection.items,
            total_count: collection.total_count,
            next,
        })
    }

    /// All items of a list, following continuations until there are none.
    pub(super) fn follow<'a, T>(
        &'a self,
        ctx: &'a CallContext,
        listing: Listing,
    ) -> impl Stream<Item = Result<T, PartnerCenterError>> + Send + 'a
    where
        T: DeserializeOwned + Send + 'a,
    {
        // State: `None` when done, `Some(None)` before the first page.
        stream::try_unfold(Some(None), move |state: Option<Option<Continuation>>| {
            let listing = listing.clone();
            async move {
                let Some(current) = state else {
                    return Ok(None);
                };
                let page: Page<T> = self.fetch_page(ctx, &listing, current.as_ref()).await?;
                Ok(Some((page.items, page.next.map(Some))))
            }
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
    }
}

/// A header from a service link, unless it is one we set ourselves or is malformed.
pub(super) fn link_header(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    let name = name.trim();
    if RESERVED_HEADERS
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(name))
    {
        tracing::debug!(
            header = name,
            "ignoring a reserved header in a service link"
        );
        return None;
    }
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .ok()
        .zip(HeaderValue::from_str(value).ok());
    if parsed.is_none() {
        tracing::debug!("ignoring a malformed header in a service link");
    }
    parsed
}
