//! Disaster events: list, create, edit, close (ADMIN, LM, LO).
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::list_events;
use crate::components::notice::{id_param, prefill, show_result, Flash};
use crate::model::DisasterEvent;

#[component]
pub fn EventsPage() -> impl IntoView {
    let events = Resource::new(|| (), |_| in_time(list_events()));
    view! {
        <h1>"Disaster events"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading events…"</p> }>
            {move || Suspend::new(async move {
                show_result(events.await, |events| view! {
                    <EventTable events />
                    <section class="card" aria-labelledby="new-event">
                        <h2 id="new-event">"Add a disaster event"</h2>
                        <EventForm action="/forms/events".into() event=None submit="Create event" />
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn EventTable(events: Vec<DisasterEvent>) -> impl IntoView {
    view! {
        <table class="data">
            <caption>{format!("{} events", events.len())}</caption>
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Type"</th><th scope="col">"Start"</th>
                <th scope="col">"End"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                {events.into_iter().map(|e| {
                    let active = e.status == "Active";
                    view! {
                        <tr>
                            <td>{e.name.clone()}</td>
                            <td>{e.event_type.clone()}</td>
                            <td>{e.start_date.clone()}</td>
                            <td>{e.end_date.clone().unwrap_or_default()}</td>
                            <td><span class="badge" class:off=!active>{e.status.clone()}</span></td>
                            <td><a href=format!("/admin/events/{}", e.id)
                                aria-label=format!("Edit {}", e.name)>"Edit"</a></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn EventForm(action: String, event: Option<DisasterEvent>, submit: &'static str) -> impl IntoView {
    let field = |key: &str, get: fn(&DisasterEvent) -> String| {
        prefill(key, event.as_ref().map(get).unwrap_or_default())
    };
    let name = field("name", |e| e.name.clone());
    let event_type = field("event_type", |e| e.event_type.clone());
    let start = field("start_date", |e| e.start_date.clone());
    let end = field("end_date", |e| e.end_date.clone().unwrap_or_default());
    let status = prefill(
        "status",
        event
            .as_ref()
            .map(|e| e.status.clone())
            .unwrap_or("Active".into()),
    );
    view! {
        <form method="post" action=action class="stack">
            <CsrfField />
            <label for="event-name">"Event name"</label>
            <input id="event-name" name="name" required maxlength="120" value=name />
            <label for="event-type">"Event type"</label>
            <input id="event-type" name="event_type" required maxlength="60"
                placeholder="Hurricane, Flood, Earthquake…" value=event_type />
            <label for="event-start">"Start date"</label>
            <input id="event-start" name="start_date" type="date" required value=start />
            <label for="event-end">"End date (optional)"</label>
            <input id="event-end" name="end_date" type="date" value=end />
            <label for="event-status">"Status"</label>
            <select id="event-status" name="status">
                {["Active", "Closed"].into_iter().map(|s| view! {
                    <option value=s selected=status == s>{s}</option>
                }).collect_view()}
            </select>
            <button type="submit">{submit}</button>
        </form>
    }
}

#[component]
pub fn EventEditPage() -> impl IntoView {
    let events = Resource::new(|| (), |_| in_time(list_events()));
    let id = id_param();
    view! {
        <p><a href="/admin/events">"← All events"</a></p>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(events.await, move |events| {
                    match events.into_iter().find(|e| Some(e.id) == id) {
                        Some(event) => view! {
                            <h1>{format!("Edit event: {}", event.name)}</h1>
                            <EventForm action=format!("/forms/events/{}", event.id) event=Some(event) submit="Save event" />
                        }.into_any(),
                        None => view! { <h1>"Event not found"</h1> }.into_any(),
                    }
                })
            })}
        </Suspense>
    }
}
