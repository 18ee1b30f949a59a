//! Devices (ADMIN only): every registered device with its mode, user, last seen and last sync,
//! and per device the no-JS forms to enable or disable offline use, deprovision and revoke
//! (with a reason); `/admin/devices/{id}` shows one device's activity log.
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::{get_device, get_devices};
use crate::components::notice::{show_result, Flash};
use crate::offline::devices::{DeviceDetail, DeviceList, DeviceSummary};

fn mode(d: &DeviceSummary) -> &'static str {
    if d.revoked {
        "Revoked"
    } else if d.wipe_requested_at.is_some() {
        "Deprovisioning"
    } else if d.offline_enabled {
        "Offline enabled"
    } else {
        "Online only"
    }
}

fn or_never(t: &Option<String>) -> String {
    t.clone().unwrap_or_else(|| "never".into())
}

#[component]
pub fn DevicesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| in_time(get_devices()));
    view! {
        <h1>"Devices"</h1>
        <Flash />
        <p><a href="/admin/devices/export.csv">"Export devices (CSV)"</a>" · "
            <a href="/admin/offline-policy">"Device and offline policy"</a></p>
        <Suspense fallback=|| view! { <p>"Loading devices…"</p> }>
            {move || Suspend::new(async move {
                show_result(list.await, |list| view! { <Devices list /> })
            })}
        </Suspense>
    }
}

#[component]
fn Devices(list: DeviceList) -> impl IntoView {
    let p = &list.policy;
    let summary = format!(
        "Default mode {}; {} of {} devices kept for offline use; grace period {} days.",
        p.default_mode,
        p.current_offline_count.unwrap_or_default(),
        p.max_offline_devices
            .map_or("unlimited".to_string(), |n| n.to_string()),
        p.offline_grace_days
    );
    let empty = list.devices.is_empty();
    view! {
        <p role="status">{summary}</p>
        {empty.then(|| view! { <p>"No device has signed in with an id yet."</p> })}
        {list.devices.into_iter().map(|d| view! { <DeviceCard d /> }).collect_view()}
    }
}

#[component]
fn DeviceCard(d: DeviceSummary) -> impl IntoView {
    let title = d.name.clone().unwrap_or_else(|| d.id.clone());
    let heading = format!("device-{}", d.id);
    let labelled = heading.clone();
    let base = format!("/forms/devices/{}", d.id);
    let toggle = if d.offline_enabled { "off" } else { "on" };
    let toggle_label = if d.offline_enabled {
        "Disable offline use"
    } else {
        "Enable offline use"
    };
    let open = !d.revoked;
    let deprovisionable = open && d.wipe_requested_at.is_none();
    let reason_id = format!("reason-{}", d.id);
    let reason_for = reason_id.clone();
    view! {
        <section class="card" aria-labelledby=labelled>
            <h2 id=heading>{title}</h2>
            <dl class="facts">
                <dt>"Device id"</dt><dd><code>{d.id.clone()}</code></dd>
                <dt>"Mode"</dt><dd>{mode(&d)}</dd>
                <dt>"User"</dt><dd>{d.user.clone().unwrap_or_default()}</dd>
                <dt>"Platform"</dt><dd>{d.platform.clone().unwrap_or_default()}</dd>
                <dt>"Last seen"</dt><dd>{or_never(&d.last_seen_at)}</dd>
                <dt>"Last sync"</dt><dd>{format!("{} ({} operations)", or_never(&d.last_sync_at), d.last_sync_count)}</dd>
                {d.revoked_at.clone().map(|at| view! {
                    <dt>"Revoked"</dt><dd>{format!("{at}: {}", d.revoke_reason.clone().unwrap_or_default())}</dd>
                })}
            </dl>
            <p><a href=format!("/admin/devices/{}", d.id)>"Activity"</a></p>
            {deprovisionable.then(|| view! {
                <form method="post" action=format!("{base}/offline")>
                    <CsrfField />
                    <input type="hidden" name="offline" value=toggle />
                    <button type="submit">{toggle_label}</button>
                </form>
                <form method="post" action=format!("{base}/deprovision")>
                    <CsrfField />
                    <input type="hidden" name="confirm" value="yes" />
                    <button type="submit">"Deprovision (sync, then wipe)"</button>
                </form>
            })}
            {open.then(|| view! {
                <form method="post" action=format!("{base}/revoke") class="stack">
                    <CsrfField />
                    <label for=reason_for>"Reason for revoking (lost, stolen, ...)"</label>
                    <input id=reason_id name="reason" type="text" required maxlength="500" />
                    <button type="submit">"Revoke device"</button>
                </form>
            })}
        </section>
    }
}

#[component]
pub fn DeviceActivityPage() -> impl IntoView {
    let id = leptos_router::hooks::use_params_map()
        .get_untracked()
        .get("id")
        .unwrap_or_default();
    let detail = Resource::new(move || id.clone(), |k| in_time(get_device(k)));
    view! {
        <p><a href="/admin/devices">"← All devices"</a></p>
        <Suspense fallback=|| view! { <p>"Loading the device…"</p> }>
            {move || Suspend::new(async move {
                show_result(detail.await, |detail| view! { <Activity detail /> })
            })}
        </Suspense>
    }
}

#[component]
fn Activity(detail: DeviceDetail) -> impl IntoView {
    let d = detail.device;
    let title = format!("Device {}", d.name.clone().unwrap_or_else(|| d.id.clone()));
    view! {
        <h1>{title}</h1>
        <p>{format!("{} · {}", mode(&d), d.user.clone().unwrap_or_default())}</p>
        <p><a href=format!("/admin/devices/{}/activity.csv", d.id)>"Export activity (CSV)"</a></p>
        <table class="data">
            <caption>"Activity, newest first"</caption>
            <thead><tr>
                <th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"User"</th>
                <th scope="col">"Operations"</th><th scope="col">"Details"</th>
            </tr></thead>
            <tbody>
                {detail.events.into_iter().map(|e| view! {
                    <tr>
                        <td>{e.at}</td>
                        <td>{e.kind}</td>
                        <td>{e.user.unwrap_or_default()}</td>
                        <td>{e.count.map(|c| c.to_string()).unwrap_or_default()}</td>
                        <td><code>{e.details}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
