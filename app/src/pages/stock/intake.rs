//! Record intake (stock in): a plain form posting to `/forms/intake`, which applies the same
//! `Operation` the offline client sends.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;

use super::{hub_param, stock_form_resource, HubPicker};
use crate::components::notice::{prefill, show_result, Flash};
use crate::components::offline::{queue_on_submit, OfflineBanner, SaveNotice, SaveNoticeView};
use crate::ops::forms::{build_from_fields, IntakeForm};
use crate::permissions::Action;
use crate::reports::StockFormOptions;

#[component]
pub fn IntakePage() -> impl IntoView {
    let hub = hub_param();
    // Bumped after each save (the distribution form then shows the stock left).
    let saves = RwSignal::new(0u64);
    let notice = RwSignal::new(None::<SaveNotice>);
    let options = stock_form_resource(Action::RecordIntake, hub);
    view! {
        <h1>"Record intake"</h1>
        <OfflineBanner />
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(options.await, |opts| view! { <IntakeForm opts notice saves /> })
            })}
        </Suspense>
    }
}

#[component]
fn IntakeForm(
    opts: StockFormOptions,
    notice: RwSignal<Option<SaveNotice>>,
    saves: RwSignal<u64>,
) -> impl IntoView {
    let hub_id = opts.hub_id;
    let on_submit = queue_on_submit(notice, saves, build_from_fields::<IntakeForm>);
    let hub_name = opts
        .hubs
        .iter()
        .find(|h| Some(h.id) == hub_id)
        .map(|h| h.name.clone())
        .unwrap_or_default();
    let item = prefill("item_id", "");
    let event = prefill(
        "event_id",
        opts.events
            .first()
            .map(|e| e.id.to_string())
            .unwrap_or_default(),
    );
    view! {
        <HubPicker hubs=opts.hubs.clone() current=hub_id action="/intake" />
        <form method="post" action="/forms/intake" class="stack card" on:submit=on_submit>
            <CsrfField />
            <h2>{format!("Stock in at {hub_name}")}</h2>
            <input type="hidden" name="op_id" value=prefill("op_id", opts.op_id.clone()) />
            <input type="hidden" name="hub_id" value=hub_id.map(|h| h.to_string()).unwrap_or_default() />
            <label for="intake-item">"Item"</label>
            <select id="intake-item" name="item_id" required>
                <option value="">"Choose an item"</option>
                {opts.items.iter().map(|i| view! {
                    <option value=i.id.to_string() selected=item == i.id.to_string()>
                        {format!("{} ({}, {})", i.name, i.category, i.unit)}
                    </option>
                }).collect_view()}
            </select>
            <label for="intake-qty">"Quantity"</label>
            <input id="intake-qty" name="quantity" type="number" min="1" step="1" required value=prefill("quantity", "") />
            <label for="intake-event">"Disaster event"</label>
            <select id="intake-event" name="event_id" required>
                {opts.events.iter().map(|e| view! {
                    <option value=e.id.to_string() selected=event == e.id.to_string()>{e.name.clone()}</option>
                }).collect_view()}
            </select>
            <label for="intake-donor">"Donor (optional)"</label>
            <input id="intake-donor" name="donor" maxlength="120" value=prefill("donor", "") />
            <label for="intake-expiry">"Expiry date (optional)"</label>
            <input id="intake-expiry" name="expiry_date" type="date" value=prefill("expiry_date", "") />
            <label for="intake-notes">"Notes (optional)"</label>
            <textarea id="intake-notes" name="notes" maxlength="1000">{prefill("notes", "")}</textarea>
            <button type="submit">"Record intake"</button>
            <SaveNoticeView notice />
        </form>
    }
}
