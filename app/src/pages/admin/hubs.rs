//! Hubs: list, create, edit, activate/deactivate (ADMIN, LM, LO).
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::list_hubs;
use crate::components::notice::{id_param, prefill, show_result, Flash};
use crate::domain::{HubStatus, HubType};
use crate::model::Hub;

#[component]
pub fn HubsPage() -> impl IntoView {
    let hubs = Resource::new(|| (), |_| in_time(list_hubs()));
    view! {
        <h1>"Hubs"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading hubs…"</p> }>
            {move || Suspend::new(async move {
                show_result(hubs.await, |hubs| view! {
                    <HubTable hubs />
                    <section class="card" aria-labelledby="new-hub">
                        <h2 id="new-hub">"Add a hub"</h2>
                        <HubForm action="/forms/hubs".into() hub=None submit="Create hub" />
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn HubTable(hubs: Vec<Hub>) -> impl IntoView {
    view! {
        <table class="data">
            <caption>{format!("{} hubs", hubs.len())}</caption>
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Type"</th>
                <th scope="col">"Status"</th><th scope="col">"Activated"</th>
                <th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                {hubs.into_iter().map(|h| {
                    let active = h.status == HubStatus::Active;
                    let (next, label) = if active { ("Inactive", "Deactivate") } else { ("Active", "Activate") };
                    view! {
                        <tr class:inactive=!active>
                            <td>{h.name.clone()}</td>
                            <td>{h.hub_type.code()}</td>
                            <td><span class="badge" class:off=!active>{h.status.code()}</span></td>
                            <td>{h.activated_at.clone().unwrap_or_default()}</td>
                            <td class="actions">
                                <a href=format!("/admin/hubs/{}", h.id)
                                    aria-label=format!("Edit {}", h.name)>"Edit"</a>
                                <form method="post" action=format!("/forms/hubs/{}/status", h.id) class="inline">
                                    <CsrfField />
                                    <input type="hidden" name="status" value=next />
                                    <button type="submit" class="secondary"
                                        aria-label=format!("{label} {}", h.name)>{label}</button>
                                </form>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn HubForm(action: String, hub: Option<Hub>, submit: &'static str) -> impl IntoView {
    let name = prefill(
        "name",
        hub.as_ref().map(|h| h.name.clone()).unwrap_or_default(),
    );
    let current = prefill(
        "type",
        hub.as_ref().map(|h| h.hub_type.code()).unwrap_or("SUB"),
    );
    view! {
        <form method="post" action=action class="stack">
            <CsrfField />
            <label for="hub-name">"Hub name"</label>
            <input id="hub-name" name="name" required maxlength="100" value=name />
            <label for="hub-type">"Hub type"</label>
            <select id="hub-type" name="type">
                {HubType::ALL.into_iter().map(|t| view! {
                    <option value=t.code() selected=current == t.code()>{t.code()}</option>
                }).collect_view()}
            </select>
            <button type="submit">{submit}</button>
        </form>
    }
}

#[component]
pub fn HubEditPage() -> impl IntoView {
    let hubs = Resource::new(|| (), |_| in_time(list_hubs()));
    let id = id_param();
    view! {
        <p><a href="/admin/hubs">"← All hubs"</a></p>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(hubs.await, move |hubs| {
                    match hubs.into_iter().find(|h| Some(h.id) == id) {
                        Some(hub) => view! {
                            <h1>{format!("Edit hub: {}", hub.name)}</h1>
                            <HubForm action=format!("/forms/hubs/{}", hub.id) hub=Some(hub) submit="Save hub" />
                        }.into_any(),
                        None => view! { <h1>"Hub not found"</h1> }.into_any(),
                    }
                })
            })}
        </Suspense>
    }
}
