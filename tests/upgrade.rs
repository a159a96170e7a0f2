//! An upgrade keeps every upload: a database at the last schema before operations
//! (migration 12) holding an upload in the middle of being sent is migrated by this version,
//! and the upload comes out the same, as an operation whose parts keep their request ids, so
//! the restart's reconciliation sends the rest exactly as before; a draft stored before the
//! findings of its rows had their own table leaves out the same rows. On both backends.

mod common;

use std::borrow::Cow;

use common::uploads::CONTOSO;
use common::TestDatabase;
use ztd_dashboard::ingest::Check;
use ztd_dashboard::model::operations::{OperationKind, OperationState, PartAction, PartState};
use ztd_dashboard::model::uploads::{BatchTarget, UploadSource};
use ztd_dashboard::server::store::Store;
use ztd_dashboard::server::uploads::draft_rows::Excluding;
use ztd_dashboard::server::uploads::model::RowFilter;

const UPLOAD: &str = "0b0b0b0b-0000-4000-8000-000000000001";
/// [`UPLOAD`], typed as this version's store takes it.
fn upload_id() -> ztd_dashboard::server::operations::OperationId {
    UPLOAD.parse().unwrap()
}
const TENANT: &str = "5a9d1f3e-0c2b-4e7a-9b1d-7c4e2f6a8b10";
const FIRST_ID: &str = "0c0c0c0c-0000-4000-8000-000000000001";
const SECOND_ID: &str = "0c0c0c0c-0000-4000-8000-000000000002";

/// The database at every migration before the one described as `migration` (its file name
/// after the number, with spaces).
async fn database_before(database: &TestDatabase, migration: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = match database.is_postgres() {
        true => database.url.clone(),
        false => format!("{}?mode=rwc", database.url),
    };
    let pool = sqlx::AnyPool::connect(&url)
        .await
        .expect("the database opens");
    let mut migrator = match database.is_postgres() {
        true => sqlx::migrate!("./migrations/postgres"),
        false => sqlx::migrate!("./migrations/sqlite"),
    };
    let before = migrator
        .migrations
        .iter()
        .position(|m| m.description == migration)
        .expect("the migration is there");
    migrator.migrations = Cow::Owned(migrator.migrations[..before].to_vec());
    migrator.run(&pool).await.expect("the older migrations run");
    pool
}

/// An upload as the version before operations wrote it, being sent: its first part
/// accepted and its job running, its second not answered yet.
async fn upload_being_sent(pool: &sqlx::AnyPool) {
    let report = r#"{"description":"CSV","format":"csv","encoding":"utf-8","delimiter":",","sheet":null,"sheets":[],"header_row":1,"columns":[],"findings":[]}"#;
    sqlx::query(
        "INSERT INTO uploads (id, customer_id, customer_name, tenant_id, object_id, upn, source, \
         file_name, target, batch_id, state, report, created_at, updated_at, submitted_at, \
         sign_in_id) VALUES ($1, $2, 'Contoso', $3, 'oid-1', 'admin@example.com', 'file', \
         'spring.csv', 'new', 'Spring', 'submitting', $4, 100, 200, 150, 'sign-in-1')",
    )
    .bind(UPLOAD)
    .bind(CONTOSO)
    .bind(TENANT)
    .bind(report)
    .execute(pool)
    .await
    .unwrap();
    for (row, chunk) in [(2_i64, 0_i64), (3, 0), (4, 1)] {
        sqlx::query(
            "INSERT INTO upload_rows (upload_id, row_number, serial_number, findings, \
             has_error, chunk) VALUES ($1, $2, $3, '[]', 0, $4)",
        )
        .bind(UPLOAD)
        .bind(row)
        .bind(format!("SN-{row}"))
        .bind(chunk)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO upload_chunks (upload_id, chunk, operation, request_id, devices, state, \
         tracking_id, job_status, updated_at) VALUES \
         ($1, 0, 'create', $2, 2, 'accepted', '0f4a8b2c-9d3e-4f5a-8b6c-7d8e9f0a1b2c', 'processing', 160), \
         ($1, 1, 'add', $3, 1, 'pending', NULL, NULL, 150)",
    )
    .bind(UPLOAD)
    .bind(FIRST_ID)
    .bind(SECOND_ID)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO audit_events (at, action, outcome, tenant_id, object_id, upn, customer_id, \
         upload_id, detail, correlation_id) VALUES (150, 'upload-submitted', 'ok', $1, \
         'oid-1', 'admin@example.com', $2, $3, 'Upload of 3 devices submitted.', 'c-1')",
    )
    .bind(TENANT)
    .bind(CONTOSO)
    .bind(UPLOAD)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_upload_being_sent_during_the_upgrade_comes_out_the_same_operation() {
    let data_dir = std::env::temp_dir().join(format!("ztd-upgrade-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let database = TestDatabase::fresh(&data_dir).await;
    let pool = database_before(&database, "operations").await;
    upload_being_sent(&pool).await;
    pool.close().await;

    // This version opens it: the remaining migrations run.
    let store = Store::open(&database.url).await.expect("the upgrade runs");
    let upload = store
        .upload(&upload_id())
        .await
        .unwrap()
        .expect("the upload is kept");
    assert_eq!(upload.operation.state, OperationState::Submitting);
    assert_eq!(upload.source, UploadSource::File);
    assert_eq!(upload.file_name.as_deref(), Some("spring.csv"));
    assert_eq!(upload.target, BatchTarget::New);
    assert_eq!(upload.batch_id.as_deref(), Some("Spring"));
    assert_eq!(upload.report.description, "CSV");
    assert_eq!(
        (upload.operation.created_at, upload.operation.submitted_at),
        (100, Some(150))
    );

    let operation = store
        .operation(&upload_id())
        .await
        .unwrap()
        .expect("an operation");
    assert_eq!(operation.kind, OperationKind::Upload);
    assert_eq!(operation.sign_in_id.as_deref(), Some("sign-in-1"));

    let parts = store.parts(&upload_id()).await.unwrap();
    let seen: Vec<_> = parts
        .iter()
        .map(|p| {
            (
                p.number,
                p.action,
                p.request_id.to_string(),
                p.items,
                p.state,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                0,
                PartAction::CreateBatch,
                FIRST_ID.into(),
                2,
                PartState::Accepted
            ),
            (
                1,
                PartAction::AddDevices,
                SECOND_ID.into(),
                1,
                PartState::Pending
            ),
        ]
    );
    assert_eq!(
        parts[0].tracking_id.map(|t| t.to_string()).as_deref(),
        Some("0f4a8b2c-9d3e-4f5a-8b6c-7d8e9f0a1b2c")
    );
    assert!(parts[0].job_running());

    // What a restart of this version resumes: the same upload, on the same sign-in.
    let unfinished = store.unfinished_operations().await.unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].operation_id, upload_id());
    assert_eq!(unfinished[0].kind, OperationKind::Upload);
    assert_eq!(unfinished[0].state, OperationState::Submitting);
    assert_eq!(unfinished[0].sign_in_id.as_deref(), Some("sign-in-1"));

    let rows = store
        .rows(&upload_id(), RowFilter::All, 0, 10)
        .await
        .unwrap();
    let chunks: Vec<_> = rows.iter().map(|r| (r.device.row, r.chunk)).collect();
    assert_eq!(chunks, vec![(2, Some(0)), (3, Some(0)), (4, Some(1))]);

    let audit = store.audit_events(TENANT, 0, 10).await.unwrap();
    assert_eq!(audit[0].operation_id.as_deref(), Some(UPLOAD));
    assert_eq!(audit[0].kind, Some(OperationKind::Upload));
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn a_draft_stored_before_row_findings_leaves_out_the_same_rows_after_the_upgrade() {
    let data_dir = std::env::temp_dir().join(format!("ztd-upgrade-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let database = TestDatabase::fresh(&data_dir).await;
    let pool = database_before(&database, "row findings").await;
    let report = r#"{"description":"CSV","format":"csv","encoding":"utf-8","delimiter":",","sheet":null,"sheets":[],"header_row":1,"columns":[],"findings":[]}"#;
    sqlx::query(
        "INSERT INTO operations (id, kind, customer_id, customer_name, tenant_id, object_id, \
         upn, state, created_at, updated_at) VALUES ($1, 'upload', $2, 'Contoso', $3, 'oid-1', \
         'admin@example.com', 'draft', 100, 100)",
    )
    .bind(UPLOAD)
    .bind(CONTOSO)
    .bind(TENANT)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO uploads (id, source, file_name, target, batch_id, report) \
         VALUES ($1, 'file', 'again.csv', 'new', 'Again', $2)",
    )
    .bind(UPLOAD)
    .bind(report)
    .execute(&pool)
    .await
    .unwrap();
    let registered = r#"[{"row":2,"column":null,"severity":"warning","code":"already-registered","message":"Already registered."},{"row":2,"column":"Serial Number","severity":"warning","code":"serial-placeholder","message":"A placeholder."}]"#;
    let other = r#"[{"row":3,"column":null,"severity":"warning","code":"serial-placeholder","message":"A placeholder."}]"#;
    for (row, findings) in [(2_i64, registered), (3, other), (4, "[]")] {
        sqlx::query(
            "INSERT INTO upload_rows (upload_id, row_number, serial_number, findings, \
             has_error) VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(UPLOAD)
        .bind(row)
        .bind(format!("SN-{row}"))
        .bind(findings)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = Store::open(&database.url).await.expect("the upgrade runs");
    let left_out = store
        .exclude_where(&upload_id(), Excluding::Found(Check::AlreadyRegistered))
        .await
        .unwrap();
    assert_eq!(
        left_out, 1,
        "the registered row, found in its stored findings"
    );
    let rows = store
        .rows(&upload_id(), RowFilter::All, 0, 10)
        .await
        .unwrap();
    let excluded: Vec<_> = rows.iter().map(|r| (r.device.row, r.excluded)).collect();
    assert_eq!(excluded, vec![(2, true), (3, false), (4, false)]);
    let _ = std::fs::remove_dir_all(&data_dir);
}
