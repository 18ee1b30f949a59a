//! Needs lists after creation: the lists and queues, one list (lines, allocations, timeline and
//! the actions the user may take now), the edit form of a Draft, and the prepare screen with
//! its editing lock. Plain forms, so everything works without JavaScript; with it, the prepare
//! screen renews its lock every minute.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;

use crate::api::{get_needs_list, get_needs_list_edit, get_needs_lists, get_prepare};
use crate::components::notice::{id_param, prefill, show_result, Flash};
use crate::components::offline::{
    or_offline, queue_offline_on_submit, OfflineBanner, SaveNotice, SaveNoticeView,
};
use crate::domain::text::display_time;
use crate::offline::client::use_offline;
use crate::offline::project;
use crate::ops::forms::{build_from_fields, NeedsListActionForm};
use crate::reports::{NeedsListDetail, NeedsListSummary, NeedsListsView, PrepareView};

mod detail;
mod prepare;

pub use detail::{NeedsListDetailPage, NeedsListEditPage};
pub use prepare::PreparePage;

const QUEUES: [(&str, &str); 6] = [
    ("all", "All"),
    ("drafts", "Drafts"),
    ("prepare", "To prepare"),
    ("approval", "Awaiting approval"),
    ("dispatch", "To dispatch"),
    ("incoming", "Incoming"),
];

#[component]
pub fn NeedsListsPage() -> impl IntoView {
    let queue = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("queue");
    let offline = use_offline();
    let data = Resource::new(
        move || queue.clone(),
        move |queue| {
            let offline = offline.clone();
            async move {
                or_offline(get_needs_lists(queue.clone()), &offline, move |d| {
                    project::needs_lists(d, queue)
                })
                .await
            }
        },
    );
    view! {
        <h1>"Needs lists"</h1>
        <OfflineBanner />
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(data.await, |v| view! { <Lists v /> })
            })}
        </Suspense>
    }
}

#[component]
fn Lists(v: NeedsListsView) -> impl IntoView {
    let current = v.queue.clone();
    let title = QUEUES
        .iter()
        .find(|(q, _)| *q == current)
        .map(|(_, t)| *t)
        .unwrap_or("All");
    let empty = v.lists.is_empty();
    view! {
        {v.may_create.then(|| view! { <p><a class="button" href="/needs-lists/new">"New needs list"</a></p> })}
        <nav aria-label="Queues" class="tabs">
            {QUEUES.iter().map(|(q, label)| {
                let here = *q == current;
                view! {
                    <a href=format!("/needs-lists?queue={q}") aria-current=here.then_some("page")>{*label}</a>
                }
            }).collect_view()}
        </nav>
        <table class="data">
            <caption>{format!("{title}: {}", v.lists.len())}</caption>
            <thead><tr>
                <th scope="col">"Number"</th><th scope="col">"Requested by"</th><th scope="col">"Event"</th>
                <th scope="col">"Priority"</th><th scope="col">"Status"</th><th scope="col" class="num">"Lines"</th>
                <th scope="col">"Updated"</th>
            </tr></thead>
            <tbody>
                {v.lists.into_iter().map(|l| view! { <ListRow l /> }).collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"No needs lists here."</p> })}
    }
}

#[component]
fn ListRow(l: NeedsListSummary) -> impl IntoView {
    view! {
        <tr>
            <td><a href=format!("/needs-lists/{}", l.id)>{l.number.clone()}</a></td>
            <td>{l.hub.clone()}</td><td>{l.event.clone()}</td><td>{l.priority.clone()}</td>
            <td><span class="badge">{l.status.clone()}</span></td>
            <td class="num">{l.lines}</td><td>{display_time(&l.updated_at)}</td>
        </tr>
    }
}
