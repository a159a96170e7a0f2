//! Reading + validating device lists, against the cost of merely getting the bytes:
//! `cargo bench --features ssr --bench ingest`. Each group has a baseline and the real work
//! on the same 10,000-row input, measured in turns over several rounds (support/rounds.rs)
//! so the ratio holds on a noisy machine; criterion reports both times and MB/s for each
//! round (rows/s = 10,000 / time).
//!
//! Each side of each round runs in a process of its own (this program started again), with
//! a heap that only that side has used. In one process, a plain 40 MB read that came after
//! the validating read took 4.5 ms instead of 21: it reused memory the other side had just
//! faulted in and freed, which no single upload would.

#[path = "support/hashes.rs"]
mod hashes;
#[path = "support/rounds.rs"]
mod rounds;

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use calamine::Reader;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use rounds::{ROUNDS, WORK};
use ztd_dashboard::ingest::{self, Limits};

const ROWS: u32 = 10_000;
/// "4K hashes" are about 4,000 base64 characters: 3,000 bytes.
const HASH_BYTES: usize = 3_000;

fn rows() -> impl Iterator<Item = (String, String)> {
    (0..ROWS).map(|n| (format!("PF{n:08}"), hashes::hash(n, HASH_BYTES)))
}

fn csv_bytes() -> Vec<u8> {
    let mut csv = String::from("Device Serial Number,Windows Product ID,Hardware Hash\r\n");
    for (serial, hash) in rows() {
        csv.push_str(&serial);
        csv.push_str(",,");
        csv.push_str(&hash);
        csv.push_str("\r\n");
    }
    csv.into_bytes()
}

fn xlsx_bytes() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, name) in [
        "Device Serial Number",
        "Windows Product ID",
        "Hardware Hash",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for (i, (serial, hash)) in rows().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, serial).unwrap();
        sheet.write_string(row, 2, hash).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

/// Set in the processes this benchmark starts: `<group>:<side>:<round>`, side `base` or
/// `work`. The inputs are in [`INPUTS`]'s folder, written once by the first process.
const ONE_SIDE: &str = "ZTD_BENCH_ONE_SIDE";
const INPUTS: &str = "ZTD_BENCH_INPUTS";

fn main() {
    match std::env::var(ONE_SIDE) {
        Ok(side) => one_side(&side),
        Err(_) => all_rounds(),
    }
}

/// Writes and checks the inputs, then runs both sides of both groups in turns, round after
/// round, each in its own process with this one's arguments (such as criterion's options).
fn all_rounds() {
    let inputs = std::env::temp_dir().join(format!("ztd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&inputs).unwrap();
    let limits = Limits::default();
    for (name, bytes) in [("devices.csv", csv_bytes()), ("devices.xlsx", xlsx_bytes())] {
        let checked = ingest::read_file(&bytes, None, &limits).unwrap();
        assert_eq!(
            (checked.devices.len(), checked.invalid_rows()),
            (ROWS as usize, 0),
            "{name}"
        );
        std::fs::write(inputs.join(name), bytes).unwrap();
    }
    let me = std::env::current_exe().unwrap();
    for round in 1..=ROUNDS {
        for group in ["csv", "xlsx"] {
            for side in ["base", "work"] {
                let status = std::process::Command::new(&me)
                    .args(std::env::args_os().skip(1))
                    .env(ONE_SIDE, format!("{group}:{side}:{round}"))
                    .env(INPUTS, &inputs)
                    .status()
                    .unwrap();
                assert!(status.success(), "{group} {side} round {round}: {status}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(inputs);
}

/// One side of one round, as criterion's benchmark `<group name>/<function>/<round>`.
fn one_side(which: &str) {
    let mut parts = which.split(':');
    let (Some(group), Some(side), Some(round)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("{ONE_SIDE}={which}: expected <group>:<side>:<round>");
    };
    let round: u32 = round.parse().unwrap();
    let work = side == "work";
    let inputs = std::path::PathBuf::from(std::env::var_os(INPUTS).unwrap());
    let limits = Limits::default();
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1));
    match group {
        "csv" => {
            let path = inputs.join("devices.csv");
            let mut group = c.benchmark_group("csv 10k rows");
            group.throughput(Throughput::Bytes(std::fs::metadata(&path).unwrap().len()));
            // Each read takes 20–40 ms: 20 samples in two seconds.
            group.sample_size(20);
            group.measurement_time(Duration::from_secs(2));
            if work {
                group.bench_function(BenchmarkId::new(WORK, round), |b| {
                    b.iter(|| {
                        let bytes = std::fs::read(&path).unwrap();
                        black_box(ingest::read_file(&bytes, None, &limits).unwrap())
                    })
                });
            } else {
                group.bench_function(BenchmarkId::new("read the bytes (baseline)", round), |b| {
                    b.iter(|| black_box(std::fs::read(&path).unwrap()))
                });
            }
            group.finish();
        }
        "xlsx" => {
            let bytes = std::fs::read(inputs.join("devices.xlsx")).unwrap();
            let mut group = c.benchmark_group("xlsx 10k rows");
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            // Each read takes 50–100 ms: ten samples of the same size in three seconds
            // (criterion's growing samples would need over five).
            group.sample_size(10);
            group.sampling_mode(SamplingMode::Flat);
            group.measurement_time(Duration::from_secs(3));
            if work {
                group.bench_function(BenchmarkId::new(WORK, round), |b| {
                    b.iter(|| black_box(ingest::read_file(&bytes, None, &limits).unwrap()))
                });
            } else {
                group.bench_function(
                    BenchmarkId::new("calamine bare read (baseline)", round),
                    |b| {
                        b.iter(|| {
                            let mut book =
                                calamine::open_workbook_auto_from_rs(Cursor::new(bytes.as_slice()))
                                    .unwrap();
                            let name = book.sheet_names()[0].clone();
                            black_box(book.worksheet_range(&name).unwrap())
                        })
                    },
                );
            }
            group.finish();
        }
        other => panic!("no benchmark group {other}"),
    }
    c.final_summary();
}
