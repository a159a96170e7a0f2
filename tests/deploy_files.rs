//! The files a release ships for its deployment (`deploy/`, packed by `make dist`): the
//! systemd unit runs the dashboard as its own user with the system read-only around it, and
//! systemd accepts it as written; the nginx example passes on what the dashboard believes
//! only from a trusted proxy. (The example configuration is checked by the configuration's
//! unit tests.)

use std::process::Command;

fn deploy(file: &str) -> String {
    std::fs::read_to_string(format!("{}/deploy/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_systemd_unit_is_hardened_and_systemd_accepts_it() {
    let unit = deploy("ztd-dashboard.service");
    for line in [
        "DynamicUser=yes",
        "StateDirectory=ztd-dashboard",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "Environment=ZTD_DATA_DIR=/var/lib/ztd-dashboard",
        "LoadCredential=ztd-dashboard.toml:/etc/ztd-dashboard/ztd-dashboard.toml",
        "Environment=ZTD_CONFIG=%d/ztd-dashboard.toml",
        "Environment=ZTD_SITE_ROOT=/opt/ztd-dashboard/site",
        "ExecStart=/opt/ztd-dashboard/bin/ztd-dashboard",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    // systemd's own reading of it, where systemd is installed: the paths pointed at a copy
    // of the release's layout (it checks that the program exists).
    let Ok(analyze) = which("systemd-analyze") else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_ztd-dashboard"),
        bin.join("ztd-dashboard"),
    )
    .unwrap();
    let unit = unit.replace("/opt/ztd-dashboard", root.path().to_str().unwrap());
    let path = root.path().join("ztd-dashboard.service");
    std::fs::write(&path, unit).unwrap();
    let verified = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verified.stderr).to_string();
    assert!(
        verified.status.success() && said.trim().is_empty(),
        "{said}"
    );
}

#[test]
fn the_nginx_example_passes_the_request_id_and_the_client_on() {
    let nginx = deploy("nginx.conf");
    // In the server block, so that no location can send the client's own headers on.
    let server = &nginx[nginx.find("listen 443").unwrap()..];
    let server = &server[..server.find("\n    location ").unwrap()];
    for line in [
        "proxy_set_header X-Request-Id $request_id;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header Host $host;",
        "proxy_request_buffering off;",
        "client_max_body_size 60m;",
    ] {
        assert!(
            server.contains(line),
            "the example's server block lacks {line}"
        );
    }
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
        .ok_or(())
}
