//! Reading one setting's value: the configuration file, numbers, addresses, URLs and tenant
//! ids, each refused with the reason a person can act on.

use super::*;

pub(super) fn read_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let error = |problem: String| ConfigError {
        setting: format!("ZTD_CONFIG ({})", path.display()),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| error(format!("not valid TOML: {}", e.message())))?;
    let mut values = HashMap::new();
    for (key, value) in table {
        if !KEYS.contains(&key.as_str()) {
            return Err(error(format!("unknown setting '{key}'")));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(error(format!(
                    "'{key}' must be a string or a number, not {}",
                    other.type_str()
                )))
            }
        };
        values.insert(key, text);
    }
    Ok(values)
}

pub(super) fn entra_settings(
    value: &dyn Fn(&str) -> Option<Given>,
) -> Result<Option<EntraSettings>, ConfigError> {
    let tenant = value("entra_tenant");
    let client_id = value("entra_client_id");
    let secret = value("entra_client_secret");
    if tenant.is_none() && client_id.is_none() && secret.is_none() {
        return Ok(None);
    }
    let missing = |name: &str| {
        ConfigError {
        setting: format!("ZTD_{}", name.to_ascii_uppercase()),
        problem: "must be set too when any Entra ID setting is given (or unset all three to use the sandbox)"
            .into(),
    }
    };
    let tenant = tenant.ok_or_else(|| missing("entra_tenant"))?.raw;
    let client_id = client_id.ok_or_else(|| missing("entra_client_id"))?.raw;
    let client_secret = Secret::new(secret.ok_or_else(|| missing("entra_client_secret"))?.raw);
    let authority_host = parse_or(
        value("entra_authority_host"),
        Url::parse("https://login.microsoftonline.com").ok(),
        parse_http_url,
    )?;
    let allowed_tenants = match value("entra_allowed_tenants") {
        Some(given) => parse_pair(given, tenant_ids)?,
        None => Vec::new(),
    };
    // `organizations` and `common` let any organisation's users reach the sign-in, and their
    // tokens' issuer names their own tenant: only this list keeps strangers out.
    let multi_tenant = ["organizations", "common"]
        .iter()
        .any(|name| tenant.eq_ignore_ascii_case(name));
    if multi_tenant && allowed_tenants.is_empty() {
        return Err(ConfigError {
            setting: "ZTD_ENTRA_ALLOWED_TENANTS".into(),
            problem: format!(
                "must list the tenant ids whose users may sign in (comma-separated), because \
                 ZTD_ENTRA_TENANT is '{tenant}', which lets any organisation's users sign in"
            ),
        });
    }
    Ok(Some(EntraSettings {
        tenant,
        client_id,
        client_secret,
        authority_host,
        allowed_tenants,
    }))
}

/// Comma-separated tenant ids (GUIDs), in their lower-case form.
pub(super) fn tenant_ids(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            uuid::Uuid::parse_str(id)
                .map(|id| id.to_string())
                .map_err(|_| format!("'{id}' is not a tenant id (a GUID)"))
        })
        .collect()
}

/// A public URL browsers can sign in through: `https://`, or plain `http://` on this machine
/// only. The session cookie is `Secure`, and browsers send such a cookie back over plain
/// HTTP only to a loopback address: elsewhere every sign-in would loop back to the start.
pub(super) fn reachable_url(url: Url) -> Result<Url, String> {
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        return Err(
            "plain http:// works only on this machine (localhost, 127.0.0.1, ::1): \
                    browsers send the Secure session cookie back only over HTTPS, so sign-in \
                    would never finish. Give the https:// address people open (TLS ends at \
                    your reverse proxy or load balancer)"
                .into(),
        );
    }
    Ok(url)
}

pub(super) fn parse_pair<T>(
    given: Given,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(&given.raw).map_err(|problem| ConfigError {
        problem: if given.secret {
            // Named, never repeated: the value may be the secret itself, or close to it.
            format!("the value given is not valid: {problem}")
        } else {
            format!("'{}': {problem}", given.raw)
        },
        setting: given.setting,
    })
}

pub(super) fn parse_or<T>(
    pair: Option<Given>,
    default: Option<T>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match (pair, default) {
        (Some(pair), _) => parse_pair(pair, parse),
        (None, Some(default)) => Ok(default),
        (None, None) => Err(ConfigError {
            setting: "built-in default".into(),
            problem: "is invalid".into(),
        }),
    }
}

pub(super) fn parse_http_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    Ok(url)
}

pub(super) fn whole_number(raw: &str) -> Result<u64, String> {
    raw.parse::<u64>()
        .map_err(|_| "expected a whole number (0 or more)".into())
}

pub(super) fn positive(raw: &str) -> Result<u64, String> {
    match raw.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a whole number above 0".into()),
    }
}

pub(super) fn check_key(raw: &str) -> Result<(), String> {
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(raw) {
        Ok(bytes) if bytes.len() == 32 => Ok(()),
        _ => Err("expected 32 bytes in base64 (e.g. `openssl rand -base64 32`)".into()),
    }
}
