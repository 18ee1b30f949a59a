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
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
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
    // Offline, the header and pages know the user from the device's last snapshot.
    let user = Resource::new(
        || (),
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
    // Async SSR: every page is complete HTML before it is sent, so it works without JavaScript.
    let ssr = SsrMode::Async;
    view! {
        <Stylesheet id="drims-css" href="/drims.css" />
        <Title text="DRIMS" />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=HomePage ssr=ssr.clone() />
                    <Route path=path!("/login") view=LoginPage ssr=ssr.clone() />
                    <Route path=path!("/inventory") view=stock::inventory::InventoryPage ssr=ssr.clone() />
                    <Route path=path!("/intake") view=stock::intake::IntakePage ssr=ssr.clone() />
                    <Route path=path!("/distribution") view=stock::distribution::DistributionPage ssr=ssr.clone() />
                    <Route path=path!("/needs-lists") view=pages::needs_lists::NeedsListsPage ssr=ssr.clone() />
                    <Route path=path!("/needs-lists/new") view=pages::needs_list::NeedsListNewPage ssr=ssr.clone() />
                    <Route path=path!("/needs-lists/:id") view=pages::needs_lists::NeedsListDetailPage ssr=ssr.clone() />
                    <Route path=path!("/needs-lists/:id/edit") view=pages::needs_lists::NeedsListEditPage ssr=ssr.clone() />
                    <Route path=path!("/needs-lists/:id/prepare") view=pages::needs_lists::PreparePage ssr=ssr.clone() />
                    <Route path=path!("/transfers") view=pages::transfers::TransfersPage ssr=ssr.clone() />
                    <Route path=path!("/confirmations") view=pages::transfers::ConfirmationsPage ssr=ssr.clone() />
                    <Route path=path!("/history") view=stock::history::HistoryPage ssr=ssr.clone() />
                    <Route path=path!("/notifications") view=pages::notifications::NotificationsPage ssr=ssr.clone() />
                    <Route path=path!("/sync-issues") view=pages::sync_issues::SyncIssuesPage ssr=ssr.clone() />
                    <Route path=path!("/admin/hubs") view=admin::hubs::HubsPage ssr=ssr.clone() />
                    <Route path=path!("/admin/hubs/:id") view=admin::hubs::HubEditPage ssr=ssr.clone() />
                    <Route path=path!("/admin/items") view=admin::items::ItemsPage ssr=ssr.clone() />
                    <Route path=path!("/admin/items/:id") view=admin::items::ItemEditPage ssr=ssr.clone() />
                    <Route path=path!("/admin/events") view=admin::events::EventsPage ssr=ssr.clone() />
                    <Route path=path!("/admin/events/:id") view=admin::events::EventEditPage ssr=ssr.clone() />
                    <Route path=path!("/admin/users") view=admin::users::UsersPage ssr=ssr.clone() />
                    <Route path=path!("/admin/users/:id") view=admin::users::UserEditPage ssr=ssr />
                </Routes>
            </main>
        </Router>
    }
}
