//! Reading + validating device lists, against the cost of merely getting the bytes:
//! `cargo bench --features ssr --bench ingest`. Each group has a baseline and the real work
//! on the same 10,000-row input, so the ratio holds on a noisy machine; criterion reports
//! both times and MB/s (rows/s = 10,000 / time).

use std::hint::black_box;
use std::io::Cursor;

use base64::Engine;
use calamine::Reader;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ztd_dashboard::ingest::{self, Limits};

const ROWS: u32 = 10_000;
/// "4K hashes" are about 4,000 base64 characters: 3,000 bytes.
const HASH_BYTES: usize = 3_000;

fn hash(n: u32) -> String {
    let mut bytes: Vec<u8> = (0..HASH_BYTES)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).wrapping_add(n) as u8)
        .collect();
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn rows() -> impl Iterator<Item = (String, String)> {
    (0..ROWS).map(|n| (format!("PF{n:08}"), hash(n)))
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

fn csv(c: &mut Criterion) {
    let bytes = csv_bytes();
    let path = std::env::temp_dir().join(format!("ztd-bench-{}.csv", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let limits = Limits::default();
    let checked = ingest::read_file(&bytes, None, &limits).unwrap();
    assert_eq!(
        (checked.devices.len(), checked.invalid_rows()),
        (ROWS as usize, 0)
    );

    let mut group = c.benchmark_group("csv 10k rows");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);
    group.bench_function("read the bytes (baseline)", |b| {
        b.iter(|| black_box(std::fs::read(&path).unwrap()))
    });
    group.bench_function("read + validate", |b| {
        b.iter(|| {
            let bytes = std::fs::read(&path).unwrap();
            black_box(ingest::read_file(&bytes, None, &limits).unwrap())
        })
    });
    group.finish();
    let _ = std::fs::remove_file(path);
}

fn xlsx(c: &mut Criterion) {
    let bytes = xlsx_bytes();
    let limits = Limits::default();
    let checked = ingest::read_file(&bytes, None, &limits).unwrap();
    assert_eq!(
        (checked.devices.len(), checked.invalid_rows()),
        (ROWS as usize, 0)
    );

    let mut group = c.benchmark_group("xlsx 10k rows");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);
    // Each read takes 50–80 ms: ten seconds gives each side a steady mean on a busy machine.
    group.measurement_time(std::time::Duration::from_secs(10));
    group.bench_function("calamine bare read (baseline)", |b| {
        b.iter(|| {
            let mut book =
                calamine::open_workbook_auto_from_rs(Cursor::new(bytes.clone())).unwrap();
            let name = book.sheet_names()[0].clone();
            black_box(book.worksheet_range(&name).unwrap())
        })
    });
    group.bench_function("read + validate", |b| {
        b.iter(|| black_box(ingest::read_file(&bytes, None, &limits).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, csv, xlsx);
criterion_main!(benches);
