//! Every request's id, and who sent it. The id ties a person's report ("it failed, request id
//! …", shown on error pages), the dashboard's log (every line of the request carries it,
//! beside the `MS-CorrelationId` of each Partner Center call it made) and the proxy's log
//! together. A proxy in `trusted_proxies` may give it (`X-Request-Id`, when it is a plain
//! token); anyone else's is ignored, so no stranger can write what the log says. The same
//! goes for `X-Forwarded-For`: the client's address is the proxy's word only when the proxy
//! is trusted.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName};

/// The header a request's id comes in (from a trusted proxy) and goes back in.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The longest id believed: a UUID and then some.
const ID_MAX_CHARS: usize = 64;

/// A request's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub Arc<str>);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

tokio::task_local! {
    /// The id of the request the current task is answering ([`current`]).
    pub(super) static CURRENT: RequestId;
}

/// The id of the request being answered, in the task that answers it (not in work it starts
/// in the background, which logs its operation's id instead).
pub fn current() -> Option<RequestId> {
    CURRENT.try_with(RequestId::clone).ok()
}

/// Where a request came from: the connection's peer, and the client behind it.
#[derive(Clone, Debug)]
pub struct Origin {
    pub client: Option<IpAddr>,
    /// The peer is one of the trusted proxies.
    pub via_proxy: bool,
}

/// Who sent the request, by the connection (`ConnectInfo`, set for each connection) and, from
/// a trusted proxy, its `X-Forwarded-For`: the last address in it that is not a trusted proxy
/// (the ones before it are the client's own word).
pub fn origin(
    connection: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> Origin {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    // An IPv4 client of a listener on `[::]` arrives as `::ffff:a.b.c.d`: compared as IPv4.
    let peer = connection.map(|c| c.0.ip().to_canonical());
    let via_proxy = peer.as_ref().is_some_and(is_trusted);
    if !via_proxy {
        return Origin {
            client: peer,
            via_proxy,
        };
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(|a| a.to_canonical())
        .collect();
    let client = forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .or(peer);
    Origin { client, via_proxy }
}

/// The request's id: the trusted proxy's, when it gave a plain token, else a new one.
pub fn request_id(headers: &HeaderMap, origin: &Origin) -> RequestId {
    let given = origin
        .via_proxy
        .then(|| headers.get(&REQUEST_ID)?.to_str().ok())
        .flatten()
        .filter(|id| plain_token(id));
    RequestId(match given {
        Some(id) => id.into(),
        None => uuid::Uuid::new_v4().to_string().into(),
    })
}

/// Letters, digits and `-_.:`, at most [`ID_MAX_CHARS`]: nothing that could forge a log line
/// or a header.
fn plain_token(id: &str) -> bool {
    (1..=ID_MAX_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn only_a_trusted_proxy_says_who_sent_a_request_and_its_id() {
        let proxy = ConnectInfo("10.0.0.5:443".parse::<SocketAddr>().unwrap());
        let stranger = ConnectInfo("203.0.113.9:5000".parse::<SocketAddr>().unwrap());
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let sent = headers(&[
            ("x-forwarded-for", "198.51.100.7, 192.0.2.1"),
            ("x-forwarded-for", "10.0.0.9"),
            ("x-request-id", "lb-7f3a"),
        ]);
        let via = origin(Some(&proxy), &sent, &trusted);
        assert!(via.via_proxy);
        assert_eq!(
            via.client,
            Some("192.0.2.1".parse().unwrap()),
            "the last untrusted hop"
        );
        assert_eq!(request_id(&sent, &via).0.as_ref(), "lb-7f3a");

        let mapped = ConnectInfo("[::ffff:10.0.0.5]:443".parse::<SocketAddr>().unwrap());
        assert!(
            origin(Some(&mapped), &sent, &trusted).via_proxy,
            "IPv4 on an IPv6 listener"
        );

        let direct = origin(Some(&stranger), &sent, &trusted);
        assert!(!direct.via_proxy);
        assert_eq!(direct.client, Some("203.0.113.9".parse().unwrap()));
        let made = request_id(&sent, &direct);
        assert_ne!(made.0.as_ref(), "lb-7f3a", "a stranger's id is not taken");
        assert!(uuid::Uuid::parse_str(&made.0).is_ok());

        for forged in ["a b", "x\\ny", &"x".repeat(65), "", "id;drop"] {
            let sent = headers(&[("x-request-id", "placeholder")]);
            let mut sent = sent;
            if let Ok(value) = forged.parse() {
                sent.insert(&REQUEST_ID, value);
            }
            let id = request_id(&sent, &via);
            assert_ne!(id.0.as_ref(), forged, "{forged:?}");
        }
    }
}
