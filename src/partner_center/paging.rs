//! Pages of a list and the opaque token that fetches the next one.
//!
//! Partner Center pages in two ways: a `links.next` link whose `headers` must be sent back
//! (customers: `MS-ContinuationToken`), and a bare `continuationToken` in the body that the
//! caller repeats the request with (devices, per the docs). [`Continuation`] holds whichever
//! the service gave, and encodes to URL-safe text so a dashboard page can put "next page" in
//! a link and come back to it statelessly. The client re-checks a decoded continuation
//! before following it: it came back from a browser and is not trusted.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::wire::Link;

/// One page of a list. Serialisable, so a server function can hand it to a page as is
/// (the continuation travels as its encoded string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The service's `totalCount`: for seek-based lists, the number of items on this page.
    pub total_count: Option<u64>,
    /// How to fetch the next page; `None` on the last one.
    pub next: Option<Continuation>,
}

/// Where the next page is. Opaque to callers: keep it, give it back. It (de)serialises as
/// its [`encode`](Continuation::encode)d text, so the same string works in JSON and in a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    /// `links.next.uri`, as the service wrote it (normalised only when followed).
    pub(crate) uri: Option<String>,
    /// `links.next.headers`, as `(name, value)` pairs.
    pub(crate) headers: Vec<(String, String)>,
    /// The body's `continuationToken`.
    pub(crate) token: Option<String>,
}

/// The encoded form: short keys keep page URLs short.
#[derive(Serialize, Deserialize)]
struct ContinuationJson {
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(rename = "h", default, skip_serializing_if = "Vec::is_empty")]
    headers: Vec<(String, String)>,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

/// A continuation token that was not produced by [`Continuation::encode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the page token is not valid")]
pub struct InvalidContinuation;

/// Longest encoded token accepted by [`Continuation::decode`]; real ones are far shorter.
const MAX_ENCODED_LEN: usize = 16 * 1024;

impl Continuation {
    /// The continuation a collection answer describes, if it has a next page.
    pub(crate) fn from_answer(next: Option<Link>, token: Option<String>) -> Option<Self> {
        let token = token.filter(|token| !token.trim().is_empty());
        let (uri, headers) = match next {
            Some(link) if !link.uri.trim().is_empty() => (
                Some(link.uri),
                link.headers
                    .into_iter()
                    .filter(|header| !header.key.trim().is_empty())
                    .map(|header| (header.key, header.value))
                    .collect(),
            ),
            _ => (None, Vec::new()),
        };
        if uri.is_none() && token.is_none() {
            return None;
        }
        Some(Continuation {
            uri,
            headers,
            token,
        })
    }

    /// URL-safe text (base64url of a small JSON object, no padding).
    pub fn encode(&self) -> String {
        let json = ContinuationJson {
            uri: self.uri.clone(),
            headers: self.headers.clone(),
            token: self.token.clone(),
        };
        // A struct of strings always serialises; the fallback only avoids a panic path.
        let json = serde_json::to_vec(&json).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads text made by [`Continuation::encode`].
    pub fn decode(text: &str) -> Result<Self, InvalidContinuation> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_ENCODED_LEN {
            return Err(InvalidContinuation);
        }
        let json = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| InvalidContinuation)?;
        let json: ContinuationJson =
            serde_json::from_slice(&json).map_err(|_| InvalidContinuation)?;
        if json.uri.is_none() && json.token.is_none() {
            return Err(InvalidContinuation);
        }
        Ok(Continuation {
            uri: json.uri,
            headers: json.headers,
            token: json.token,
        })
    }

    /// The `MS-ContinuationToken` to send: the link's own header, else the body's token.
    pub(crate) fn continuation_token(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(CONTINUATION_HEADER))
            .map(|(_, value)| value.as_str())
            .or(self.token.as_deref())
    }
}

/// The request header that carries a continuation token.
pub(crate) const CONTINUATION_HEADER: &str = "MS-ContinuationToken";

impl fmt::Display for Continuation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl FromStr for Continuation {
    type Err = InvalidContinuation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::decode(s)
    }
}

impl Serialize for Continuation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Continuation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Continuation::decode(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::wire::LinkHeader;

    fn next_link() -> Link {
        Link {
            uri: "/v1/customers?size=500&seekOperation=Next".into(),
            method: Some("GET".into()),
            headers: vec![LinkHeader {
                key: "MS-ContinuationToken".into(),
                value: "abc+/=".into(),
            }],
        }
    }

    #[test]
    fn no_link_and_no_token_means_last_page() {
        assert_eq!(Continuation::from_answer(None, None), None);
        assert_eq!(Continuation::from_answer(None, Some("  ".into())), None);
    }

    #[test]
    fn a_link_keeps_its_headers_and_the_token_is_kept_too() {
        let next = Continuation::from_answer(Some(next_link()), Some("abc+/=".into())).unwrap();
        assert_eq!(
            next.uri.as_deref(),
            Some("/v1/customers?size=500&seekOperation=Next")
        );
        assert_eq!(next.continuation_token(), Some("abc+/="));
    }

    #[test]
    fn a_bare_token_is_a_continuation() {
        let next = Continuation::from_answer(None, Some("tok".into())).unwrap();
        assert_eq!(next.uri, None);
        assert_eq!(next.continuation_token(), Some("tok"));
    }

    #[test]
    fn encoding_is_url_safe_and_round_trips() {
        let next = Continuation::from_answer(Some(next_link()), Some("abc+/=".into())).unwrap();
        let text = next.encode();
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{text}"
        );
        assert_eq!(Continuation::decode(&text).unwrap(), next);
        assert_eq!(text.parse::<Continuation>().unwrap(), next);
        assert_eq!(next.to_string(), text);
    }

    #[test]
    fn garbage_is_not_a_continuation() {
        for text in [
            "",
            "!!!",
            "e30",                          // "{}": neither link nor token
            &URL_SAFE_NO_PAD.encode("[1]"), // not our shape
            &"A".repeat(MAX_ENCODED_LEN + 1),
        ] {
            assert_eq!(
                Continuation::decode(text),
                Err(InvalidContinuation),
                "{text}"
            );
        }
    }

    #[test]
    fn a_page_serialises_with_its_token_as_a_string() {
        let page = Page {
            items: vec![1, 2],
            total_count: Some(2),
            next: Continuation::from_answer(None, Some("tok".into())),
        };
        let json = serde_json::to_value(&page).unwrap();
        assert!(json["next"].is_string());
        assert_eq!(serde_json::from_value::<Page<i32>>(json).unwrap(), page);
    }

    #[test]
    fn inside_a_dto_it_is_the_encoded_string() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Dto {
            next: Continuation,
        }
        let dto = Dto {
            next: Continuation::from_answer(None, Some("tok".into())).unwrap(),
        };
        let json = serde_json::to_value(&dto).unwrap();
        assert_eq!(json["next"], dto.next.encode());
        assert_eq!(serde_json::from_value::<Dto>(json).unwrap(), dto);
    }
}
