//! A plain form post's fields, as the browser sent them: in order, a name possibly repeated
//! (ticked checkboxes). Handlers read them by name here and turn them into types at once.

use axum::Form;

/// What a handler takes for a url-encoded form.
pub type Fields = Form<Vec<(String, String)>>;

/// The first value of the field `name`.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Every value of the field `name`, in the order sent.
pub fn every<'a>(
    fields: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    fields
        .iter()
        .filter(move |(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}
