//! A hub's inventory: search, category filter, low-stock highlight, CSV export.
use leptos::prelude::*;

use super::{hub_param, HubPicker};
use crate::api::get_inventory;
use crate::components::notice::{prefill, show_result, Flash};
use crate::components::offline::or_offline;
use crate::domain::text::display_time;
use crate::offline::client::use_offline;
use crate::offline::project;
use crate::reports::{InventoryQuery, InventoryView};

#[component]
pub fn InventoryPage() -> impl IntoView {
    let query = InventoryQuery {
        hub: hub_param(),
        q: Some(prefill("q", "")).filter(|s| !s.is_empty()),
        category: Some(prefill("category", "")).filter(|s| !s.is_empty()),
    };
    let offline = use_offline();
    let view_data = Resource::new(
        move || query.clone(),
        move |query| {
            let offline = offline.clone();
            async move {
                let online = get_inventory(query.clone());
                or_offline(online, &offline, |d| project::inventory(d, &query)).await
            }
        },
    );
    view! {
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading inventory…"</p> }>
            {move || Suspend::new(async move {
                show_result(view_data.await, |inv| view! { <Inventory inv /> })
            })}
        </Suspense>
    }
}

#[component]
fn Inventory(inv: InventoryView) -> impl IntoView {
    let hub_id = inv.hub.id;
    let q = prefill("q", "");
    let category = prefill("category", "");
    let export = format!(
        "/inventory/export.csv?{}",
        [
            ("hub", hub_id.to_string()),
            ("q", q.clone()),
            ("category", category.clone())
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
    );
    view! {
        <h1>{format!("Inventory: {}", inv.hub.name)}</h1>
        {inv.offline.clone().map(|info| view! {
            <div class="offline-info" role="status">
                <p>
                    <strong>"Offline view. "</strong>
                    {format!(
                        "Last synced {}. Quantities are projected: the last synced stock plus what waits to sync on this device.",
                        info.last_synced.as_deref().map(display_time).unwrap_or_else(|| "never".into())
                    )}
                </p>
                {info.warnings.into_iter().map(|w| view! { <p class="warning" role="alert">{w}</p> }).collect_view()}
            </div>
        })}
        <HubPicker hubs=inv.hubs.clone() current=Some(hub_id) action="/inventory" />
        <form method="get" action="/inventory" class="toolbar" role="search">
            <input type="hidden" name="hub" value=hub_id.to_string() />
            <label for="inv-q">"Search"</label>
            <input id="inv-q" name="q" type="search" value=q placeholder="Item name or SKU" />
            <label for="inv-category">"Category"</label>
            <select id="inv-category" name="category">
                <option value="">"All categories"</option>
                {inv.categories.iter().map(|c| view! {
                    <option value=c.clone() selected=*c == category>{c.clone()}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="secondary">"Filter"</button>
            <a class="button-link" href=export download>"Export CSV"</a>
        </form>
        <p class="summary">
            {format!("{} items · {} units on hand · ", inv.lines.len(), inv.total_quantity)}
            <strong>{format!("{} below minimum", inv.low_stock_count)}</strong>
        </p>
        <table class="data">
            <caption>{format!("Stock at {}", inv.hub.name)}</caption>
            <thead><tr>
                <th scope="col">"SKU"</th><th scope="col">"Item"</th><th scope="col">"Category"</th>
                <th scope="col" class="num">"On hand"</th><th scope="col" class="num">"Minimum"</th>
                <th scope="col">"Status"</th><th scope="col">"Last movement"</th>
            </tr></thead>
            <tbody>
                {inv.lines.into_iter().map(|l| view! {
                    <tr class:low=l.low_stock>
                        <td><code>{l.sku}</code></td>
                        <td>{l.name}</td>
                        <td>{l.category}</td>
                        <td class="num">
                            {format!("{} {}", l.quantity, l.unit)}
                            {(l.pending != 0).then(|| view! {
                                <span class="queued">{format!(" ({:+} queued)", l.pending)}</span>
                            })}
                        </td>
                        <td class="num">{l.min_qty}</td>
                        <td>{if l.low_stock {
                            view! { <span class="badge off">"Low stock"</span> }.into_any()
                        } else {
                            view! { <span class="badge">"OK"</span> }.into_any()
                        }}</td>
                        <td>{l.last_movement_at.as_deref().map(display_time).unwrap_or_else(|| "never".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Percent-encodes a query value (letters, digits and `-._~` stay as they are).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
