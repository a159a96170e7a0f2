//! Changing a draft's rows on the preview: removing and restoring rows, splitting by group
//! tag, and judging repeats again after either. Each change locks the draft first
//! ([`lock_draft`]), so it cannot interleave with a submission on another replica.

use std::fmt::Write as _;

use super::model::{InputReport, StoredRow};
use super::store::{insert_finding_codes, lock_draft, UPLOADS};
use crate::ingest::{Check, DeviceRow, Finding};
use crate::model::operations::OperationState;
use crate::server::operations::OperationId;
use crate::server::store::Store;
use crate::server::unix_now;

/// Rows named in one `UPDATE … IN (…)` when rows are removed or restored by hand.
const ROWS_PER_UPDATE: usize = 500;

impl Store {
    /// Marks rows as removed (or back) while the upload is a draft. Returns how many changed.
    pub async fn set_excluded(
        &self,
        upload_id: &OperationId,
        rows: &[u32],
        excluded: bool,
    ) -> Result<u64, sqlx::Error> {
        let mut changed = 0;
        let mut tx = self.pool().begin().await?;
        if !lock_draft(&mut tx, upload_id, unix_now()).await? {
            return Ok(0);
        }
        // A few hundred rows to a statement, not one each: "select all" on a 50,000-row
        // draft was 50,000 round trips inside one transaction (and the draft's lock).
        for part in rows.chunks(ROWS_PER_UPDATE) {
            let mut sql = String::from(
                "UPDATE upload_rows SET excluded = $1 WHERE upload_id = $2 AND row_number IN (",
            );
            for n in 0..part.len() {
                let _ = write!(sql, "{}${}", if n == 0 { "" } else { ", " }, n + 3);
            }
            sql.push(')');
            let mut update = sqlx::query(&sql).bind(excluded as i64).bind(upload_id);
            for row in part {
                update = update.bind(*row as i64);
            }
            changed += update.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Leaves out every included row that has an error, or a finding of this check.
    pub async fn exclude_where(
        &self,
        upload_id: &OperationId,
        which: Excluding,
    ) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        if !lock_draft(&mut tx, upload_id, unix_now()).await? {
            return Ok(0);
        }
        let condition = match which {
            Excluding::Errors => "has_error = 1",
            Excluding::Found(_) => {
                "row_number IN (SELECT row_number FROM upload_row_findings \
                 WHERE upload_id = $1 AND code = $2)"
            }
        };
        let sql = format!(
            "UPDATE upload_rows SET excluded = 1 WHERE upload_id = $1 AND excluded = 0 \
             AND {condition}"
        );
        let mut update = sqlx::query(&sql);
        update = update.bind(upload_id);
        if let Excluding::Found(check) = which {
            update = update.bind(check.code());
        }
        let result = update.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(result.rows_affected())
    }
}

/// Which rows [`Store::exclude_where`] leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excluding {
    /// Every row with an error.
    Errors,
    /// Every row about which this was found.
    Found(Check),
}

/// Copies the included rows of upload `$2` whose group tag lowers to `$3` into upload `$1`.
const COPY_TAGGED_ROWS: &str = "INSERT INTO upload_rows (upload_id, row_number, serial_number, \
     product_key, hardware_hash, manufacturer, model, group_tag, findings, has_error, excluded) \
     SELECT $1, row_number, serial_number, product_key, hardware_hash, manufacturer, model, \
     group_tag, findings, has_error, 0 FROM upload_rows \
     WHERE upload_id = $2 AND excluded = 0 AND LOWER(group_tag) = $3";

/// Copies the finding codes of the same rows.
const COPY_TAGGED_FINDINGS: &str = "INSERT INTO upload_row_findings (upload_id, row_number, code) \
     SELECT $1, f.row_number, f.code FROM upload_row_findings f \
     JOIN upload_rows r ON r.upload_id = f.upload_id AND r.row_number = f.row_number \
     WHERE f.upload_id = $2 AND r.excluded = 0 AND LOWER(r.group_tag) = $3";

/// A draft made by splitting another one per group tag.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SplitPart {
    #[sqlx(rename = "id")]
    pub upload_id: OperationId,
    pub batch_id: String,
    pub state: OperationState,
    pub rows: i64,
}

impl Store {
    /// Splits a draft into one new draft per group tag (the tag becoming the batch name);
    /// the tagged rows move to their parts, the original keeps the untagged ones. Returns `false` when it is not a draft.
    pub async fn split_by_group_tag(
        &self,
        upload_id: &OperationId,
        report_for_parts: &InputReport,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        if !lock_draft(&mut tx, upload_id, unix_now()).await? {
            return Ok(false);
        }
        // Partner Center compares batch names without case: "Sales" and "sales" are one tag.
        // Each tag comes with the database's own lowercase of it, which picks its rows below:
        // a parameter lowered there could follow another collation than the column.
        let tags: Vec<(String, String)> = sqlx::query_as(
            "SELECT MIN(group_tag), LOWER(group_tag) FROM upload_rows WHERE upload_id = $1 \
             AND excluded = 0 AND group_tag IS NOT NULL GROUP BY LOWER(group_tag) \
             ORDER BY MIN(group_tag)",
        )
        .bind(upload_id)
        .fetch_all(&mut *tx)
        .await?;
        let report = report_for_parts.to_column();
        for (tag, key) in tags {
            let part = uuid::Uuid::new_v4().to_string();
            sqlx::query(
                "INSERT INTO operations (id, kind, customer_id, customer_name, tenant_id, \
                 object_id, upn, state, created_at, updated_at) \
                 SELECT $1, kind, customer_id, customer_name, tenant_id, object_id, upn, \
                 'draft', $2, $2 FROM operations WHERE id = $3",
            )
            .bind(&part)
            .bind(now)
            .bind(upload_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO uploads (id, source, file_name, target, batch_id, report, split_from) \
                 SELECT $1, source, file_name, 'new', $2, $3, id FROM uploads WHERE id = $4",
            )
            .bind(&part)
            .bind(&tag)
            .bind(&report)
            .bind(upload_id)
            .execute(&mut *tx)
            .await?;
            // The tag's rows, then what was found about them, copied to the part.
            for copy in [COPY_TAGGED_ROWS, COPY_TAGGED_FINDINGS] {
                sqlx::query(copy)
                    .bind(&part)
                    .bind(upload_id)
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // The rows now belong to their parts: gone from here, so they cannot be sent twice.
        sqlx::query(
            "DELETE FROM upload_rows WHERE upload_id = $1 AND excluded = 0 \
             AND group_tag IS NOT NULL",
        )
        .bind(upload_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The drafts a split made from this upload, by batch name.
    pub async fn split_parts(
        &self,
        upload_id: &OperationId,
    ) -> Result<Vec<SplitPart>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT u.id, COALESCE(u.batch_id, '') AS batch_id, u.state, \
             (SELECT COUNT(*) FROM upload_rows r WHERE r.upload_id = u.id AND r.excluded = 0) AS rows \
             FROM {UPLOADS} u WHERE u.split_from = $1 ORDER BY u.batch_id",
        ))
        .bind(upload_id)
        .fetch_all(self.pool())
        .await
    }
}

impl Store {
    /// Each group tag among the rows still included, with its number of rows.
    pub async fn group_tags(
        &self,
        upload_id: &OperationId,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT MIN(group_tag) AS group_tag, COUNT(*) AS n FROM upload_rows \
             WHERE upload_id = $1 AND excluded = 0 AND group_tag IS NOT NULL \
             GROUP BY LOWER(group_tag) ORDER BY MIN(group_tag)",
        )
        .bind(upload_id)
        .fetch_all(self.pool())
        .await
    }
}

impl Store {
    /// Checks repeats again after rows were removed or put back: the rows that share a key
    /// with another get their "duplicate" errors recomputed among the rows still included,
    /// so removing the first of two copies frees the second.
    pub async fn recheck_duplicates(&self, upload_id: &OperationId) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        if !lock_draft(&mut tx, upload_id, unix_now()).await? {
            return Ok(());
        }
        let stored: Vec<StoredRow> = sqlx::query_as(
            "SELECT * FROM upload_rows WHERE upload_id = $1 AND ( \
             hardware_hash IN (SELECT hardware_hash FROM upload_rows WHERE upload_id = $1 \
               GROUP BY hardware_hash HAVING COUNT(*) > 1) \
             OR product_key IN (SELECT product_key FROM upload_rows WHERE upload_id = $1 \
               GROUP BY product_key HAVING COUNT(*) > 1) \
             OR (serial_number || '|' || manufacturer || '|' || model) IN ( \
               SELECT serial_number || '|' || manufacturer || '|' || model FROM upload_rows \
               WHERE upload_id = $1 GROUP BY 1 HAVING COUNT(*) > 1)) \
             ORDER BY row_number",
        )
        .bind(upload_id)
        .fetch_all(&mut *tx)
        .await?;
        let included: Vec<DeviceRow> = stored
            .iter()
            .filter(|r| !r.excluded)
            .map(|r| r.device.clone())
            .collect();
        let repeats = crate::ingest::duplicate_findings(&included);
        for row in &stored {
            let mut findings: Vec<Finding> = row
                .findings
                .iter()
                .filter(|f| f.check != Check::DuplicateInUpload)
                .cloned()
                .collect();
            if !row.excluded {
                findings.extend(
                    repeats
                        .iter()
                        .filter(|f| f.row == Some(row.device.row))
                        .cloned(),
                );
            }
            if findings != row.findings {
                let has_error = findings.iter().any(Finding::is_error);
                sqlx::query(
                    "UPDATE upload_rows SET findings = $1, has_error = $2 \
                     WHERE upload_id = $3 AND row_number = $4",
                )
                .bind(serde_json::to_string(&findings).unwrap_or_default())
                .bind(has_error as i64)
                .bind(upload_id)
                .bind(row.device.row as i64)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM upload_row_findings WHERE upload_id = $1 AND row_number = $2",
                )
                .bind(upload_id)
                .bind(row.device.row as i64)
                .execute(&mut *tx)
                .await?;
                let row_findings = [(row.device.row, findings.as_slice())];
                insert_finding_codes(&mut tx, self.backend(), upload_id, &row_findings).await?;
            }
        }
        tx.commit().await
    }
}
