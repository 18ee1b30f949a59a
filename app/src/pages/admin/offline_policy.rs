//! Offline policy (ADMIN only): how long a device may sign in offline after its last online
//! sign-in (0 turns offline sign-in off) and after how long idle every tab locks.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;

use crate::api::get_offline_policy;
use crate::components::notice::{prefill, show_result, Flash};
use crate::offline::access::OfflinePolicy;

#[component]
pub fn OfflinePolicyPage() -> impl IntoView {
    let policy = Resource::new(|| (), |_| get_offline_policy());
    view! {
        <h1>"Offline policy"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading the offline policy…"</p> }>
            {move || Suspend::new(async move {
                show_result(policy.await, |policy| view! { <PolicyForm policy /> })
            })}
        </Suspense>
    }
}

#[component]
fn PolicyForm(policy: OfflinePolicy) -> impl IntoView {
    let window = prefill(
        "offline_window_days",
        policy.offline_window_days.to_string(),
    );
    let idle = prefill("idle_lock_minutes", policy.idle_lock_minutes.to_string());
    view! {
        <section class="card" aria-labelledby="policy-form">
            <h2 id="policy-form">"Offline sign-in"</h2>
            <form method="post" action="/forms/offline-policy" class="stack">
                <CsrfField />
                <label for="policy-window">"Offline window (days; 0 turns offline sign-in off)"</label>
                <input id="policy-window" name="offline_window_days" type="number" required
                    min="0" max=OfflinePolicy::MAX_WINDOW_DAYS value=window />
                <label for="policy-idle">"Idle lock (minutes)"</label>
                <input id="policy-idle" name="idle_lock_minutes" type="number" required
                    min="1" max=OfflinePolicy::MAX_IDLE_MINUTES value=idle />
                <button type="submit">"Save policy"</button>
            </form>
            <p class="hint">
                "A device kept for offline use may sign in without a network for this many days "
                "after its last online sign-in. Changes apply from each device's next online sign-in."
            </p>
        </section>
    }
}
