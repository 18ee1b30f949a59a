#![recursion_limit = "256"]
//! The WASM entry: start the offline client (IndexedDB store, sync runner) and hydrate the
//! server-rendered app, or, on the service worker's offline page, render it on the client.
pub mod access;
pub mod codec;
pub mod export;
pub mod profile;
pub mod pwa;
pub mod runner;
pub mod store;
pub mod transport;
pub mod webcrypto;

use leptos::prelude::*;

fn mark(flag: &str) {
    // A signal that the client is live, for end-to-end tests and for diagnosing a field laptop
    // ("did the app start?"). Failure to set it is harmless.
    let _ = js_sys::Reflect::set(&js_sys::global(), &flag.into(), &true.into());
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Hydrated asynchronously: an online-only page's own WASM file (see `app::online_only`)
    // is loaded before the page is hydrated. The other pages hydrate at once, as before.
    wasm_bindgen_futures::spawn_local(async {
        let owner = leptos::mount::hydrate_from_async(document().body().expect("a body"), || {
            provide_context(runner::start(false));
            view! { <app::App /> }
        })
        .await;
        owner.forget();
        mark("__drimsHydrated");
    });
}

/// Renders the app in the browser from the device's data: used by the offline page the
/// service worker serves when a navigation cannot reach the server.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount_offline() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| {
        provide_context(runner::start(true));
        view! { <app::App /> }
    });
    mark("__drimsOfflineShell");
}
