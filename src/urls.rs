//! The dashboard's page addresses, built in one place. Batch ids are free text (spaces,
//! `&`, `%`…), so every dynamic part is percent-encoded.

use std::fmt::Display;

use crate::model::SearchField;

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(byte >> 4)] as char);
                out.push(HEX[usize::from(byte & 0xF)] as char);
            }
        }
    }
    out
}

pub fn customers(query: &str, field: SearchField, page: u32) -> String {
    let mut url = format!("/customers?q={}&by={}", encode(query), field.as_query());
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

pub fn batches(customer_id: &str) -> String {
    format!("/customers/{}/batches", encode(customer_id))
}

pub fn batch(customer_id: &str, batch_id: &str, page: u32) -> String {
    let mut url = format!(
        "/customers/{}/batches/{}",
        encode(customer_id),
        encode(batch_id)
    );
    if page > 1 {
        url.push_str(&format!("?page={page}"));
    }
    url
}

/// The confirmation of deleting the devices a batch page's form chose (its `GET`, with the
/// choice in the query), and the address that deletes them (its `POST`).
pub fn delete_devices(customer_id: &str, batch_id: &str) -> String {
    format!("{}/delete", batch(customer_id, batch_id, 1))
}

/// A batch's devices as a file: `extension` is `csv` or `xlsx`.
pub fn batch_export(customer_id: &str, batch_id: &str, extension: &str) -> String {
    format!("{}/devices.{extension}", batch(customer_id, batch_id, 1))
}

/// Every device of a customer as a file: `extension` is `csv` or `xlsx`.
pub fn customer_export(customer_id: &str, extension: &str) -> String {
    format!("/customers/{}/devices.{extension}", encode(customer_id))
}

/// Every device a search finds as a file: `extension` is `csv` or `xlsx`; `customer` when
/// the search is limited to one.
pub fn found_export(query: &str, customer: Option<&str>, extension: &str) -> String {
    let search = devices_in(query, customer);
    let parameters = search.strip_prefix("/devices").unwrap_or_default();
    format!("/devices/export.{extension}{parameters}")
}

/// The confirmation of deleting what a search's form chose (its `GET`), and the address
/// that deletes them (its `POST`).
pub const DELETE_FOUND: &str = "/devices/delete";

/// Where a search within one customer gives the devices its form chose a profile.
pub const APPLY_PROFILE_TO_FOUND: &str = "/devices/profile";

/// The same list of devices with every box on the page ticked (`?tick=all`): a link, so it
/// works without JavaScript.
pub fn every_ticked(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}tick=all")
}

/// A device search (`q`: a serial number or its start, a product key or a hardware hash).
pub fn devices(query: &str) -> String {
    match query.trim() {
        "" => "/devices".to_string(),
        q => format!("/devices?q={}", encode(q)),
    }
}

/// The same search, limited to one customer when `customer` names one.
pub fn devices_in(query: &str, customer: Option<&str>) -> String {
    let url = devices(query);
    match customer {
        Some(customer) => {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}customer={}", encode(customer))
        }
        None => url,
    }
}

/// A batch's devices without an Autopilot profile, found on all of its pages.
pub fn batch_without_profile(customer_id: &str, batch_id: &str, page: u32) -> String {
    let mut url = format!(
        "/customers/{}/batches/{}?show=no-profile",
        encode(customer_id),
        encode(batch_id)
    );
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

/// A batch's page as its customer's batch list (`/customers/{id}/batches`) links to it:
/// relative, because the list's hundred links would otherwise each repeat the customer's path.
pub fn batch_from_list(batch_id: &str) -> String {
    format!("batches/{}", encode(batch_id))
}

/// A customer's upload history.
pub fn customer_uploads(customer_id: &str) -> String {
    format!("/customers/{}/uploads", encode(customer_id))
}

pub fn new_upload(customer_id: &str) -> String {
    format!("/customers/{}/uploads/new", encode(customer_id))
}

/// The preview of a draft upload (and its actions, under it).
pub fn upload(customer_id: impl Display, upload_id: impl Display) -> String {
    format!(
        "/customers/{}/uploads/{}",
        encode(&customer_id.to_string()),
        encode(&upload_id.to_string())
    )
}

/// An operation's page (an upload once submitted, a deletion, a profile assignment): what
/// was asked, where it stands and each device's outcome; its buttons and downloads under it.
pub fn operation(customer_id: impl Display, operation_id: impl Display) -> String {
    format!(
        "/customers/{}/operations/{}",
        encode(&customer_id.to_string()),
        encode(&operation_id.to_string())
    )
}

/// The customer's Autopilot profiles.
pub fn profiles(customer_id: &str) -> String {
    format!("/customers/{}/profiles", encode(customer_id))
}

/// The form that creates a profile (it posts to [`profiles`]).
pub fn new_profile(customer_id: &str) -> String {
    format!("{}/new", profiles(customer_id))
}

/// A profile: its change form posts here, its deletion to `…/delete`.
pub fn profile(customer_id: &str, profile_id: &str) -> String {
    format!("{}/{}", profiles(customer_id), encode(profile_id))
}

/// `url`, carrying a refusal the server sealed (`token`): the page shows it
/// ([`Refused`](crate::model::done::Refused)).
pub fn with_refused(url: &str, token: &str) -> String {
    with_param(url, "refused", &encode(token))
}

/// `url` (which says what was done), also naming what it was done to, sealed by the server
/// (`token`, `server::done_about`).
pub fn with_about(url: &str, token: &str) -> String {
    with_param(url, "about", &encode(token))
}

/// `url`, carrying what the form post that leads there did
/// ([`Done`](crate::model::done::Done)).
pub fn with_done(url: &str, done: crate::model::done::Done) -> String {
    with_param(url, "done", done.as_str())
}

/// `url` with `key=value` added to its query (`value` already encoded).
fn with_param(url: &str, key: &str, value: &str) -> String {
    let glue = if url.contains('?') { '&' } else { '?' };
    format!("{url}{glue}{key}={value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_batch_ids_are_encoded() {
        assert_eq!(
            batch("c1", "Q3 laptops & more + 50%/x", 2),
            "/customers/c1/batches/Q3%20laptops%20%26%20more%20%2B%2050%25%2Fx?page=2"
        );
        assert_eq!(
            customers("Ä b", SearchField::Domain, 1),
            "/customers?q=%C3%84%20b&by=domain"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_batch_link_on_the_list_leads_to_the_batch() {
        let list = url::Url::parse("https://dashboard.example/customers/c1/batches").unwrap();
        for id in ["Q3 laptops & more + 50%/x", "../../audit", "?page=2", "a/b"] {
            let link = list.join(&batch_from_list(id)).unwrap();
            assert_eq!(
                &link[url::Position::BeforePath..],
                batch("c1", id, 1),
                "{id}"
            );
        }
    }
}
