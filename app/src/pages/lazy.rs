//! Pages whose code loads on first visit rather than with the app: administration, transfers,
//! confirmations, history, notifications and the prepare screen. The build splits each into its
//! own WASM chunk (`cargo leptos build --split`), which keeps the module a device downloads and
//! compiles before the first page is interactive small on a poor link. The service worker
//! precaches the chunks with the rest of the shell, so they open offline too. Without
//! `--split` (or on the server) these are ordinary routes.
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::pages::{admin, needs_lists, notifications, stock, transfers};

/// One lazily loaded route per page: `Route => { view }`.
macro_rules! lazy_pages {
    ($($route:ident => $view:block)*) => {$(
        #[doc = concat!("The lazily loaded route of `", stringify!($view), "`.")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    )*};
}

lazy_pages! {
    TransfersRoute => { view! { <transfers::TransfersPage /> } }
    ConfirmationsRoute => { view! { <transfers::ConfirmationsPage /> } }
    HistoryRoute => { view! { <stock::history::HistoryPage /> } }
    NotificationsRoute => { view! { <notifications::NotificationsPage /> } }
    PrepareRoute => { view! { <needs_lists::PreparePage /> } }
    HubsRoute => { view! { <admin::hubs::HubsPage /> } }
    HubEditRoute => { view! { <admin::hubs::HubEditPage /> } }
    ItemsRoute => { view! { <admin::items::ItemsPage /> } }
    ItemEditRoute => { view! { <admin::items::ItemEditPage /> } }
    EventsRoute => { view! { <admin::events::EventsPage /> } }
    EventEditRoute => { view! { <admin::events::EventEditPage /> } }
    UsersRoute => { view! { <admin::users::UsersPage /> } }
    UserEditRoute => { view! { <admin::users::UserEditPage /> } }
    OfflinePolicyRoute => { view! { <admin::offline_policy::OfflinePolicyPage /> } }
    DevicesRoute => { view! { <admin::devices::DevicesPage /> } }
    DeviceActivityRoute => { view! { <admin::devices::DeviceActivityPage /> } }
    ImportRoute => { view! { <admin::import::ImportPage /> } }
    ImportReportRoute => { view! { <admin::import::ImportReportPage /> } }
}
