//! A sign-in the browser has started and not yet finished, kept in a short-lived cookie sealed
//! with the dashboard's key instead of a session row.
//!
//! Anyone can open `/auth/login`, as often as they like: a row per visit would let a stranger
//! fill the database (and, on SQLite, keep real sign-ins waiting for the one writer). Sealed
//! in the cookie, starting a sign-in writes nothing on the server. The seal (ChaCha20-Poly1305,
//! bound to its purpose) keeps the state, nonce and PKCE verifier secret from the browser and
//! unchangeable by it; the time inside the seal ends it after [`LIFETIME`] whatever the
//! cookie's own `Max-Age` says.

use axum::http::{header, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::{Cookie, SameSite};

use super::crypto::TokenCipher;
use super::oidc::PendingSignIn;

/// How long a started sign-in may take to come back.
pub const LIFETIME_SECS: i64 = 600;

/// What a sealed cookie is bound to, so that no other sealed value opens as one.
const PURPOSE: &str = "pending-sign-in";

/// The cookie's name: with the `__Host-` prefix when the dashboard is served over HTTPS, so
/// that a sibling host of the same site cannot plant one (browsers refuse the prefix on plain
/// HTTP, which only loopback may use).
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-ztd_sign_in"
    } else {
        "ztd_sign_in"
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    pending: PendingSignIn,
    /// Unix seconds when the sign-in started.
    started_at: i64,
}

/// The cookie that carries `pending` to the callback.
pub fn set_cookie(
    name: &'static str,
    cipher: &TokenCipher,
    pending: &PendingSignIn,
    now: i64,
) -> HeaderValue {
    let json = serde_json::to_string(&Sealed {
        pending: pending.clone(),
        started_at: now,
    })
    .expect("a pending sign-in serialises");
    cookie(name, cipher.seal(&json, PURPOSE), LIFETIME_SECS)
}

/// The cookie that removes it again (sent with every callback answer: a sign-in is tried once).
pub fn clear_cookie(name: &'static str) -> HeaderValue {
    cookie(name, String::new(), 0)
}

fn cookie(name: &'static str, value: String, max_age: i64) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .http_only(true)
        .secure(true)
        // Lax: the callback is a top-level GET from the identity provider's site.
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(tower_sessions::cookie::time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("a sealed value is base64")
}

/// The sign-in this browser started, if its cookie is there, sealed by this key, and younger
/// than [`LIFETIME_SECS`].
pub fn from_request(
    headers: &HeaderMap,
    name: &str,
    cipher: &TokenCipher,
    now: i64,
) -> Option<PendingSignIn> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)?
        .value()
        .to_string();
    let sealed: Sealed = serde_json::from_str(&cipher.open(&value, PURPOSE)?).ok()?;
    let age = now - sealed.started_at;
    (0..=LIFETIME_SECS).contains(&age).then_some(sealed.pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingSignIn {
        PendingSignIn {
            state: "state".into(),
            nonce: "nonce".into(),
            pkce_verifier: "v".repeat(43),
            return_to: "/customers".into(),
        }
    }

    fn request_with(cookie: &HeaderValue) -> HeaderMap {
        let pair = cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
        );
        headers
    }

    #[test]
    fn a_started_sign_in_comes_back_sealed_and_only_for_ten_minutes() {
        let cipher = TokenCipher::new(&[3; 32]);
        let set = set_cookie("ztd_sign_in", &cipher, &pending(), 1_000);
        let text = set.to_str().unwrap();
        for attribute in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=600",
        ] {
            assert!(text.contains(attribute), "{text}");
        }
        assert!(!text.contains("Domain"), "{text}");
        assert!(
            !text.contains("state") && !text.contains("vvvv"),
            "sealed: {text}"
        );
        let headers = request_with(&set);
        let back = from_request(&headers, "ztd_sign_in", &cipher, 1_000 + 600).unwrap();
        assert_eq!(back.return_to, "/customers");
        assert_eq!(back.pkce_verifier, pending().pkce_verifier);
        assert!(from_request(&headers, "ztd_sign_in", &cipher, 1_000 + 601).is_none());
        assert!(from_request(&headers, "ztd_sign_in", &cipher, 999).is_none());
        // Another key, another name, or a changed value: nothing.
        assert!(
            from_request(&headers, "ztd_sign_in", &TokenCipher::new(&[4; 32]), 1_000).is_none()
        );
        assert!(from_request(&headers, "__Host-ztd_sign_in", &cipher, 1_000).is_none());
        let sealed = cipher.seal("{\"x\":1}", PURPOSE);
        let mut forged = HeaderMap::new();
        forged.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("ztd_sign_in={sealed}")).unwrap(),
        );
        assert!(from_request(&forged, "ztd_sign_in", &cipher, 1_000).is_none());
        // A value sealed for a sign-in row does not open as a pending sign-in.
        let token = cipher.seal("{}", "some-sign-in-id");
        let mut other = HeaderMap::new();
        other.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("ztd_sign_in={token}")).unwrap(),
        );
        assert!(from_request(&other, "ztd_sign_in", &cipher, 1_000).is_none());
    }

    #[test]
    fn the_clearing_cookie_expires_at_once() {
        let text = clear_cookie("__Host-ztd_sign_in")
            .to_str()
            .unwrap()
            .to_string();
        assert!(text.starts_with("__Host-ztd_sign_in=;"), "{text}");
        assert!(text.contains("Max-Age=0") && text.contains("Path=/") && text.contains("Secure"));
    }
}
