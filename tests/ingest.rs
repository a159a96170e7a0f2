//! The device-list reader on the files people really send: every encoding, delimiter and
//! workbook format the upload accepts, read through the public `ingest` API.

use base64::Engine;
use rust_xlsxwriter::Workbook;
use ztd_dashboard::ingest::{self, Check, Field, Format, Ingested, Limits, ReadError};

fn hash(seed: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode(vec![seed; 4000])
}

fn read(bytes: &[u8]) -> Ingested {
    ingest::read_file(bytes, None, &Limits::default()).expect("readable")
}

fn checks(ingested: &Ingested) -> Vec<(Option<u32>, Check)> {
    ingested.findings.iter().map(|f| (f.row, f.check)).collect()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/ingest/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn get_windows_autopilot_info_from_windows_powershell_is_utf16_with_bom() {
    let text = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\nPF1,,{},\r\nPF2,,{},\r\n",
        hash(1),
        hash(2)
    );
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let ingested = read(&bytes);
    assert_eq!(ingested.encoding.as_deref(), Some("UTF-16 LE with BOM"));
    assert_eq!(ingested.delimiter.as_deref(), Some("comma"));
    assert_eq!(ingested.devices.len(), 2);
    assert_eq!(ingested.devices[1].row, 3);
    assert_eq!(ingested.devices[1].serial_number.as_deref(), Some("PF2"));
    assert!(!ingested.has_errors(), "{:?}", ingested.findings);
}

#[test]
fn a_european_excel_csv_with_titles_semicolons_and_windows_1252() {
    let mut bytes = b"Ger\xE4teliste M\xFCnchen;;;\r\n\r\n".to_vec();
    bytes.extend(b"Serial Number;Manufacturer;Model;Notes\r\n");
    bytes.extend(b"S-\xC4001;Dell Inc.;Latitude 5440;f\xFCr Lager\r\n");
    bytes.extend(b"1,23457E+11;Dell Inc.;Latitude 5440;\r\n");
    let ingested = read(&bytes);
    assert_eq!(ingested.encoding.as_deref(), Some("Windows-1252"));
    assert_eq!(ingested.delimiter.as_deref(), Some("semicolon"));
    assert_eq!(ingested.header_row, Some(3));
    assert_eq!(ingested.devices[0].serial_number.as_deref(), Some("S-Ä001"));
    assert_eq!(
        checks(&ingested),
        vec![
            (None, Check::EncodingGuessed),
            (Some(1), Check::TitleRowsSkipped),
            (Some(3), Check::UnknownColumn),
            (Some(5), Check::ScientificNotation),
        ]
    );
    assert_eq!((ingested.valid_rows(), ingested.invalid_rows()), (1, 1));
}

#[test]
fn rows_pasted_from_excel_are_tab_separated() {
    let text = format!(
        "Hardware Hash\tDevice Serial Number\n{}\tA1\n{}\tA2\n",
        hash(1),
        hash(2)
    );
    let ingested = ingest::read_pasted(&text, &Limits::default()).unwrap();
    assert_eq!(ingested.delimiter.as_deref(), Some("tab"));
    assert_eq!(ingested.devices.len(), 2);
    assert!(!ingested.has_errors());
}

#[test]
fn the_manual_form_goes_through_the_same_rules() {
    let rows = [
        ingest::TypedRow {
            serial_number: "S1".into(),
            manufacturer: "HP".into(),
            model: "EliteBook 840".into(),
            ..Default::default()
        },
        ingest::TypedRow {
            serial_number: "S2".into(),
            manufacturer: "HP".into(),
            ..Default::default()
        },
    ];
    let ingested = ingest::read_typed(&rows).unwrap();
    assert_eq!(checks(&ingested), vec![(Some(3), Check::IncompleteTuple)]);
}

#[test]
fn xlsx_text_cells_keep_leading_zeros_and_number_cells_are_flagged() {
    let mut workbook = Workbook::new();
    let notes = workbook.add_worksheet();
    notes.set_name("Read me").unwrap();
    notes
        .write_string(0, 0, "Devices are on the next sheet")
        .unwrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Devices").unwrap();
    sheet.write_string(0, 0, "Contoso order 4711").unwrap();
    for (c, name) in [
        "Device Serial Number",
        "Windows Product ID",
        "Hardware Hash",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, c as u16, *name).unwrap();
    }
    sheet.write_string(3, 0, "000123").unwrap();
    sheet.write_string(3, 2, hash(1)).unwrap();
    sheet.write_number(4, 0, 123.0).unwrap();
    sheet.write_number(4, 1, 12345678901.0).unwrap();
    sheet.write_number(5, 0, 1.23456789012345e17).unwrap();
    sheet.write_string(5, 2, hash(3)).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let ingested = read(&bytes);
    assert_eq!(ingested.format, Format::Xlsx);
    assert_eq!(ingested.sheet.as_deref(), Some("Devices"));
    assert_eq!(ingested.sheets, vec!["Read me", "Devices"]);
    assert_eq!(ingested.header_row, Some(3));
    assert_eq!(ingested.devices[0].serial_number.as_deref(), Some("000123"));
    assert_eq!(
        ingested.devices[1].product_key.as_deref(),
        Some("0012345678901")
    );
    assert_eq!(
        checks(&ingested),
        vec![
            (None, Check::OtherSheetsIgnored),
            (Some(1), Check::TitleRowsSkipped),
            (Some(5), Check::StoredAsNumber),
            (Some(5), Check::StoredAsNumber),
            (Some(5), Check::ProductKeyZerosRestored),
            (Some(5), Check::MissingIdentifiers),
            (Some(6), Check::ScientificNotation),
        ]
    );
    let picked = ingest::read_file(&bytes, Some("Read me"), &Limits::default());
    assert!(matches!(picked, Err(ReadError::NoHeader(_))));
    let missing = ingest::read_file(&bytes, Some("Nope"), &Limits::default());
    assert_eq!(missing.unwrap_err(), ReadError::NoSuchSheet("Nope".into()));
}

#[test]
fn xls_and_ods_workbooks_are_read() {
    let xls = read(&fixture("devices.xls"));
    assert_eq!(xls.format, Format::Xls);
    assert_eq!(xls.sheet.as_deref(), Some("Devices"));
    assert_eq!(xls.header_row, Some(3));
    let ods = read(&fixture("devices.ods"));
    assert_eq!(ods.format, Format::Ods);
    for book in [&xls, &ods] {
        let serials: Vec<_> = book
            .devices
            .iter()
            .map(|d| d.serial_number.clone().unwrap())
            .collect();
        assert_eq!(serials, vec!["0012AB", "PF3XYZ9", "1234567"]);
        assert!(book
            .findings
            .iter()
            .any(|f| f.check == Check::StoredAsNumber));
        assert_eq!(book.invalid_rows(), 0);
        let mapped: Vec<_> = book.columns.iter().filter_map(|c| c.field).collect();
        assert_eq!(
            mapped,
            [
                Field::SerialNumber,
                Field::ProductKey,
                Field::HardwareHash,
                Field::Manufacturer,
                Field::Model
            ]
        );
    }
}

#[test]
fn refusals_say_what_to_do() {
    let limits = Limits::default();
    let refuse = |bytes: &[u8]| ingest::read_file(bytes, None, &limits).unwrap_err();
    assert_eq!(refuse(b""), ReadError::Empty);
    assert_eq!(refuse(b" \r\n\r\n"), ReadError::Empty);
    assert_eq!(refuse(&fixture("encrypted.xlsx")), ReadError::Encrypted);
    assert_eq!(
        refuse(b"%PDF-1.7\n..."),
        ReadError::NotADeviceList("a PDF document")
    );
    assert!(matches!(refuse(b"a,b\nc,d\n"), ReadError::NoHeader(_)));
    assert!(matches!(
        refuse(b"PK\x03\x04garbage"),
        ReadError::NotADeviceList(_)
    ));
    let message = refuse(&fixture("encrypted.xlsx")).to_string();
    assert!(message.contains("password"), "{message}");
    assert_eq!(
        refuse(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0"),
        ReadError::NotADeviceList("a binary file")
    );
}

#[test]
fn a_stray_nul_far_into_a_text_is_a_cell_error_not_a_refusal() {
    let mut text = String::from("Device Serial Number,Manufacturer,Model\n");
    for i in 0..400 {
        text.push_str(&format!("S{i:05},HP,EliteBook 840\n"));
    }
    text.push_str("S\0X,HP,EliteBook 840\n");
    let ingested = read(text.as_bytes());
    assert_eq!(
        checks(&ingested),
        vec![(Some(402), Check::SerialControlCharacter)]
    );
}

#[test]
fn limits_are_enforced_before_the_work() {
    let mut rows = String::from("Device Serial Number,Manufacturer,Model\n");
    for i in 0..11 {
        rows.push_str(&format!("S{i},HP,EliteBook\n"));
    }
    let tight = Limits {
        max_rows: 10,
        ..Limits::default()
    };
    assert_eq!(
        ingest::read_file(rows.as_bytes(), None, &tight).unwrap_err(),
        ReadError::TooManyRows { limit: 10 }
    );
    let ten = rows.lines().take(11).collect::<Vec<_>>().join("\n");
    let read = ingest::read_file(ten.as_bytes(), None, &tight).unwrap();
    assert_eq!(read.devices.len(), 10);

    // A sheet is read row by row: the row past the limit ends the reading.
    for (rows, outcome) in [
        (10, Ok(10)),
        (11, Err(ReadError::TooManyRows { limit: 10 })),
    ] {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "Device Serial Number").unwrap();
        for row in 1..=rows {
            sheet.write_string(row, 0, format!("S{row}")).unwrap();
        }
        let read = ingest::read_file(&workbook.save_to_buffer().unwrap(), None, &tight);
        assert_eq!(read.map(|r| r.devices.len()), outcome, "{rows} rows");
    }

    let mut workbook = Workbook::new();
    workbook
        .add_worksheet()
        .write_string(0, 0, "Hardware Hash")
        .unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let small = Limits {
        max_unpacked_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(
        ingest::read_file(&bytes, None, &small).unwrap_err(),
        ReadError::UnpacksTooLarge { limit: 1000 }
    );
    let few = Limits {
        max_sheets: 1,
        ..Limits::default()
    };
    let mut two = Workbook::new();
    two.add_worksheet();
    two.add_worksheet();
    let err = ingest::read_file(&two.save_to_buffer().unwrap(), None, &few).unwrap_err();
    assert!(
        matches!(err, ReadError::TooManySheets { count: 2, limit: 1 }),
        "{err:?}"
    );
    // The zip's entry count is checked before anything is unpacked.
    let few_entries = Limits {
        max_zip_entries: 3,
        ..Limits::default()
    };
    let err = ingest::read_file(&two.save_to_buffer().unwrap(), None, &few_entries).unwrap_err();
    assert!(matches!(err, ReadError::TooManySheets { .. }), "{err:?}");
}

#[test]
fn a_workbook_without_a_header_on_any_sheet_says_so_from_the_first() {
    let mut workbook = Workbook::new();
    workbook
        .add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "Devices for the Leeds office")
        .unwrap();
    workbook
        .add_worksheet()
        .write_string(0, 0, "nothing here either")
        .unwrap();
    let err = ingest::read_file(
        &workbook.save_to_buffer().unwrap(),
        None,
        &Limits::default(),
    )
    .unwrap_err();
    let ReadError::NoHeader(message) = err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("No sheet has a device header row. No header row was found"),
        "{message}"
    );
}

#[test]
fn a_workbook_with_cells_far_apart_costs_only_its_cells() {
    // One cell at A1 and one at XFD1048576: a rectangle of 17 billion cells if built whole.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Hardware Hash").unwrap();
    sheet.write_string(1, 0, hash(1)).unwrap();
    sheet.write_string(1_048_575, 16_383, "far away").unwrap();
    let ingested = read(&workbook.save_to_buffer().unwrap());
    assert_eq!(ingested.devices.len(), 1);
    assert_eq!(ingested.devices[0].row, 2);
}

#[test]
fn a_header_without_rows_and_overwide_rows_are_explained() {
    let limits = Limits::default();
    let header_only = ingest::read_file(b"Device Serial Number,Hardware Hash\r\n", None, &limits);
    assert_eq!(header_only.unwrap_err(), ReadError::NoDeviceRows);
    // A header naming the serial number 400 times over: only 256 columns are read.
    let wide = format!(
        "Hardware Hash{}\n{}{}\n",
        ",Serial".repeat(400),
        hash(1),
        ",S".repeat(400)
    );
    let ingested = read(wide.as_bytes());
    assert_eq!(ingested.devices.len(), 1);
    assert!(ingested
        .findings
        .iter()
        .any(|f| f.check == Check::TooManyColumns));
    let repeated = ingested
        .findings
        .iter()
        .filter(|f| f.check == Check::RepeatedColumn)
        .count();
    assert_eq!(
        repeated, 254,
        "the first serial column is read, the other read ones repeat it"
    );
}
