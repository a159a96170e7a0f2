//! Partner Center's answer to a part that was not done, in words a person can act on, as
//! every kind says it. A kind says its own cases first (an upload's batch that exists already
//! or is gone, a deletion whose answer was lost) and hands the rest here, naming the button
//! its page offers to send what is left.

use super::parts::PartOutcome;
use crate::partner_center::{ErrorKind, PartnerCenterError};

/// A failure that leaves open whether Partner Center did the work: no answer came (timed
/// out, connection lost), it kept failing (5xx) or its answer was unusable, after the
/// client's own retries. The part goes again under the same request id.
pub fn is_transient(error: &PartnerCenterError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::InvalidResponse
    )
}

/// A part that was not done, after the kind's own cases: uncertain when the failure was
/// transient (`not_known`: what is not known, "whether the device was deleted"), else
/// refused, in words, with "Try again".
pub fn uncertain_or_refused(error: &PartnerCenterError, not_known: &str) -> PartOutcome {
    if is_transient(error) {
        PartOutcome::Uncertain {
            error: with_ids(
                format!(
                    "Partner Center could not be reached or kept failing, so {not_known} is not \
                     known. Try again: the same request goes again, and Partner Center does it \
                     at most once."
                ),
                error,
            ),
        }
    } else {
        PartOutcome::Refused {
            error: in_words(error, "Try again"),
        }
    }
}

/// `again`: what the page's button does, as a sentence starts it ("Send the remaining
/// parts", "Try again"). Ends with the code and the request id to quote.
pub fn in_words(error: &PartnerCenterError, again: &str) -> String {
    let later = lowercase_first(again);
    let what = match error.kind() {
        ErrorKind::MfaRequired => format!(
            "Partner Center requires multi-factor authentication for this account. Sign out, \
             sign in with MFA, and {later}."
        ),
        ErrorKind::Unauthorized => {
            format!("Partner Center did not accept your sign-in. Sign in again and {later}.")
        }
        ErrorKind::Forbidden => "Partner Center refused: your account lacks the Partner Center \
             role for devices, or the partner has no reseller relationship with this customer."
            .into(),
        ErrorKind::Throttled => format!(
            "Partner Center is busy (throttling) and kept refusing after several tries. \
             {again} in a few minutes."
        ),
        ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport => format!(
            "Partner Center could not be reached or kept failing after several tries. {again} \
             later; nothing is done twice."
        ),
        _ => format!(
            "Partner Center refused the request{}.",
            error
                .description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ),
    };
    with_ids(what, error)
}

/// `what`, then the code Partner Center gave (if any) and the request id to quote.
pub fn with_ids(what: String, error: &PartnerCenterError) -> String {
    let code = error
        .code
        .as_deref()
        .map(|c| format!(" Code {c}."))
        .unwrap_or_default();
    format!("{what}{code} Request id {}.", error.request_id)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::RequestId;

    fn refused(kind: ErrorKind, code: Option<&str>) -> PartnerCenterError {
        let id = RequestId::new();
        let mut error = PartnerCenterError::new(kind, id, uuid::Uuid::new_v4(), "refused");
        error.code = code.map(str::to_owned);
        error
    }

    #[test]
    fn the_button_is_named_where_the_sentence_needs_it_and_the_ids_end_it() {
        let busy = refused(ErrorKind::Throttled, Some("429"));
        let words = in_words(&busy, "Try again");
        assert!(words.contains("busy (throttling)"), "{words}");
        assert!(words.contains(". Try again in a few minutes."), "{words}");
        assert!(
            words.ends_with(&format!(" Code 429. Request id {}.", busy.request_id)),
            "{words}"
        );
        let mfa = in_words(
            &refused(ErrorKind::MfaRequired, None),
            "Send the remaining parts",
        );
        assert!(
            mfa.contains("sign in with MFA, and send the remaining parts. Request id"),
            "{mfa}"
        );
    }
}
