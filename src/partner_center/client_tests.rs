//! The client against a scripted HTTP server on loopback: what goes on the wire (headers,
//! paths, bodies), what is retried and how, and how answers are read. The sandbox-backed
//! tests in `tests/` cover the same client against a faithful simulator; these pin the
//! exact request shapes and the edge cases a simulator does not produce on demand.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures::TryStreamExt;
use serde_json::{json, Value};
use url::Url;
use uuid::Uuid;

use super::*;

const CUSTOMER: &str = "8b7c6a1e-0000-4000-8000-000000000001";
const TRACKING: &str = "3d9e5c1a-7b61-4f7e-9c55-0f6c2d7e8a10";

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query, as sent (still percent-encoded).
    target: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    fn json(status: u16, body: Value) -> Self {
        Reply {
            body: body.to_string().into_bytes(),
            ..Reply::status(status).header("content-type", "application/json")
        }
    }

    /// As Partner Center sometimes sends it: a UTF-8 BOM before the JSON.
    fn bom_json(status: u16, body: Value) -> Self {
        let mut reply = Reply::json(status, body);
        reply.body.splice(0..0, *b"\xEF\xBB\xBF");
        reply
    }

    fn accepted() -> Self {
        Reply::status(202).header(
            "location",
            &format!("/customers/{CUSTOMER}/batchJobStatus/{TRACKING}"),
        )
    }

    fn fault(status: u16, code: Value, description: &str) -> Self {
        Reply::json(
            status,
            json!({"code": code, "description": description, "data": [], "source": "PartnerFD"}),
        )
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct Script {
    seen: Mutex<Vec<Seen>>,
    replies: Mutex<VecDeque<Reply>>,
}

struct Server {
    base: String,
    script: Arc<Script>,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Server {
        let script = Arc::new(Script {
            seen: Mutex::new(Vec::new()),
            replies: Mutex::new(replies.into()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server { base, script }
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    fn client(&self) -> PartnerCenterClient {
        self.client_with(|_| {})
    }

    fn client_with(&self, tweak: impl FnOnce(&mut ClientConfig)) -> PartnerCenterClient {
        let mut config = ClientConfig {
            base_url: Url::parse(&self.base).unwrap(),
            attempt_timeout: Duration::from_secs(5),
            max_attempts: 3,
            backoff_base: Duration::from_millis(1),
            max_retry_after: Duration::from_millis(30),
            ..ClientConfig::default()
        };
        tweak(&mut config);
        PartnerCenterClient::new(config).unwrap()
    }
}

async fn answer(State(script): State<Arc<Script>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    script.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_default(),
        headers: parts.headers,
        body: body.to_vec(),
    });
    let reply = script
        .replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Reply::fault(500, json!("unscripted"), "no reply scripted"));
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

fn ctx() -> CallContext {
    CallContext::new(AccessToken::new("sentinel-token-5f1c"), Uuid::new_v4())
}

fn customer() -> CustomerId {
    CustomerId::parse(CUSTOMER).unwrap()
}

fn customer_json(n: u32) -> Value {
    json!({
        "id": format!("8b7c6a1e-0000-4000-8000-{n:012}"),
        "companyProfile": {"companyName": format!("Customer {n}"), "domain": format!("c{n}.onmicrosoft.com")},
        "relationshipToPartner": "reseller",
        "attributes": {"objectType": "Customer"}
    })
}

fn device_json(n: u32) -> Value {
    json!({"id": format!("dev-{n}"), "serialNumber": format!("SN{n}"), "policies": [],
           "uploadedDate": "2024-05-02T09:00:05.1234567Z"})
}

fn job_json(status: &str) -> Value {
    json!({"batchTrackingId": TRACKING, "status": status, "devicesStatus": []})
}

#[tokio::test]
async fn every_request_carries_partner_centers_headers() {
    let server = Server::start(vec![Reply::bom_json(200, customer_json(1))]).await;
    let ctx = ctx();
    let id = CustomerId::parse("8b7c6a1e-0000-4000-8000-000000000001").unwrap();
    let customer = server.client().customer(&ctx, &id).await.unwrap();
    assert_eq!(customer.company_profile.company_name, "Customer 1");

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.target, format!("/v1/customers/{CUSTOMER}"));
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sentinel-token-5f1c")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("content-type"), None, "no body, no type");
    assert_eq!(request.header("x-locale"), Some("en-US"));
    assert_eq!(
        request.header("ms-partnercenter-application"),
        Some("ztd-dashboard")
    );
    assert_eq!(
        request.header("ms-correlationid"),
        Some(ctx.correlation_id.to_string().as_str())
    );
    let request_id = request.header("ms-requestid").unwrap();
    assert!(RequestId::parse(request_id).is_ok(), "{request_id}");
}

#[tokio::test]
async fn reads_use_a_new_request_id_each_time() {
    let server = Server::start(vec![
        Reply::json(200, job_json("queued")),
        Reply::json(200, job_json("processing")),
    ])
    .await;
    let client = server.client();
    let tracking = TrackingId::parse(TRACKING).unwrap();
    let ctx = ctx();
    let first = client
        .batch_job_status(&ctx, &customer(), &tracking)
        .await
        .unwrap();
    let second = client
        .batch_job_status(&ctx, &customer(), &tracking)
        .await
        .unwrap();
    assert_eq!(first.status, UploadStatus::Queued);
    assert_eq!(second.status, UploadStatus::Processing);
    let seen = server.seen();
    assert_eq!(
        seen[0].target,
        format!("/v1/customers/{CUSTOMER}/batchJobStatus/{TRACKING}")
    );
    assert_ne!(
        seen[0].header("ms-requestid"),
        seen[1].header("ms-requestid")
    );
}

#[tokio::test]
async fn creating_a_batch_posts_camel_case_json_and_returns_the_tracking_id() {
    let server = Server::start(vec![Reply::accepted()]).await;
    let request_id = RequestId::new();
    let devices = [
        NewDevice {
            serial_number: Some("PF3ABC12".into()),
            hardware_hash: Some("T0H=".into()),
            ..NewDevice::default()
        },
        NewDevice {
            serial_number: Some("5CG1234XYZ".into()),
            oem_manufacturer_name: Some("HP".into()),
            model_name: Some("HP EliteBook 840 G8 Notebook PC".into()),
            ..NewDevice::default()
        },
    ];
    let batch = BatchId::parse("Contoso PO-4711").unwrap();
    let tracking = server
        .client()
        .create_device_batch(&ctx(), &customer(), &batch, &devices, request_id)
        .await
        .unwrap();
    assert_eq!(tracking.to_string(), TRACKING);

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].target,
        format!("/v1/customers/{CUSTOMER}/deviceBatches")
    );
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(
        seen[0].header("ms-requestid"),
        Some(request_id.to_string().as_str())
    );
    assert_eq!(
        seen[0].json(),
        json!({"batchId": "Contoso PO-4711", "devices": [
            {"serialNumber": "PF3ABC12", "hardwareHash": "T0H="},
            {"serialNumber": "5CG1234XYZ", "oemManufacturerName": "HP",
             "modelName": "HP EliteBook 840 G8 Notebook PC"}
        ]})
    );
}

#[tokio::test]
async fn adding_devices_encodes_the_batch_name_in_the_path_and_sends_an_array() {
    let server = Server::start(vec![Reply::accepted()]).await;
    let batch = BatchId::parse("Q3 laptops & more + 50%").unwrap();
    let device = NewDevice {
        product_key: Some("00329-00000-0003-AA606".into()),
        ..NewDevice::default()
    };
    server
        .client()
        .add_devices(&ctx(), &customer(), &batch, &[device], RequestId::new())
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(
        seen[0].target,
        format!(
            "/v1/customers/{CUSTOMER}/deviceBatches/Q3%20laptops%20&%20more%20+%2050%25/devices"
        )
    );
    assert_eq!(
        seen[0].json(),
        json!([{"productKey": "00329-00000-0003-AA606"}])
    );
}

#[tokio::test]
async fn a_202_without_a_usable_location_is_an_invalid_response() {
    let server = Server::start(vec![
        Reply::status(202),
        Reply::status(202).header("location", "/customers/x/batchJobStatus/not-a-guid"),
    ])
    .await;
    let client = server.client();
    let batch = BatchId::parse("b").unwrap();
    for _ in 0..2 {
        let error = client
            .add_devices(&ctx(), &customer(), &batch, &[], RequestId::new())
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidResponse);
        assert_eq!(error.status, Some(202));
    }
    assert_eq!(server.seen().len(), 2, "not retried");
}

#[tokio::test]
async fn a_location_with_v1_or_a_query_still_yields_the_tracking_id() {
    let server = Server::start(vec![Reply::status(202).header(
        "location",
        &format!("https://api.partnercenter.microsoft.com/v1/customers/{CUSTOMER}/batchjobstatus/{TRACKING}/?x=1"),
    )])
    .await;
    let tracking = server
        .client()
        .update_device_policies(
            &ctx(),
            &customer(),
            &[DevicePolicyUpdate {
                id: "9993-8627-3608-6844-6369-4361-72".into(),
                policies: vec![PolicyAssignment::oobe(Some("56ed".into()))],
            }],
            RequestId::new(),
        )
        .await
        .unwrap();
    assert_eq!(tracking.to_string(), TRACKING);
    let seen = server.seen();
    assert_eq!(seen[0].method, "PATCH");
    assert_eq!(
        seen[0].target,
        format!("/v1/customers/{CUSTOMER}/DevicePolicyUpdates")
    );
    assert_eq!(
        seen[0].json(),
        json!({"devices": [{"id": "9993-8627-3608-6844-6369-4361-72",
                            "policies": [{"key": "o_o_b_e", "value": "56ed"}]}]})
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_request_id_and_fresh_correlation_ids() {
    let server = Server::start(vec![
        Reply::fault(503, json!("800003"), "busy"),
        Reply::status(502),
        Reply::accepted(),
    ])
    .await;
    let ctx = ctx();
    let request_id = RequestId::new();
    let batch = BatchId::parse("Retry me").unwrap();
    server
        .client()
        .create_device_batch(&ctx, &customer(), &batch, &[], request_id)
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let request_ids: Vec<_> = seen.iter().map(|s| s.header("ms-requestid")).collect();
    assert!(request_ids
        .iter()
        .all(|id| *id == Some(request_id.to_string().as_str())));
    let correlation_ids: Vec<Uuid> = seen
        .iter()
        .map(|s| s.header("ms-correlationid").unwrap().parse().unwrap())
        .collect();
    assert_eq!(correlation_ids[0], ctx.correlation_id);
    assert_ne!(correlation_ids[1], ctx.correlation_id);
    assert_ne!(correlation_ids[2], correlation_ids[1]);
    assert!(seen.iter().all(|s| s.json()["batchId"] == "Retry me"));
}

#[tokio::test]
async fn retries_stop_after_max_attempts_with_the_last_answer() {
    let server = Server::start(vec![
        Reply::status(500),
        Reply::status(504),
        Reply::fault(503, json!(800003), "still busy"),
        Reply::json(200, json!({"items": []})),
    ])
    .await;
    let ctx = ctx();
    let error = server
        .client()
        .device_batches(&ctx, &customer())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server);
    assert_eq!(error.status, Some(503));
    assert_eq!(error.code.as_deref(), Some("800003"));
    assert_eq!(error.description.as_deref(), Some("still busy"));
    assert_ne!(
        error.correlation_id, ctx.correlation_id,
        "the last attempt's"
    );
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_429_waits_retry_after_then_succeeds() {
    let server = Server::start(vec![
        Reply::json(
            429,
            json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}),
        )
        .header("retry-after", "1"),
        Reply::bom_json(200, json!({"totalCount": 0, "items": []})),
    ])
    .await;
    let client = server.client_with(|c| c.max_retry_after = Duration::from_millis(300));
    let started = std::time::Instant::now();
    let batches = client.device_batches(&ctx(), &customer()).await.unwrap();
    assert!(batches.is_empty());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "waited Retry-After, capped: {waited:?}"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("ms-requestid"),
        seen[1].header("ms-requestid")
    );
    assert_ne!(
        seen[0].header("ms-correlationid"),
        seen[1].header("ms-correlationid")
    );
}

#[tokio::test]
async fn persistent_throttling_surfaces_retry_after_and_the_message() {
    let throttled = Reply::json(
        429,
        json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}),
    )
    .header("retry-after", "57");
    let server = Server::start(vec![throttled.clone(), throttled.clone(), throttled]).await;
    let error = server
        .client()
        .customer(&ctx(), &customer())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Throttled);
    assert_eq!(error.status, Some(429));
    assert_eq!(error.retry_after, Some(Duration::from_secs(57)));
    assert_eq!(error.code, None);
    assert_eq!(
        error.description.as_deref(),
        Some("Rate limit is exceeded. Try again in 57 seconds.")
    );
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn client_errors_are_never_retried_and_are_classified() {
    let cases = [
        (
            Reply::fault(400, json!(800002), "Invalid request input"),
            ErrorKind::BadRequest,
        ),
        (
            Reply::fault(401, json!("900421"), "MFA required"),
            ErrorKind::MfaRequired,
        ),
        (
            Reply::fault(401, json!(800001), "token missing"),
            ErrorKind::Unauthorized,
        ),
        (
            Reply::fault(403, json!(20002), "no relationship"),
            ErrorKind::Forbidden,
        ),
        (
            Reply::fault(404, json!(60003), "Tenant not found"),
            ErrorKind::NotFound,
        ),
        (
            Reply::fault(409, json!("batch_exists"), "exists"),
            ErrorKind::Conflict,
        ),
        (Reply::status(412), ErrorKind::BadRequest),
        (Reply::status(501), ErrorKind::Server),
    ];
    for (reply, kind) in cases {
        let status = reply.status;
        let server = Server::start(vec![reply, Reply::accepted()]).await;
        let ctx = ctx();
        let request_id = RequestId::new();
        let error = server
            .client()
            .add_devices(
                &ctx,
                &customer(),
                &BatchId::parse("b").unwrap(),
                &[],
                request_id,
            )
            .await
            .unwrap_err();
        assert_eq!(error.kind, kind, "{status}");
        assert_eq!(error.status, Some(status));
        assert_eq!(error.request_id, request_id);
        assert_eq!(error.correlation_id, ctx.correlation_id);
        assert_eq!(server.seen().len(), 1, "{status} is not retried");
        let line = error.to_string();
        assert!(!line.contains("sentinel-token"), "{line}");
        assert!(line.contains(&request_id.to_string()), "{line}");
        assert!(line.contains(&status.to_string()), "{line}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = Server::start(vec![
        Reply::status(302).header("location", "https://evil.example/steal"),
        Reply::json(200, customer_json(1)),
    ])
    .await;
    let error = server
        .client()
        .customer(&ctx(), &customer())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidResponse);
    assert_eq!(error.status, Some(302));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out_each_attempt_and_is_retried() {
    let slow = Reply::json(200, customer_json(1)).after(Duration::from_millis(400));
    let server = Server::start(vec![slow.clone(), slow]).await;
    let client = server.client_with(|c| {
        c.attempt_timeout = Duration::from_millis(100);
        c.max_attempts = 2;
    });
    let error = client.customer(&ctx(), &customer()).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_eq!(error.status, None);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = PartnerCenterClient::new(ClientConfig {
        base_url: Url::parse(&base).unwrap(),
        max_attempts: 2,
        backoff_base: Duration::from_millis(1),
        ..ClientConfig::default()
    })
    .unwrap();
    let error = client.customer(&ctx(), &customer()).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Transport);
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn an_unreadable_body_is_an_invalid_response_not_a_panic() {
    let server = Server::start(vec![
        Reply::json(200, json!({"id": "not-a-guid"})),
        Reply {
            body: b"<html>oops</html>".to_vec(),
            ..Reply::status(200)
        },
    ])
    .await;
    let client = server.client();
    for _ in 0..2 {
        let error = client.customer(&ctx(), &customer()).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidResponse);
        assert!(std::error::Error::source(&error).is_some());
    }
}

#[tokio::test]
async fn customer_pages_follow_the_next_link_with_its_headers() {
    let server = Server::start(vec![
        Reply::bom_json(
            200,
            json!({
                "totalCount": 2,
                "items": [customer_json(1), customer_json(2)],
                "continuationToken": "tok-1",
                "links": {
                    "self": {"uri": "/v1/customers?size=2", "method": "GET", "headers": []},
                    "next": {"uri": "/v1/customers?size=2&seekOperation=Next", "method": "GET",
                             "headers": [{"key": "MS-ContinuationToken", "value": "tok-1"}]}
                }
            }),
        ),
        Reply::json(
            200,
            json!({"totalCount": 1, "items": [customer_json(3)],
                   "links": {"self": {"uri": "/v1/customers?size=2", "method": "GET", "headers": []}}}),
        ),
    ])
    .await;
    let query = CustomerQuery {
        filter: Some(CustomerFilter {
            field: CustomerFilterField::CompanyName,
            value: "Cust omer".into(),
        }),
        size: Some(2),
    };
    let client = server.client();
    let ctx = ctx();
    let all: Vec<Customer> = client.customers(&ctx, &query).try_collect().await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.display_name()).collect::<Vec<_>>(),
        ["Customer 1", "Customer 2", "Customer 3"]
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let first = Url::parse(&format!("http://x{}", seen[0].target)).unwrap();
    assert_eq!(first.path(), "/v1/customers");
    let pairs: Vec<(String, String)> = first.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("size".to_string(), "2".to_string()),
            (
                "filter".to_string(),
                r#"{"Field":"CompanyName","Value":"Cust omer","Operator":"starts_with"}"#
                    .to_string()
            )
        ]
    );
    assert_eq!(seen[0].header("ms-continuationtoken"), None);
    assert_eq!(seen[1].target, "/v1/customers?size=2&seekOperation=Next");
    assert_eq!(seen[1].header("ms-continuationtoken"), Some("tok-1"));
    assert_eq!(
        seen[1].header("ms-correlationid"),
        Some(ctx.correlation_id.to_string().as_str())
    );
}

#[tokio::test]
async fn a_page_token_survives_a_url_and_comes_back() {
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({"items": [customer_json(1)], "continuationToken": "opaque+/=="}),
        ),
        Reply::json(200, json!({"items": [customer_json(2)]})),
    ])
    .await;
    let client = server.client();
    let query = CustomerQuery {
        filter: None,
        size: Some(1),
    };
    let first = client.customers_page(&ctx(), &query, None).await.unwrap();
    let token = first.next.unwrap().encode();
    let back = Continuation::decode(&token).unwrap();
    let second = client
        .customers_page(&ctx(), &query, Some(&back))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next.is_none());
    let seen = server.seen();
    // A bare token repeats the first request with seekOperation=Next and the header.
    assert_eq!(seen[1].target, "/v1/customers?size=1&seekOperation=Next");
    assert_eq!(seen[1].header("ms-continuationtoken"), Some("opaque+/=="));
}

#[tokio::test]
async fn device_pages_follow_a_v1_less_link_or_repeat_with_the_token() {
    let batch = BatchId::parse("Test batch").unwrap();
    let link = format!("/customers/{CUSTOMER}/deviceBatches/Test batch/devices");
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({"totalCount": 1, "items": [device_json(1)], "continuationToken": "d1",
                   "links": {"next": {"uri": link, "method": "GET",
                                      "headers": [{"key": "MS-ContinuationToken", "value": "d1"}]}}}),
        ),
        Reply::json(
            200,
            json!({"totalCount": 1, "items": [device_json(2)], "continuationToken": "d2"}),
        ),
        Reply::json(200, json!({"totalCount": 1, "items": [device_json(3)]})),
    ])
    .await;
    let client = server.client();
    let ctx = ctx();
    let devices: Vec<Device> = client
        .devices(&ctx, &customer(), &batch)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        devices
            .iter()
            .map(|d| d.id.clone().unwrap())
            .collect::<Vec<_>>(),
        ["dev-1", "dev-2", "dev-3"]
    );
    let seen = server.seen();
    let path = format!("/v1/customers/{CUSTOMER}/deviceBatches/Test%20batch/devices");
    assert_eq!(seen[0].target, path);
    assert_eq!(seen[1].target, path);
    assert_eq!(seen[1].header("ms-continuationtoken"), Some("d1"));
    assert_eq!(seen[2].target, path, "no seekOperation for devices");
    assert_eq!(seen[2].header("ms-continuationtoken"), Some("d2"));
}

#[tokio::test]
async fn a_repeated_page_token_ends_the_stream_with_an_error_instead_of_looping() {
    let page = Reply::json(
        200,
        json!({"items": [device_json(1)], "continuationToken": "same"}),
    );
    let server = Server::start(vec![page.clone(), page.clone(), page]).await;
    let batch = BatchId::parse("b").unwrap();
    let client = server.client();
    let ctx = ctx();
    let result: Result<Vec<Device>, _> = client
        .devices(&ctx, &customer(), &batch)
        .try_collect()
        .await;
    assert_eq!(result.unwrap_err().kind, ErrorKind::InvalidResponse);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_next_link_to_another_host_or_customer_is_refused() {
    let other = "8b7c6a1e-0000-4000-8000-0000000000ff";
    for uri in [
        "https://evil.example/v1/customers/x/deviceBatches/b/devices".to_string(),
        format!("/customers/{other}/deviceBatches/b/devices"),
    ] {
        let server = Server::start(vec![Reply::json(
            200,
            json!({"items": [], "links": {"next": {"uri": uri, "headers": []}}}),
        )])
        .await;
        let error = server
            .client()
            .devices_page(&ctx(), &customer(), &BatchId::parse("b").unwrap(), None)
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidResponse, "{uri}");
    }
}

#[tokio::test]
async fn a_forged_page_token_is_refused_before_any_request() {
    let server = Server::start(vec![]).await;
    let forged = Continuation {
        uri: Some("https://evil.example/v1/customers".into()),
        headers: vec![("MS-ContinuationToken".into(), "x".into())],
        token: None,
    };
    let decoded = Continuation::decode(&forged.encode()).unwrap();
    let error = server
        .client()
        .customers_page(&ctx(), &CustomerQuery::default(), Some(&decoded))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadRequest);
    let sideways = Continuation {
        uri: Some("/v1/customers/8b7c6a1e-0000-4000-8000-0000000000ff/policies".into()),
        headers: vec![],
        token: Some("t".into()),
    };
    let error = server
        .client()
        .devices_page(
            &ctx(),
            &customer(),
            &BatchId::parse("b").unwrap(),
            Some(&sideways),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadRequest);
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn link_headers_cannot_override_ours() {
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({"items": [], "links": {"next": {"uri": "/v1/customers?seekOperation=Next",
                "headers": [{"key": "Authorization", "value": "Bearer other"},
                            {"key": "MS-RequestId", "value": "nope"},
                            {"key": "MS-ContinuationToken", "value": "c"},
                            {"key": "X-Extra", "value": "kept"}]}}}),
        ),
        Reply::json(200, json!({"items": []})),
    ])
    .await;
    let client = server.client();
    let ctx = ctx();
    let _: Vec<Customer> = client
        .customers(&ctx, &CustomerQuery::default())
        .try_collect()
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].header("authorization"),
        Some("Bearer sentinel-token-5f1c")
    );
    assert_ne!(seen[1].header("ms-requestid"), Some("nope"));
    assert_eq!(seen[1].header("ms-continuationtoken"), Some("c"));
    assert_eq!(seen[1].header("x-extra"), Some("kept"));
}

#[tokio::test]
async fn deleting_a_device_and_a_policy_expects_no_body() {
    let server = Server::start(vec![Reply::status(204), Reply::status(204)]).await;
    let client = server.client();
    let ctx = ctx();
    let batch = BatchId::parse("Test batch").unwrap();
    client
        .delete_device(&ctx, &customer(), &batch, "dev/1", RequestId::new())
        .await
        .unwrap();
    client
        .delete_policy(&ctx, &customer(), "56ed", RequestId::new())
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].method, "DELETE");
    assert_eq!(
        seen[0].target,
        format!("/v1/customers/{CUSTOMER}/deviceBatches/Test%20batch/devices/dev%2F1")
    );
    assert_eq!(seen[1].method, "DELETE");
    assert_eq!(
        seen[1].target,
        format!("/v1/customers/{CUSTOMER}/policies/56ed")
    );
}

#[tokio::test]
async fn dot_or_blank_ids_are_refused_locally() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let ctx = ctx();
    let batch = BatchId::parse("b").unwrap();
    for id in ["", "  ", ".", ".."] {
        let error = client
            .delete_device(&ctx, &customer(), &batch, id, RequestId::new())
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::BadRequest);
        let error = client.policy(&ctx, &customer(), id).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::BadRequest);
    }
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn profiles_are_created_read_replaced_with_put_and_listed() {
    let policy = json!({"id": "56ed", "name": "Retail", "category": "o_o_b_e",
        "devicesAssigned": 0, "devicesAssignedCount": 0, "policySettings": ["skip_eula"],
        "createdDate": "2017-07-25T11:03:03.8457088-07:00",
        "lastModifiedDate": "2017-07-25T11:03:03.8457088-07:00"});
    let server = Server::start(vec![
        Reply::bom_json(200, policy.clone()),
        Reply::json(200, policy.clone()),
        Reply::json(200, json!({"totalCount": 1, "items": [policy]})),
        Reply::status(200),
    ])
    .await;
    let client = server.client();
    let ctx = ctx();
    let created = client
        .create_policy(
            &ctx,
            &customer(),
            &NewPolicy::oobe("Retail", vec![PolicySetting::SkipEula]),
            RequestId::new(),
        )
        .await
        .unwrap();
    assert_eq!(created.id.as_deref(), Some("56ed"));
    assert_eq!(created.devices_assigned_count, Some(0));
    let mut changed = client.policy(&ctx, &customer(), "56ed").await.unwrap();
    changed.name = Some("Retail kiosks".into());
    let listed = client.policies(&ctx, &customer()).await.unwrap();
    assert_eq!(listed.len(), 1);
    let updated = client
        .update_policy(&ctx, &customer(), &changed, RequestId::new())
        .await
        .unwrap();
    assert_eq!(updated, changed, "an empty answer yields what was sent");

    let seen = server.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, format!("/v1/customers/{CUSTOMER}/policies"));
    assert_eq!(
        seen[0].json(),
        json!({"name": "Retail", "category": "o_o_b_e", "policySettings": ["skip_eula"]})
    );
    assert_eq!(
        seen[1].target,
        format!("/v1/customers/{CUSTOMER}/policies/56ed")
    );
    assert_eq!(seen[3].method, "PUT");
    assert_eq!(
        seen[3].target,
        format!("/v1/customers/{CUSTOMER}/policies/56ed")
    );
    assert_eq!(seen[3].json()["name"], "Retail kiosks");
    assert_eq!(seen[3].json()["id"], "56ed");
}

#[tokio::test]
async fn a_policy_without_an_id_cannot_be_updated() {
    let server = Server::start(vec![]).await;
    let policy: ConfigurationPolicy = serde_json::from_value(json!({"name": "x"})).unwrap();
    let error = server
        .client()
        .update_policy(&ctx(), &customer(), &policy, RequestId::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadRequest);
    assert!(server.seen().is_empty());
}

#[test]
fn futures_and_streams_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let client = PartnerCenterClient::new(ClientConfig::default()).unwrap();
    let ctx = ctx();
    let query = CustomerQuery::default();
    let batch = BatchId::parse("b").unwrap();
    assert_send(&client.customers_page(&ctx, &query, None));
    assert_send(&client.customers(&ctx, &query));
    assert_send(&client.devices(&ctx, &customer(), &batch));
    assert_send(&client.device_batches(&ctx, &customer()));
    assert_send(&client.create_device_batch(&ctx, &customer(), &batch, &[], RequestId::new()));
    assert_send(&client.update_policy(
        &ctx,
        &customer(),
        &serde_json::from_value(json!({})).unwrap(),
        RequestId::new(),
    ));
}
