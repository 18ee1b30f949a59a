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
    path, SsrMode,
};

use crate::components::layout::Header;
use crate::pages::{admin, home::HomePage, login::LoginPage, not_found::NotFound, stock};

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
                    <Route path=path!("/needs-lists/:id/prepare") view=pages::needs_lists::PreparePage ssr=SsrMode::Async />
                    <Route path=path!("/transfers") view=pages::transfers::TransfersPage ssr=SsrMode::Async />
                    <Route path=path!("/confirmations") view=pages::transfers::ConfirmationsPage ssr=SsrMode::Async />
                    <Route path=path!("/history") view=stock::history::HistoryPage ssr=SsrMode::Async />
                    <Route path=path!("/notifications") view=pages::notifications::NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("/sync-issues") view=pages::sync_issues::SyncIssuesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/hubs") view=admin::hubs::HubsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/hubs/:id") view=admin::hubs::HubEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/items") view=admin::items::ItemsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/items/:id") view=admin::items::ItemEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/events") view=admin::events::EventsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/events/:id") view=admin::events::EventEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=admin::users::UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:id") view=admin::users::UserEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/offline-policy") view=admin::offline_policy::OfflinePolicyPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/devices") view=admin::devices::DevicesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/devices/:id") view=admin::devices::DeviceActivityPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/import") view=admin::import::ImportPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/imports/:id") view=admin::import::ImportReportPage ssr=SsrMode::Async />
                </Routes>
                </Show>
            </main>
        </Router>
    }
}
