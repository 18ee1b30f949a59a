//! Record a distribution (stock out): shows what is on hand; the server refuses more than the
//! stock, with the figure, atomically with the write.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;

use super::{hub_param, stock_form_resource, HubPicker};
use crate::components::notice::{prefill, show_result, Flash};
use crate::components::offline::{queue_on_submit, OfflineBanner, SaveNotice, SaveNoticeView};
use crate::offline::client::use_offline;
use crate::offline::project::projected;
use crate::ops::forms::{build_from_fields, DistributionForm};
use crate::permissions::Action;
use crate::reports::StockFormOptions;

#[component]
pub fn DistributionPage() -> impl IntoView {
    let hub = hub_param();
    // Bumped after each save (the distribution form then shows the stock left).
    let saves = RwSignal::new(0u64);
    let notice = RwSignal::new(None::<SaveNotice>);
    let options = stock_form_resource(Action::RecordDistribution, hub);
    view! {
        <h1>"Record distribution"</h1>
        <OfflineBanner />
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(options.await, |opts| view! { <DistributionForm opts notice saves /> })
            })}
        </Suspense>
    }
}

#[component]
fn DistributionForm(
    opts: StockFormOptions,
    notice: RwSignal<Option<SaveNotice>>,
    saves: RwSignal<u64>,
) -> impl IntoView {
    let hub_id = opts.hub_id;
    let on_submit = queue_on_submit(notice, saves, build_from_fields::<DistributionForm>);
    let hub_name = opts
        .hubs
        .iter()
        .find(|h| Some(h.id) == hub_id)
        .map(|h| h.name.clone())
        .unwrap_or_default();
    let item = prefill("item_id", "");
    let event = prefill("event_id", "");
    let initial = opts.stock.clone();
    let first = move |id: i64| initial.iter().find(|s| s.0 == id).map(|s| s.1).unwrap_or(0);
    let stocked: Vec<_> = opts
        .items
        .iter()
        .filter(|i| first(i.id) > 0)
        .cloned()
        .collect();
    // What is left after each save: projected from the device's snapshot and queue.
    let stock = RwSignal::new(opts.stock.clone());
    let on_hand =
        move |id: i64| stock.with(|s| s.iter().find(|s| s.0 == id).map(|s| s.1).unwrap_or(0));
    let offline = use_offline();
    let ids: Vec<i64> = stocked.iter().map(|i| i.id).collect();
    Effect::new(move |_| {
        if saves.get() == 0 {
            return;
        }
        let (Some(hub), load, ids) = (hub_id, offline.local_data(), ids.clone()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Some(data) = load.await {
                let left = ids
                    .iter()
                    .filter_map(|id| projected(&data, hub, *id).map(|q| (*id, q)))
                    .collect();
                stock.set(left);
            }
        });
    });
    view! {
        <HubPicker hubs=opts.hubs.clone() current=hub_id action="/distribution" />
        <form method="post" action="/forms/distribution" class="stack card" on:submit=on_submit>
            <CsrfField />
            <h2>{format!("Stock out from {hub_name}")}</h2>
            <input type="hidden" name="op_id" value=prefill("op_id", opts.op_id.clone()) />
            <input type="hidden" name="hub_id" value=hub_id.map(|h| h.to_string()).unwrap_or_default() />
            <label for="dist-item">"Item"</label>
            <select id="dist-item" name="item_id" required>
                <option value="">{if stocked.is_empty() { "Nothing in stock at this hub" } else { "Choose an item" }}</option>
                {stocked.iter().map(|i| view! {
                    <option value=i.id.to_string() selected=item == i.id.to_string()>
                        {let i = i.clone(); move || format!("{} — {} {} available", i.name, on_hand(i.id), i.unit)}
                    </option>
                }).collect_view()}
            </select>
            <label for="dist-qty">"Quantity"</label>
            <input id="dist-qty" name="quantity" type="number" min="1" step="1" required value=prefill("quantity", "") />
            <label for="dist-beneficiary">"Beneficiary"</label>
            <input id="dist-beneficiary" name="beneficiary" required maxlength="120" value=prefill("beneficiary", "") />
            <label for="dist-event">"Disaster event (optional)"</label>
            <select id="dist-event" name="event_id">
                <option value="">"None"</option>
                {opts.events.iter().map(|e| view! {
                    <option value=e.id.to_string() selected=event == e.id.to_string()>{e.name.clone()}</option>
                }).collect_view()}
            </select>
            <label for="dist-notes">"Notes (optional)"</label>
            <textarea id="dist-notes" name="notes" maxlength="1000">{prefill("notes", "")}</textarea>
            <button type="submit">"Record distribution"</button>
            <SaveNoticeView notice />
        </form>
        <table class="data">
            <caption>{format!("On hand at {hub_name}")}</caption>
            <thead><tr><th scope="col">"Item"</th><th scope="col" class="num">"Available"</th></tr></thead>
            <tbody>
                {stocked.iter().map(|i| view! {
                    <tr><td>{i.name.clone()}</td><td class="num">{let i = i.clone(); move || format!("{} {}", on_hand(i.id), i.unit)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
