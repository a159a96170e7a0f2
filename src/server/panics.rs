//! A panic, where the people who run the dashboard look. tokio keeps serving when a task
//! panics (that request or that piece of background work alone ends), so a panic would
//! otherwise be a few lines on standard error: outside the JSON log and unseen by
//! monitoring. [`report`] also makes each one an error event of the log, in the span it
//! happened in (a request's carries the request's id), and counts it (`ztd_panics_total`),
//! so that an alert can watch for any. The load benchmarks require the count to stay at 0.

use super::metrics::PANICS;

/// Adds [`report_one`] to the standard report of a panic (standard error, with a backtrace
/// when `RUST_BACKTRACE` asks); once, at start-up, after the log is set up.
pub fn report() {
    let standard = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |panic| {
        report_one(panic);
        standard(panic);
    }));
}

fn report_one(panic: &std::panic::PanicHookInfo<'_>) {
    metrics::counter!(PANICS).increment(1);
    let message = panic.payload_as_str().unwrap_or("(no message)");
    let location = panic
        .location()
        .map(ToString::to_string)
        .unwrap_or_default();
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    tracing::error!(%location, thread, "panicked: {message}");
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// What the log received, as text.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_panic_is_logged_as_an_error_and_counted() {
        let metrics = super::super::metrics::recorder();
        let written = Written::default();
        let log = tracing_subscriber::fmt()
            .with_writer({
                let written = written.clone();
                move || written.clone()
            })
            .with_ansi(false)
            .finish();
        let standard = std::panic::take_hook();
        report();
        let outcome = tracing::subscriber::with_default(log, || {
            std::panic::catch_unwind(|| panic!("the device list ran out"))
        });
        std::panic::set_hook(standard);

        assert!(outcome.is_err());
        let log = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("ERROR"), "{log}");
        assert!(log.contains("panicked: the device list ran out"), "{log}");
        assert!(log.contains("src/server/panics.rs:"), "{log}");
        // At least this one: under `cargo test`, another test's panic may be counted too.
        let counted = metrics.render();
        let panics = counted
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{PANICS} ")))
            .and_then(|n| n.parse::<u64>().ok());
        assert!(panics >= Some(1), "{counted}");
    }
}
