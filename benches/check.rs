//! `ztd-dashboard check` as a person runs it, whole processes against their baselines on the
//! same file in the same run: `cat` of the file (the cost of merely reading it), and the
//! validator a partner would write in Python (benches/peer_check.py); and its peak memory on
//! that file and on one holding the same rows twice over (what may grow with the rows is a
//! small digest per row, not the file). `cargo bench --features ssr --bench check`; its lines
//! go to `make bench`'s table (`pages` prints it).
//!
//! Each side runs [`RUNS`] times, the three sides in turns (this machine's speed drifts over a
//! minute: sides measured seconds apart drift alike); the table shows medians.

#[path = "support/hashes.rs"]
mod hashes;
#[path = "support/lines.rs"]
mod lines;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lines::Line;

const ROWS: u32 = 10_000;
/// A "4K hash" of 4,000 bytes, 5,336 base64 characters: the file is about 53.5 MB.
const HASH_BYTES: usize = 4_000;
const RUNS: usize = 7;

/// A Get-WindowsAutopilotInfo CSV of `ROWS` devices, `times` over.
fn write_csv(path: &Path, times: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(b"Device Serial Number,Windows Product ID,Hardware Hash\r\n")
        .unwrap();
    for _ in 0..times {
        for n in 0..ROWS {
            write!(file, "PF{n:08},,{}\r\n", hashes::hash(n, HASH_BYTES)).unwrap();
        }
    }
}

/// What one run of a command cost: its wall time and its peak resident memory.
struct Run {
    wall: Duration,
    peak_rss_kb: u64,
    status: i32,
}

/// Runs `command` (output discarded) and waits for it with `wait4`, which says its peak RSS.
// The child is reaped by that wait4, not by std's wait, which does not say it.
#[allow(clippy::zombie_processes)]
fn run(command: &mut Command) -> Run {
    let start = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the command starts");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of that plain C struct, which wait4 fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, by its pid, into the two locals above.
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(waited, child.id() as libc::pid_t, "wait4");
    Run {
        wall,
        peak_rss_kb: usage.ru_maxrss as u64,
        status: libc::WEXITSTATUS(status),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let folder = tempfile::tempdir().unwrap();
    let once = folder.path().join("devices.csv");
    let twice = folder.path().join("twice.csv");
    write_csv(&once, 1);
    write_csv(&twice, 2);
    let size = |path: &Path| std::fs::metadata(path).unwrap().len() as f64 / 1e6;
    let check = env!("CARGO_BIN_EXE_ztd-dashboard");
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer_check.py");

    let cat = || run(Command::new("cat").arg(&once));
    let ours = |path: &Path| run(Command::new(check).arg("check").arg(path));
    let python = || run(Command::new("python3").arg(&peer).arg(&once));
    // Both validators agree the file is clean, and ours finds the repeats of the other.
    assert_eq!(ours(&once).status, 0, "check finds no error in {once:?}");
    assert_eq!(python().status, 0, "the Python peer finds no error");
    assert_eq!(ours(&twice).status, 1, "check finds the repeated rows");

    let (mut cats, mut checks, mut pythons, mut peaks, mut peaks_twice) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..RUNS {
        cats.push(cat().wall.as_secs_f64());
        let run = ours(&once);
        checks.push(run.wall.as_secs_f64());
        peaks.push(run.peak_rss_kb as f64);
        pythons.push(python().wall.as_secs_f64());
        peaks_twice.push(ours(&twice).peak_rss_kb as f64);
    }
    let (cat, check, python) = (median(cats), median(checks), median(pythons));
    let (peak, peak_twice) = (median(peaks) / 1024.0, median(peaks_twice) / 1024.0);
    let file = format!("a {ROWS}-row CSV, 4K hashes ({:.1} MB)", size(&once));
    let slower = check / cat;
    let faster = python / check;
    let lines = vec![
        Line {
            measurement: format!("`ztd-dashboard check` of {file}, whole process"),
            compared_with: "`cat` of the same file".into(),
            value: format!(
                "{:.0} ms vs {:.0} ms: {slower:.2}× (medians of {RUNS} runs in turns)",
                check * 1e3,
                cat * 1e3
            ),
            budget: "≤ 2.5×".into(),
            met: Some(slower <= 2.5),
        },
        Line {
            measurement: "the same".into(),
            compared_with: "the Python validator a partner would write (benches/peer_check.py)"
                .into(),
            value: format!(
                "{:.0} ms vs {:.0} ms: {faster:.1}× faster",
                check * 1e3,
                python * 1e3
            ),
            budget: "≥ 12× faster".into(),
            met: Some(faster >= 12.0),
        },
        Line {
            measurement: format!(
                "peak memory (RSS) of `check`: that file / the same rows twice over ({:.1} MB)",
                size(&twice)
            ),
            compared_with: "—".into(),
            value: format!("{peak:.1} MB / {peak_twice:.1} MB"),
            budget: "≤ 64 MB / ≤ 72 MB".into(),
            met: Some(peak <= 64.0 && peak_twice <= 72.0),
        },
    ];
    for line in &lines {
        println!("{}: {} ({})", line.measurement, line.value, line.budget);
    }
    lines::save("check", &lines);
}
