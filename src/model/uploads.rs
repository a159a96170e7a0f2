//! What the upload pages show, and the server functions that load it. The changes (the
//! upload itself, removing rows, submitting) are plain form posts to handlers in
//! `server::uploads`, so they work with JavaScript off.

use serde::{Deserialize, Serialize};

use super::operations::{OperationState, PartState};

use super::CustomerRow;

/// `/customers/{id}/uploads/new`: the customer and the batches one can add to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadFormView {
    pub customer: CustomerRow,
    pub batches: Vec<String>,
    pub max_mb: usize,
    pub max_rows: usize,
}

/// One finding as the preview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingView {
    pub row: Option<u32>,
    pub column: Option<String>,
    pub error: bool,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub row: u32,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    /// The first and last characters only: a 5,000-character hash helps nobody on screen.
    pub hash_excerpt: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub group_tag: Option<String>,
    pub excluded: bool,
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCountsView {
    pub total: i64,
    pub excluded: i64,
    pub errors: i64,
    pub warnings: i64,
}

/// Rows of the upload form's table for typing devices in.
pub const TYPED_ROWS: usize = 5;
/// That table's columns, in Partner Center's order: the name of each field in the form
/// (`row{i}_{name}`) and its label. The page draws them and the server reads them by these.
pub const TYPED_FIELDS: [(&str, &str); 5] = [
    ("serial", "Serial number"),
    ("product_key", "Product key"),
    ("hash", "Hardware hash"),
    ("manufacturer", "Manufacturer"),
    ("model", "Model"),
];

text_enum! {
    /// Where an upload's rows came from.
    pub enum UploadSource {
        /// A CSV, text or workbook file.
        File = "file",
        /// Rows pasted into the form.
        Paste = "paste",
        /// Rows typed into the form's table.
        Form = "form",
        /// The failed rows of an earlier upload.
        Retry = "retry",
    }
}

impl UploadSource {
    /// Where the rows came from, in words, for every page that says so.
    pub fn describe(self, file_name: Option<&str>) -> String {
        match (self, file_name) {
            (UploadSource::File, Some(name)) => format!("file “{name}”"),
            (UploadSource::File, None) => "an uploaded file".into(),
            (UploadSource::Paste, _) => "pasted rows".into(),
            (UploadSource::Form, _) => "typed rows".into(),
            (UploadSource::Retry, Some(name)) => name.into(),
            (UploadSource::Retry, None) => "failed rows of an upload".into(),
        }
    }
}

/// Where an upload goes, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadSummary {
    pub id: String,
    pub state: OperationState,
    pub source: UploadSource,
    pub file_name: Option<String>,
    pub new_batch: bool,
    /// `None`: a new batch not named yet (the upload form's name was missing or refused); the
    /// preview asks for it, and nothing is sent without it.
    pub batch_id: Option<String>,
    pub submitted_by: String,
    pub created: String,
    pub error: Option<String>,
}

/// What pages call a batch that has no name yet.
pub const UNNAMED_BATCH: &str = "a new batch, not named yet";

/// Why a draft for a batch with no name yet cannot be registered: on its preview, and as the
/// refusal of a submit sent anyway.
pub const NAME_THE_BATCH_FIRST: &str = "The new batch has no name yet. Give it one under “Change the batch”, or add the devices to one of the customer's batches, then register them.";

impl UploadSummary {
    /// The batch's name as pages write it ([`UNNAMED_BATCH`] while it has none).
    pub fn batch_name(&self) -> &str {
        self.batch_id.as_deref().unwrap_or(UNNAMED_BATCH)
    }
}

/// `/customers/{id}/uploads/{uploadId}`: the preview of a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewView {
    pub customer: CustomerRow,
    pub upload: UploadSummary,
    /// How the input was read: format, encoding, delimiter, sheet, header row.
    pub description: String,
    /// The workbook's sheets, when another than the one read can be read; empty otherwise.
    pub sheets: Vec<String>,
    pub columns: Vec<(String, Option<String>)>,
    pub file_findings: Vec<FindingView>,
    pub counts: RowCountsView,
    /// When a new batch's name is already taken: that batch's name as Partner Center has it.
    pub name_taken: Option<String>,
    pub batches: Vec<String>,
    /// Group tags among the rows still included, with their row counts.
    pub group_tags: Vec<(String, i64)>,
    /// The drafts this one was split into, one per group tag.
    pub split_parts: Vec<SplitPartView>,
    pub rows: Vec<PreviewRow>,
    pub page: u32,
    pub has_next: bool,
    /// How many pages of rows there are, when the count agrees with this page.
    pub pages: Option<u32>,
    pub only_findings: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitPartView {
    pub upload_id: String,
    pub batch_id: String,
    pub state: OperationState,
    pub rows: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkView {
    pub number: i64,
    pub operation: String,
    pub devices: i64,
    pub state: PartState,
    pub tracking_id: Option<String>,
    pub error: Option<String>,
    /// Partner Center's job status for this part, once asked.
    pub job_status: Option<String>,
}

/// One device on the job page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDeviceRow {
    pub row: u32,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub status: DeviceStatus,
    pub error_code: Option<String>,
    /// What the error means and what to do next.
    pub explanation: Option<String>,
    /// Partner Center's id of a registered device, for deleting it.
    pub device_id: Option<String>,
    /// A device refused as already registered (806, 808): where the device index finds it.
    pub found: Option<super::devices::Whereabouts>,
}

text_enum! {
    /// Where one device of an upload stands.
    pub enum DeviceStatus {
        Registered = "registered",
        Failed = "failed",
        /// Sent; Partner Center has not said yet.
        Waiting = "waiting",
        NotSent = "not-sent",
    }
}

impl DeviceStatus {
    pub fn label(self) -> &'static str {
        match self {
            DeviceStatus::Registered => "Registered",
            DeviceStatus::Failed => "Failed",
            DeviceStatus::Waiting => "Waiting for Partner Center",
            DeviceStatus::NotSent => "Not sent",
        }
    }
}

text_enum! {
    /// What Partner Center did with an uploaded row's device (`upload_rows.outcome`; none
    /// while it has not said).
    pub enum RowOutcome {
        Registered = "registered",
        Failed = "failed",
    }
}

impl RowOutcome {
    pub fn of(registered: bool) -> Self {
        match registered {
            true => RowOutcome::Registered,
            false => RowOutcome::Failed,
        }
    }
}

text_enum! {
    /// Whether an upload makes its batch or adds to one: the upload form's `target`.
    pub enum BatchTarget {
        /// Create the batch, with the first part's devices.
        New = "new",
        /// Add the devices to a batch the customer has.
        Existing = "existing",
    }
}

impl BatchTarget {
    pub fn is_new(self) -> bool {
        self == BatchTarget::New
    }
}

text_enum! {
    /// Where a discarded draft leads (`then` of `POST …/uploads/{id}/discard`): the preview's
    /// "Discard and start again" to a new upload form, a history's "Discard" back to that
    /// history (every customer's, or the draft's customer's).
    pub enum AfterDiscard {
        NewUpload = "new-upload",
        AllUploads = "uploads",
        CustomerUploads = "customer-uploads",
    }
}

text_enum! {
    /// What the preview's row buttons ask for (`action` of `POST …/uploads/{id}/rows`).
    pub enum RowsAction {
        /// Leave the ticked rows (`row` fields) out of the upload.
        RemoveSelected = "remove-selected",
        /// Put the ticked rows back.
        RestoreSelected = "restore-selected",
        /// Leave out every row with an error.
        RemoveErrors = "remove-errors",
        /// Leave out the rows the customer already has registered.
        RemoveRegistered = "remove-registered",
    }
}

text_enum! {
    /// Which of an upload's devices its job page lists.
    pub enum DevicesShown {
        All = "all",
        Failed = "failed",
        Registered = "registered",
    }
}

/// Devices by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCountsView {
    pub total: i64,
    pub registered: i64,
    pub failed: i64,
    /// Of the failed, those already registered (806, 808): no retry is offered for them.
    pub already_registered: i64,
}

/// An upload's operation page (`/customers/{id}/operations/{uploadId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub customer: CustomerRow,
    pub upload: UploadSummary,
    pub state: UploadStatus,
    /// The state can still change: the page keeps asking.
    pub running: bool,
    pub started: Option<String>,
    pub completed: Option<String>,
    pub counts: OutcomeCountsView,
    pub chunks: Vec<ChunkView>,
    /// What the dashboard decided about each part whose answer was lost, in words.
    pub decisions: Vec<String>,
    /// The submission failed with parts unsent: they can be sent again.
    pub can_resume: bool,
    /// Why Partner Center could not be asked the last time, while the job still runs.
    pub check_error: Option<String>,
    pub show: DevicesShown,
    pub devices: Vec<JobDeviceRow>,
    pub page: u32,
    pub has_next: bool,
    /// How many pages of devices there are, when the count agrees with this page.
    pub pages: Option<u32>,
    /// Once the job is done with devices registered: the customer's profiles, to apply to
    /// them; empty otherwise.
    pub profiles: Vec<super::ProfileOption>,
    /// Why this sign-in cannot apply profiles, once Partner Center said so.
    pub profiles_read_only: Option<String>,
}

/// One upload in a history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub when: String,
    pub customer_id: String,
    pub customer_name: String,
    pub upn: String,
    /// Where the rows came from, in words ([`UploadSource::describe`]).
    pub from: String,
    pub batch_id: String,
    pub new_batch: bool,
    pub devices: i64,
    /// `None` for an operation that registers nothing (a deletion).
    pub registered: Option<i64>,
    pub failed: i64,
    pub status: UploadStatus,
    /// The job page, the preview of a draft, or a deletion's page.
    pub link: String,
    /// A draft of the person reading the list, which they may discard from it.
    pub discardable: bool,
}

/// `/uploads` (every customer the user uploaded to) and `/customers/{id}/uploads`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    /// The customer of a customer's history.
    pub customer: Option<CustomerRow>,
    pub rows: Vec<HistoryRow>,
    /// Who uploaded, for the user filter.
    pub users: Vec<String>,
    /// The filters in force (none, or "" for all).
    pub status: Option<UploadStatus>,
    pub user: String,
    pub page: u32,
    pub has_next: bool,
    /// How many pages there are, when the count agrees with this page.
    pub pages: Option<u32>,
    /// How long a draft that is never submitted is kept, in words ("14 days").
    pub draft_retention: String,
}

/// A retention period in words: whole days when it is that, else seconds.
pub fn retention_words(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs >= 86_400 && secs.is_multiple_of(86_400) {
        plural(secs / 86_400, "day")
    } else if secs >= 3_600 && secs.is_multiple_of(3_600) {
        plural(secs / 3_600, "hour")
    } else {
        plural(secs, "second")
    }
}

text_enum! {
    /// Where an upload stands, in one word: what the job page shows and the history lists and
    /// filters by. Derived in one place, `server::uploads::status`.
    pub enum UploadStatus {
        Draft = "draft",
        Submitting = "submitting",
        Queued = "queued",
        Processing = "processing",
        Finished = "finished",
        FinishedWithErrors = "finished_with_errors",
        /// Not every part could be sent.
        Failed = "failed",
    }
}

impl UploadStatus {
    /// The status in a few words, as a heading or in a list.
    pub fn title(self) -> &'static str {
        match self {
            UploadStatus::Draft => "Draft",
            UploadStatus::Submitting => "Sending",
            UploadStatus::Queued => "Queued",
            UploadStatus::Processing => "Processing",
            UploadStatus::Finished => "Finished",
            UploadStatus::FinishedWithErrors => "Finished with errors",
            UploadStatus::Failed => "Could not be submitted",
        }
    }

    /// Partner Center may still change it: pages keep asking.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            UploadStatus::Submitting | UploadStatus::Queued | UploadStatus::Processing
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_choice_goes_out_and_back_as_its_word_and_nothing_else() {
        for state in PartState::ALL {
            let json = serde_json::to_string(state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(serde_json::from_str::<PartState>(&json).unwrap(), *state);
        }
        for status in DeviceStatus::ALL {
            assert_eq!(DeviceStatus::try_from(status.as_str()), Ok(*status));
        }
        assert_eq!(
            OperationState::try_from("Draft"),
            Err("unknown OperationState \"Draft\"".to_string())
        );
        assert!(serde_json::from_str::<UploadStatus>("\"running\"").is_err());
    }

    #[test]
    fn an_upload_source_reads_back_what_it_wrote_and_says_where_rows_came_from() {
        for source in ["file", "paste", "form", "retry"] {
            assert_eq!(UploadSource::try_from(source).unwrap().as_str(), source);
        }
        assert!(UploadSource::try_from("File").is_err());
        assert_eq!(
            UploadSource::File.describe(Some("devices.csv")),
            "file “devices.csv”"
        );
        assert_eq!(UploadSource::Paste.describe(None), "pasted rows");
        assert_eq!(UploadSource::Form.describe(None), "typed rows");
        assert_eq!(
            UploadSource::Retry.describe(Some("failed rows of a.csv")),
            "failed rows of a.csv"
        );
    }
}
