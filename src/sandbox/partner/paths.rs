//! Partner Center treats path segments case-insensitively (`deviceBatches`, `DeviceBatches`,
//! `batchjobstatus`, `devicePolicyUpdates` all appear in documentation and clients), while the
//! router is case-sensitive. The literal segments are put in their canonical casing before
//! routing; ids (which may themselves read "devices") are left alone, by position.

use axum::http::Uri;

/// Returns the URI with canonical literal segments, or `None` when nothing changes.
pub(crate) fn normalise_path(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let segments: Vec<&str> = path.split('/').collect();
    // ["", "v1", "customers", "{cid}", "{collection}", "{id}", "devices", ...]
    if segments.len() < 3 || !segments[1].eq_ignore_ascii_case("v1") {
        return None;
    }
    let mut fixed: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
    fixed[1] = "v1".into();
    fixed[2] = canonical(&fixed[2], &["customers"]);
    if fixed.len() > 4 {
        fixed[4] = canonical(
            &fixed[4],
            &[
                "deviceBatches",
                "batchJobStatus",
                "DevicePolicyUpdates",
                "policies",
            ],
        );
    }
    if fixed.len() > 6 && fixed[4] == "deviceBatches" {
        fixed[6] = canonical(&fixed[6], &["devices"]);
    }
    let new_path = fixed.join("/");
    if new_path == path {
        return None;
    }
    let rebuilt = match uri.query() {
        Some(query) => format!("{new_path}?{query}"),
        None => new_path,
    };
    rebuilt.parse().ok()
}

fn canonical(segment: &str, known: &[&str]) -> String {
    known
        .iter()
        .find(|name| name.eq_ignore_ascii_case(segment))
        .map(|name| name.to_string())
        .unwrap_or_else(|| segment.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(path: &str) -> String {
        let uri: Uri = path.parse().unwrap();
        normalise_path(&uri)
            .map(|u| u.to_string())
            .unwrap_or_else(|| path.to_string())
    }

    #[test]
    fn literal_segments_take_their_canonical_casing() {
        assert_eq!(
            norm("/v1/customers/c/DeviceBatches"),
            "/v1/customers/c/deviceBatches"
        );
        assert_eq!(
            norm("/V1/Customers/c/batchjobstatus/t"),
            "/v1/customers/c/batchJobStatus/t"
        );
        assert_eq!(
            norm("/v1/customers/c/devicePolicyUpdates"),
            "/v1/customers/c/DevicePolicyUpdates"
        );
        assert_eq!(
            norm("/v1/customers/c/devicebatches/DEVICES/Devices?x=1"),
            "/v1/customers/c/deviceBatches/DEVICES/devices?x=1"
        );
    }

    #[test]
    fn other_paths_are_left_alone() {
        assert_eq!(
            norm("/tenant/oauth2/v2.0/token"),
            "/tenant/oauth2/v2.0/token"
        );
        assert_eq!(
            norm("/v1/customers/c/deviceBatches"),
            "/v1/customers/c/deviceBatches"
        );
    }
}
