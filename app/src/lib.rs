//! DRIMS shared crate: domain types, the permission rule, wire types, server functions and
//! the Leptos pages. Compiles for the server (`ssr`) and the browser (`hydrate`); no sqlx here.
pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod nav;
pub mod offline;
pub mod ops;
pub mod pages;
pub mod permissions;
pub mod reports;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

use crate::components::layout::Header;
use crate::pages::{home::HomePage, login::LoginPage, not_found::NotFound, stock};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#0b3d62" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="icon" type="image/png" href="/icons/any-192.png" />
                <link rel="apple-touch-icon" href="/icons/any-192.png" />
                // This build's content-hashed stylesheet (the offline page links the same file).
                <HashedStylesheet options=options.clone() id="drims-css" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
                <components::csrf::TokenMeta />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The browser client provides the offline context before the app starts; the server
    // (and a page without JavaScript) gets the inert one.
    let offline = match use_context::<offline::client::Offline>() {
        Some(offline) => offline,
        None => {
            let inert = offline::client::Offline::inert();
            provide_context(inert.clone());
            inert
        }
    };
    // Offline, the header and pages know the user from the open profile's last snapshot; the
    // user is looked up again whenever the open profile changes.
    let status = offline.status;
    let user = Resource::new(
        move || status.with(|s| s.access_epoch),
        move |_| {
            let offline = offline.clone();
            async move {
                components::offline::or_offline(api::current_user(), &offline, |d| {
                    d.snapshot
                        .as_ref()
                        .map(|s| Some(offline::project::session_user(s)))
                })
                .await
            }
        },
    );
    provide_context(components::layout::UserResource(user));
    // Async SSR on every route: each page is complete HTML before it is sent, so it works
    // without JavaScript.
    view! {
        <Title text="DRIMS" />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main" tabindex="-1">
                // The device was revoked or deprovisioned: say why, above the sign-in page.
                {move || status.with(|s| s.wiped.clone()).map(|why| view! {
                    <p class="error" role="alert" data-wiped="true">
                        {why}" Everything DRIMS kept on this device has been deleted."
                    </p>
                })}
                // No open profile offline (or locked after the idle time): only the sign-in page.
                <Show
                    when=move || !status.with(|s| s.needs_unlock)
                    fallback=|| view! { <LoginPage /> }
                >
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/inventory") view=stock::inventory::InventoryPage ssr=SsrMode::Async />
                    <Route path=path!("/intake") view=stock::intake::IntakePage ssr=SsrMode::Async />
                    <Route path=path!("/distribution") view=stock::distribution::DistributionPage ssr=SsrMode::Async />
                    <Route path=path!("/needs-lists") view=pages::needs_lists::NeedsListsPage ssr=SsrMode::Async />
                    <Route path=path!("/needs-lists/new") view=pages::needs_list::NeedsListNewPage ssr=SsrMode::Async />
                    <Route path=path!("/needs-lists/:id") view=pages::needs_lists::NeedsListDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/needs-lists/:id/edit") view=pages::needs_lists::NeedsListEditPage ssr=SsrMode::Async />
                    <Route path=path!("/needs-lists/:id/prepare") view={Lazy::<online_only::PrepareRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/transfers") view=pages::transfers::TransfersPage ssr=SsrMode::Async />
                    <Route path=path!("/confirmations") view={Lazy::<online_only::ConfirmationsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/history") view={Lazy::<online_only::HistoryRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/notifications") view={Lazy::<online_only::NotificationsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/sync-issues") view=pages::sync_issues::SyncIssuesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/hubs") view={Lazy::<online_only::HubsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/hubs/:id") view={Lazy::<online_only::HubEditRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/items") view={Lazy::<online_only::ItemsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/items/:id") view={Lazy::<online_only::ItemEditRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/events") view={Lazy::<online_only::EventsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/events/:id") view={Lazy::<online_only::EventEditRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view={Lazy::<online_only::UsersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:id") view={Lazy::<online_only::UserEditRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/offline-policy") view={Lazy::<online_only::OfflinePolicyRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/devices") view={Lazy::<online_only::DevicesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/devices/:id") view={Lazy::<online_only::DeviceActivityRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/import") view={Lazy::<online_only::ImportRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/imports/:id") view={Lazy::<online_only::ImportReportRoute>::new()} ssr=SsrMode::Async />
                </Routes>
                </Show>
            </main>
        </Router>
    }
}

/// The pages that need the server: every admin page, confirmations, history,
/// notifications, preparing a needs list. Built with `cargo leptos --split` (every build in the
/// Makefile), each one's code is a WASM file of its own that the browser loads the first time
/// the page is shown. The WASM every device downloads, and keeps for offline use, holds only
/// the pages that work offline. Without a connection a page whose file was never loaded says
/// that it needs one (the load error is returned, not a panic, which would stop the client).
mod online_only {
    use crate::pages;
    use crate::pages::{admin, stock};
    use leptos::prelude::*;
    use leptos_router::LazyRoute;

    macro_rules! online_only {
        ($($route:ident, $module:ident, $preload:ident => $page:path;)*) => {$(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                // Awaited by the router before it hydrates the page the server sent: the page's
                // file must be there first (the server named it in the page, so it is on its
                // way), and the page stays usable as plain HTML meanwhile. A failure shows in
                // `view`. Shown by the client instead, the page is loaded in `view`.
                async fn preload() {
                    #[cfg(feature = "split")]
                    if hydrating() {
                        let _ = $preload().await;
                    }
                }

                async fn view(_this: Self) -> AnyView {
                    #[cfg(feature = "split")]
                    {
                        let loaded = crate::components::offline::deadline(PAGE_FILE_MS, $module());
                        match loaded.await {
                            Some(Ok(page)) => page,
                            _ => not_loaded(),
                        }
                    }
                    #[cfg(not(feature = "split"))]
                    {
                        // The server names the page's files in the HTML it sends, so the
                        // browser fetches them while it starts. (A client built without the
                        // split, as the WASM tests are, has the page here.)
                        leptos::prefetch_lazy_fn_on_server(stringify!($module));
                        $page().into_any()
                    }
                }
            }

            #[cfg(feature = "split")]
            #[leptos::wasm_split::wasm_split(
                $module,
                wasm_split_path = ::leptos::wasm_split,
                preload($preload),
                fallible
            )]
            fn $module() -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
                Ok($page().into_any())
            }
        )*};
    }

    /// How long a page's file may take before the page says it could not be loaded: on a link
    /// that answers nothing the click would otherwise do nothing for minutes. A page's file is
    /// 2-14 KB with brotli (with the parts it shares, up to ~30 KB): seconds over 2G.
    #[cfg(feature = "split")]
    const PAGE_FILE_MS: i32 = 15_000;

    /// Whether the client is hydrating the page the server sent (not showing one itself).
    #[cfg(feature = "split")]
    fn hydrating() -> bool {
        Owner::current_shared_context().is_some_and(|sc| sc.during_hydration())
    }

    /// The page's file could not be loaded (in time): no connection, a link that answers
    /// nothing, or the server runs a newer build whose files replaced this one's (the update
    /// prompt then offers the new version).
    #[cfg(feature = "split")]
    fn not_loaded() -> AnyView {
        view! {
            <section class="card">
                <h1>"This page needs a connection"</h1>
                <p class="error" role="alert" data-needs-connection="true">
                    "This page works only with a connection to the DRIMS server, and this device could not load it. Reconnect and open it again (when DRIMS says an update is available, accept it first: the page belongs to the new version). The pages for offline work stay available."
                </p>
                <p><a href="/">"Back to the dashboard"</a></p>
            </section>
        }
        .into_any()
    }

    online_only! {
        PrepareRoute, online_prepare, preload_prepare => pages::needs_lists::PreparePage;
        ConfirmationsRoute, online_confirmations, preload_confirmations => pages::transfers::ConfirmationsPage;
        HistoryRoute, online_history, preload_history => stock::history::HistoryPage;
        NotificationsRoute, online_notifications, preload_notifications => pages::notifications::NotificationsPage;
        HubsRoute, online_hubs, preload_hubs => admin::hubs::HubsPage;
        HubEditRoute, online_hub_edit, preload_hub_edit => admin::hubs::HubEditPage;
        ItemsRoute, online_items, preload_items => admin::items::ItemsPage;
        ItemEditRoute, online_item_edit, preload_item_edit => admin::items::ItemEditPage;
        EventsRoute, online_events, preload_events => admin::events::EventsPage;
        EventEditRoute, online_event_edit, preload_event_edit => admin::events::EventEditPage;
        UsersRoute, online_users, preload_users => admin::users::UsersPage;
        UserEditRoute, online_user_edit, preload_user_edit => admin::users::UserEditPage;
        OfflinePolicyRoute, online_offline_policy, preload_offline_policy => admin::offline_policy::OfflinePolicyPage;
        DevicesRoute, online_devices, preload_devices => admin::devices::DevicesPage;
        DeviceActivityRoute, online_device_activity, preload_device_activity => admin::devices::DeviceActivityPage;
        ImportRoute, online_import, preload_import => admin::import::ImportPage;
        ImportReportRoute, online_import_report, preload_import_report => admin::import::ImportReportPage;
    }
}
