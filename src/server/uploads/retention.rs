//! Drafts are kept for a while (`draft_retention_days`), then deleted with their files.

use crate::server::AppState;

/// Runs for the life of the process: deletes drafts older than the retention
/// (`draft_retention_days`), with their files. Each replica does it; deleting twice is
/// harmless.
pub async fn delete_old_drafts(state: AppState) {
    let retention = state.config.draft_retention;
    let mut every = tokio::time::interval(retention.div_f64(10.0).clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(3600),
    ));
    loop {
        every.tick().await;
        let before = crate::server::unix_now() - retention.as_secs() as i64;
        match state.store.delete_drafts_created_before(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "drafts past their retention deleted"),
            Err(error) => tracing::warn!(%error, "could not delete old drafts"),
        }
    }
}
