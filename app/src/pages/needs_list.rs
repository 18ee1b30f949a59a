//! A new needs list: a SUB or AGENCY hub asks for supplies, as a Draft or submitted at once.
//! Posts to `/forms/needs-list` without JavaScript; with it, the list is queued in the outbox
//! like intake and distribution, so it can be recorded offline.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;

use crate::components::notice::{prefill, show_result, Flash};
use crate::components::offline::{queue_on_submit, OfflineBanner, SaveNotice, SaveNoticeView};
use crate::ops::forms::{build_from_fields, NeedsListForm};
use crate::ops::Priority;
use crate::pages::stock::{hub_param, stock_form_resource, HubPicker};
use crate::permissions::Action;
use crate::reports::StockFormOptions;

#[component]
pub fn NeedsListNewPage() -> impl IntoView {
    let hub = hub_param();
    // Bumped after each save (the distribution form then shows the stock left).
    let saves = RwSignal::new(0u64);
    let notice = RwSignal::new(None::<SaveNotice>);
    let options = stock_form_resource(Action::NeedsListEdit, hub);
    view! {
        <h1>"New needs list"</h1>
        <OfflineBanner />
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(options.await, |opts| view! { <NeedsListFormView opts notice saves values=vec![] list_id=None /> })
            })}
        </Suspense>
    }
}

/// The create form, or with `list_id` the edit form of that Draft filled with `values`.
#[component]
pub fn NeedsListFormView(
    opts: StockFormOptions,
    notice: RwSignal<Option<SaveNotice>>,
    saves: RwSignal<u64>,
    values: Vec<(String, String)>,
    list_id: Option<i64>,
) -> impl IntoView {
    let value = move |key: &str, fallback: String| {
        prefill(
            key,
            values
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or(fallback),
        )
    };
    let on_submit = queue_on_submit(notice, saves, build_from_fields::<NeedsListForm>);
    let Some(hub_id) = opts.hub_id else {
        return view! {
            <p class="error" role="alert">"Needs lists are made by the users of a SUB or AGENCY hub; your account has no such hub."</p>
        }
        .into_any();
    };
    let hub_name = opts
        .hubs
        .iter()
        .find(|h| h.id == hub_id)
        .map(|h| h.name.clone())
        .unwrap_or_default();
    let event = value(
        "event_id",
        opts.events
            .first()
            .map(|e| e.id.to_string())
            .unwrap_or_default(),
    );
    let priority = value("priority", "Medium".into());
    let submit = prefill("submit", "false");
    let items = opts.items.clone();
    view! {
        {list_id.is_none().then(|| view! { <HubPicker hubs=opts.hubs.clone() current=Some(hub_id) action="/needs-lists/new" /> })}
        <form method="post" action="/forms/needs-list" class="stack card" on:submit=on_submit>
            <CsrfField />
            <h2>{format!("Supplies requested by {hub_name}")}</h2>
            <input type="hidden" name="op_id" value=prefill("op_id", opts.op_id.clone()) />
            <input type="hidden" name="hub_id" value=hub_id.to_string() />
            {list_id.map(|id| view! { <input type="hidden" name="needs_list_id" value=id.to_string() /> })}
            <label for="nl-event">"Disaster event"</label>
            <select id="nl-event" name="event_id" required>
                {opts.events.iter().map(|e| view! {
                    <option value=e.id.to_string() selected=event == e.id.to_string()>{e.name.clone()}</option>
                }).collect_view()}
            </select>
            <label for="nl-priority">"Priority"</label>
            <select id="nl-priority" name="priority">
                {Priority::ALL.into_iter().map(|p| view! {
                    <option value=p.code() selected=priority == p.code()>{p.code()}</option>
                }).collect_view()}
            </select>
            <table class="data lines">
                <caption>"Lines (blank rows are ignored)"</caption>
                <thead><tr>
                    <th scope="col">"#"</th><th scope="col">"Item"</th>
                    <th scope="col">"Quantity"</th><th scope="col">"Justification"</th>
                </tr></thead>
                <tbody>
                    {(1..=NeedsListForm::LINES).map(|n| {
                        let item = value(&format!("item_id_{n}"), String::new());
                        let quantity = value(&format!("quantity_{n}"), String::new());
                        let justification = value(&format!("justification_{n}"), String::new());
                        view! {
                            <tr>
                                <td>{n}</td>
                                <td>
                                    <select name=format!("item_id_{n}") aria-label=format!("Line {n} item")>
                                        <option value="">"—"</option>
                                        {items.iter().map(|i| view! {
                                            <option value=i.id.to_string() selected=item == i.id.to_string()>
                                                {format!("{} ({})", i.name, i.unit)}
                                            </option>
                                        }).collect_view()}
                                    </select>
                                </td>
                                <td>
                                    <input name=format!("quantity_{n}") type="number" min="1" step="1"
                                        aria-label=format!("Line {n} quantity")
                                        value=quantity />
                                </td>
                                <td>
                                    <input name=format!("justification_{n}") maxlength="500"
                                        aria-label=format!("Line {n} justification")
                                        value=justification />
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <label for="nl-notes">"Notes (optional)"</label>
            <textarea id="nl-notes" name="notes" maxlength="1000">{value("notes", String::new())}</textarea>
            <fieldset>
                <legend>"When saved"</legend>
                <label class="inline-choice">
                    <input type="radio" name="submit" value="false" checked=submit != "true" />
                    " Keep as Draft"
                </label>
                <label class="inline-choice">
                    <input type="radio" name="submit" value="true" checked=submit == "true" />
                    " Submit for fulfilment"
                </label>
            </fieldset>
            <button type="submit">"Save needs list"</button>
            <SaveNoticeView notice />
        </form>
    }
    .into_any()
}
