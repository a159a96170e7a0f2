//! A corpus of hostile and broken inputs, built in memory: what partner staff might be sent by
//! accident and what someone might send on purpose. Each must get a clear refusal (4xx, or
//! exit status 2) or a preview with row errors, never a 500, a panic, unbounded memory or a
//! hang. Big ones (a zip bomb, 60,000 rows, a 5 MB line) are built here rather than stored.

use std::io::{Cursor, Write};

use base64::Engine;
use rust_xlsxwriter::Workbook;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const AUTOPILOT: &str = "Device Serial Number,Windows Product ID,Hardware Hash";

fn hash(n: u32) -> String {
    let mut bytes = vec![0x5Au8; 4000];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn csv(rows: &[String]) -> Vec<u8> {
    let mut text = String::from(AUTOPILOT);
    for row in rows {
        text.push_str("\r\n");
        text.push_str(row);
    }
    text.into_bytes()
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

fn utf16be(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    bytes
}

/// Pseudo-random bytes (a fixed xorshift, so failures reproduce).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, value).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// A zip of (name, contents), deflated.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, contents) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(contents).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;

/// An XLSX-looking zip with one part of `size` zero bytes: tiny packed, huge unpacked.
fn zip_bomb(size: usize) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);
    writer.start_file("[Content_Types].xml", options).unwrap();
    writer.write_all(CONTENT_TYPES).unwrap();
    writer.start_file("xl/workbook.xml", options).unwrap();
    writer.write_all(b"<workbook/>").unwrap();
    writer
        .start_file("xl/worksheets/sheet1.xml", options)
        .unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..size / zeros.len() {
        writer.write_all(&zeros).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// An XLSX-looking zip with thousands of parts.
fn many_sheets(count: usize) -> Vec<u8> {
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), CONTENT_TYPES.to_vec()),
        ("xl/workbook.xml".into(), b"<workbook/>".to_vec()),
    ];
    for n in 0..count {
        entries.push((
            format!("xl/worksheets/sheet{n}.xml"),
            b"<worksheet/>".to_vec(),
        ));
    }
    let borrowed: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    zip(&borrowed)
}

/// An ODS whose one row of text is repeated a million times across 1,024 columns: a
/// "billion cells" table written in a few hundred bytes.
fn ods_repeat_bomb() -> Vec<u8> {
    let content = br#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Devices"><table:table-row><table:table-cell office:value-type="string"><text:p>Device Serial Number</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="1024" office:value-type="string"><text:p>PF1</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    writer.start_file("mimetype", stored).unwrap();
    writer
        .write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    writer.start_file("content.xml", stored).unwrap();
    writer.write_all(content).unwrap();
    writer.start_file("META-INF/manifest.xml", stored).unwrap();
    writer.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    writer.finish().unwrap().into_inner()
}

/// Every case: (name, bytes). The name tells what the case is.
pub fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let markup = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let good_xlsx = xlsx(&[
        vec![
            "Device Serial Number".into(),
            "Windows Product ID".into(),
            "Hardware Hash".into(),
        ],
        vec!["PF1".into(), String::new(), hash(1)],
    ]);
    let mut cases: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty.csv", Vec::new()),
        ("whitespace.csv", b" \r\n\t\r\n   ".to_vec()),
        ("header-only.csv", csv(&[])),
        ("header-then-blank-lines.csv", csv(&["".into(), "".into(), ",,".into()])),
        ("one-5mb-line.csv", vec![b'A'; 5 * 1024 * 1024]),
        ("one-5mb-line-of-commas.csv", vec![b','; 5 * 1024 * 1024]),
        ("one-5mb-quoted-cell.csv", {
            let mut bytes = format!("{AUTOPILOT}\r\nPF1,,\"").into_bytes();
            bytes.extend(vec![b'Q'; 5 * 1024 * 1024]);
            bytes.extend(b"\"\r\n");
            bytes
        }),
        ("random-binary.csv", noise(64 * 1024)),
        ("nul-bytes.csv", vec![0u8; 4096]),
        ("png-named-csv.csv", {
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend(noise(1024));
            bytes
        }),
        ("pdf.csv", b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n".to_vec()),
        ("gzip.csv", b"\x1F\x8B\x08\x00\x00\x00\x00\x00".to_vec()),
        ("jpeg.csv", b"\xFF\xD8\xFF\xE0\x00\x10JFIF".to_vec()),
        ("elf.csv", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0".to_vec()),
        ("utf16le-without-bom.csv", utf16le(&format!("{AUTOPILOT}\r\nPF1,,{}", hash(2)), false)),
        ("utf16be-with-bom.csv", utf16be(&format!("{AUTOPILOT}\r\nPF1,,{}", hash(3)))),
        ("utf16le-lone-surrogate.csv", {
            let mut bytes = utf16le(&format!("{AUTOPILOT}\r\nPF"), true);
            bytes.extend([0x00, 0xD8, b',', 0, b',', 0]);
            bytes
        }),
        ("mixed-utf8-and-1252.csv", {
            let mut bytes = csv(&["Müller-1,,".to_string() + &hash(4)]);
            bytes.extend(b"\r\nM\xFCller-2,,");
            bytes.extend(hash(5).as_bytes());
            bytes
        }),
        ("invalid-utf8.csv", {
            let mut bytes = csv(&[]);
            bytes.extend(b"\r\nPF\xC3\x28,,\xE2\x82");
            bytes
        }),
        ("unclosed-quote.csv", csv(&[format!("\"PF1,,{}", hash(6))])),
        ("quote-chaos.csv", csv(&["\"a\"\"b,\"c,\"\",\"\"\"".into()])),
        ("ten-thousand-columns.csv", csv(&[vec!["x"; 10_000].join(",")])),
        ("cr-only-lines.csv", format!("{AUTOPILOT}\rPF1,,{}\rPF2,,{}", hash(7), hash(8)).into_bytes()),
        ("nul-far-inside.csv", {
            let mut rows: Vec<String> = (0..300).map(|n| format!("S{n},,{}", hash(100 + n))).collect();
            rows.push(format!("S\0X,,{}", hash(99)));
            csv(&rows)
        }),
        ("markup-in-every-field.csv", format!(
            "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model,Group Tag\r\n{markup},{markup},{markup},{markup},{markup},{markup}"
        ).into_bytes()),
        ("markup-in-header.csv", format!("{markup},Hardware Hash\r\nPF1,{}", hash(9)).into_bytes()),
        ("formulas.csv", format!(
            "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model\r\n=cmd|' /C calc'!A0,@SUM(1),+1,-1,=HYPERLINK(\"http://x\")\r\nPF2,,{},=1+1,@A1",
            hash(10)
        ).into_bytes()),
        ("control-characters.csv", csv(&[format!("PF\x01\x02\x1b[31m,,{}", hash(11))])),
        ("rtl-override.csv", "Device Serial Number,Manufacturer name,Device model\r\nPF\u{202E}1,Contoso\u{202E}evil,Model\u{2066}x\u{2069}".as_bytes().to_vec()),
        ("zero-width-in-hash.csv", csv(&[format!("PF1,,{}\u{200B}{}", &hash(12)[..100], &hash(12)[100..])])),
        ("emoji-serial.csv", csv(&[format!("PF💻1,,{}", hash(13))])),
        ("10k-char-serial.csv", csv(&[format!("{},,{}", "S".repeat(10_000), hash(14))])),
        ("hash-bad-characters.csv", csv(&["PF1,,QUJD*&^%$#@!".into()])),
        ("hash-truncated.csv", csv(&[format!("PF1,,{}", &hash(15)[..101])])),
        ("hash-wrapped-in-quotes.csv", csv(&[format!("PF1,,\"{}\n{}\"", &hash(16)[..2000], &hash(16)[2000..])])),
        ("the-same-row-1000-times.csv", csv(&vec![format!("PF1,,{}", hash(17)); 1000])),
        ("60000-rows.csv", csv(&(0..60_000).map(|n| format!("S{n},,")).collect::<Vec<_>>())),
        ("decimal-commas-semicolons.csv", "Device Serial Number;Manufacturer name;Device model\r\n1,23457E+11;HP;EliteBook 840\r\n4,5E+12;HP;EliteBook 840".as_bytes().to_vec()),
        ("tabs-and-quotes.tsv", format!("Device Serial Number\tHardware Hash\r\n\"PF\t1\"\t\"{}\"", hash(18)).into_bytes()),
        ("header-twice.csv", csv(&[AUTOPILOT.into(), format!("PF1,,{}", hash(19))])),
        ("only-unknown-columns.csv", b"Colour,Size,Price\r\nred,XL,10".to_vec()),
        ("bom-only.csv", b"\xEF\xBB\xBF".to_vec()),
        ("utf16-bom-only.csv", b"\xFF\xFE".to_vec()),
        ("only-delimiters.csv", b",,,,\r\n,,,,\r\n;;;;".to_vec()),
        ("a-million-newlines.csv", {
            let mut bytes = csv(&[]);
            bytes.extend(vec![b'\n'; 1_000_000]);
            bytes
        }),
        ("product-keys-wrong.csv", b"Device Serial Number,Windows Product ID\r\n,123\r\n,ABCDE-FGHIJ\r\n,00329-00000-0003-AA606-XXXXX-YYYYY".to_vec()),
        ("scientific-serials.csv", b"Device Serial Number,Manufacturer name,Device model\r\n1.23457E+11,HP,EliteBook\r\n1E+15,HP,EliteBook".to_vec()),
        ("zip-bomb.xlsx", zip_bomb(512 * 1024 * 1024)),
        ("five-thousand-sheets.xlsx", many_sheets(5_000)),
        ("truncated.xlsx", good_xlsx[..good_xlsx.len() / 2].to_vec()),
        ("zip-without-workbook.xlsx", zip(&[("readme.txt", b"hello")])),
        ("word-document.xlsx", zip(&[("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", b"<w:document/>")])),
        ("xlsx-empty-sheet.xlsx", xlsx(&[])),
        ("xlsx-markup-and-formulas.xlsx", xlsx(&[
            vec!["Device Serial Number".into(), "Manufacturer name".into(), "Device model".into()],
            vec![markup.into(), "=1+1".into(), "@SUM(A1)".into()],
        ])),
        // Excel's longest cell (32,767 characters), 200 times in a row.
        ("xlsx-longest-cells.xlsx", xlsx(&[
            vec!["Device Serial Number".into(), "Hardware Hash".into()],
            std::iter::once("PF1".to_string())
                .chain(std::iter::repeat_n("Q".repeat(32_767), 200))
                .collect(),
        ])),
        ("xlsx-cell-at-xfd1048576.xlsx", {
            let mut workbook = Workbook::new();
            let sheet = workbook.add_worksheet();
            sheet.write_string(0, 0, "Hardware Hash").unwrap();
            sheet.write_string(1_048_575, 16_383, "far away").unwrap();
            workbook.save_to_buffer().unwrap()
        }),
        ("ods-repeat-bomb.ods", ods_repeat_bomb()),
        ("encrypted.xlsx", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest/encrypted.xlsx")).unwrap()),
        ("truncated.xls", {
            let xls = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest/devices.xls")).unwrap();
            xls[..xls.len() / 3].to_vec()
        }),
        ("ole-garbage.xls", {
            let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
            bytes.extend(noise(4096));
            bytes
        }),
    ];
    cases.sort_by_key(|(name, _)| *name);
    cases
}

/// A real one-sheet workbook whose shared strings are replaced by `items` one-letter texts
/// under `<sst … uniqueCount="{declared}">`, written as the zip deflates them (20 million
/// items: 340 MB unpacked, under 1 MB packed, never whole in memory here).
pub fn shared_strings_bomb(items: u64, declared: u64) -> Vec<u8> {
    let template = xlsx(&[vec!["Device Serial Number".into(), "Hardware Hash".into()]]);
    let mut archive = zip::ZipArchive::new(Cursor::new(template)).unwrap();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let name = entry.name().unwrap().to_string();
        writer.start_file(name.as_str(), options).unwrap();
        if name != "xl/sharedStrings.xml" {
            std::io::copy(&mut entry, &mut writer).unwrap();
            continue;
        }
        write!(
            writer,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
             <sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             count=\"{items}\" uniqueCount=\"{declared}\">"
        )
        .unwrap();
        let item = b"<si><t>a</t></si>";
        let piece: Vec<u8> = item.repeat(65_536);
        let mut left = items;
        while left > 0 {
            let n = left.min(65_536);
            writer.write_all(&piece[..n as usize * item.len()]).unwrap();
            left -= n;
        }
        writer.write_all(b"</sst>").unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// An ODS whose one table is `rows` written by `write_rows` (streamed into the zip, deflated).
pub fn ods_with(write_rows: impl Fn(&mut dyn Write)) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);
    writer.start_file("mimetype", stored).unwrap();
    writer
        .write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    writer.start_file("content.xml", deflated).unwrap();
    writer.write_all(br#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Devices">"#).unwrap();
    write_rows(&mut writer);
    writer
        .write_all(b"</table:table></office:spreadsheet></office:body></office:document-content>")
        .unwrap();
    writer.start_file("META-INF/manifest.xml", stored).unwrap();
    writer.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    writer.finish().unwrap().into_inner()
}
