//! Unit tests of the client's addresses, links, retry waits and configuration.
use super::*;

fn client_at(base: &str) -> PartnerCenterClient {
    PartnerCenterClient::new(ClientConfig {
        base_url: Url::parse(base).unwrap(),
        ..ClientConfig::default()
    })
    .unwrap()
}

#[test]
fn endpoints_percent_encode_each_segment() {
    let client = client_at("https://api.partnercenter.microsoft.com");
    let customer = CustomerId::parse("8b7c6a1e-0000-4000-8000-000000000001").unwrap();
    let batch = BatchId::parse("Q3 laptops & more + 50%").unwrap();
    assert_eq!(
        client.batch_devices_url(&customer, &batch).as_str(),
        "https://api.partnercenter.microsoft.com/v1/customers/\
         8b7c6a1e-0000-4000-8000-000000000001/deviceBatches/\
         Q3%20laptops%20&%20more%20+%2050%25/devices"
    );
    let slashed = client.endpoint(&["customers", "a/b?c#d"]);
    assert_eq!(slashed.path(), "/v1/customers/a%2Fb%3Fc%23d");
}

#[test]
fn a_base_path_is_kept_in_front_of_v1() {
    for base in ["http://localhost:8080/pc", "http://localhost:8080/pc/"] {
        let client = client_at(base);
        assert_eq!(
            client.endpoint(&["customers"]).as_str(),
            "http://localhost:8080/pc/v1/customers"
        );
        assert_eq!(
            client.resolve_link("/customers/x").unwrap().as_str(),
            "http://localhost:8080/pc/v1/customers/x"
        );
    }
}

#[test]
fn links_get_v1_prepended_only_when_missing_and_keep_their_query() {
    let client = client_at("https://api.partnercenter.microsoft.com");
    let resolve = |uri: &str| client.resolve_link(uri).map(|url| url.to_string());
    assert_eq!(
        resolve("/customers/x/batchJobStatus/t").unwrap(),
        "https://api.partnercenter.microsoft.com/v1/customers/x/batchJobStatus/t"
    );
    assert_eq!(
        resolve("/v1/customers?size=500&seekOperation=Next").unwrap(),
        "https://api.partnercenter.microsoft.com/v1/customers?size=500&seekOperation=Next"
    );
    assert_eq!(
        resolve("customers?size=5").unwrap(),
        "https://api.partnercenter.microsoft.com/v1/customers?size=5"
    );
    assert_eq!(
        resolve("/v1customers").unwrap(),
        "https://api.partnercenter.microsoft.com/v1/v1customers"
    );
    assert_eq!(
        resolve("/customers/x/deviceBatches/Test batch/devices").unwrap(),
        "https://api.partnercenter.microsoft.com/v1/customers/x/deviceBatches/Test%20batch/devices"
    );
    assert_eq!(
        resolve("https://api.partnercenter.microsoft.com/customers?size=1").unwrap(),
        "https://api.partnercenter.microsoft.com/v1/customers?size=1"
    );
}

#[test]
fn links_to_other_hosts_are_refused() {
    let client = client_at("https://api.partnercenter.microsoft.com");
    for uri in [
        "https://evil.example/v1/customers",
        "http://api.partnercenter.microsoft.com/v1/customers",
        "https://api.partnercenter.microsoft.com:8443/v1/customers",
        "",
    ] {
        assert!(client.resolve_link(uri).is_err(), "{uri}");
    }
    // A scheme-relative link is a path on our host, not another host.
    assert_eq!(
        client.resolve_link("//evil.example/x").unwrap().host_str(),
        Some("api.partnercenter.microsoft.com")
    );
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let mut headers = HeaderMap::new();
    assert_eq!(retry_after(&headers), None);
    headers.insert(RETRY_AFTER, HeaderValue::from_static(" 57 "));
    assert_eq!(retry_after(&headers), Some(Duration::from_secs(57)));
    headers.insert(
        RETRY_AFTER,
        HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(retry_after(&headers), Some(Duration::ZERO), "a past date");
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
    headers.insert(RETRY_AFTER, HeaderValue::from_str(&soon).unwrap());
    let wait = retry_after(&headers).unwrap();
    assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
    headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
    assert_eq!(retry_after(&headers), None);
}

#[test]
fn backoff_triples_with_bounded_jitter_and_a_cap() {
    let config = ClientConfig::default();
    for (failed, floor) in [(1, 500), (2, 1500), (3, 4500)] {
        let delay = backoff_delay(&config, failed);
        let floor = Duration::from_millis(floor);
        assert!(delay >= floor && delay <= floor + Duration::from_millis(250));
    }
    assert_eq!(backoff_delay(&config, 40), config.max_retry_after);
}

#[test]
fn only_transient_statuses_are_retryable() {
    for status in [408, 429, 500, 502, 503, 504] {
        assert!(is_retryable_status(status), "{status}");
    }
    for status in [200, 202, 302, 400, 401, 403, 404, 405, 409, 412, 417, 501] {
        assert!(!is_retryable_status(status), "{status}");
    }
}

#[test]
fn bad_configurations_are_refused() {
    let with = |base: &str| {
        PartnerCenterClient::new(ClientConfig {
            base_url: Url::parse(base).unwrap(),
            ..ClientConfig::default()
        })
    };
    assert!(with("ftp://example.com").is_err());
    assert!(with("mailto:someone@example.com").is_err());
    assert!(with("https://user:pw@example.com").is_err());
    let bad_locale = PartnerCenterClient::new(ClientConfig {
        locale: "en\nUS".into(),
        ..ClientConfig::default()
    });
    assert!(matches!(bad_locale, Err(ClientBuildError::HeaderValue(_))));
    let zero = PartnerCenterClient::new(ClientConfig {
        max_attempts: 0,
        ..ClientConfig::default()
    })
    .unwrap();
    assert_eq!(zero.config().max_attempts, 1);
}

#[test]
fn the_token_never_shows_in_debug_output() {
    let ctx = CallContext::new(AccessToken::new("eyJ.secret.sig"), Uuid::nil());
    let text = format!("{ctx:?}");
    assert!(!text.contains("secret"), "{text}");
    assert!(text.contains("AccessToken(***)"));
    assert_eq!(ctx.access_token.secret(), "eyJ.secret.sig");
}
