//! Transfers between hubs (request; approve or reject), and the operations that arrived
//! through sync waiting for a person to confirm them online. Plain forms without JavaScript;
//! with it and offline, a transfer request is queued, flagged "needs confirmation online".
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::{get_confirmations, get_transfers};
use crate::components::notice::{prefill, show_result, Flash};
use crate::components::offline::{
    or_offline, queue_offline_on_submit, OfflineBanner, SaveNotice, SaveNoticeView,
};
use crate::domain::text::display_time;
use crate::offline::client::use_offline;
use crate::offline::project;
use crate::ops::forms::{build_from_fields, TransferRequestForm};
use crate::pages::stock::{hub_param, HubPicker};
use crate::reports::{PendingConfirmation, TransferRow, TransfersView};

#[component]
pub fn TransfersPage() -> impl IntoView {
    let hub = hub_param();
    let offline = use_offline();
    let data = Resource::new(
        move || hub,
        move |hub| {
            let offline = offline.clone();
            async move { or_offline(get_transfers(hub), &offline, |d| project::transfers(d, hub)).await }
        },
    );
    view! {
        <h1>"Transfers"</h1>
        <OfflineBanner />
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(data.await, |v| view! { <Transfers v /> })
            })}
        </Suspense>
    }
}

#[component]
fn Transfers(v: TransfersView) -> impl IntoView {
    let may_review = v.may_review;
    let empty = v.transfers.is_empty();
    view! {
        {v.form.map(|opts| view! { <RequestForm opts destinations=v.destinations.clone() /> })}
        <table class="data">
            <caption>"Transfers"</caption>
            <thead><tr>
                <th scope="col">"#"</th><th scope="col">"From"</th><th scope="col">"To"</th>
                <th scope="col">"Item"</th><th scope="col" class="num">"Quantity"</th>
                <th scope="col">"Status"</th><th scope="col">"Requested"</th><th scope="col">"Review"</th>
            </tr></thead>
            <tbody>
                {v.transfers.into_iter().map(|t| view! { <Row t may_review /> }).collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"No transfers yet."</p> })}
    }
}

#[component]
fn Row(t: TransferRow, may_review: bool) -> impl IntoView {
    let pending = t.status == "PENDING";
    let reviewed = t.reviewed_by.clone().map(|by| {
        format!(
            "{by}, {}{}",
            t.reviewed_at
                .as_deref()
                .map(display_time)
                .unwrap_or_default(),
            t.review_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )
    });
    view! {
        <tr>
            <td>{t.id}</td><td>{t.from_hub.clone()}</td><td>{t.to_hub.clone()}</td>
            <td>{t.item.clone()}</td><td class="num">{format!("{} {}", t.quantity, t.unit)}</td>
            <td><span class="badge" class:off=!pending>{t.status.clone()}</span></td>
            <td>{format!("{}, {}", t.requested_by, display_time(&t.requested_at))}</td>
            <td>
                {reviewed}
                {(pending && may_review).then(|| view! {
                    <form method="post" action="/forms/transfer-review" class="inline review">
                        <CsrfField />
                        <input type="hidden" name="op_id" value=t.op_id.clone() />
                        <input type="hidden" name="hub_id" value=t.from_hub_id.to_string() />
                        <input type="hidden" name="transfer_id" value=t.id.to_string() />
                        <label for=format!("reason-{}", t.id)>"Reason (to reject)"</label>
                        <input id=format!("reason-{}", t.id) name="reason" maxlength="500" />
                        <button type="submit" name="decision" value="approve">{format!("Approve #{}", t.id)}</button>
                        <button type="submit" name="decision" value="reject" class="danger">{format!("Reject #{}", t.id)}</button>
                    </form>
                })}
            </td>
        </tr>
    }
}

#[component]
fn RequestForm(
    opts: crate::reports::StockFormOptions,
    destinations: Vec<crate::model::Hub>,
) -> impl IntoView {
    let notice = RwSignal::new(None::<SaveNotice>);
    let on_submit = queue_offline_on_submit(notice, build_from_fields::<TransferRequestForm>);
    let from = opts.hub_id;
    let to = prefill("to_hub_id", "");
    let item = prefill("item_id", "");
    let on_hand = |id: i64| {
        opts.stock
            .iter()
            .find(|s| s.0 == id)
            .map(|s| s.1)
            .unwrap_or(0)
    };
    let stocked: Vec<_> = opts
        .items
        .iter()
        .filter(|i| on_hand(i.id) > 0)
        .cloned()
        .collect();
    view! {
        <HubPicker hubs=opts.hubs.clone() current=from action="/transfers" />
        <form method="post" action="/forms/transfer-request" class="stack card" on:submit=on_submit>
            <CsrfField />
            <h2>"Request a transfer"</h2>
            <input type="hidden" name="op_id" value=prefill("op_id", opts.op_id.clone()) />
            <input type="hidden" name="hub_id" value=from.map(|h| h.to_string()).unwrap_or_default() />
            <label for="tr-to">"To hub"</label>
            <select id="tr-to" name="to_hub_id" required>
                <option value="">"Choose a hub"</option>
                {destinations.into_iter().filter(|h| Some(h.id) != from).map(|h| view! {
                    <option value=h.id.to_string() selected=to == h.id.to_string()>
                        {format!("{} ({})", h.name, h.hub_type.code())}
                    </option>
                }).collect_view()}
            </select>
            <label for="tr-item">"Item"</label>
            <select id="tr-item" name="item_id" required>
                <option value="">{if stocked.is_empty() { "Nothing in stock at this hub" } else { "Choose an item" }}</option>
                {stocked.iter().map(|i| view! {
                    <option value=i.id.to_string() selected=item == i.id.to_string()>
                        {format!("{} — {} {} available", i.name, on_hand(i.id), i.unit)}
                    </option>
                }).collect_view()}
            </select>
            <label for="tr-qty">"Quantity"</label>
            <input id="tr-qty" name="quantity" type="number" min="1" step="1" required value=prefill("quantity", "") />
            <label for="tr-notes">"Notes (optional)"</label>
            <textarea id="tr-notes" name="notes" maxlength="1000">{prefill("notes", "")}</textarea>
            <button type="submit">"Request transfer"</button>
            <SaveNoticeView notice />
        </form>
    }
}

#[component]
pub fn ConfirmationsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| in_time(get_confirmations()));
    view! {
        <h1>"Pending confirmations"</h1>
        <p>"Operations recorded offline that touch more than one hub or approve something. They take effect only when confirmed here, online, after checking the current state; confirming checks everything again."</p>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(data.await, |list| view! { <Confirmations list /> })
            })}
        </Suspense>
    }
}

#[component]
fn Confirmations(list: Vec<PendingConfirmation>) -> impl IntoView {
    let empty = list.is_empty();
    view! {
        <table class="data">
            <caption>{format!("{} waiting for confirmation", list.len())}</caption>
            <thead><tr>
                <th scope="col">"Received"</th><th scope="col">"By"</th><th scope="col">"Hub"</th>
                <th scope="col">"What"</th><th scope="col">"Decide"</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|c| view! {
                    <tr>
                        <td>{display_time(&c.received_at)}</td><td>{c.user}</td><td>{c.hub}</td>
                        <td>{c.summary}</td>
                        <td class="actions">
                            <form method="post" action=format!("/forms/confirmations/{}/confirm", c.id) class="inline">
                                <CsrfField />
                                <button type="submit">{format!("Confirm #{}", c.id)}</button>
                            </form>
                            <form method="post" action=format!("/forms/confirmations/{}/discard", c.id) class="inline">
                                <CsrfField />
                                <button type="submit" class="danger">{format!("Discard #{}", c.id)}</button>
                            </form>
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"Nothing waits for confirmation."</p> })}
    }
}
