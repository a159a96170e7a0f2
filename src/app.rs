//! The HTML shell, the router and the layout every page shares.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::api::codec::resource;
use crate::api::get_session_info;
use crate::components::error_notice::{page_request_id, REQUEST_ID_META};
use crate::components::refused_notice::RefusedNotice;
use crate::components::take_focus::FocusedAt;
use crate::model::SessionInfo;
use crate::pages::{
    audit::AuditPage,
    batch::BatchPage,
    batch_delete::BatchDeletePage,
    batches::BatchesPage,
    customers::CustomersPage,
    device_delete::DeviceDeletePage,
    devices::DevicesPage,
    found_delete::FoundDeletePage,
    history::HistoryPage,
    not_found::NotFound,
    operation::OperationPage,
    profiles::{DeleteProfilePage, EditProfilePage, NewProfilePage, ProfilesPage},
    refused_device::RefusedDevicePage,
    signed_out::{SignInProblemPage, SignedOutPage},
    upload_new::UploadNewPage,
    upload_preview::UploadPreviewPage,
};

/// The names of the browser bundle's files under `/pkg/`: named after their content in a
/// release build (`server::assets` reads them from the site's `assets.json`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct AssetNames {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

impl AssetNames {
    /// The names a build that does not name files after their content writes.
    pub fn plain(output_name: &str) -> Self {
        AssetNames {
            js: format!("{output_name}.js"),
            wasm: format!("{output_name}.wasm"),
            css: format!("{output_name}.css"),
        }
    }

    /// Each is a file name in `/pkg/` and nothing else: no path, nothing to escape.
    pub fn all_plain_file_names(&self) -> bool {
        [&self.js, &self.wasm, &self.css].iter().all(|name| {
            !name.is_empty()
                && !name.starts_with('.')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        })
    }
}

/// The document around every page. Rendered on the server only.
pub fn shell(options: LeptosOptions, assets: AssetNames) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Named, or browsers ask for /favicon.ico, which is not there.
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=format!("/pkg/{}", assets.css)/>
                {page_request_id().map(|id| view! { <meta name=REQUEST_ID_META content=id/> })}
                <AutoReload options/>
                <Hydration assets/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Loads the browser bundle and hydrates the page. Leptos' own `HydrationScripts` also puts
/// `<link rel="preload">` for the script and the WebAssembly in the page, which a browser
/// with JavaScript off downloads on every page for nothing (7.9 MB a page in a debug build),
/// and it finds content-hashed names only beside the running executable: this is the same
/// module script, with the names the site lists, and no preload. The script asks for the
/// bundle as soon as the page is parsed, which with a page this small is as soon as a
/// preload would.
#[component]
fn Hydration(assets: AssetNames) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let script = format!(
        "import init, {{ hydrate }} from \"/pkg/{}\";\n\
         init({{ module_or_path: \"/pkg/{}\" }}).then(() => hydrate());",
        assets.js, assets.wasm
    );
    view! { <script type="module" nonce=nonce>{script}</script> }
}

/// Every page works without JavaScript: `SsrMode::Async` sends each page whole, once its
/// data is loaded, instead of streaming fragments that only JavaScript can put in place.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| format!("{page} · ztd-dashboard")/>
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/customers") view=CustomersPage ssr=SsrMode::Async/>
                    <Route path=path!("/signed-out") view=SignedOutPage ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in/problem") view=SignInProblemPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/batches") view=BatchesPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/customers/:customer/batches/:batch")
                        view=BatchPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/customers/:customer/batches/:batch/delete")
                        view=BatchDeletePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/customers/:customer/batches/:batch/devices/:device/delete")
                        view=DeviceDeletePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/customers/:customer/operations/:operation")
                        view=OperationPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/customers/:customer/profiles") view=ProfilesPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/profiles/new") view=NewProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/profiles/:profile/edit") view=EditProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/profiles/:profile/delete") view=DeleteProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/devices") view=DevicesPage ssr=SsrMode::Async/>
                    <Route path=path!("/devices/delete") view=FoundDeletePage ssr=SsrMode::Async/>
                    <Route path=path!("/uploads") view=HistoryPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/uploads") view=HistoryPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/uploads/new") view=UploadNewPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/uploads/:upload") view=UploadPreviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:customer/operations/:operation/rows/:row") view=RefusedDevicePage ssr=SsrMode::Async/>
                </Routes>
            </Layout>
        </Router>
    }
}

/// Product name, the Sandbox marker, who is signed in, sign out, and the page.
#[component]
fn Layout(children: Children) -> impl IntoView {
    let info = resource(|| (), |_| get_session_info());
    provide_context(FocusedAt::here());
    // After a link followed in place, the page's request id is no longer this page's.
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        Effect::new(move |first: Option<()>| {
            let _ = (location.pathname.get(), location.search.get());
            if first.is_some() {
                crate::components::error_notice::forget_page_request_id();
            }
        });
    }
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="top">
            <a class="product" href="/customers">"ztd-dashboard"</a>
            <Suspense>
                {move || Suspend::new(async move {
                    info.await.ok().map(|info: SessionInfo| {
                        let sandbox = info.sandbox.then(|| view! {
                            <span class="sandbox" title="Running against the built-in simulator of Entra ID and Partner Center, not Microsoft">
                                "Sandbox"
                            </span>
                        });
                        let user = info.user.map(|user| view! {
                            <form method="get" action=crate::urls::devices("") class="find-device" role="search" aria-label="Find a device">
                                <input type="search" name="q" maxlength="20000"
                                    aria-label="Find a device by serial number, product key or hardware hash"
                                    placeholder="Find a device…"/>
                            </form>
                            <nav class="sections" aria-label="Sections">
                                <a href="/customers">"Customers"</a>
                                <a href="/uploads">"Uploads"</a>
                                <a href="/audit">"Audit"</a>
                            </nav>
                            <div class="user">
                                <span title=user.upn.clone()>{user.name.clone()}</span>
                                <form method="post" action="/auth/logout">
                                    <button type="submit" class="link">"Sign out"</button>
                                </form>
                            </div>
                        });
                        view! { {sandbox} {user} }
                    })
                })}
            </Suspense>
        </header>
        // Said on every page, not only in the header's pill: what is done here is make-believe.
        <Suspense>
            {move || Suspend::new(async move {
                info.await.ok().filter(|info: &SessionInfo| info.sandbox).map(|_| view! {
                    <p class="sandbox-banner" role="note">
                        "Sandbox: sign-in and Partner Center are simulated on this machine; nothing here reaches Microsoft."
                    </p>
                })
            })}
        </Suspense>
        <main id="main" tabindex="-1"><RefusedNotice/>{children()}</main>
    }
}
