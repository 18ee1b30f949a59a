//! The WASM entry: set up panic reporting and hydrate the server-rendered app.
//! Browser-side offline mode (IndexedDB store, sync engine) lives in modules beside this one.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A signal that the client is live, for end-to-end tests and for diagnosing a field laptop
    // ("did the app start?"). Failure to set it is harmless.
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__drimsHydrated".into(), &true.into());
}
