//! A few words a redirect carries in its address for the page it leads to (a refusal and
//! why, the name of what was done): sealed with the dashboard's key for one purpose, so no
//! one can make a page of the dashboard say words of theirs and no other sealed value opens
//! as one; and stamped, so an old address (a bookmark, a link passed on) shows the page alone.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::crypto::TokenCipher;

/// How long an address carrying a note shows it: the redirect and a reload or two.
pub(crate) const SHOWN_FOR_SECS: i64 = 600;
/// How far ahead of this server's clock a stamp may be: another replica's clock.
const CLOCK_SKEW_SECS: i64 = 60;

#[derive(Serialize, Deserialize)]
struct Stamped<T> {
    #[serde(flatten)]
    note: T,
    /// When it was sealed (Unix seconds).
    at: i64,
}

/// `note`, sealed for `purpose` at `now`, as a token for an address.
pub(crate) fn seal<T: Serialize>(cipher: &TokenCipher, purpose: &str, note: T, now: i64) -> String {
    let json = serde_json::to_string(&Stamped { note, at: now }).expect("a note is plain data");
    cipher.seal(&json, purpose)
}

/// The note `token` carries, when this dashboard sealed it for `purpose` in the last minutes.
pub(crate) fn open<T: DeserializeOwned>(
    cipher: &TokenCipher,
    purpose: &str,
    token: &str,
    now: i64,
) -> Option<T> {
    let stamped: Stamped<T> = serde_json::from_str(&cipher.open(token, purpose)?).ok()?;
    let fresh = now - stamped.at <= SHOWN_FOR_SECS && stamped.at <= now + CLOCK_SKEW_SECS;
    fresh.then_some(stamped.note)
}
