//! Leases in the database (src/server/leases.rs), on whichever backend the suite runs on: one
//! holder at a time, renewable only by it, free to anyone once run out, and freed at once
//! when the same replica starts again.

mod common;

use std::time::Duration;

use common::*;

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_lease_has_one_holder_until_it_runs_out_or_is_released() {
    let app = spawn_app().await;
    let store = app.store().await;
    let (a, b) = (("host:1", "task-a"), ("host:2", "task-b"));
    let now = 1_000_000;

    assert!(store.take_lease("submit:u1", a, now, MINUTE).await.unwrap());
    assert!(
        !store
            .take_lease("submit:u1", b, now + 1, MINUTE)
            .await
            .unwrap(),
        "held by a"
    );
    assert!(
        store
            .take_lease("submit:u1", a, now + 30, MINUTE)
            .await
            .unwrap(),
        "a renews"
    );
    assert!(
        store
            .take_lease("submit:u2", b, now + 40, MINUTE)
            .await
            .unwrap(),
        "another name is free"
    );

    // a stops renewing: at the end of its last renewal's minute, the lease is lapsed.
    assert!(store.lapsed_leases(now + 89).await.unwrap().is_empty());
    assert_eq!(
        store.lapsed_leases(now + 90).await.unwrap(),
        vec!["submit:u1"]
    );
    assert!(!store
        .take_lease("submit:u1", b, now + 89, MINUTE)
        .await
        .unwrap());
    assert!(
        store
            .take_lease("submit:u1", b, now + 90, MINUTE)
            .await
            .unwrap(),
        "b takes it over"
    );
    assert!(
        !store
            .take_lease("submit:u1", a, now + 91, MINUTE)
            .await
            .unwrap(),
        "a lost it"
    );

    // Only the holder releases.
    store.release_lease("submit:u1", a.1).await.unwrap();
    assert!(!store
        .take_lease("submit:u1", a, now + 92, MINUTE)
        .await
        .unwrap());
    store.release_lease("submit:u1", b.1).await.unwrap();
    assert!(
        store
            .take_lease("submit:u1", a, now + 93, MINUTE)
            .await
            .unwrap(),
        "released"
    );
}

#[tokio::test]
async fn a_replica_that_starts_again_frees_what_its_last_run_held() {
    let app = spawn_app().await;
    let store = app.store().await;
    let now = 1_000_000;
    assert!(store
        .take_lease("follow:u1", ("host:1", "x"), now, MINUTE)
        .await
        .unwrap());
    assert!(store
        .take_lease("follow:u2", ("host:1", "y"), now, MINUTE)
        .await
        .unwrap());
    assert!(store
        .take_lease("follow:u3", ("host:2", "z"), now, MINUTE)
        .await
        .unwrap());
    assert_eq!(store.free_leases_of("host:1").await.unwrap(), 2);
    assert!(store
        .take_lease("follow:u1", ("host:2", "w"), now, MINUTE)
        .await
        .unwrap());
    assert!(!store
        .take_lease("follow:u3", ("host:1", "v"), now, MINUTE)
        .await
        .unwrap());
}

#[tokio::test]
async fn only_a_live_holder_renews_and_a_renewal_never_takes_a_lease_anew() {
    let app = spawn_app().await;
    let store = app.store().await;
    let now = 1_000_000;
    assert!(store
        .take_lease("submit:u1", ("host:1", "a"), now, MINUTE)
        .await
        .unwrap());
    assert!(store
        .renew_lease("submit:u1", "a", now + 30, MINUTE)
        .await
        .unwrap());
    assert!(
        !store
            .renew_lease("submit:u1", "b", now + 31, MINUTE)
            .await
            .unwrap(),
        "not b's"
    );
    // Run out (last renewal at +30): too late to renew, even for its holder.
    assert!(!store
        .renew_lease("submit:u1", "a", now + 90, MINUTE)
        .await
        .unwrap());
    // Released: a renewal in flight does not bring it back.
    assert!(store
        .take_lease("submit:u2", ("host:1", "a"), now, MINUTE)
        .await
        .unwrap());
    store.release_lease("submit:u2", "a").await.unwrap();
    assert!(!store
        .renew_lease("submit:u2", "a", now + 1, MINUTE)
        .await
        .unwrap());
    assert!(store
        .take_lease("submit:u2", ("host:2", "b"), now + 2, MINUTE)
        .await
        .unwrap());
}
