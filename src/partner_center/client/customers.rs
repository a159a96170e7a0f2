//! The partner's customers: a page, every page, one customer.
use super::*;

impl PartnerCenterClient {
    /// One page of the partner's customers (`GET /v1/customers?size=&filter=`), or the page
    /// after `continuation`.
    pub async fn customers_page(
        &self,
        ctx: &CallContext,
        query: &CustomerQuery,
        continuation: Option<&Continuation>,
    ) -> Result<Page<Customer>, PartnerCenterError> {
        self.fetch_page(ctx, &self.customers_listing(query), continuation)
            .await
    }

    /// Every customer matching `query`, page after page.
    pub fn customers<'a>(
        &'a self,
        ctx: &'a CallContext,
        query: &'a CustomerQuery,
    ) -> impl Stream<Item = Result<Customer, PartnerCenterError>> + Send + 'a {
        self.follow(ctx, self.customers_listing(query))
    }

    /// `GET /v1/customers/{id}`.
    pub async fn customer(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
    ) -> Result<Customer, PartnerCenterError> {
        let url = self.endpoint(&["customers", &customer.to_string()]);
        self.execute(ctx, Call::get("customer", url)).await?.json()
    }
}
