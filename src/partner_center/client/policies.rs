//! Autopilot profiles (configuration policies): list, read, create, change, delete.
use super::*;

impl PartnerCenterClient {
    /// `GET /v1/customers/{id}/policies` (all pages, should there be several).
    pub async fn policies(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
    ) -> Result<Vec<ConfigurationPolicy>, PartnerCenterError> {
        let url = self.policies_url(customer);
        let listing = self.customer_listing("policies", url, customer);
        self.follow(ctx, listing).try_collect().await
    }

    /// `GET /v1/customers/{id}/policies/{policyId}`.
    pub async fn policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy_id: &str,
    ) -> Result<ConfigurationPolicy, PartnerCenterError> {
        let request_id = RequestId::new();
        let policy_id = checked_segment(policy_id, "policy id", request_id, ctx)?;
        let mut url = self.policies_url(customer);
        push_segments(&mut url, &[policy_id]);
        let call = Call::new("policy", Method::GET, url, request_id);
        self.execute(ctx, call).await?.json()
    }

    /// `POST /v1/customers/{id}/policies`: answers 200 with the created profile.
    pub async fn create_policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy: &NewPolicy,
        request_id: RequestId,
    ) -> Result<ConfigurationPolicy, PartnerCenterError> {
        let url = self.policies_url(customer);
        let call = Call::new("create_policy", Method::POST, url, request_id).json(policy);
        self.execute(ctx, call).await?.json()
    }

    /// `PUT /v1/customers/{id}/policies/{policy.id}` with the whole profile (Partner Center
    /// updates profiles with PUT, not PATCH). An empty 2xx answer yields the profile sent.
    pub async fn update_policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy: &ConfigurationPolicy,
        request_id: RequestId,
    ) -> Result<ConfigurationPolicy, PartnerCenterError> {
        let policy_id = policy.id.as_deref().unwrap_or_default();
        let policy_id = checked_segment(policy_id, "policy id", request_id, ctx)?;
        let mut url = self.policies_url(customer);
        push_segments(&mut url, &[policy_id]);
        let call = Call::new("update_policy", Method::PUT, url, request_id).json(policy);
        let answer = self.execute(ctx, call).await?;
        if answer.is_empty() {
            return Ok(policy.clone());
        }
        answer.json()
    }

    /// `DELETE /v1/customers/{id}/policies/{policyId}` (204).
    pub async fn delete_policy(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        policy_id: &str,
        request_id: RequestId,
    ) -> Result<(), PartnerCenterError> {
        let policy_id = checked_segment(policy_id, "policy id", request_id, ctx)?;
        let mut url = self.policies_url(customer);
        push_segments(&mut url, &[policy_id]);
        let call = Call::new("delete_policy", Method::DELETE, url, request_id);
        self.execute(ctx, call).await.map(drop)
    }
}
