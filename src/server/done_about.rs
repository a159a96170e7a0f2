//! What a done notice names ("The device 5CG1234 (EliteBook 840) was deleted…"), carried by
//! the redirect's address like a refusal is ([`super::refusal`]): sealed (`?about=…`), so no
//! one can make a page of the dashboard name a device of theirs, and shown only for the
//! minutes after the redirect.

use serde::{Deserialize, Serialize};

use super::crypto::TokenCipher;
use super::unix_now;
use crate::model::AppError;
use crate::urls;

/// What the seal is bound to, so that no other sealed value of the dashboard opens as one.
const SEALED_AS: &str = "done-about";
/// How long an address carrying it names it: the redirect and a reload or two.
const SHOWN_FOR_SECS: i64 = 600;
/// A device's serial number and model, far below what an address can hold.
const ABOUT_MAX_CHARS: usize = 200;

#[derive(Serialize, Deserialize)]
struct Carried {
    about: String,
    /// When it was done (Unix seconds).
    at: i64,
}

/// `url` (which already says what was done, `?done=…`) naming `about`.
pub(crate) fn naming(cipher: &TokenCipher, url: &str, about: &str) -> String {
    let carried = Carried {
        about: about.chars().take(ABOUT_MAX_CHARS).collect(),
        at: unix_now(),
    };
    let json = serde_json::to_string(&carried).expect("plain data");
    urls::with_about(url, &cipher.seal(&json, SEALED_AS))
}

/// What `token` names, when this dashboard sealed it in the last minutes.
fn open(cipher: &TokenCipher, token: &str, now: i64) -> Option<String> {
    let carried: Carried = serde_json::from_str(&cipher.open(token, SEALED_AS)?).ok()?;
    (now - carried.at <= SHOWN_FOR_SECS && carried.at <= now + 60).then_some(carried.about)
}

/// The server side of [`crate::api::done_about`].
pub async fn shown(token: String) -> Result<Option<String>, AppError> {
    let (state, _) = super::caller::request_context()?;
    Ok(open(&state.cipher, &token, unix_now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_dashboard_sealed_lately_is_named() {
        let cipher = TokenCipher::new(&[7; 32]);
        let url = naming(&cipher, "/b?done=device-deleted", "SN-1 (Latitude)");
        let (_, token) = url::form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
            .find(|(key, _)| key == "about")
            .unwrap();
        let now = unix_now();
        assert_eq!(
            open(&cipher, &token, now).as_deref(),
            Some("SN-1 (Latitude)")
        );
        assert_eq!(open(&cipher, &token, now + SHOWN_FOR_SECS + 1), None);
        assert_eq!(open(&TokenCipher::new(&[8; 32]), &token, now), None);
        assert_eq!(open(&cipher, "SN-2 (forged)", now), None);
        let refusal = cipher.seal(r#"{"about":"x","at":0}"#, "refusal");
        assert_eq!(open(&cipher, &refusal, now), None, "another seal's purpose");
    }
}
