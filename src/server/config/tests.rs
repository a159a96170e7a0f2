use super::*;

fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::load(
        &pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[test]
fn defaults_run_the_sandbox_on_port_3000() {
    let config = load(&[]).unwrap();
    assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
    assert!(config.entra.is_none());
    assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
    assert_eq!(
        config.redirect_url_for(&config.public_url).as_str(),
        "http://127.0.0.1:3000/auth/callback"
    );
}

#[test]
fn an_invalid_value_names_its_setting() {
    let error = load(&[("ZTD_LISTEN_ADDR", "not-an-address")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_LISTEN_ADDR");
    assert!(error.to_string().contains("not-an-address"), "{error}");
    let error = load(&[("ZTD_PARTNER_CENTER_TIMEOUT_SECS", "0")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_PARTNER_CENTER_TIMEOUT_SECS");
    let error = load(&[("ZTD_ENCRYPTION_KEY", "c2hvcnQ=")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_ENCRYPTION_KEY");
    let error = load(&[("ZTD_BATCH_LIST_REUSE_SECS", "-1")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_BATCH_LIST_REUSE_SECS");
    let error = load(&[("ZTD_WORK_LEASE_SECS", "4")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_WORK_LEASE_SECS");
    assert_eq!(
        load(&[("ZTD_WORK_LEASE_SECS", "5")]).unwrap().work_lease,
        Duration::from_secs(5)
    );
}

#[test]
fn a_secret_setting_is_named_in_an_error_but_never_repeated() {
    // A base64url key (43 characters, no padding): the standard decoder refuses it.
    let key = "dGVzdHMtb25seS10ZXN0cy1vbmx5LXRlc3RzLW9ubHk_Xy0";
    let error = load(&[("ZTD_ENCRYPTION_KEY", key)]).unwrap_err();
    assert_eq!(error.setting, "ZTD_ENCRYPTION_KEY");
    assert!(error.to_string().contains("32 bytes"), "{error}");
    assert!(!error.to_string().contains(key), "{error}");
    assert!(!error.to_string().contains(&key[..12]), "{error}");
    // The same through the file.
    let dir = std::env::temp_dir().join(format!("ztd-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ztd.toml");
    std::fs::write(&path, format!("encryption_key = \"{key}\"\n")).unwrap();
    let error = load(&[("ZTD_CONFIG", path.to_str().unwrap())]).unwrap_err();
    assert!(error.setting.starts_with("encryption_key"), "{error}");
    assert!(!error.to_string().contains(key), "{error}");
    // Settings that are not secret still quote the value, to show the typo.
    let error = load(&[("ZTD_UPLOAD_MAX_MB", "fifty")]).unwrap_err();
    assert!(error.to_string().contains("'fifty'"), "{error}");
}

#[test]
fn plain_http_is_refused_for_any_host_but_this_machine() {
    for public in [
        "http://dashboard.example.com",
        "http://10.1.2.3:3000",
        "http://0.0.0.0:3000",
    ] {
        let error = load(&[("ZTD_PUBLIC_URL", public)]).unwrap_err();
        assert_eq!(error.setting, "ZTD_PUBLIC_URL", "{public}");
        assert!(error.to_string().contains("https://"), "{error}");
    }
    // Listening on every interface with no public URL: the same refusal, said so.
    let error = load(&[("ZTD_LISTEN_ADDR", "0.0.0.0:3000")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_PUBLIC_URL");
    assert!(error.to_string().contains("unset"), "{error}");
    for public in [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://[::1]:3000",
        "https://dashboard.example.com",
    ] {
        assert!(load(&[("ZTD_PUBLIC_URL", public)]).is_ok(), "{public}");
    }
    let behind_a_proxy = load(&[
        ("ZTD_LISTEN_ADDR", "0.0.0.0:3000"),
        ("ZTD_PUBLIC_URL", "https://dashboard.example.com"),
    ]);
    assert!(behind_a_proxy.is_ok());
}

#[test]
fn a_multi_tenant_authority_needs_the_tenants_allowed_to_sign_in() {
    let entra = [
        ("ZTD_ENTRA_CLIENT_ID", "id"),
        ("ZTD_ENTRA_CLIENT_SECRET", "shh"),
    ];
    for tenant in ["organizations", "common", "Common"] {
        let mut settings = entra.to_vec();
        settings.push(("ZTD_ENTRA_TENANT", tenant));
        let error = load(&settings).unwrap_err();
        assert_eq!(error.setting, "ZTD_ENTRA_ALLOWED_TENANTS", "{tenant}");
    }
    let mut settings = entra.to_vec();
    settings.push(("ZTD_ENTRA_TENANT", "organizations"));
    settings.push(("ZTD_ENTRA_ALLOWED_TENANTS", "not-a-guid"));
    let error = load(&settings).unwrap_err();
    assert!(error.to_string().contains("not-a-guid"), "{error}");
    settings.pop();
    settings.push((
        "ZTD_ENTRA_ALLOWED_TENANTS",
        "5A9D1F3E-0C2B-4E7A-9B1D-7C4E2F6A8B10, 11111111-2222-3333-4444-555555555555",
    ));
    let entra = load(&settings).unwrap().entra.unwrap();
    assert_eq!(
        entra.allowed_tenants,
        [
            "5a9d1f3e-0c2b-4e7a-9b1d-7c4e2f6a8b10",
            "11111111-2222-3333-4444-555555555555"
        ]
    );
}

#[test]
fn connection_limits_have_defaults_and_can_be_set() {
    let config = load(&[]).unwrap();
    assert_eq!(config.header_read_timeout, Duration::from_secs(30));
    assert_eq!(config.max_connections, 512);
    assert_eq!(config.body_min_bytes_per_sec, 1024);
    assert_eq!(config.server_fn_max_bytes, 64 * 1024);
    assert_eq!(config.pages_at_once, 32);
    let config = load(&[
        ("ZTD_HEADER_READ_TIMEOUT_SECS", "5"),
        ("ZTD_MAX_CONNECTIONS", "10"),
        ("ZTD_BODY_MIN_BYTES_PER_SEC", "0"),
        ("ZTD_SERVER_FN_MAX_KB", "8"),
        ("ZTD_PAGES_AT_ONCE", "4"),
    ])
    .unwrap();
    assert_eq!(config.header_read_timeout, Duration::from_secs(5));
    assert_eq!(config.max_connections, 10);
    assert_eq!(config.body_min_bytes_per_sec, 0);
    assert_eq!(config.server_fn_max_bytes, 8 * 1024);
    assert_eq!(config.pages_at_once, 4);
    assert!(load(&[("ZTD_HEADER_READ_TIMEOUT_SECS", "0")]).is_err());
    assert!(load(&[("ZTD_PAGES_AT_ONCE", "0")]).is_err());
}

#[test]
fn batch_lists_are_reused_for_five_seconds_unless_set_otherwise() {
    assert_eq!(load(&[]).unwrap().batch_list_ttl, Duration::from_secs(5));
    let never = load(&[("ZTD_BATCH_LIST_REUSE_SECS", "0")]).unwrap();
    assert_eq!(never.batch_list_ttl, Duration::ZERO);
}

#[test]
fn entra_settings_come_all_together_or_not_at_all() {
    let error = load(&[("ZTD_ENTRA_TENANT", "contoso.onmicrosoft.com")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_ENTRA_CLIENT_ID");
    let config = load(&[
        ("ZTD_ENTRA_TENANT", "contoso.onmicrosoft.com"),
        ("ZTD_ENTRA_CLIENT_ID", "id"),
        ("ZTD_ENTRA_CLIENT_SECRET", "shh"),
    ])
    .unwrap();
    let entra = config.entra.unwrap();
    assert_eq!(entra.tenant, "contoso.onmicrosoft.com");
    assert!(!format!("{:?}", entra.client_secret).contains("shh"));
}

#[test]
fn the_file_is_read_and_the_environment_wins() {
    let dir = std::env::temp_dir().join(format!("ztd-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ztd.toml");
    std::fs::write(
        &path,
        "listen_addr = \"127.0.0.1:4000\"\npartner_center_timeout_secs = 5\n",
    )
    .unwrap();
    let path = path.to_string_lossy().to_string();
    let config = load(&[("ZTD_CONFIG", &path)]).unwrap();
    assert_eq!(config.listen_addr.port(), 4000);
    assert_eq!(config.partner_center_timeout, Duration::from_secs(5));
    let config = load(&[("ZTD_CONFIG", &path), ("ZTD_LISTEN_ADDR", "127.0.0.1:5000")]).unwrap();
    assert_eq!(config.listen_addr.port(), 5000);

    std::fs::write(dir.join("bad.toml"), "listen_adr = \"x\"\n").unwrap();
    let bad = dir.join("bad.toml").to_string_lossy().to_string();
    let error = load(&[("ZTD_CONFIG", &bad)]).unwrap_err();
    assert!(
        error.to_string().contains("unknown setting 'listen_adr'"),
        "{error}"
    );
}

#[test]
fn the_device_index_is_read_again_after_six_hours_four_at_once_and_a_customer_list_kept_ten_minutes(
) {
    let defaults = load(&[]).unwrap();
    assert_eq!(defaults.device_index_refresh, Duration::from_secs(6 * 3600));
    assert_eq!(defaults.customer_list_ttl, Duration::from_secs(600));
    assert_eq!(defaults.device_index_reads_at_once, 4);
    let set = load(&[
        ("ZTD_DEVICE_INDEX_REFRESH_SECS", "60"),
        ("ZTD_CUSTOMER_LIST_TTL_SECS", "5"),
        ("ZTD_DEVICE_INDEX_READS_AT_ONCE", "1"),
    ])
    .unwrap();
    assert_eq!(set.device_index_refresh, Duration::from_secs(60));
    assert_eq!(set.customer_list_ttl, Duration::from_secs(5));
    assert_eq!(set.device_index_reads_at_once, 1);
    assert!(load(&[("ZTD_DEVICE_INDEX_REFRESH_SECS", "0")]).is_err());
    assert!(load(&[("ZTD_DEVICE_INDEX_READS_AT_ONCE", "0")]).is_err());
}

#[test]
fn an_operation_has_four_device_writes_under_way_at_once_unless_set() {
    assert_eq!(load(&[]).unwrap().device_writes_at_once, 4);
    let set = load(&[("ZTD_DEVICE_WRITES_AT_ONCE", "16")]).unwrap();
    assert_eq!(set.device_writes_at_once, 16);
    assert!(load(&[("ZTD_DEVICE_WRITES_AT_ONCE", "0")]).is_err());
}

/// The release's example configuration loads as it stands, and names every setting (set or
/// commented out), so a new setting cannot be left out of it.
#[test]
fn the_example_configuration_loads_and_names_every_setting() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/ztd-dashboard.toml");
    let config = load(&[("ZTD_CONFIG", path)]).unwrap();
    assert_eq!(config.public_url.as_str(), "https://dashboard.example.com/");
    assert!(config.entra.is_some());
    assert_eq!(
        config.trusted_proxies,
        vec!["127.0.0.1/32".parse().unwrap()]
    );
    let text = std::fs::read_to_string(path).unwrap();
    for key in KEYS {
        assert!(
            text.lines().any(|line| line
                .trim_start_matches("# ")
                .starts_with(&format!("{key} = "))),
            "the example does not name {key}"
        );
    }
}

#[test]
fn trusted_proxies_and_the_metrics_address_are_checked() {
    let config = load(&[
        ("ZTD_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1"),
        ("ZTD_METRICS_ADDR", "127.0.0.1:9100"),
    ])
    .unwrap();
    assert_eq!(config.trusted_proxies.len(), 3);
    assert!(config.trusted_proxies[0].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
    assert_eq!(config.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
    assert!(load(&[]).unwrap().metrics_addr.is_none());
    let error = load(&[("ZTD_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_TRUSTED_PROXIES");
    assert!(error.to_string().contains("proxy.local"), "{error}");
    let error = load(&[("ZTD_METRICS_ADDR", "9100")]).unwrap_err();
    assert_eq!(error.setting, "ZTD_METRICS_ADDR");
}
