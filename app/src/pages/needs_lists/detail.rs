//! One needs list: lines, allocations, change requests, edits after completion, the
//! timeline and the actions the user may take now (offline: from the snapshot, queued); and
//! the edit form of a Draft.
use super::*;

#[component]
pub fn NeedsListDetailPage() -> impl IntoView {
    let id = id_param().unwrap_or_default();
    let offline = use_offline();
    let data = Resource::new(
        move || id,
        move |id| {
            let offline = offline.clone();
            async move {
                or_offline(get_needs_list(id), &offline, |d| {
                    project::needs_list_detail(d, id)
                })
                .await
            }
        },
    );
    view! {
        <OfflineBanner />
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(data.await, |d| view! { <Detail d /> })
            })}
        </Suspense>
    }
}

/// Each action form has its own operation id, derived from the page's: a resubmitted form is
/// the same operation, and "Reject" after "Approve" is a different one (not a replay).
fn action_id(page_id: &str, decision: &str) -> String {
    uuid::Uuid::parse_str(page_id)
        .map(|base| uuid::Uuid::new_v5(&base, decision.as_bytes()).to_string())
        .unwrap_or_else(|_| page_id.to_string())
}

#[component]
fn Detail(d: NeedsListDetail) -> impl IntoView {
    let l = d.list.clone();
    let id = l.id;
    let may = d.may.clone();
    let op_id = d.op_id.clone();
    // Offline, these forms queue (flagged "needs confirmation online" where it applies).
    let notice = RwSignal::new(None::<SaveNotice>);
    let offline_view = d.timeline.is_empty();
    let action = move |decision: &'static str,
                       label: String,
                       hub: i64,
                       danger: bool,
                       reason: Option<&'static str>| {
        view! {
            <form method="post" action="/forms/needs-list-action" class="inline"
                on:submit=queue_offline_on_submit(notice, build_from_fields::<NeedsListActionForm>)>
                <CsrfField />
                <input type="hidden" name="op_id" value=action_id(&op_id, decision) />
                <input type="hidden" name="hub_id" value=hub.to_string() />
                <input type="hidden" name="needs_list_id" value=id.to_string() />
                <input type="hidden" name="decision" value=decision />
                {reason.map(|label| view! {
                    <label for=format!("reason-{decision}")>{label}</label>
                    <input id=format!("reason-{decision}") name="reason" maxlength="500" required=decision == "reject" />
                })}
                <button type="submit" class:danger=danger>{label}</button>
            </form>
        }
    };
    view! {
        <h1>{format!("Needs list {}", l.number)}</h1>
        <dl class="facts">
            <dt>"Status"</dt><dd><span class="badge" data-status=l.status.clone()>{l.status.clone()}</span></dd>
            <dt>"Requested by"</dt><dd>{l.hub.clone()}</dd>
            <dt>"Event"</dt><dd>{l.event.clone()}</dd>
            <dt>"Priority"</dt><dd>{l.priority.clone()}</dd>
            {d.notes.clone().map(|n| view! { <dt>"Notes"</dt><dd>{n}</dd> })}
        </dl>
        {d.lock.clone().filter(|lock| !lock.mine).map(|lock| view! {
            <p class="banner warn" role="status">{format!("{} is preparing this list until {}.", lock.holder, display_time(&lock.until))}</p>
        })}
        <div class="actions">
            {may.edit.then(|| view! { <a class="button" href=format!("/needs-lists/{id}/edit")>"Edit"</a> })}
            {may.submit.then(|| action("submit", "Submit".into(), l.hub_id, false, None))}
            {may.delete.then(|| action("delete", "Delete draft".into(), l.hub_id, true, None))}
            {may.prepare.then(|| view! { <a class="button" href=format!("/needs-lists/{id}/prepare")>"Prepare fulfilment"</a> })}
            {may.approve.then(|| action("approve", "Approve".into(), l.hub_id, false, None))}
            {may.approve.then(|| action("reject", "Reject".into(), l.hub_id, true, Some("Reason (to reject)")))}
            {may.dispatch.then(|| action("dispatch", "Dispatch".into(), d.dispatch_hub, false, None))}
            {may.receive.then(|| action("receive", "Confirm receipt".into(), l.hub_id, false, None))}
        </div>
        <SaveNoticeView notice />
        {offline_view.then(|| view! {
            <p class="hint">"Offline: the list as last synced. Allocations, the timeline and change requests need a connection; an approval, dispatch or receipt recorded here waits for confirmation online."</p>
        })}
        <table class="data">
            <caption>"Lines"</caption>
            <thead><tr>
                <th scope="col">"Item"</th><th scope="col" class="num">"Requested"</th>
                <th scope="col" class="num">"Allocated"</th><th scope="col">"Justification"</th>
            </tr></thead>
            <tbody>
                {d.lines.iter().map(|line| view! {
                    <tr>
                        <td>{line.item.clone()}</td>
                        <td class="num">{format!("{} {}", line.requested, line.unit)}</td>
                        <td class="num">{line.allocated}</td>
                        <td>{line.justification.clone().unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(!d.allocations.is_empty()).then(|| view! {
            <table class="data">
                <caption>"Fulfilment (source hubs)"</caption>
                <thead><tr>
                    <th scope="col">"Item"</th><th scope="col">"From"</th><th scope="col" class="num">"Quantity"</th>
                </tr></thead>
                <tbody>
                    {d.allocations.iter().map(|a| view! {
                        <tr>
                            <td>{a.item.clone()}</td><td>{a.source_hub.clone()}</td>
                            <td class="num">{format!("{} {}", a.quantity, a.unit)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        {(!d.change_requests.is_empty()).then(|| view! { <ChangeRequests d=d.clone() /> })}
        {may.request_change.then(|| view! {
            <AllocationForm d=d.clone() decision="change" title="Ask for a change to this fulfilment"
                hint="Your hub is a source. Propose the allocations you can really supply; the Logistics Manager decides."
                button="Send change request" hub=d.change_hub />
        })}
        {may.edit_after.then(|| view! {
            <AllocationForm d=d.clone() decision="edit" title="Correct delivered quantities"
                hint="For a completed list: enter what was really delivered from each source. Corrective stock movements keep the ledger equal to the fulfilment."
                button="Save correction" hub=d.list.hub_id />
        })}
        {(!d.edit_log.is_empty()).then(|| view! {
            <table class="data">
                <caption>"Edits after completion"</caption>
                <thead><tr>
                    <th scope="col">"Field"</th><th scope="col" class="num">"Before"</th><th scope="col" class="num">"After"</th>
                    <th scope="col">"Reason"</th><th scope="col">"By"</th>
                </tr></thead>
                <tbody>
                    {d.edit_log.iter().map(|e| view! {
                        <tr>
                            <td>{e.field.clone()}</td><td class="num">{e.before.clone()}</td><td class="num">{e.after.clone()}</td>
                            <td>{e.reason.clone()}</td><td>{format!("{}, {}", e.by, display_time(&e.at))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        <h2>"Timeline"</h2>
        <ol class="timeline">
            {d.timeline.iter().map(|t| view! {
                <li>
                    <strong>{t.to_status.clone()}</strong>
                    {format!(" — {} by {}, {}", t.action.replace('_', " "), t.by, display_time(&t.at))}
                    {t.note.clone().map(|n| format!(" ({n})"))}
                </li>
            }).collect_view()}
        </ol>
        <p><a href="/needs-lists">"All needs lists"</a></p>
    }
}

#[component]
pub fn NeedsListEditPage() -> impl IntoView {
    let id = id_param().unwrap_or_default();
    let data = Resource::new(move || id, get_needs_list_edit);
    let saves = RwSignal::new(0u64);
    let notice = RwSignal::new(None::<SaveNotice>);
    view! {
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(data.await, |v| view! {
                    <h1>{format!("Edit needs list {}", v.number)}</h1>
                    <crate::pages::needs_list::NeedsListFormView opts=v.options notice saves values=v.values list_id=Some(v.needs_list_id) />
                })
            })}
        </Suspense>
    }
}

#[component]
fn ChangeRequests(d: NeedsListDetail) -> impl IntoView {
    let may = d.may.clone();
    let id = d.list.id;
    let hub = d.list.hub_id;
    view! {
        <table class="data">
            <caption>"Change requests"</caption>
            <thead><tr>
                <th scope="col">"#"</th><th scope="col">"From"</th><th scope="col">"Proposed"</th>
                <th scope="col">"Reason"</th><th scope="col">"Status"</th><th scope="col">"Decision"</th>
            </tr></thead>
            <tbody>
                {d.change_requests.into_iter().map(|c| {
                    let open = c.status == "PENDING";
                    let decided = c.decided_by.clone().map(|by| format!("{by}{}", c.decision_note.clone().map(|n| format!(": {n}")).unwrap_or_default()));
                    view! {
                        <tr>
                            <td>{c.id}</td>
                            <td>{format!("{} ({}), {}", c.requested_by, c.hub, display_time(&c.requested_at))}</td>
                            <td>{c.proposed.clone()}</td><td>{c.reason.clone()}</td>
                            <td><span class="badge">{c.status.clone()}</span></td>
                            <td>
                                {decided}
                                {(open && (may.approve_change || may.reject_change)).then(|| view! {
                                    <form method="post" action="/forms/needs-list-action" class="inline">
                                        <CsrfField />
                                        <input type="hidden" name="op_id" value=uuid::Uuid::new_v4().to_string() />
                                        <input type="hidden" name="hub_id" value=hub.to_string() />
                                        <input type="hidden" name="needs_list_id" value=id.to_string() />
                                        <input type="hidden" name="change_request_id" value=c.id.to_string() />
                                        <label for=format!("cr-note-{}", c.id)>"Note (to reject or ask)"</label>
                                        <input id=format!("cr-note-{}", c.id) name="reason" maxlength="500" />
                                        {may.approve_change.then(|| view! {
                                            <button type="submit" name="decision" value="change_approve">{format!("Approve change #{}", c.id)}</button>
                                        })}
                                        <button type="submit" name="decision" value="change_reject" class="danger">{format!("Reject change #{}", c.id)}</button>
                                        <button type="submit" name="decision" value="change_clarify">{format!("Ask about change #{}", c.id)}</button>
                                    </form>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The current allocations as editable quantities plus a reason: a change request from a
/// source hub, or a correction after completion.
#[component]
fn AllocationForm(
    d: NeedsListDetail,
    decision: &'static str,
    title: &'static str,
    hint: &'static str,
    button: &'static str,
    hub: i64,
) -> impl IntoView {
    view! {
        <form method="post" action="/forms/fulfilment" class="stack card">
            <CsrfField />
            <h2>{title}</h2>
            <p class="hint">{hint}</p>
            <input type="hidden" name="op_id" value=uuid::Uuid::new_v4().to_string() />
            <input type="hidden" name="hub_id" value=hub.to_string() />
            <input type="hidden" name="needs_list_id" value=d.list.id.to_string() />
            <input type="hidden" name="decision" value=decision />
            {d.allocations.iter().map(|a| {
                let field = format!("{decision}-{}-{}", a.item_id, a.source_hub_id);
                view! {
                    <label for=field.clone()>{format!("{} from {}", a.item, a.source_hub)}</label>
                    <input id=field name=format!("alloc_{}_{}", a.item_id, a.source_hub_id) type="number" min="0" step="1"
                        value=a.quantity.to_string() />
                }
            }).collect_view()}
            <label for=format!("{decision}-reason")>"Reason"</label>
            <input id=format!("{decision}-reason") name="reason" maxlength="500" required />
            <button type="submit">{button}</button>
        </form>
    }
}
