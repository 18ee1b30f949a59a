//! Transactions and audit history, scoped per role by the server.
use crate::components::offline::in_time;
use leptos::prelude::*;

use super::hub_param;
use crate::api::get_history;
use crate::components::notice::{show_result, Flash};
use crate::domain::text::display_time;
use crate::reports::History;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let hub = hub_param();
    let history = Resource::new(move || hub, |k| in_time(get_history(k)));
    view! {
        <h1>"Transactions and audit history"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(history.await, |h| view! { <HistoryTables h /> })
            })}
        </Suspense>
    }
}

#[component]
fn HistoryTables(h: History) -> impl IntoView {
    let show_audit = !h.audit.is_empty();
    view! {
        <table class="data">
            <caption>{format!("Stock movements (newest {})", h.movements.len())}</caption>
            <thead><tr>
                <th scope="col">"When"</th><th scope="col">"Hub"</th><th scope="col">"Item"</th>
                <th scope="col">"In/Out"</th><th scope="col" class="num">"Quantity"</th>
                <th scope="col">"Donor / beneficiary"</th><th scope="col">"By"</th>
            </tr></thead>
            <tbody>
                {h.movements.into_iter().map(|m| view! {
                    <tr>
                        <td>{display_time(&m.at)}</td><td>{m.hub}</td><td>{m.item}</td><td>{m.direction}</td>
                        <td class="num">{format!("{} {}", m.quantity, m.unit)}</td>
                        <td>{m.party.unwrap_or_default()}</td><td>{m.by}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {show_audit.then(|| view! {
            <table class="data">
                <caption>"Audit log (newest 200)"</caption>
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"User"</th><th scope="col">"Action"</th>
                    <th scope="col">"Record"</th><th scope="col">"Device"</th>
                </tr></thead>
                <tbody>
                    {h.audit.into_iter().map(|a| view! {
                        <tr>
                            <td>{display_time(&a.at)}</td><td>{a.user.unwrap_or_else(|| "system".into())}</td><td>{a.action}</td>
                            <td>{format!("{} {}", a.entity, a.entity_id.unwrap_or_default())}</td>
                            <td>{a.device_id.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}
