//! What a form post did, said on the page it leads to: post/redirect/get where the redirect
//! itself carries the outcome (`?done=…`, see [`crate::urls::with_done`]) and the page puts it
//! into words ([`crate::components::done_notice::DoneNotice`]). Nothing is written to the
//! session for it, so a page rendering can never lose it or show it twice in another tab.
//! A form post that was not done goes back the same way to the page the form was on, the
//! refusal sealed into the address (`?refused=…`, [`Refused`]).

text_enum! {
    /// A write that was done.
    pub enum Done {
        RowsRemoved = "rows-removed",
        RowsRestored = "rows-restored",
        DraftDiscarded = "draft-discarded",
        BatchNameNeeded = "batch-name-needed",
        BatchChanged = "batch-changed",
        SheetRead = "sheet-read",
        SplitByGroupTag = "split",
        Resumed = "resumed",
        FailedRowsCopied = "failed-rows-copied",
        DeviceDeleted = "device-deleted",
        DeletionRetried = "deletion-retried",
        DeletionStarted = "deletion-started",
        DeletionsStarted = "deletions-started",
        ProfileCreated = "profile-created",
        ProfileChanged = "profile-changed",
        ProfileDeleted = "profile-deleted",
        AssignmentSent = "assignment-sent",
        AssignmentRetried = "assignment-retried",
        IndexChecked = "index-checked",
        IndexReadingAll = "index-reading-all",
    }
}

impl Done {
    /// In words, naming what it was done to when the redirect carried that (`about`, sealed
    /// by the server: `server::done_about`).
    pub fn sentence_about(self, about: Option<&str>) -> String {
        match (self, about) {
            (Done::DeviceDeleted, Some(device)) => format!(
                "The device {device} was deleted from this batch. The audit trail records it."
            ),
            (Done::BatchNameNeeded, Some(why)) => format!(
                "The devices were checked and kept as a draft. {why} Name the batch under \
                 “Change the batch” below, then register."
            ),
            (Done::DraftDiscarded, Some(draft)) => {
                format!("The draft of {draft} was discarded with its file. Nothing of it was sent.")
            }
            _ => self.sentence().to_string(),
        }
    }

    /// In words, for the page the redirect lands on.
    pub fn sentence(self) -> &'static str {
        match self {
            Done::RowsRemoved => "The rows are left out of the upload.",
            Done::RowsRestored => "The rows are back in the upload.",
            Done::BatchNameNeeded => {
                "The devices were checked and kept as a draft. Name the batch under “Change the \
                 batch” below, then register."
            }
            Done::DraftDiscarded => {
                "The draft was discarded with its file. Nothing of it was sent."
            }
            Done::BatchChanged => "The batch the devices go to is changed.",
            Done::SheetRead => "The sheet you chose was read in place of the first one.",
            Done::SplitByGroupTag => {
                "The upload was split: one upload per group tag, listed below. Submit each."
            }
            Done::Resumed => "Sending goes on: the parts left unsent are being sent again.",
            Done::FailedRowsCopied => {
                "This new upload holds the devices that failed. Fix what the errors say, then \
                 submit it."
            }
            Done::DeviceDeleted => {
                "The device was deleted from this batch. The audit trail records it."
            }
            Done::DeletionRetried => "The devices left were asked for again.",
            Done::DeletionStarted => {
                "The deletion is stored and being sent, one request per device. This page \
                 follows it until every device has its outcome; you can leave it, the \
                 dashboard goes on."
            }
            Done::DeletionsStarted => {
                "The devices are being deleted: one deletion per customer, each stored and \
                 being sent, listed below. Each one's page shows every device's outcome."
            }
            Done::ProfileCreated => "The profile was created in Partner Center.",
            Done::ProfileChanged => "The profile was changed in Partner Center.",
            Done::ProfileDeleted => "The profile was deleted in Partner Center.",
            Done::AssignmentSent => {
                "Sent to Partner Center. This page follows it until every device has its \
                 outcome; you can leave it, the dashboard keeps following."
            }
            Done::AssignmentRetried => "The devices left were sent again.",
            Done::IndexChecked => "The customer's devices were read again from Partner Center.",
            Done::IndexReadingAll => {
                "Every customer you can open is being read into the index, in the background; \
                 this page says how far it is when you search or reload it."
            }
        }
    }
}

/// A form post that was not done (or a sign-in that did not work), as the page it leads back
/// to says it ([`crate::components::refused_notice::RefusedNotice`]). The server seals it into
/// the redirect's address, so no one can make a page of the dashboard say words of theirs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refused {
    pub heading: String,
    pub message: String,
    /// The dashboard's id of the refused request, to quote when asking for help.
    pub request_id: Option<String>,
}
