//! Sync issues held by the server: operations it refused, with the reason and what was
//! entered. LM and ADMIN see everyone's, to resolve them with the people who recorded them.
use leptos::prelude::*;

use crate::api::get_sync_issues;
use crate::components::notice::{show_result, Flash};
use crate::domain::text::display_time;
use crate::reports::RejectedOperation;

#[component]
pub fn SyncIssuesPage() -> impl IntoView {
    let issues = Resource::new(|| (), |_| get_sync_issues());
    view! {
        <h1>"Sync issues"</h1>
        <p>"Operations the server refused. Nothing was written for them; the person who recorded one can fix and send it again, or discard it."</p>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(issues.await, |list| view! { <IssueTable list /> })
            })}
        </Suspense>
    }
}

#[component]
fn IssueTable(list: Vec<RejectedOperation>) -> impl IntoView {
    let empty = list.is_empty();
    view! {
        <table class="data">
            <caption>{format!("{} refused operations", list.len())}</caption>
            <thead><tr>
                <th scope="col">"Received"</th><th scope="col">"User"</th><th scope="col">"Device"</th>
                <th scope="col">"Kind"</th><th scope="col">"Hub"</th><th scope="col">"Reason"</th>
                <th scope="col">"What was entered"</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|r| view! {
                    <tr>
                        <td>{display_time(&r.received_at)}</td><td>{r.username}</td><td>{r.device_id}</td>
                        <td>{r.kind}</td><td>{r.hub.unwrap_or_default()}</td>
                        <td><strong>{r.reason}</strong>": "{r.message}</td>
                        <td><code class="payload">{r.payload}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"No refused operations."</p> })}
    }
}
