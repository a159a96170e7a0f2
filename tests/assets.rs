//! The site's static files as a browser gets them: named after their content and kept for a
//! year, compressed copies sent to a browser that accepts them, files whose names stay checked
//! again (a 304 when unchanged), pages compressed on the way out; and nothing of the bundle
//! asked for by a page that runs no script.

mod common;

use common::uploads::*;
use common::*;

const JS: &str = "ztd-dashboard.0123456789abcdef.js";
const WASM: &str = "ztd-dashboard.fedcba9876543210.wasm";
const CSS: &str = "ztd-dashboard.00112233aabbccdd.css";
const FILES: [(&str, &str); 3] = [(JS, "export default 1;"), (WASM, "\0asm"), (CSS, "main{}")];

/// A site as a release build writes it: hashed names, their list, compressed copies.
fn release_site() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    for (name, body) in FILES {
        std::fs::write(pkg.join(name), body).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("br of {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz of {name}")).unwrap();
    }
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    std::fs::write(
        site.path().join("assets.json"),
        format!(r#"{{"js": "{JS}", "wasm": "{WASM}", "css": "{CSS}"}}"#),
    )
    .unwrap();
    site
}

#[tokio::test]
async fn static_files_are_named_after_their_content_kept_and_sent_compressed() {
    let site = release_site();
    let app = spawn_app_with(&[("ZTD_SITE_ROOT", site.path().to_str().unwrap())]).await;
    let browser = signed_in(&app).await;

    // The page names the listed files, and asks for nothing before its script runs.
    let page = browser
        .page(&format!("/customers/{NORTHWIND}/batches"), 200)
        .await;
    assert!(
        page.contains(&format!(r#"<link rel="stylesheet" href="/pkg/{CSS}">"#)),
        "{page}"
    );
    assert!(page.contains(&format!(r#"from "/pkg/{JS}""#)), "{page}");
    assert!(
        page.contains(&format!(r#"module_or_path: "/pkg/{WASM}""#)),
        "{page}"
    );
    assert!(
        !page.contains("preload"),
        "a page without JavaScript would download what a preload names: {page}"
    );

    // Each file: its brotli copy, else its gzip one, else itself; kept for a year.
    for (name, original) in FILES {
        let path = format!("/pkg/{name}");
        for (accepts, encoding, body) in [
            ("gzip, br", Some("br"), format!("br of {name}")),
            ("gzip", Some("gzip"), format!("gz of {name}")),
            ("identity", None, original.to_string()),
        ] {
            let response = browser
                .send(browser.get_to(&path).header("accept-encoding", accepts))
                .await;
            assert_eq!(response.status(), 200, "{path}");
            let headers = response.headers().clone();
            assert_eq!(
                headers["cache-control"], "public, max-age=31536000, immutable",
                "{path}"
            );
            assert_eq!(
                headers.get("content-encoding").map(|v| v.to_str().unwrap()),
                encoding,
                "{path} for {accepts}"
            );
            assert_eq!(headers["vary"], "accept-encoding", "{path}");
            assert_eq!(response.text().await.unwrap(), body, "{path} for {accepts}");
        }
    }
    // A file that is not there is not kept: the next release's name, asked of this one.
    let missing = browser
        .get("/pkg/ztd-dashboard.ffffffffffffffff.wasm")
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-store");

    // A file whose name stays is checked first: unchanged, a 304 and no body.
    let icon = browser.get("/favicon.svg").await;
    assert_eq!(icon.headers()["cache-control"], "no-cache");
    let modified = icon.headers()["last-modified"].clone();
    let again = browser
        .send(
            browser
                .get_to("/favicon.svg")
                .header("if-modified-since", modified),
        )
        .await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    // Pages and CSV downloads compressed on the way out; a workbook (a zip) as it is.
    let browser = &browser;
    let compressed = |path: String| {
        let request = browser.get_to(&path).header("accept-encoding", "gzip");
        async move {
            let response = browser.send(request).await;
            assert_eq!(response.status(), 200, "{path}");
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string())
        }
    };
    assert_eq!(
        compressed(format!("/customers/{NORTHWIND}/batches"))
            .await
            .as_deref(),
        Some("gzip")
    );
    assert_eq!(
        compressed(format!("/customers/{CONTOSO}/devices.csv"))
            .await
            .as_deref(),
        Some("gzip")
    );
    assert_eq!(
        compressed(format!("/customers/{CONTOSO}/devices.xlsx")).await,
        None
    );
}

#[tokio::test]
async fn without_a_list_of_names_the_plain_names_are_served_and_checked_first() {
    let site = release_site();
    std::fs::remove_file(site.path().join("assets.json")).unwrap();
    std::fs::write(site.path().join("pkg/ztd-dashboard.css"), "main{}").unwrap();
    let app = spawn_app_with(&[("ZTD_SITE_ROOT", site.path().to_str().unwrap())]).await;
    let browser = signed_in(&app).await;
    let page = browser.page("/customers", 200).await;
    assert!(page.contains(r#"href="/pkg/ztd-dashboard.css""#), "{page}");
    assert!(page.contains(r#"from "/pkg/ztd-dashboard.js""#), "{page}");
    let css = browser.get("/pkg/ztd-dashboard.css").await;
    assert_eq!(css.headers()["cache-control"], "no-cache");

    // A list that names anything but a plain file name is not believed.
    std::fs::write(
        site.path().join("assets.json"),
        r#"{"js": "../../secret.js", "wasm": "a.wasm", "css": "a.css"}"#,
    )
    .unwrap();
    let app = spawn_app_with(&[("ZTD_SITE_ROOT", site.path().to_str().unwrap())]).await;
    let browser = signed_in(&app).await;
    let page = browser.page("/customers", 200).await;
    assert!(!page.contains("secret"), "{page}");
    assert!(page.contains(r#"from "/pkg/ztd-dashboard.js""#), "{page}");
}

/// The compression on the way out asks a streamed body for more after its end: a download
/// read from the database page by page must end cleanly, not break off.
#[tokio::test]
async fn a_streamed_download_compressed_on_the_way_out_arrives_whole() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let preview = draft(
        &browser,
        NORTHWIND,
        to_new_batch(
            file_form("z.csv", autopilot_csv(1, 3).into_bytes()),
            "Zipped",
        ),
    )
    .await;
    let operation = submitted(&browser, &preview).await;
    let job = submit_wait(&browser, &operation).await;
    assert!(accepted(&job), "{job}");
    for download in ["report.csv", "failed.csv"] {
        let response = browser
            .send(
                browser
                    .get_to(&format!("{operation}/{download}"))
                    .header("accept-encoding", "gzip"),
            )
            .await;
        assert_eq!(response.status(), 200, "{download}");
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let body = response
            .bytes()
            .await
            .expect("the whole body, ended cleanly");
        assert!(body.starts_with(&[0x1f, 0x8b]), "gzip");
    }
}
