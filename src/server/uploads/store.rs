//! The uploads' tables (see `migrations/…_uploads.sql`): what [`super::model`] holds, read
//! and written. Portable SQL, like the rest of [`Store`].

use std::fmt::Write as _;

use super::model::{InputReport, RowCounts, RowFilter, StoredRow, Upload};
use crate::ingest::{DeviceRow, Finding};
use crate::model::operations::OperationKind;
use crate::model::uploads::BatchTarget;
use crate::server::operations;
use crate::server::operations::OperationId;
use crate::server::store::{Backend, Store};

/// An upload as read: the operation's columns and the upload's own, for `FROM {UPLOADS} u`.
pub(super) const UPLOADS: &str = "(SELECT o.*, d.source, d.file_name, d.target, d.batch_id, \
     d.report, d.split_from FROM operations o JOIN uploads d ON d.id = o.id)";

impl Store {
    /// Stores a draft, the file it came from (if any) and all its rows in one transaction.
    pub async fn insert_draft(
        &self,
        upload: &Upload,
        file: Option<&[u8]>,
        rows: &[(DeviceRow, Vec<Finding>)],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        operations::insert(&mut tx, &upload.operation).await?;
        sqlx::query(
            "INSERT INTO uploads (id, source, file_name, target, batch_id, report) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(upload.operation.id)
        .bind(upload.source)
        .bind(&upload.file_name)
        .bind(upload.target)
        .bind(&upload.batch_id)
        .bind(upload.report.to_column())
        .execute(&mut *tx)
        .await?;
        if let Some(content) = file {
            sqlx::query("INSERT INTO upload_files (upload_id, content) VALUES ($1, $2)")
                .bind(upload.operation.id)
                .bind(content)
                .execute(&mut *tx)
                .await?;
        }
        insert_rows(&mut tx, self.backend(), &upload.operation.id, rows).await?;
        tx.commit().await
    }

    /// The file a draft was read from.
    pub async fn upload_file(
        &self,
        upload_id: &OperationId,
    ) -> Result<Option<Vec<u8>>, sqlx::Error> {
        sqlx::query_scalar("SELECT content FROM upload_files WHERE upload_id = $1")
            .bind(upload_id)
            .fetch_optional(self.pool())
            .await
    }

    /// Replaces a draft's reading (another sheet of its file): report and rows together.
    /// Returns `false` when the upload is no longer a draft.
    pub async fn replace_draft_rows(
        &self,
        upload_id: &OperationId,
        report: &InputReport,
        rows: &[(DeviceRow, Vec<Finding>)],
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        if !lock_draft(&mut tx, upload_id, now).await? {
            return Ok(false);
        }
        sqlx::query("UPDATE uploads SET report = $1 WHERE id = $2")
            .bind(report.to_column())
            .bind(upload_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM upload_rows WHERE upload_id = $1")
            .bind(upload_id)
            .execute(&mut *tx)
            .await?;
        insert_rows(&mut tx, self.backend(), upload_id, rows).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn upload(&self, id: &OperationId) -> Result<Option<Upload>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT * FROM {UPLOADS} u WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
    }

    pub async fn row_counts(&self, upload_id: &OperationId) -> Result<RowCounts, sqlx::Error> {
        sqlx::query_as(
            "SELECT COUNT(*) AS total, \
             COUNT(CASE WHEN excluded = 1 THEN 1 END) AS excluded, \
             COUNT(CASE WHEN excluded = 0 AND has_error = 1 THEN 1 END) AS errors, \
             COUNT(CASE WHEN excluded = 0 AND has_error = 0 AND findings <> '[]' THEN 1 END) AS warnings \
             FROM upload_rows WHERE upload_id = $1",
        )
        .bind(upload_id)
        .fetch_one(self.pool())
        .await
    }

    /// Up to `limit` rows after row number `after`, in order: for reading a whole upload a
    /// page at a time, steady while other rows change (a download during the job).
    pub async fn rows_after(
        &self,
        upload_id: &OperationId,
        filter: RowFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT * FROM upload_rows WHERE upload_id = $1 AND row_number > $2 {} \
             ORDER BY row_number LIMIT $3",
            filter.condition()
        ))
        .bind(upload_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    /// One page of rows, in row order.
    pub async fn rows(
        &self,
        upload_id: &OperationId,
        filter: RowFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<StoredRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT * FROM upload_rows WHERE upload_id = $1 {} \
             ORDER BY row_number LIMIT $2 OFFSET $3",
            filter.condition()
        ))
        .bind(upload_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await
    }

    /// How many rows `filter` lets through: the length of the list [`Store::rows`] pages.
    pub async fn count_rows(
        &self,
        upload_id: &OperationId,
        filter: RowFilter,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM upload_rows WHERE upload_id = $1 {}",
            filter.condition()
        ))
        .bind(upload_id)
        .fetch_one(self.pool())
        .await
    }

    /// Deletes the drafts created before `before` (unix seconds) that were never submitted,
    /// with their rows and stored files (the foreign keys cascade). A draft being claimed
    /// for submission at that moment is either claimed first or deleted first, never both.
    pub async fn delete_drafts_created_before(&self, before: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(
            "DELETE FROM operations WHERE kind = $1 AND state = 'draft' AND created_at < $2",
        )
        .bind(OperationKind::Upload)
        .bind(before)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Deletes one draft its owner gave up, with its rows and stored file (the foreign keys
    /// cascade). `false`: it is no draft any more (submitted meanwhile from another tab, or
    /// deleted already); a submission claims the row the same way, so only one of the two
    /// happens.
    pub async fn discard_draft(&self, upload_id: &OperationId) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM operations WHERE id = $1 AND kind = $2 AND state = 'draft'")
                .bind(upload_id)
                .bind(OperationKind::Upload)
                .execute(self.pool())
                .await?
                .rows_affected()
                == 1,
        )
    }

    /// Changes where a draft goes.
    pub async fn set_target(
        &self,
        upload_id: &OperationId,
        target: BatchTarget,
        batch_id: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        if !lock_draft(&mut tx, upload_id, now).await? {
            return Ok(false);
        }
        sqlx::query("UPDATE uploads SET target = $1, batch_id = $2 WHERE id = $3")
            .bind(target)
            .bind(batch_id)
            .bind(upload_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Starts a change to a draft: locks the upload's operation row for the transaction
/// (PostgreSQL waits here for a submission under way, and a submission waits for the change),
/// notes the change's time, and says whether it is still a draft. Without it, rows removed at
/// the moment of submitting could be left out of the parts, or sent after all.
pub(super) async fn lock_draft(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    upload_id: &OperationId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let locked =
        sqlx::query("UPDATE operations SET updated_at = $1 WHERE id = $2 AND state = 'draft'")
            .bind(now)
            .bind(upload_id)
            .execute(&mut **tx)
            .await?;
    Ok(locked.rows_affected() == 1)
}

/// A cell's text as the database can hold it: PostgreSQL text cannot hold NUL (SQLite's
/// can), so a NUL is kept as U+FFFD, which still shows where it was. Such a row already has
/// the error about its control character and is never sent.
fn storable(text: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    text.as_deref().map(|text| match text.contains('\0') {
        true => std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}")),
        false => std::borrow::Cow::Borrowed(text),
    })
}

/// Rows go in this many to a statement: one statement per row is one round trip per row, and
/// a 10,000-row draft took 5.5 s on PostgreSQL. 10 parameters a row keep a statement far below
/// both databases' limits (32,766 for SQLite, 65,535 for PostgreSQL).
const ROWS_PER_INSERT: usize = 500;

/// The rows of a draft, with their findings.
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    upload_id: &OperationId,
    rows: &[(DeviceRow, Vec<Finding>)],
) -> Result<(), sqlx::Error> {
    for part in rows.chunks(ROWS_PER_INSERT) {
        // Bound by reference: they must outlive the statement.
        let texts: Vec<_> = part
            .iter()
            .map(|(device, findings)| {
                let cells = [
                    &device.serial_number,
                    &device.product_key,
                    &device.hardware_hash,
                    &device.manufacturer,
                    &device.model,
                    &device.group_tag,
                ]
                .map(storable);
                (cells, serde_json::to_string(findings).unwrap_or_default())
            })
            .collect();
        let sql = values_sql(backend, ROW_COLUMNS, 10, part.len());
        let mut insert = sqlx::query(&sql);
        for ((device, findings), (cells, findings_json)) in part.iter().zip(&texts) {
            let [serial, key, hash, manufacturer, model, group_tag] = cells;
            insert = insert
                .bind(upload_id)
                .bind(device.row as i64)
                .bind(serial.as_deref())
                .bind(key.as_deref())
                .bind(hash.as_deref())
                .bind(manufacturer.as_deref())
                .bind(model.as_deref())
                .bind(group_tag.as_deref())
                .bind(findings_json.as_str())
                .bind(findings.iter().any(Finding::is_error) as i64);
        }
        insert.execute(&mut **tx).await?;
        let findings: Vec<(u32, &[Finding])> = part
            .iter()
            .map(|(device, findings)| (device.row, findings.as_slice()))
            .collect();
        insert_finding_codes(tx, backend, upload_id, &findings).await?;
    }
    Ok(())
}

const ROW_COLUMNS: &str = "INSERT INTO upload_rows (upload_id, row_number, serial_number, \
     product_key, hardware_hash, manufacturer, model, group_tag, findings, has_error)";

/// `{insert} VALUES (…), (…)`: `rows` rows of `columns` placeholders each. PostgreSQL takes
/// only numbered ones (`$n`; the `any` driver passes SQL through). SQLite gets anonymous `?`s:
/// sqlx binds a named one by asking SQLite its name, which SQLite finds by walking the
/// statement's parameters, so binding a 500-row statement's 5,000 took 12.5 million steps:
/// half of a 10,000-row upload's time until its preview.
fn values_sql(backend: Backend, insert: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("{insert} VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${}", row * columns + column + 1);
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// The codes of what was found about these rows of an upload, each once a row, beside the
/// findings themselves (`upload_row_findings`): what the preview leaves rows out by.
pub(super) async fn insert_finding_codes(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    upload_id: &OperationId,
    rows: &[(u32, &[Finding])],
) -> Result<(), sqlx::Error> {
    let codes: Vec<(i64, String)> = rows
        .iter()
        .flat_map(|(row, findings)| {
            let codes: std::collections::BTreeSet<String> =
                findings.iter().map(|f| f.check.code()).collect();
            codes.into_iter().map(move |code| (i64::from(*row), code))
        })
        .collect();
    for part in codes.chunks(ROWS_PER_INSERT) {
        let sql = values_sql(
            backend,
            "INSERT INTO upload_row_findings (upload_id, row_number, code)",
            3,
            part.len(),
        );
        let mut insert = sqlx::query(&sql);
        for (row, code) in part {
            insert = insert.bind(upload_id).bind(row).bind(code.as_str());
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::model::operations::OperationState;

    #[test]
    fn an_upload_state_reads_back_what_it_wrote_and_a_damaged_one_is_an_error() {
        for state in ["draft", "submitting", "submitted", "failed"] {
            assert_eq!(OperationState::try_from(state).unwrap().as_str(), state);
        }
        // Once read as a draft, which made a damaged row editable and submittable.
        for damaged in ["", "Draft", "sent"] {
            assert!(OperationState::try_from(damaged).is_err(), "{damaged:?}");
        }
    }
}
