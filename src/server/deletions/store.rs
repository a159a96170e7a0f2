//! A deletion's tables: what it removes (`device_deletions`, one row per part) beside its
//! parts, written together before anything is sent, and read back for its run and its page.

use super::DeviceToRemove;
use crate::model::operations::{OperationState, PartAction, PartState};
use crate::partner_center::{BatchId, RequestId};
use crate::server::operations::{self, Operation, OperationId};
use crate::server::store::Store;

/// One device of a deletion with its part, as its page lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct DeletedDevice {
    pub batch_id: BatchId,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub model: Option<String>,
    pub state: PartState,
    pub error: Option<String>,
    pub request_id: RequestId,
}

impl Store {
    /// Writes deletions, `submitting`, each with one part per device and each part with its
    /// request id, in one transaction: nothing is sent before all of them are stored, and a
    /// failure stores none (a search's deletion is one per customer).
    pub async fn insert_deletions(
        &self,
        deletions: &[(Operation, &[DeviceToRemove])],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        for (operation, devices) in deletions {
            debug_assert_eq!(operation.state, OperationState::Submitting);
            operations::insert(&mut tx, operation).await?;
            for (part, device) in devices.iter().enumerate() {
                let part = part as i64;
                sqlx::query(
                    "INSERT INTO device_deletions (operation_id, part, batch_id, device_id, \
                     serial_number, product_key, manufacturer, model) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(operation.id)
                .bind(part)
                .bind(&device.batch_id)
                .bind(&device.device_id)
                .bind(&device.serial_number)
                .bind(&device.product_key)
                .bind(&device.manufacturer)
                .bind(&device.model)
                .execute(&mut *tx)
                .await?;
                let action = (PartAction::DeleteDevice, 1);
                operations::parts::insert_part_of(&mut tx, operation, part, action).await?;
            }
        }
        tx.commit().await
    }

    /// A deletion's devices, by part.
    pub async fn devices_to_remove(
        &self,
        operation_id: &OperationId,
    ) -> Result<Vec<DeviceToRemove>, sqlx::Error> {
        sqlx::query_as(
            "SELECT batch_id, device_id, serial_number, product_key, manufacturer, model \
             FROM device_deletions WHERE operation_id = $1 ORDER BY part",
        )
        .bind(operation_id)
        .fetch_all(self.pool())
        .await
    }

    /// How many devices a deletion has, and how many of them are deleted: counted by the
    /// database, as a page that follows a deletion of thousands asks every few seconds.
    pub async fn deletion_counts(
        &self,
        operation_id: &OperationId,
    ) -> Result<(usize, usize), sqlx::Error> {
        let count = |done: bool| {
            let sql = format!(
                "SELECT COUNT(*) FROM operation_parts WHERE operation_id = $1{}",
                if done {
                    " AND state IN ('accepted', 'settled')"
                } else {
                    ""
                }
            );
            async move {
                sqlx::query_scalar::<_, i64>(&sql)
                    .bind(operation_id)
                    .fetch_one(self.pool())
                    .await
            }
        };
        Ok((count(false).await? as usize, count(true).await? as usize))
    }

    /// One page of a deletion's devices with their parts: those not deleted first (what
    /// needs a look), then in the order they were asked for.
    pub async fn deletion_page(
        &self,
        operation_id: &OperationId,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<DeletedDevice>, sqlx::Error> {
        sqlx::query_as(
            "SELECT d.batch_id, d.device_id, d.serial_number, d.model, p.state, p.error, \
             p.request_id FROM device_deletions d JOIN operation_parts p \
             ON p.operation_id = d.operation_id AND p.part = d.part \
             WHERE d.operation_id = $1 \
             ORDER BY CASE WHEN p.state IN ('accepted', 'settled') THEN 1 ELSE 0 END, d.part \
             LIMIT $2 OFFSET $3",
        )
        .bind(operation_id)
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(self.pool())
        .await
    }
}
