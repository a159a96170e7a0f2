//! The sandbox's Partner Center over raw HTTP: the wire details a client must cope with.

mod common;

use common::*;
use serde_json::Value;
use ztd_dashboard::sandbox::partner::seed;
use ztd_dashboard::sandbox::{FaultSettings, Sandbox};

struct Caller {
    base: String,
    token: String,
}

impl Caller {
    async fn admin(sandbox: &Sandbox) -> Caller {
        Caller {
            base: sandbox.base_url().to_string(),
            token: sign_in(sandbox, ADMIN).await.access_token,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        http()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: &str, request_id: Option<&str>) -> reqwest::Response {
        let mut request = http()
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(id) = request_id {
            request = request.header("MS-RequestId", id);
        }
        request.send().await.unwrap()
    }
}

/// Reads a body as Partner Center sends it: maybe with a BOM.
async fn json_of(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

fn batches_path() -> String {
    format!("/v1/customers/{}/deviceBatches", seed::CONTOSO)
}

#[tokio::test]
async fn a_spent_budget_answers_429_with_retry_after_and_its_own_body() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    set_faults(
        &sandbox,
        FaultSettings {
            rate_limit_per_minute: Some(3),
            ..FaultSettings::default()
        },
    )
    .await;
    for _ in 0..3 {
        assert_eq!(caller.get(&batches_path()).await.status(), 200);
    }
    let throttled = caller.get(&batches_path()).await;
    assert_eq!(throttled.status(), 429);
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    let body = json_of(throttled).await;
    assert_eq!(body["statusCode"], 429);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Rate limit is exceeded"));
    assert!(body.get("code").is_none(), "a 429 is not an ApiFault");
}

#[tokio::test]
async fn injected_server_errors_are_api_faults_and_change_nothing() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    set_faults(
        &sandbox,
        FaultSettings {
            error_rate: 1.0,
            ..FaultSettings::default()
        },
    )
    .await;
    let body = r#"{"batchId":"Never","devices":[{"productKey":"3305472106271"}]}"#;
    let failed = caller.post(&batches_path(), body, None).await;
    assert!([500, 503].contains(&failed.status().as_u16()));
    assert_eq!(json_of(failed).await["code"], "800003");
    set_faults(&sandbox, FaultSettings::default()).await;
    let batches = json_of(caller.get(&batches_path()).await).await;
    assert!(batches["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["id"] != "Never"));
}

#[tokio::test]
async fn reset_goes_back_to_the_seed_and_the_start_up_faults() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    let body = r#"{"batchId":"Temporary","devices":[{"productKey":"3305472106271"}]}"#;
    assert_eq!(caller.post(&batches_path(), body, None).await.status(), 202);
    set_faults(
        &sandbox,
        FaultSettings {
            latency_ms: 5,
            ..FaultSettings::default()
        },
    )
    .await;
    let reset = http()
        .post(format!("{}/_sandbox/reset", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let batches = json_of(caller.get(&batches_path()).await).await;
    let names: Vec<_> = batches["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].clone())
        .collect();
    assert_eq!(
        names,
        ["Contoso-PO-4711", seed::LARGE_BATCH, "Kiosk refresh"]
    );
    let faults: FaultSettings = http()
        .get(format!("{}/_sandbox/faults", sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults, FaultSettings::default());
}

#[tokio::test]
async fn path_literals_and_property_names_match_in_any_casing() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    let listed = caller
        .get(&format!("/V1/Customers/{}/DEVICEBATCHES", seed::CONTOSO))
        .await;
    assert_eq!(listed.status(), 200);
    let body = r#"{"BATCHID":"Shouting","dEvIcEs":[{"PRODUCTKEY":"3305472106271"}]}"#;
    let created = caller
        .post(
            &format!("/v1/customers/{}/devicebatches", seed::CONTOSO),
            body,
            None,
        )
        .await;
    assert_eq!(created.status(), 202);
}

#[tokio::test]
async fn json_answers_start_with_a_bom_unless_turned_off() {
    let with_bom = sandbox().await;
    let text = Caller::admin(&with_bom)
        .await
        .get(&batches_path())
        .await
        .text()
        .await
        .unwrap();
    assert!(text.starts_with('\u{feff}'));

    let without = sandbox_with(|c| c.emit_bom = false).await;
    let text = Caller::admin(&without)
        .await
        .get(&batches_path())
        .await
        .text()
        .await
        .unwrap();
    assert!(text.starts_with('{'));
}

#[tokio::test]
async fn whole_request_refusals_are_api_faults_with_their_codes() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    let cases = [
        (batches_path(), "{not json", 400, "800002"),
        (
            batches_path(),
            r#"{"batchId":"Empty","devices":[]}"#,
            400,
            "800002",
        ),
        (
            batches_path(),
            r#"{"batchId":"a/b","devices":[{"productKey":"1"}]}"#,
            400,
            "3000",
        ),
        (
            batches_path(),
            r#"{"batchId":"kiosk REFRESH","devices":[{"productKey":"1"}]}"#,
            409,
            "600030",
        ),
        (
            format!("{}/Nope/devices", batches_path()),
            r#"[{"productKey":"1"}]"#,
            404,
            "600031",
        ),
        (
            "/v1/customers/00000000-0000-4000-8000-0000000000ff/deviceBatches".into(),
            r#"{"batchId":"x","devices":[{"productKey":"1"}]}"#,
            404,
            "60003",
        ),
        (
            "/v1/customers/not-a-guid/deviceBatches".into(),
            r#"{"batchId":"x","devices":[{"productKey":"1"}]}"#,
            400,
            "900118",
        ),
    ];
    for (path, body, status, code) in cases {
        let response = caller.post(&path, body, None).await;
        assert_eq!(response.status(), status, "{path} {body}");
        let fault = json_of(response).await;
        assert_eq!(fault["code"], code, "{path} {body}");
        assert!(fault["description"].as_str().is_some_and(|d| !d.is_empty()));
    }
}

#[tokio::test]
async fn a_repeated_request_id_replays_the_first_answer_and_creates_one_job() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    let body = r#"{"batchId":"Once","devices":[{"productKey":"3305472106271"}]}"#;
    let id = "0f9f6f4e-1111-4222-8333-944455556666";
    let first = caller.post(&batches_path(), body, Some(id)).await;
    let second = caller.post(&batches_path(), body, Some(id)).await;
    assert_eq!(first.status(), 202);
    assert_eq!(second.status(), 202, "not a 409: the answer is replayed");
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    let third = caller
        .post(
            &batches_path(),
            body,
            Some("0f9f6f4e-1111-4222-8333-000000000000"),
        )
        .await;
    assert_eq!(third.status(), 409, "a new request id is a new request");
}

#[tokio::test]
async fn responses_echo_the_request_and_correlation_ids() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    let response = http()
        .get(format!("{}{}", caller.base, batches_path()))
        .bearer_auth(&caller.token)
        .header("MS-RequestId", "11111111-2222-4333-8444-555555555555")
        .header("MS-CorrelationId", "66666666-7777-4888-9999-000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["ms-requestid"],
        "11111111-2222-4333-8444-555555555555"
    );
    assert_eq!(
        response.headers()["ms-correlationid"],
        "66666666-7777-4888-9999-000000000000"
    );
    assert!(response.headers().contains_key("ms-cv"));
}

/// A batch-creation body of `devices` product-key devices (about 40 bytes each).
fn batch_body(name: &str, devices: usize) -> String {
    let list: Vec<String> = (0..devices)
        .map(|n| {
            format!(
                r#"{{"productKey":"{:013}"}}"#,
                3_000_000_000_000_u64 + n as u64
            )
        })
        .collect();
    format!(r#"{{"batchId":"{name}","devices":[{}]}}"#, list.join(","))
}

/// Sends the head and the first `sent` bytes of a POST of `body`, then closes the connection:
/// a client killed while its body was half sent.
async fn cut_off_post(caller: &Caller, request_id: &str, body: &str, sent: usize) {
    use tokio::io::AsyncWriteExt;
    let address = caller
        .base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nMS-RequestId: {request_id}\r\n\
         Content-Length: {}\r\n\r\n",
        batches_path(),
        caller.token,
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body.as_bytes()[..sent]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(socket);
}

/// The sandbox reads request bodies at 4 KB a second from now on.
async fn read_bodies_slowly(sandbox: &Sandbox) {
    set_faults(
        sandbox,
        FaultSettings {
            body_bytes_per_sec: 4_000,
            ..FaultSettings::default()
        },
    )
    .await;
}

#[tokio::test]
async fn a_request_cut_off_mid_body_is_forgotten_and_its_id_may_be_sent_again() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    let body = batch_body("Cut-off", 200);
    let id = "0f9f6f4e-2222-4222-8333-944455556666";
    // Read slowly, so the cut comes while the handler is still reading.
    read_bodies_slowly(&sandbox).await;
    cut_off_post(&caller, id, &body, body.len() / 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    set_faults(&sandbox, FaultSettings::default()).await;
    let started = std::time::Instant::now();
    let again = caller.post(&batches_path(), &body, Some(id)).await;
    assert_eq!(
        again.status(),
        202,
        "sent whole, the same id is a new request"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    // The whole request's answer is the one kept now.
    let replayed = caller.post(&batches_path(), &body, Some(id)).await;
    assert_eq!(replayed.status(), 202);
    assert_eq!(
        again.headers().get("location"),
        replayed.headers().get("location"),
        "one batch, one job"
    );
}

#[tokio::test]
async fn a_repeat_of_a_request_still_being_read_waits_then_gets_503_with_retry_after() {
    let sandbox = sandbox().await;
    let caller = Caller::admin(&sandbox).await;
    // 40 KB at 4 KB a second: the first takes about ten seconds to arrive.
    let body = batch_body("Slow", 1_000);
    let id = "0f9f6f4e-3333-4222-8333-944455556666";
    read_bodies_slowly(&sandbox).await;
    let first = tokio::spawn({
        let (base, token, body) = (caller.base.clone(), caller.token.clone(), body.clone());
        async move {
            let caller = Caller { base, token };
            caller.post(&batches_path(), &body, Some(id)).await.status()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let repeat = http()
        .post(format!("{}{}", caller.base, batches_path()))
        .bearer_auth(&caller.token)
        .header("content-type", "application/json")
        .header("MS-RequestId", id)
        .body("{}")
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(repeat.status(), 503);
    assert_eq!(repeat.headers()["retry-after"], "1");
    assert!(
        waited >= std::time::Duration::from_secs(4) && waited < std::time::Duration::from_secs(8),
        "{waited:?}"
    );
    assert_eq!(
        first.await.unwrap(),
        202,
        "the first, read slowly, goes through"
    );
    set_faults(&sandbox, FaultSettings::default()).await;
    let replayed = caller.post(&batches_path(), &body, Some(id)).await;
    assert_eq!(replayed.status(), 202, "and its answer is the one replayed");
}
