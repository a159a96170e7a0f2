//! What reading a device list found: named checks, their severity and a message in words.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The row cannot be submitted as it is.
    Error,
    /// Worth a look; the row is submitted as shown.
    Warning,
}

/// Every rule the reader and validator apply, by name. The kebab-case name is the `code` in
/// `ztd-dashboard check --json` and in the preview, so scripts can match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    // The file as a whole.
    EncodingGuessed,
    TitleRowsSkipped,
    NoHeaderRow,
    UnknownColumn,
    RepeatedColumn,
    GroupTagPerRow,
    AssignedUserIgnored,
    OtherSheetsIgnored,
    TooManyColumns,
    // One row.
    MissingIdentifiers,
    IncompleteTuple,
    HashInvalidCharacter,
    HashPaddingRepaired,
    HashWhitespaceRemoved,
    HashBadLength,
    HashTooShort,
    HashTooLong,
    SerialControlCharacter,
    SerialTooLong,
    SerialPlaceholder,
    ProductKeyFormat,
    ProductKeyZerosRestored,
    ScientificNotation,
    StoredAsNumber,
    ExcelErrorValue,
    ControlCharacter,
    TooLong,
    DuplicateInUpload,
    AlreadyRegistered,
    RegisteredWithAnotherCustomer,
    NotChecked,
    PrecheckSkipped,
}

impl Check {
    pub fn code(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// One finding. `row` is the row number a person sees in Excel or a text editor (the header
/// is row 1 when it is the first line); `None` is about the whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub row: Option<u32>,
    pub column: Option<String>,
    pub severity: Severity,
    #[serde(rename = "code")]
    pub check: Check,
    pub message: String,
}

impl Finding {
    pub fn error(row: Option<u32>, column: Option<&str>, check: Check, message: String) -> Self {
        Self::new(Severity::Error, row, column, check, message)
    }

    pub fn warning(row: Option<u32>, column: Option<&str>, check: Check, message: String) -> Self {
        Self::new(Severity::Warning, row, column, check, message)
    }

    fn new(
        severity: Severity,
        row: Option<u32>,
        column: Option<&str>,
        check: Check,
        message: String,
    ) -> Self {
        Self {
            row,
            column: column.map(str::to_owned),
            severity,
            check,
            message,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_named_in_kebab_case() {
        assert_eq!(Check::HashPaddingRepaired.code(), "hash-padding-repaired");
        let finding = Finding::error(
            Some(3),
            Some("Hardware Hash"),
            Check::HashTooShort,
            "x".into(),
        );
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["code"], "hash-too-short");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["row"], 3);
    }
}
