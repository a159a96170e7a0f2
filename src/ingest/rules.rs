//! The checks on one cell, each a named [`Check`] with a message that says what is wrong and,
//! where it can, how to fix it. Each function takes the raw cell and returns the value to
//! submit (trimmed, and repaired where the repair is certain), pushing what it found. The
//! cell is taken, not borrowed, so a spreadsheet's text moves into the device unchanged and
//! a CSV's is copied once.

use std::borrow::Cow;

use super::grid::{Cell, CellKind};
use super::report::{Check, Finding};

/// Partner Center answers 802 below this; real 4K hashes are about 4,000 bytes.
pub const HASH_MIN_BYTES: usize = 100;
pub const HASH_MAX_BYTES: usize = 16 * 1024;
/// SMBIOS serial numbers are short; anything longer is a pasting accident.
pub const SERIAL_MAX_CHARS: usize = 128;
pub const TEXT_MAX_CHARS: usize = 255;

/// Serial numbers that firmware reports when the OEM never set one. Registering by
/// serial + manufacturer + model cannot tell such devices apart.
const PLACEHOLDER_SERIALS: [&str; 6] = [
    "to be filled by o.e.m.",
    "default string",
    "system serial number",
    "0",
    "none",
    "n/a",
];

/// Where a finding goes: the row number and the column header.
#[derive(Clone, Copy)]
pub struct At<'a> {
    pub row: u32,
    pub column: &'a str,
}

impl At<'_> {
    fn error(&self, check: Check, message: String) -> Finding {
        Finding::error(Some(self.row), Some(self.column), check, message)
    }
    fn warning(&self, check: Check, message: String) -> Finding {
        Finding::warning(Some(self.row), Some(self.column), check, message)
    }
}

/// A hardware hash: padded standard base64 of 100 bytes to 16 KB.
/// The hash as it will be sent: borrowed from the line when it needed no repair, so that a
/// check that keeps no devices copies none.
pub fn hardware_hash<'a>(
    cell: Cell<'a>,
    at: At,
    findings: &mut Vec<Finding>,
) -> Option<Cow<'a, str>> {
    let trimmed = common(cell, at, findings)?;
    // One vectorised pass over the bytes settles the usual case: base64, then exact padding.
    let data = trimmed.trim_end_matches('=');
    if all_base64(data.as_bytes()) && padded_correctly(&trimmed, data) {
        hash_size(&trimmed, at, findings);
        return Some(trimmed);
    }
    let mut hash = if trimmed.bytes().any(|b| b.is_ascii_whitespace()) {
        findings.push(at.warning(
            Check::HashWhitespaceRemoved,
            "Line breaks or spaces inside the hash were removed (a wrapped cell or a copy from a \
             console)."
                .into(),
        ));
        trimmed.split_ascii_whitespace().collect::<String>()
    } else {
        trimmed.into_owned()
    };
    let data_end = hash.trim_end_matches('=').len();
    // Bytes first; characters only to name a bad one.
    let bad = hash.as_bytes()[..data_end]
        .iter()
        .position(|b| !is_base64(*b));
    if let Some((position, c)) = bad.map(|at| {
        let position = hash[..at].chars().count() + 1;
        (position, hash[at..].chars().next().unwrap_or('?'))
    }) {
        findings.push(at.error(
            Check::HashInvalidCharacter,
            format!(
                "The hash has “{}” at character {position}; a hardware hash holds only letters, \
                 digits, + and / (and = at the end). Copy it again from the original file.",
                c.escape_default()
            ),
        ));
        return Some(Cow::Owned(hash));
    }
    // Base64 carries 6 bits per character and pads to a multiple of 4 with "=".
    let padding = hash.len() - data_end;
    let needed = (4 - data_end % 4) % 4;
    if data_end % 4 == 1 {
        findings.push(at.error(
            Check::HashBadLength,
            format!(
                "The hash has {data_end} characters, which no complete hash has: it was \
                 probably cut off. Copy it again from the original file."
            ),
        ));
        return Some(Cow::Owned(hash));
    }
    if padding == 0 && needed > 0 {
        hash.push_str(&"=".repeat(needed));
        findings.push(at.warning(
            Check::HashPaddingRepaired,
            format!(
                "The hash lacked its final “{}”; it was added.",
                "=".repeat(needed)
            ),
        ));
    } else if padding != needed {
        findings.push(at.error(
            Check::HashBadLength,
            format!(
                "The hash ends in {padding} “=” where {needed} belong: it was cut or joined \
                 wrongly. Copy it again from the original file."
            ),
        ));
        return Some(Cow::Owned(hash));
    }
    hash_size(&hash, at, findings);
    Some(Cow::Owned(hash))
}

/// The base64 alphabet, without the padding. Comparisons rather than a table, and `|` rather
/// than `||`, so that [`all_base64`] compiles to SIMD.
#[inline(always)]
fn is_base64(b: u8) -> bool {
    // Setting bit 5 turns `A`–`Z` into `a`–`z` and moves no other byte into that range: one
    // range check for both cases.
    ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'+') | (b == b'/')
}

/// Whether every byte is in the base64 alphabet. A hash is nearly always whole and valid, so
/// the bytes are judged in one pass with no early exit, which the compiler vectorises; with
/// AVX2 where the processor has it (32 bytes an instruction), a fifth of `check`'s time was
/// this loop at 16 bytes.
fn all_base64(bytes: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        return unsafe { all_base64_avx2(bytes) };
    }
    all_base64_anywhere(bytes)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn all_base64_avx2(bytes: &[u8]) -> bool {
    all_base64_anywhere(bytes)
}

#[inline(always)]
fn all_base64_anywhere(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| ok & is_base64(b))
}

/// Padding that is exactly what the length of the data before it needs.
fn padded_correctly(hash: &str, data: &str) -> bool {
    hash.len() - data.len() == (4 - data.len() % 4) % 4 && data.len() % 4 != 1
}

/// Implausibly short or long hashes (the decoded size from the length, no decoding).
fn hash_size(hash: &str, at: At, findings: &mut Vec<Finding>) {
    let data_end = hash.trim_end_matches('=').len();
    let bytes = data_end * 3 / 4;
    if bytes < HASH_MIN_BYTES {
        findings.push(at.error(
            Check::HashTooShort,
            format!(
                "The hash is only {bytes} bytes; hardware hashes from Get-WindowsAutopilotInfo \
                 are about 4,000. It was probably cut off: copy it again."
            ),
        ));
    } else if bytes > HASH_MAX_BYTES {
        findings.push(at.error(
            Check::HashTooLong,
            format!("The hash is {bytes} bytes, more than a hardware hash can be; two may have been joined."),
        ));
    }
}

/// A serial number as SMBIOS reports it: trimmed, case kept (Partner Center compares it exactly).
pub fn serial_number(cell: Cell, at: At, findings: &mut Vec<Finding>) -> Option<String> {
    let serial = common(cell, at, findings)?.into_owned();
    if let Some(position) = serial.chars().position(char::is_control) {
        findings.push(at.error(
            Check::SerialControlCharacter,
            format!(
                "The serial number has an invisible control character at character {}; retype it.",
                position + 1
            ),
        ));
    }
    let length = serial.chars().count();
    if length > SERIAL_MAX_CHARS {
        findings.push(at.error(
            Check::SerialTooLong,
            format!("The serial number is {length} characters long; serial numbers are at most {SERIAL_MAX_CHARS}. Is it another column's value?"),
        ));
    }
    if PLACEHOLDER_SERIALS.contains(&serial.to_lowercase().as_str()) {
        findings.push(at.warning(
            Check::SerialPlaceholder,
            format!(
                "“{serial}” is what firmware reports when the manufacturer set no serial number; \
                 register this device by its hardware hash instead."
            ),
        ));
    }
    Some(serial)
}

/// A product key: the 13-digit PKID, or the dashed product id (`00329-00000-0003-AA606`).
pub fn product_key(cell: Cell, at: At, findings: &mut Vec<Finding>) -> Option<String> {
    let number = cell.kind == CellKind::Number;
    let mut key = common(cell, at, findings)?.into_owned();
    key.make_ascii_uppercase();
    if number && key.len() < 13 && key.bytes().all(|b| b.is_ascii_digit()) {
        let restored = format!("{key:0>13}");
        findings.push(at.warning(
            Check::ProductKeyZerosRestored,
            format!("Excel stored the product key as a number and dropped its leading zeros; it was restored to {restored}."),
        ));
        return Some(restored);
    }
    let pkid = key.len() == 13 && key.bytes().all(|b| b.is_ascii_digit());
    let groups: Vec<&str> = key.split('-').collect();
    let dashed = (4..=5).contains(&groups.len())
        && groups
            .iter()
            .all(|g| (4..=5).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !pkid && !dashed {
        findings.push(at.error(
            Check::ProductKeyFormat,
            format!(
                "“{key}” is not a product key: expected the 13-digit product key ID (PKID) or a \
                 product id such as 00329-00000-0003-AA606. Leave the cell empty if you do not have one."
            ),
        ));
    }
    Some(key)
}

/// Manufacturer and model: kept exactly as SMBIOS spells them (Partner Center compares them
/// case-sensitively).
pub fn text(cell: Cell, at: At, findings: &mut Vec<Finding>) -> Option<String> {
    let value = common(cell, at, findings)?.into_owned();
    if value.chars().any(char::is_control) {
        findings.push(at.error(
            Check::ControlCharacter,
            format!(
                "“{}” contains an invisible control character; retype it.",
                value.escape_debug()
            ),
        ));
    }
    let length = value.chars().count();
    if length > TEXT_MAX_CHARS {
        findings.push(at.error(
            Check::TooLong,
            format!(
                "The value is {length} characters long; at most {TEXT_MAX_CHARS} are accepted."
            ),
        ));
    }
    Some(value)
}

/// A group tag: only reported (Partner Center takes none per device), so only trimmed.
pub fn group_tag(cell: Cell) -> Option<String> {
    let tag = without_formula_guard(trimmed(cell.text));
    (!tag.is_empty()).then(|| tag.into_owned())
}

/// What every identifier cell shares: trimming, empty → `None`, and Excel's damage. The text
/// stays borrowed, so that a rule checks it where it lies and copies it once, when done.
fn common<'a>(mut cell: Cell<'a>, at: At, findings: &mut Vec<Finding>) -> Option<Cow<'a, str>> {
    cell.text = without_formula_guard(trimmed(cell.text));
    let value = cell.text.trim();
    if value.is_empty() {
        return None;
    }
    match cell.kind {
        CellKind::ExcelError => {
            findings.push(at.error(
                Check::ExcelErrorValue,
                format!("The cell holds the Excel error {value}, not a value; fix the formula or type the value."),
            ));
        }
        CellKind::Number if looks_scientific(value) || value.len() > 15 => {
            findings.push(at.error(
                Check::ScientificNotation,
                format!(
                    "Excel stored this as the number {value}, too long to keep every digit. \
                     Format the column as Text in the original file and paste the values again."
                ),
            ));
        }
        CellKind::Number => {
            findings.push(at.warning(
                Check::StoredAsNumber,
                format!(
                    "Excel stored {value} as a number, which drops leading zeros; check it \
                     against the device label, or format the column as Text."
                ),
            ));
        }
        CellKind::Text if looks_scientific(value) => {
            findings.push(at.error(
                Check::ScientificNotation,
                format!(
                    "“{value}” is Excel's scientific notation: the original digits are lost. \
                     Format the column as Text in the original file, or type the value again."
                ),
            ));
        }
        CellKind::Text => {}
    }
    Some(trimmed(cell.text))
}

/// The text without the apostrophe that spreadsheet downloads (ours among them) put before a
/// value starting with `=`, `+`, `-` or `@`, so that it is not run as a formula.
fn without_formula_guard(text: Cow<'_, str>) -> Cow<'_, str> {
    let guarded = |t: &str| {
        t.strip_prefix('\'')
            .is_some_and(|rest| rest.starts_with(['=', '+', '-', '@']))
    };
    match text {
        Cow::Borrowed(t) if guarded(t) => Cow::Borrowed(&t[1..]),
        Cow::Owned(t) if guarded(&t) => Cow::Owned(t[1..].to_string()),
        other => other,
    }
}

/// The text without surrounding whitespace: a shorter borrow, the same string when there is
/// nothing to cut, a copy only of an owned string that needs cutting.
fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) if text.trim().len() == text.len() => Cow::Owned(text),
        Cow::Owned(text) => Cow::Owned(text.trim().to_string()),
    }
}

/// `1.23457E+11`, `1E+15`, `4,5E+12`: what Excel shows for long numbers.
fn looks_scientific(value: &str) -> bool {
    // Excel shows at most a few digits and a two- or three-digit exponent; checking the
    // length first keeps 5,000-character hashes from being copied to find out.
    if value.len() > 24 {
        return false;
    }
    let upper = value.to_ascii_uppercase();
    let Some((mantissa, exponent)) = upper.split_once("E+") else {
        return false;
    };
    let mut mantissa_parts = mantissa.splitn(2, ['.', ',']);
    let whole = mantissa_parts.next().unwrap_or_default();
    let fraction = mantissa_parts.next().unwrap_or("0");
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
