//! Where each call goes: `{base}/v1/…` with every segment percent-encoded, and where a
//! listing's pages are.
use super::*;

impl PartnerCenterClient {
    /// `{base}/v1/{segments…}`, each segment percent-encoded (`/`, `?`, `#`, `%`, spaces…).
    pub(super) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.config.base_url.clone();
        let mut all = Vec::with_capacity(segments.len() + 1);
        all.push("v1");
        all.extend_from_slice(segments);
        push_segments(&mut url, &all);
        url
    }

    pub(super) fn batch_devices_url(&self, customer: &CustomerId, batch: &BatchId) -> Url {
        self.endpoint(&[
            "customers",
            &customer.to_string(),
            "deviceBatches",
            batch.as_str(),
            "devices",
        ])
    }

    pub(super) fn policies_url(&self, customer: &CustomerId) -> Url {
        self.endpoint(&["customers", &customer.to_string(), "policies"])
    }

    pub(super) fn customers_listing(&self, query: &CustomerQuery) -> Listing {
        let mut first = self.endpoint(&["customers"]);
        let scope = first.path().to_lowercase();
        if query.size.is_some() || query.filter.is_some() {
            let mut pairs = first.query_pairs_mut();
            if let Some(size) = query.size {
                pairs.append_pair("size", &size.to_string());
            }
            if let Some(filter) = &query.filter {
                pairs.append_pair("filter", &filter.to_query_value());
            }
        }
        Listing {
            operation: "customers",
            first,
            scope,
            seek_next: true,
        }
    }

    pub(super) fn devices_listing(&self, customer: &CustomerId, batch: &BatchId) -> Listing {
        let url = self.batch_devices_url(customer, batch);
        self.customer_listing("devices", url, customer)
    }

    /// A list under one customer: followed links must stay under that customer.
    pub(super) fn customer_listing(
        &self,
        operation: &'static str,
        first: Url,
        customer: &CustomerId,
    ) -> Listing {
        let scope = format!(
            "{}/",
            self.endpoint(&["customers", &customer.to_string()]).path()
        )
        .to_lowercase();
        Listing {
            operation,
            first,
            scope,
            seek_next: false,
        }
    }

    /// Resolves a link from the service: `/v1` is prepended when missing (`Location` and
    /// most links omit it, the customers' next link has it), the result is placed under the
    /// base URL, and absolute links are only accepted on the base URL's origin.
    pub(super) fn resolve_link(&self, uri: &str) -> Result<Url, &'static str> {
        let base = &self.inner.config.base_url;
        let base_path = base.path().trim_end_matches('/');
        let uri = uri.trim();
        if uri.is_empty() {
            return Err("the link is empty");
        }
        let (path, query) = match Url::parse(uri) {
            Ok(absolute) => {
                if absolute.origin() != base.origin() {
                    return Err("the link points to another host");
                }
                let path = absolute.path();
                let path = path.strip_prefix(base_path).unwrap_or(path).to_string();
                (path, absolute.query().map(str::to_string))
            }
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                let without_fragment = uri.split('#').next().unwrap_or_default();
                let (path, query) = match without_fragment.split_once('?') {
                    Some((path, query)) => (path, Some(query.to_string())),
                    None => (without_fragment, None),
                };
                let path = if path.starts_with('/') {
                    path.to_string()
                } else {
                    format!("/{path}")
                };
                (path, query)
            }
            Err(_) => return Err("the link is not a valid URL"),
        };
        let versioned = path
            .get(..4)
            .is_some_and(|start| start.eq_ignore_ascii_case("/v1/"))
            || path.eq_ignore_ascii_case("/v1");
        let path = if versioned {
            path
        } else {
            format!("/v1{path}")
        };
        let mut url = base.clone();
        url.set_path(&format!("{base_path}{path}"));
        url.set_query(query.as_deref());
        Ok(url)
    }
}

/// Appends path segments, percent-encoding each. The base URL was checked to be a base in
/// [`PartnerCenterClient::new`], so the segments are always writable.
pub(super) fn push_segments(url: &mut Url, segments: &[&str]) {
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
}

/// A caller-supplied free-text id that becomes one path segment. Blank ids and `.`/`..`
/// (which URL path building drops, addressing another resource) are refused before sending.
pub(super) fn checked_segment<'v>(
    value: &'v str,
    what: &str,
    request_id: RequestId,
    ctx: &CallContext,
) -> Result<&'v str, PartnerCenterError> {
    let value = value.trim();
    if value.is_empty() || value == "." || value == ".." {
        return Err(PartnerCenterError::new(
            ErrorKind::BadRequest,
            request_id,
            ctx.correlation_id,
            format!("the {what} is empty or not a valid path segment"),
        ));
    }
    Ok(value)
}
