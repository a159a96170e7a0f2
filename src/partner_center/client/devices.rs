//! Device batches and devices: list, create, add, delete, follow a job, assign profiles.
use super::*;

impl PartnerCenterClient {
    /// `GET /v1/customers/{id}/deviceBatches` (all pages, should there be several).
    pub async fn device_batches(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
    ) -> Result<Vec<DeviceBatch>, PartnerCenterError> {
        let url = self.endpoint(&["customers", &customer.to_string(), "deviceBatches"]);
        let listing = self.customer_listing("device_batches", url, customer);
        self.follow(ctx, listing).try_collect().await
    }

    /// `POST /v1/customers/{id}/deviceBatches`: creates the batch with its devices; the
    /// devices are registered by an asynchronous job whose id is returned.
    pub async fn create_device_batch(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        devices: &[NewDevice],
        request_id: RequestId,
    ) -> Result<TrackingId, PartnerCenterError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct NewBatch<'a> {
            batch_id: &'a BatchId,
            devices: &'a [NewDevice],
        }
        let url = self.endpoint(&["customers", &customer.to_string(), "deviceBatches"]);
        let call =
            Call::new("create_device_batch", Method::POST, url, request_id).json(&NewBatch {
                batch_id: batch,
                devices,
            });
        self.execute(ctx, call).await?.tracking_id()
    }

    /// `POST /v1/customers/{id}/deviceBatches/{batchId}/devices`: adds devices to an
    /// existing batch, asynchronously.
    pub async fn add_devices(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        devices: &[NewDevice],
        request_id: RequestId,
    ) -> Result<TrackingId, PartnerCenterError> {
        let url = self.batch_devices_url(customer, batch);
        let call = Call::new("add_devices", Method::POST, url, request_id).json(devices);
        self.execute(ctx, call).await?.tracking_id()
    }

    /// One page (100 devices) of a batch, or the page after `continuation`.
    pub async fn devices_page(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        continuation: Option<&Continuation>,
    ) -> Result<Page<Device>, PartnerCenterError> {
        let listing = self.devices_listing(customer, batch);
        self.fetch_page(ctx, &listing, continuation).await
    }

    /// Every device of a batch, page after page.
    pub fn devices<'a>(
        &'a self,
        ctx: &'a CallContext,
        customer: &CustomerId,
        batch: &BatchId,
    ) -> impl Stream<Item = Result<Device, PartnerCenterError>> + Send + 'a {
        self.follow(ctx, self.devices_listing(customer, batch))
    }

    /// `DELETE /v1/customers/{id}/deviceBatches/{batchId}/devices/{deviceId}` (204).
    pub async fn delete_device(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        batch: &BatchId,
        device_id: &str,
        request_id: RequestId,
    ) -> Result<(), PartnerCenterError> {
        let device_id = checked_segment(device_id, "device id", request_id, ctx)?;
        let mut url = self.batch_devices_url(customer, batch);
        push_segments(&mut url, &[device_id]);
        let call = Call::new("delete_device", Method::DELETE, url, request_id);
        self.execute(ctx, call).await.map(drop)
    }

    /// `GET /v1/customers/{id}/batchJobStatus/{trackingId}`.
    pub async fn batch_job_status(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        tracking_id: &TrackingId,
    ) -> Result<BatchUploadDetails, PartnerCenterError> {
        let url = self.endpoint(&[
            "customers",
            &customer.to_string(),
            "batchJobStatus",
            &tracking_id.to_string(),
        ]);
        self.execute(ctx, Call::get("batch_job_status", url))
            .await?
            .json()
    }

    /// `PATCH /v1/customers/{id}/DevicePolicyUpdates`: assigns (or, with a `null` value,
    /// removes) profiles on devices, asynchronously.
    pub async fn update_device_policies(
        &self,
        ctx: &CallContext,
        customer: &CustomerId,
        updates: &[DevicePolicyUpdate],
        request_id: RequestId,
    ) -> Result<TrackingId, PartnerCenterError> {
        #[derive(Serialize)]
        struct Updates<'a> {
            devices: &'a [DevicePolicyUpdate],
        }
        let url = self.endpoint(&["customers", &customer.to_string(), "DevicePolicyUpdates"]);
        let call = Call::new("update_device_policies", Method::PATCH, url, request_id)
            .json(&Updates { devices: updates });
        self.execute(ctx, call).await?.tracking_id()
    }
}
