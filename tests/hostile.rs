//! The hostile corpus (`common/hostile.rs`) through `ztd-dashboard check` and through the real
//! upload route: every input gets a clear refusal or a preview with row errors; never a 500,
//! a panic, a hang, or more memory than a bounded amount.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::hostile::corpus;
use common::uploads::*;
use common::*;

/// Each file checked by the real binary under a 2 GiB address-space limit and a time limit.
#[test]
fn the_check_command_answers_every_hostile_input_within_bounds() {
    let cases = corpus();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        // Into files, not pipes: a long report must not block the child on a full pipe.
        let out = dir.path().join(format!("{name}.out"));
        let err = dir.path().join(format!("{name}.err"));
        let started = Instant::now();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2097152; exec \"$0\" check \"$1\"")
            .arg(env!("CARGO_BIN_EXE_ztd-dashboard"))
            .arg(&path)
            .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("{name}: no answer within 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = String::from_utf8_lossy(&std::fs::read(&out).unwrap()).into_owned();
        let stderr = String::from_utf8_lossy(&std::fs::read(&err).unwrap()).into_owned();
        assert!(
            matches!(status.code(), Some(0..=2)),
            "{name}: {status:?}\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains(name),
            "{name}: the report names the file\n{stdout}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

#[tokio::test]
async fn the_upload_route_answers_every_hostile_input_in_words() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    for (name, bytes) in corpus() {
        let started = Instant::now();
        let response = upload(
            &browser,
            NORTHWIND,
            to_new_batch(file_form(name, bytes), "Hostile"),
        )
        .await;
        let status = response.status().as_u16();
        match status {
            303 => {
                let preview = location(&response);
                let page = browser.page(&preview, 200).await;
                assert!(page.contains("Check the upload"), "{name}: {page}");
                assert!(
                    !page.contains("<script>alert"),
                    "{name}: markup must be text"
                );
            }
            400..=499 => {
                let page = response.text().await.unwrap();
                assert!(page.contains("role=\"alert\""), "{name}: {page}");
                assert!(
                    !page.contains("<script>alert"),
                    "{name}: markup must be text"
                );
            }
            _ => panic!(
                "{name}: {status} {}",
                response.text().await.unwrap_or_default()
            ),
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{name}: took {:?}",
            started.elapsed()
        );
    }
}
