//! `GET /v1/customers` (paging, `starts_with` filter) and `GET /v1/customers/{id}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{continuation_header, customer_exists, decode_cursor, encode_cursor, render};
use crate::sandbox::faults::lock;
use crate::sandbox::wire::{codes, json_response, link, Fault};
use crate::sandbox::SandboxState;

/// The page size when none (or 0, "service default") is asked for, and the largest served.
const DEFAULT_PAGE: usize = 500;

#[derive(Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Debug)]
enum Field {
    CompanyName,
    Domain,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    /// Offset of the next page in the (filtered) list.
    o: usize,
    /// Page size.
    s: usize,
    /// Filter field and lower-cased prefix.
    f: Option<(Field, String)>,
}

/// `filter` as the SDK sends it: `{"Field":"CompanyName","Value":"cont","Operator":"starts_with"}`,
/// keys in any casing.
fn parse_filter(text: &str) -> Result<(Field, String), Fault> {
    let bad = |why: &str| {
        Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_INPUT,
            format!("Invalid filter: {why}"),
        )
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| bad("it is not JSON."))?;
    let object = value
        .as_object()
        .ok_or_else(|| bad("it is not a JSON object."))?;
    let get = |name: &str| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_str())
    };
    let operator = get("Operator").ok_or_else(|| bad("'Operator' is missing."))?;
    if !operator.eq_ignore_ascii_case("starts_with") {
        return Err(bad("only the 'starts_with' operator is supported."));
    }
    let field = match get("Field").map(str::to_ascii_lowercase).as_deref() {
        Some("companyname") => Field::CompanyName,
        Some("domain") => Field::Domain,
        Some(_) => return Err(bad("'Field' must be CompanyName or Domain.")),
        None => return Err(bad("'Field' is missing.")),
    };
    let value = get("Value").ok_or_else(|| bad("'Value' is missing."))?;
    Ok((field, value.to_lowercase()))
}

pub(super) async fn list(
    State(state): State<Arc<SandboxState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Fault> {
    let next_page = query
        .get("seekOperation")
        .is_some_and(|op| op.eq_ignore_ascii_case("next"));
    let cursor = if next_page {
        let Some(token) = continuation_header(&headers) else {
            return Err(Fault::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_INPUT,
                "seekOperation=Next needs the MS-ContinuationToken header.",
            ));
        };
        decode_cursor::<Cursor>(token)?
    } else {
        let size = match query.get("size").map(|s| s.trim().parse::<usize>()) {
            None => DEFAULT_PAGE,
            Some(Ok(0)) => DEFAULT_PAGE,
            Some(Ok(n)) => n.min(DEFAULT_PAGE),
            Some(Err(_)) => {
                return Err(Fault::new(
                    StatusCode::BAD_REQUEST,
                    codes::INVALID_INPUT,
                    "'size' must be a whole number.",
                ));
            }
        };
        let filter = match query.get("filter").map(|text| parse_filter(text)) {
            None => None,
            Some(Ok(filter)) => Some(filter),
            Some(Err(fault)) => return Err(fault),
        };
        Cursor {
            o: 0,
            s: size,
            f: filter,
        }
    };
    let world = lock(&state.partner.world);
    let matches = |customer: &&super::world::Customer| match &cursor.f {
        None => true,
        Some((Field::CompanyName, prefix)) => {
            customer.company_name.to_lowercase().starts_with(prefix)
        }
        Some((Field::Domain, prefix)) => customer.domain.to_lowercase().starts_with(prefix),
    };
    let mut selected = world.customers.iter().filter(matches).skip(cursor.o);
    let items: Vec<_> = selected
        .by_ref()
        .take(cursor.s)
        .map(|customer| render::customer(customer, false))
        .collect();
    let more = selected.next().is_some();
    let token = more.then(|| {
        encode_cursor(&Cursor {
            o: cursor.o + items.len(),
            s: cursor.s,
            f: cursor.f.clone(),
        })
    });
    let mut links = json!({ "self": link(&format!("/v1/customers?size={}", cursor.s)) });
    if let Some(token) = &token {
        // Since 2021 this link carries `/v1` (Partner-Center-PowerShell #379).
        links["next"] = render::next_link(
            &format!("/v1/customers?size={}&seekOperation=Next", cursor.s),
            token,
        );
    }
    let body = render::collection(items, Some(links), token.as_deref());
    Ok(json_response(StatusCode::OK, &body, state.config.emit_bom))
}

pub(super) async fn get_one(
    State(state): State<Arc<SandboxState>>,
    Path(customer_id): Path<String>,
) -> Result<Response, Fault> {
    let world = lock(&state.partner.world);
    let customer = customer_exists(&world, &customer_id)?;
    Ok(json_response(
        StatusCode::OK,
        &render::customer(customer, true),
        state.config.emit_bom,
    ))
}
