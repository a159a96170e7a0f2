//! What a done notice names ("The device 5CG1234 (EliteBook 840) was deleted…"), carried by
//! the redirect's address like a refusal is ([`super::sealed_note`]): sealed (`?about=…`), so
//! no one can make a page of the dashboard name a device of theirs; bound to the page the
//! redirect leads to, so a token copied onto another batch's address names nothing; and
//! shown only for the minutes after the redirect.

use serde::{Deserialize, Serialize};

use super::crypto::TokenCipher;
use super::sealed_note;
use super::unix_now;
use crate::model::AppError;
use crate::urls;

/// What the seal is bound to, so that no other sealed value of the dashboard opens as one.
const SEALED_AS: &str = "done-about";
/// A device's serial number and model, far below what an address can hold.
const ABOUT_MAX_CHARS: usize = 200;

#[derive(Serialize, Deserialize)]
struct Carried {
    about: String,
    /// The page it is said on (its path, as [`same_page`] compares them).
    page: String,
}

/// `url` (which already says what was done, `?done=…`) naming `about`.
pub(crate) fn naming(cipher: &TokenCipher, url: &str, about: &str) -> String {
    let carried = Carried {
        about: about.chars().take(ABOUT_MAX_CHARS).collect(),
        page: url.split('?').next().unwrap_or_default().to_string(),
    };
    urls::with_about(
        url,
        &sealed_note::seal(cipher, SEALED_AS, carried, unix_now()),
    )
}

/// What `token` names on `page`, when this dashboard sealed it for that page in the last
/// minutes.
fn open(cipher: &TokenCipher, token: &str, page: &str, now: i64) -> Option<String> {
    let carried: Carried = sealed_note::open(cipher, SEALED_AS, token, now)?;
    same_page(&carried.page, page).then_some(carried.about)
}

/// Two paths of the dashboard are the same page however their characters are escaped
/// (`/batches/Q3 laptops`, `/batches/Q3%20laptops`): both as a URL parser writes them.
fn same_page(a: &str, b: &str) -> bool {
    let path =
        |p: &str| url::Url::parse(&format!("http://dashboard{p}")).map(|u| u.path().to_string());
    matches!((path(a), path(b)), (Ok(a), Ok(b)) if a == b)
}

/// The server side of [`crate::api::done_about`]: what `token` names on `page` (the path the
/// browser shows).
pub async fn shown(token: String, page: String) -> Result<Option<String>, AppError> {
    let (state, _) = super::caller::request_context()?;
    Ok(open(&state.cipher, &token, &page, unix_now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::sealed_note::SHOWN_FOR_SECS;

    #[test]
    fn only_what_the_dashboard_sealed_lately_is_named() {
        let cipher = TokenCipher::new(&[7; 32]);
        let url = naming(
            &cipher,
            "/c/batches/Q3%20laptops?done=device-deleted",
            "SN-1 (Latitude)",
        );
        let (_, token) = url::form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
            .find(|(key, _)| key == "about")
            .unwrap();
        let now = unix_now();
        let page = "/c/batches/Q3%20laptops";
        assert_eq!(
            open(&cipher, &token, page, now).as_deref(),
            Some("SN-1 (Latitude)")
        );
        assert_eq!(
            open(&cipher, &token, "/c/batches/Q3 laptops", now).as_deref(),
            Some("SN-1 (Latitude)"),
            "the same page, escaped otherwise"
        );
        assert_eq!(
            open(&cipher, &token, "/c/batches/Other", now),
            None,
            "another page"
        );
        assert_eq!(
            open(&cipher, &token, page, now + SHOWN_FOR_SECS + 1),
            None,
            "too old"
        );
        assert_eq!(open(&TokenCipher::new(&[8; 32]), &token, page, now), None);
        assert_eq!(open(&cipher, "SN-2 (forged)", page, now), None);
        let refusal = cipher.seal(
            r#"{"about":"x","page":"/c/batches/Other","at":0}"#,
            "refusal",
        );
        assert_eq!(
            open(&cipher, &refusal, "/c/batches/Other", now),
            None,
            "another seal's purpose"
        );
    }
}
