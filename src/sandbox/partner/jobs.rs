//! Asynchronous processing of upload and policy-update jobs:
//! `queued` → `processing` (devices handled in slices, so progress moves) → `finished`, or
//! `finished_with_errors` when any device failed.

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use super::world::JobStatus;
use crate::sandbox::faults::lock;
use crate::sandbox::SandboxState;

/// How many slices the processing time is cut into.
const SLICES: usize = 10;

pub(crate) fn spawn(state: Arc<SandboxState>, tracking_id: Uuid) {
    tokio::spawn(run(state, tracking_id));
}

async fn run(state: Arc<SandboxState>, tracking_id: Uuid) {
    let epoch = state.partner.epoch();
    let timing = state.config.jobs;
    tokio::time::sleep(timing.queued).await;
    let total = {
        let mut world = lock(&state.partner.world);
        if state.partner.epoch() != epoch {
            return;
        }
        let Some(job) = world.jobs.get_mut(&tracking_id) else {
            return;
        };
        job.status = JobStatus::Processing;
        job.started = Some(Utc::now());
        for device in &mut job.devices {
            device.status = JobStatus::Processing;
        }
        job.devices.len()
    };
    let slices = total.clamp(1, SLICES);
    for slice in 0..slices {
        tokio::time::sleep(timing.processing / slices as u32).await;
        let mut world = lock(&state.partner.world);
        if state.partner.epoch() != epoch {
            return;
        }
        world.process(
            tracking_id,
            total * slice / slices..total * (slice + 1) / slices,
        );
    }
    let mut world = lock(&state.partner.world);
    if state.partner.epoch() != epoch {
        return;
    }
    let Some(job) = world.jobs.get_mut(&tracking_id) else {
        return;
    };
    let failed = job
        .devices
        .iter()
        .any(|device| device.status == JobStatus::FinishedWithErrors);
    job.status = if failed {
        JobStatus::FinishedWithErrors
    } else {
        JobStatus::Finished
    };
    job.completed = Some(Utc::now());
    let (customer, batch_id, status) = (job.customer_id, job.batch_id.clone(), job.status);
    if let Some(batch) = batch_id.and_then(|id| world.batch_mut(customer, &id)) {
        batch.status = Some(status);
    }
}
