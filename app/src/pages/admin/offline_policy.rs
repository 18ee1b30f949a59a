//! Offline policy (ADMIN only): how long a device may sign in offline after its last online
//! sign-in (0 turns offline sign-in off) and after how long idle every tab locks.
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::{get_device_policy, get_offline_policy};
use crate::components::notice::{prefill, show_result, Flash};
use crate::offline::access::OfflinePolicy;
use crate::offline::devices::DevicePolicy;

#[component]
pub fn OfflinePolicyPage() -> impl IntoView {
    let policy = Resource::new(|| (), |_| in_time(get_offline_policy()));
    let devices = Resource::new(|| (), |_| in_time(get_device_policy()));
    view! {
        <h1>"Offline policy"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading the offline policy…"</p> }>
            {move || Suspend::new(async move {
                show_result(policy.await, |policy| view! { <PolicyForm policy /> })
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p>"Loading the device policy…"</p> }>
            {move || Suspend::new(async move {
                show_result(devices.await, |policy| view! { <DevicePolicyForm policy /> })
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

#[component]
fn DevicePolicyForm(policy: DevicePolicy) -> impl IntoView {
    let mode = prefill("default_mode", policy.default_mode.clone());
    let max = prefill(
        "max_offline_devices",
        policy
            .max_offline_devices
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let grace = prefill("offline_grace_days", policy.offline_grace_days.to_string());
    let count = format!(
        "Devices kept for offline use now: {}.",
        policy.current_offline_count.unwrap_or_default()
    );
    let options = [
        ("ask-user", "Ask the user (the sign-in checkbox decides)"),
        ("offline-enabled", "Offline enabled (every enabled device)"),
        ("online-only", "Online only (no device kept offline)"),
    ];
    view! {
        <section class="card" aria-labelledby="device-policy-form">
            <h2 id="device-policy-form">"Devices"</h2>
            <form method="post" action="/forms/device-policy" class="stack">
                <CsrfField />
                <label for="device-mode">"Default mode"</label>
                <select id="device-mode" name="default_mode">
                    {options.into_iter().map(|(value, label)| view! {
                        <option value=value selected=mode == value>{label}</option>
                    }).collect_view()}
                </select>
                <label for="device-max">"Most devices kept for offline use (empty: no limit)"</label>
                <input id="device-max" name="max_offline_devices" type="number" min="0"
                    max=DevicePolicy::MAX_DEVICES value=max />
                <label for="device-grace">"Offline grace period (days; the offline window above)"</label>
                <input id="device-grace" name="offline_grace_days" type="number" required
                    min="0" max=OfflinePolicy::MAX_WINDOW_DAYS value=grace />
                <label>
                    <input type="checkbox" name="allow_user_request" value="on"
                        checked=policy.allow_user_request />
                    " Users may ask to keep their device for offline use"
                </label>
                <button type="submit">"Save device policy"</button>
            </form>
            <p class="hint">{count}" "<a href="/admin/devices">"Manage devices"</a></p>
        </section>
    }
}
