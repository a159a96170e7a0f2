//! Which devices of a list a form chose: the ones ticked on the page, or every device of the
//! list on all its pages (a batch's, or a search's). The batch and search pages' forms send it (`devices` = `selected` or `all`,
//! and a `device` field for each ticked device); a confirmation page carries it on in its
//! address and its own form, so that what is done is what was confirmed.

use serde::{Deserialize, Serialize};

use super::AppError;

/// The form field that says which: `selected` or `all`.
pub const WHICH: &str = "devices";
/// The form field repeated for each ticked device, holding its Partner Center id.
pub const TICKED: &str = "device";
/// The confirmation's field: how many devices it showed, so that what is done is what was
/// confirmed (a batch that gained devices meanwhile is not deleted whole unseen).
pub const CONFIRMED: &str = "confirmed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Selection {
    /// The devices ticked on the page, in the order sent: by Partner Center id on a batch's
    /// page, by customer and id on a search's ([`found_device`]).
    Ticked(Vec<String>),
    /// Every device of the list, on every page: a batch's as Partner Center lists it, a
    /// search's as the index finds it, when it is done.
    All,
}

impl Selection {
    /// Reads a form's (or an address's) fields: `which` is the `devices` field, `ticked` the
    /// `device` fields. Refused in words when it names no device.
    pub fn read<'a>(
        which: Option<&str>,
        ticked: impl Iterator<Item = &'a str>,
    ) -> Result<Selection, AppError> {
        match which {
            Some("all") => Ok(Selection::All),
            Some("selected") | None => {
                let mut seen = std::collections::HashSet::new();
                let ids: Vec<String> = ticked
                    .map(str::trim)
                    .filter(|id| !id.is_empty() && seen.insert(*id))
                    .map(str::to_string)
                    .collect();
                if ids.is_empty() {
                    return Err(AppError::BadInput(
                        "Tick the devices first, or choose all of them.".into(),
                    ));
                }
                Ok(Selection::Ticked(ids))
            }
            Some(_) => Err(AppError::BadInput(
                "Choose the ticked devices, or all of them.".into(),
            )),
        }
    }

    /// Reads a form's fields, as the browser sent them ([`Selection::read`]).
    pub fn of_form(fields: &[(String, String)]) -> Result<Selection, AppError> {
        let named = |name: &'static str| {
            fields
                .iter()
                .filter(move |(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        Selection::read(named(WHICH).next(), named(TICKED))
    }

    /// Checks that `chosen` devices are what the confirmation showed (its [`CONFIRMED`]
    /// field); refused in words when the list changed since, or when the form did not come
    /// from a confirmation.
    pub fn as_confirmed(fields: &[(String, String)], chosen: usize) -> Result<(), AppError> {
        let confirmed = fields
            .iter()
            .find(|(key, _)| key == CONFIRMED)
            .and_then(|(_, value)| value.parse::<usize>().ok());
        match confirmed {
            Some(n) if n == chosen => Ok(()),
            Some(n) => Err(AppError::Changed(format!(
                "{chosen} devices are chosen now, not the {n} you confirmed: devices were added \
                 or removed since the confirmation was shown. Nothing was done. Go back and \
                 confirm again."
            ))),
            None => Err(AppError::BadInput(
                "This asks for a confirmation first: choose the devices, then confirm on the \
                 page that counts them."
                    .into(),
            )),
        }
    }

    /// The fields that say it again, for an address's query or a form's hidden inputs.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        match self {
            Selection::All => vec![(WHICH, "all".into())],
            Selection::Ticked(ids) => std::iter::once((WHICH, "selected".to_string()))
                .chain(ids.iter().map(|id| (TICKED, id.clone())))
                .collect(),
        }
    }
}

/// How a search result's checkbox names its device: the customer's id and the device's,
/// which together find it in the device index.
pub fn found_device(customer_id: &str, device_id: &str) -> String {
    format!("{customer_id}/{device_id}")
}

/// The customer's id and the device's, from a search result's checkbox.
pub fn split_found_device(ticked: &str) -> Option<(&str, &str)> {
    ticked.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_reads_back_what_it_writes_and_refuses_one_that_names_nothing() {
        let ticked = Selection::read(Some("selected"), ["a", " b ", "a", ""].into_iter()).unwrap();
        assert_eq!(ticked, Selection::Ticked(vec!["a".into(), "b".into()]));
        let again = ticked.fields();
        let which = again
            .iter()
            .find(|(k, _)| *k == WHICH)
            .map(|(_, v)| v.as_str());
        let ids = again
            .iter()
            .filter(|(k, _)| *k == TICKED)
            .map(|(_, v)| v.as_str());
        assert_eq!(Selection::read(which, ids).unwrap(), ticked);
        assert_eq!(
            Selection::read(Some("all"), ["a"].into_iter()).unwrap(),
            Selection::All
        );
        assert!(Selection::read(None, std::iter::empty()).is_err());
        assert!(Selection::read(Some("some"), ["a"].into_iter()).is_err());
    }
}
