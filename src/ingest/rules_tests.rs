use super::*;

const AT: At = At {
    row: 7,
    column: "Col",
};

fn run(
    rule: fn(Cell, At, &mut Vec<Finding>) -> Option<String>,
    cell: Cell,
) -> (Option<String>, Vec<Check>) {
    let mut findings = Vec::new();
    let value = rule(cell, AT, &mut findings);
    assert!(findings
        .iter()
        .all(|f| f.row == Some(7) && f.column.as_deref() == Some("Col")));
    (value, findings.iter().map(|f| f.check).collect())
}

/// [`hardware_hash`] with an owned answer, like the other rules'.
fn hash_rule(cell: Cell, at: At, findings: &mut Vec<Finding>) -> Option<String> {
    hardware_hash(cell, at, findings).map(std::borrow::Cow::into_owned)
}

#[test]
fn the_formula_guard_of_a_download_is_taken_off() {
    let hash = hash_of(150);
    let guarded = format!("'+{}", &hash[1..]);
    let (value, checks) = run(hash_rule, Cell::text(guarded));
    assert_eq!(value, Some(format!("+{}", &hash[1..])));
    assert_eq!(checks, vec![]);
    assert_eq!(
        run(serial_number, Cell::text("'ABC")).0.as_deref(),
        Some("'ABC")
    );
    assert_eq!(
        group_tag(Cell::text(" '=Sales ")).as_deref(),
        Some("=Sales")
    );
    assert_eq!(group_tag(Cell::text("  ")), None);
}

#[test]
fn the_vectorised_alphabet_check_agrees_with_the_definition_for_every_byte() {
    for b in 0..=255u8 {
        let mut bytes = vec![b'Q'; 150];
        bytes[70] = b;
        let expected = b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        assert_eq!(all_base64(&bytes), expected, "byte {b}");
        assert_eq!(
            all_base64(&bytes[64..]),
            expected,
            "byte {b} in a later block"
        );
    }
    assert!(all_base64(b""));
}

fn number(text: &str) -> Cell<'_> {
    Cell {
        text: text.into(),
        kind: CellKind::Number,
    }
}

/// 150 bytes of base64: 200 characters, no padding needed.
fn hash_of(bytes: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(vec![7u8; bytes])
}

#[test]
fn a_good_hash_passes_untouched() {
    let hash = hash_of(4000);
    assert_eq!(
        run(hash_rule, Cell::text(format!("  {hash} "))),
        (Some(hash), vec![])
    );
}

#[test]
fn missing_padding_is_repaired_with_a_warning() {
    let hash = hash_of(151); // ends in "=="
    let unpadded = hash.trim_end_matches('=');
    let (value, checks) = run(hash_rule, Cell::text(unpadded));
    assert_eq!(value.as_deref(), Some(hash.as_str()));
    assert_eq!(checks, vec![Check::HashPaddingRepaired]);
}

#[test]
fn an_invalid_character_is_reported_with_its_position() {
    let mut hash = hash_of(150);
    hash.replace_range(9..10, "-");
    let mut findings = Vec::new();
    hardware_hash(Cell::text(hash), AT, &mut findings);
    assert_eq!(findings[0].check, Check::HashInvalidCharacter);
    assert!(
        findings[0].message.contains("“-” at character 10"),
        "{}",
        findings[0].message
    );
}

#[test]
fn wrapped_hashes_are_joined_and_short_or_cut_ones_refused() {
    let hash = hash_of(300);
    let wrapped = format!("{}\r\n{}", &hash[..200], &hash[200..]);
    assert_eq!(
        run(hash_rule, Cell::text(wrapped)),
        (Some(hash.clone()), vec![Check::HashWhitespaceRemoved])
    );
    assert_eq!(
        run(hash_rule, Cell::text(hash_of(60))).1,
        vec![Check::HashTooShort]
    );
    assert_eq!(
        run(hash_rule, Cell::text(&hash[..201])).1,
        vec![Check::HashBadLength]
    );
    assert_eq!(
        run(hash_rule, Cell::text(hash_of(17_000))).1,
        vec![Check::HashTooLong]
    );
    assert_eq!(run(hash_rule, Cell::text("")), (None, vec![]));
}

#[test]
fn padding_must_be_exactly_what_the_length_needs() {
    let four_thousand = "A".repeat(4000);
    assert_eq!(
        run(hash_rule, Cell::text(format!("{four_thousand}="))).1,
        vec![Check::HashBadLength]
    );
    assert_eq!(
        run(hash_rule, Cell::text(format!("{four_thousand}AA="))).1,
        vec![Check::HashBadLength]
    );
    assert_eq!(
        run(hash_rule, Cell::text(format!("{four_thousand}AA=="))).1,
        vec![]
    );
    for only_padding in ["=", "==", "AA=", "===="] {
        let checks = run(hash_rule, Cell::text(only_padding)).1;
        assert!(
            checks
                .iter()
                .any(|c| matches!(c, Check::HashBadLength | Check::HashTooShort)),
            "{only_padding}: {checks:?}"
        );
    }
}

#[test]
fn serial_numbers_keep_their_case_and_report_damage() {
    assert_eq!(
        run(serial_number, Cell::text(" PF0aB12 ")),
        (Some("PF0aB12".into()), vec![])
    );
    assert_eq!(
        run(serial_number, Cell::text("PF0\u{7}B12")).1,
        vec![Check::SerialControlCharacter]
    );
    assert_eq!(
        run(serial_number, Cell::text("X".repeat(129))).1,
        vec![Check::SerialTooLong]
    );
    assert_eq!(
        run(serial_number, Cell::text("1.23457E+11")).1,
        vec![Check::ScientificNotation]
    );
    assert_eq!(
        run(serial_number, Cell::text("To be filled by O.E.M.")).1,
        vec![Check::SerialPlaceholder]
    );
    assert_eq!(
        run(serial_number, number("12345")).1,
        vec![Check::StoredAsNumber]
    );
    assert_eq!(
        run(serial_number, number("1234567890123456")).1,
        vec![Check::ScientificNotation]
    );
}

#[test]
fn product_keys_are_a_pkid_or_a_dashed_product_id() {
    assert_eq!(
        run(product_key, Cell::text("3305012345678")),
        (Some("3305012345678".into()), vec![])
    );
    assert_eq!(
        run(product_key, Cell::text("00329-00000-0003-aa606")),
        (Some("00329-00000-0003-AA606".into()), vec![])
    );
    assert_eq!(
        run(product_key, Cell::text("12345-67890-09876-54321-13579")).1,
        vec![]
    );
    assert_eq!(
        run(product_key, Cell::text("12345")).1,
        vec![Check::ProductKeyFormat]
    );
    assert_eq!(
        run(product_key, number("12345678901")),
        (
            Some("0012345678901".into()),
            vec![Check::StoredAsNumber, Check::ProductKeyZerosRestored]
        )
    );
}

#[test]
fn scientific_notation_is_recognised_in_both_decimal_styles() {
    assert!(looks_scientific("1.23457E+11"));
    assert!(looks_scientific("4,5e+12"));
    assert!(looks_scientific("1E+15"));
    assert!(!looks_scientific("E+15"));
    assert!(!looks_scientific("PF1E+15X"));
}

#[test]
fn the_base64_alphabet_is_exactly_letters_digits_plus_and_slash() {
    for b in 0..=u8::MAX {
        let expected = b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        assert_eq!(super::is_base64(b), expected, "byte {b:#04x}");
    }
}
