use super::*;
use chrono::TimeZone;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stamped {
    #[serde(deserialize_with = "datetime")]
    at: DateTime<Utc>,
    #[serde(default, deserialize_with = "datetime_opt")]
    maybe: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Coded {
    #[serde(default, deserialize_with = "text_or_number")]
    error_code: Option<String>,
}

#[test]
fn a_leading_bom_is_stripped_once() {
    assert_eq!(strip_bom(b"\xEF\xBB\xBF{}"), b"{}");
    assert_eq!(strip_bom(b"{}"), b"{}");
    assert_eq!(strip_bom(b""), b"");
    let value: serde_json::Value = from_slice(b"\xEF\xBB\xBF{\"a\":1}").unwrap();
    assert_eq!(value["a"], 1);
}

#[test]
fn zone_less_timestamps_are_utc() {
    assert_eq!(
        parse_datetime("2017-07-25T10:00:00"),
        Some(Utc.with_ymd_and_hms(2017, 7, 25, 10, 0, 0).unwrap())
    );
    assert_eq!(
        parse_datetime("0001-01-01T00:00:00"),
        Some(Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap())
    );
}

#[test]
fn seven_fractional_digits_with_an_offset_are_read() {
    let parsed = parse_datetime("2017-07-25T11:03:03.8457088-07:00").unwrap();
    assert_eq!(
        parsed,
        Utc.with_ymd_and_hms(2017, 7, 25, 18, 3, 3).unwrap()
            + chrono::Duration::nanoseconds(845_708_800)
    );
}

#[test]
fn utc_timestamps_with_and_without_fractions_are_read() {
    assert_eq!(
        parse_datetime("2024-05-02T09:00:01Z"),
        Some(Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 1).unwrap())
    );
    assert_eq!(
        parse_datetime("2024-05-02T09:00:05.1234567Z"),
        Some(
            Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 5).unwrap()
                + chrono::Duration::nanoseconds(123_456_700)
        )
    );
    assert_eq!(
        parse_datetime("2024-05-02T09:00:05.1234567"),
        parse_datetime("2024-05-02T09:00:05.1234567Z")
    );
}

#[test]
fn nonsense_is_not_a_timestamp() {
    assert_eq!(parse_datetime("yesterday"), None);
    assert_eq!(parse_datetime(""), None);
    assert_eq!(parse_datetime("2024-13-02T09:00:01Z"), None);
}

#[test]
fn required_and_optional_timestamp_fields() {
    let both: Stamped =
        serde_json::from_str(r#"{"at":"2017-07-25T10:00:00","maybe":"2017-07-25T10:00:00Z"}"#)
            .unwrap();
    assert_eq!(both.maybe, Some(both.at));
    let absent: Stamped = serde_json::from_str(r#"{"at":"2017-07-25T10:00:00"}"#).unwrap();
    assert_eq!(absent.maybe, None);
    let null: Stamped =
        serde_json::from_str(r#"{"at":"2017-07-25T10:00:00","maybe":null}"#).unwrap();
    assert_eq!(null.maybe, None);
    let odd: Stamped =
        serde_json::from_str(r#"{"at":"2017-07-25T10:00:00","maybe":"soon"}"#).unwrap();
    assert_eq!(odd.maybe, None);
    assert!(serde_json::from_str::<Stamped>(r#"{"at":"soon"}"#).is_err());
}

#[test]
fn codes_may_be_strings_numbers_or_null() {
    let read = |json: &str| serde_json::from_str::<Coded>(json).unwrap().error_code;
    assert_eq!(read(r#"{"errorCode":"808"}"#).as_deref(), Some("808"));
    assert_eq!(read(r#"{"errorCode":808}"#).as_deref(), Some("808"));
    assert_eq!(read(r#"{"errorCode":null}"#), None);
    assert_eq!(read(r#"{"errorCode":""}"#), None);
    assert_eq!(read(r#"{}"#), None);
    assert_eq!(
        read(r#"{"errorCode":"ZtdDeviceDuplicated"}"#).as_deref(),
        Some("ZtdDeviceDuplicated")
    );
}

#[test]
fn customers_page_with_a_next_link_and_a_token() {
    let body = "\u{feff}{\"totalCount\":2,\"items\":[{\"n\":1},{\"n\":2}],\
        \"links\":{\"self\":{\"uri\":\"/v1/customers?size=2\",\"method\":\"GET\",\"headers\":[]},\
        \"next\":{\"uri\":\"/v1/customers?size=2&seekOperation=Next\",\"method\":\"GET\",\
        \"headers\":[{\"key\":\"MS-ContinuationToken\",\"value\":\"abc\"}]}},\
        \"continuationToken\":\"abc\",\"attributes\":{\"objectType\":\"Collection\"}}";
    let page: Collection<serde_json::Value> = from_slice(body.as_bytes()).unwrap();
    assert_eq!(page.total_count, Some(2));
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.continuation_token.as_deref(), Some("abc"));
    let next = page.links.next.unwrap();
    assert_eq!(next.uri, "/v1/customers?size=2&seekOperation=Next");
    assert_eq!(next.method.as_deref(), Some("GET"));
    assert_eq!(
        next.headers,
        vec![LinkHeader {
            key: "MS-ContinuationToken".into(),
            value: "abc".into()
        }]
    );
    assert_eq!(page.links.self_link.unwrap().uri, "/v1/customers?size=2");
}

#[test]
fn a_bare_collection_without_links_is_read() {
    let page: Collection<serde_json::Value> =
        from_slice(br#"{"totalCount":0,"items":[],"attributes":{"objectType":"Collection"}}"#)
            .unwrap();
    assert!(page.items.is_empty());
    assert!(page.links.next.is_none());
    let sparse: Collection<serde_json::Value> =
        from_slice(br#"{"items":null,"links":null,"totalCount":"3"}"#).unwrap();
    assert!(sparse.items.is_empty());
    assert_eq!(sparse.total_count, Some(3));
}

#[test]
fn link_headers_may_be_null() {
    let link: Link = from_slice(br#"{"uri":"/customers/x","headers":null}"#).unwrap();
    assert!(link.headers.is_empty());
    assert_eq!(link.method, None);
}

#[test]
fn api_fault_with_a_numeric_code() {
    let body = "\u{feff}{\"code\":60003,\"description\":\"Tenant was not found.\",\
        \"data\":[],\"source\":\"PartnerFD\",\"errorName\":\"TenantNotFound\"}";
    let fault: ApiFault = from_slice(body.as_bytes()).unwrap();
    assert_eq!(fault.code.as_deref(), Some("60003"));
    assert_eq!(fault.description.as_deref(), Some("Tenant was not found."));
    assert_eq!(fault.source.as_deref(), Some("PartnerFD"));
    assert_eq!(
        error_summary(body.as_bytes()),
        ErrorSummary {
            code: Some("60003".into()),
            description: Some("Tenant was not found.".into())
        }
    );
}

#[test]
fn api_fault_with_a_string_code_and_no_data() {
    let summary = error_summary(br#"{"code":"900421","description":"MFA required","data":null}"#);
    assert_eq!(summary.code.as_deref(), Some("900421"));
}

#[test]
fn throttling_body_is_not_an_api_fault_but_is_understood() {
    let body =
        br#"{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }"#;
    let throttle: ThrottleBody = from_slice(body).unwrap();
    assert_eq!(throttle.status_code, Some(429));
    assert_eq!(
        error_summary(body),
        ErrorSummary {
            code: None,
            description: Some("Rate limit is exceeded. Try again in 57 seconds.".into())
        }
    );
}

#[test]
fn unreadable_error_bodies_leave_a_clean_excerpt() {
    assert_eq!(error_summary(b""), ErrorSummary::default());
    assert_eq!(error_summary(b"{}"), ErrorSummary::default());
    let summary = error_summary(b"<html>\r\nBad gateway\r\n</html>");
    assert_eq!(
        summary.description.as_deref(),
        Some("<html>  Bad gateway  </html>")
    );
    let long = "x".repeat(5000);
    assert_eq!(
        error_summary(long.as_bytes())
            .description
            .map(|d| d.chars().count()),
        Some(MAX_DESCRIPTION)
    );
}

#[test]
fn enum_values_fold_casing_and_separators() {
    assert_eq!(
        EnumValue::folded("finished_with_errors"),
        "finishedwitherrors"
    );
    assert_eq!(
        EnumValue::folded("FinishedWithErrors"),
        "finishedwitherrors"
    );
    assert_eq!(EnumValue::folded("o_o_b_e"), "oobe");
    assert_eq!(EnumValue::folded("in-progress"), "inprogress");
    assert_eq!(
        serde_json::from_str::<EnumValue>("4").unwrap(),
        EnumValue::Number(4)
    );
    assert_eq!(
        serde_json::from_str::<EnumValue>("null").unwrap(),
        EnumValue::Null
    );
}
