//! Sync issues held by the server: operations it refused, with the reason and what was
//! entered. LM and ADMIN see everyone's, to resolve them with the people who recorded them
//! (marked resolved with a note, which the device learns at its next sync).
use leptos::prelude::*;

use crate::api::get_sync_issues;
use crate::components::csrf::CsrfField;
use crate::components::export::ExportForm;
use crate::components::notice::{show_result, Flash};
use crate::components::offline::DeviceStorage;
use crate::domain::text::display_time;
use crate::offline::client::use_offline;
use crate::offline::{PendingOp, ResolvedIssue, SyncIssue};
use crate::ops::issues::MAX_NOTE;
use crate::ops::Names;
use crate::reports::RejectedOperation;

/// This device's refused operations (from IndexedDB), each with "Edit and retry" and a
/// confirmed "Discard". Rendered only once the browser client runs.
#[component]
fn DeviceIssues() -> impl IntoView {
    let offline = use_offline();
    let status = offline.status;
    let issues = RwSignal::new(None::<Vec<SyncIssue>>);
    let waiting = RwSignal::new(Vec::<PendingOp>::new());
    let resolved = RwSignal::new(Vec::<ResolvedIssue>::new());
    let names = RwSignal::new(Names::default());
    let loader = offline.clone();
    // Only when the device's data changed: not at every tick of the pill (a sync's progress,
    // a connectivity check), which would re-read and re-render thousands of rows.
    let changes = Memo::new(move |_| status.read().changes);
    Effect::new(move |_| {
        let _changes = changes.get();
        if let Some(port) = loader.port() {
            leptos::task::spawn_local(async move {
                if let Ok(data) = port.local_data().await {
                    if let Some(s) = &data.snapshot {
                        names.set(Names::from_snapshot(s));
                    }
                    issues.set(Some(data.issues));
                    waiting.set(data.pending);
                    resolved.set(data.resolved);
                }
            });
        }
    });
    let discard = move |issue: SyncIssue| {
        #[cfg(feature = "hydrate")]
        {
            let question = format!(
                "Discard this {}? It will never reach the server: {}",
                issue.op.body.kind(),
                names.with_untracked(|n| issue.summary(n))
            );
            let sure = web_sys::window()
                .and_then(|w| w.confirm_with_message(&question).ok())
                .unwrap_or(false);
            if let (true, Some(port)) = (sure, offline.port()) {
                leptos::task::spawn_local(async move {
                    let _ = port.discard_issue(issue.op.id).await;
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&offline, issue);
    };
    move || {
        issues.get().map(|list| {
            let empty = list.is_empty();
            let discard = discard.clone();
            view! {
                <section aria-labelledby="device-issues" class="device-issues">
                    <h2 id="device-issues">"On this device"</h2>
                    {move || status.read().progress_text().map(|text| view! {
                        <p class="sync-progress" role="status" data-sync-progress="true">{text}</p>
                    })}
                    <table class="data">
                        <caption>{format!("{} operations refused by the server, kept on this device", list.len())}</caption>
                        <thead><tr>
                            <th scope="col">"Refused"</th><th scope="col">"What was entered"</th>
                            <th scope="col">"Reason"</th><th scope="col">"Action"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|issue| {
                                let discard = discard.clone();
                                let this = issue.clone();
                                view! {
                                    <tr data-op-id=issue.op.id.to_string()>
                                        <td>{display_time(&issue.failed_at)}</td>
                                        <td>{names.with_untracked(|n| issue.summary(n))}<br /><small>{format!("recorded {}", display_time(&issue.op.created_at))}</small></td>
                                        <td><strong class="reason">{issue.reason.clone()}</strong>": "{issue.message.clone()}</td>
                                        <td class="actions">
                                            <a class="button-link" href=issue.retry_href()>"Edit and retry"</a>
                                            <button type="button" class="danger" on:click=move |_| discard(this.clone())>"Discard"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {empty.then(|| view! { <p class="empty">"Nothing refused on this device."</p> })}
                    <ResolvedList resolved names />
                    <WaitingList waiting names />
                    <h3>"Export pending operations"</h3>
                    <p>"When this device cannot reach the server (or your account was deactivated), write its unsynced work to a file encrypted under a passphrase. A Logistics Manager imports it at any connected DRIMS; each operation is applied once."</p>
                    <ExportForm />
                </section>
            }
        })
    }
}

#[component]
pub fn SyncIssuesPage() -> impl IntoView {
    let issues = Resource::new(|| (), |_| get_sync_issues());
    view! {
        <h1>"Sync issues"</h1>
        <p>"Operations the server refused. Nothing was written for them; the person who recorded one can fix and send it again, or discard it."</p>
        <Flash />
        <DeviceIssues />
        <h2>"Held by the server"</h2>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(issues.await, |v| view! {
                    <IssueTable list=v.open can_resolve=v.can_resolve />
                    <ClosedTable list=v.closed />
                })
            })}
        </Suspense>
        <DeviceStorage />
    }
}

/// Open refusals; for an LM or ADMIN, each with a "Mark resolved" form (a plain POST with a
/// note: works without JavaScript; the device that recorded it learns the note at its next sync).
#[component]
fn IssueTable(list: Vec<RejectedOperation>, can_resolve: bool) -> impl IntoView {
    let empty = list.is_empty();
    view! {
        <table class="data">
            <caption>{format!("{} refused operations", list.len())}</caption>
            <thead><tr>
                <th scope="col">"Received"</th><th scope="col">"User"</th><th scope="col">"Device"</th>
                <th scope="col">"Kind"</th><th scope="col">"Hub"</th><th scope="col">"Reason"</th>
                <th scope="col">"What was entered"</th>
                {can_resolve.then(|| view! { <th scope="col">"Resolve"</th> })}
            </tr></thead>
            <tbody>
                {list.into_iter().map(|r| {
                    let resolve = can_resolve.then(|| view! { <td><ResolveForm id=r.id.clone() /></td> });
                    view! {
                        <tr data-op-id=r.id.clone()>
                            <td>{display_time(&r.received_at)}</td><td>{r.username}</td><td>{r.device_id}</td>
                            <td>{r.kind}</td><td>{r.hub.unwrap_or_default()}</td>
                            <td><strong>{r.reason}</strong>": "{r.message}</td>
                            <td><code class="payload">{r.payload}</code></td>
                            {resolve}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"No refused operations."</p> })}
    }
}

/// Issues of this device that the server settled since: a Logistics Manager resolved them
/// (with a note), or they reached the server another way. Learned at a sync.
#[component]
fn ResolvedList(resolved: RwSignal<Vec<ResolvedIssue>>, names: RwSignal<Names>) -> impl IntoView {
    let offline = use_offline();
    let clear = Callback::new(move |()| {
        if let Some(port) = offline.port() {
            leptos::task::spawn_local(async move {
                let _ = port.clear_resolved().await;
            });
        }
    });
    move || {
        let list = resolved.get();
        (!list.is_empty()).then(|| {
            view! {
                <table class="data resolved">
                    <caption>{format!("{} refused operations settled on the server since", list.len())}</caption>
                    <thead><tr>
                        <th scope="col">"What was entered"</th><th scope="col">"Outcome"</th>
                        <th scope="col">"By"</th><th scope="col">"When"</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|r| {
                            let summary = names.with(|n| r.issue.summary(n));
                            let outcome = match r.state.as_str() {
                                "resolved" => format!("Resolved: {}", r.note.clone().unwrap_or_default()),
                                "pending_confirmation" => "Reached the server another way; waits for confirmation online.".to_string(),
                                _ => "Reached the server another way and was applied.".to_string(),
                            };
                            view! {
                                <tr data-op-id=r.issue.op.id.to_string()>
                                    <td>{summary}<br /><small>{format!("refused: {}", r.issue.message)}</small></td>
                                    <td>{outcome}</td>
                                    <td>{r.resolved_by.unwrap_or_default()}</td>
                                    <td>{r.resolved_at.as_deref().map(display_time).unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <button type="button" class="secondary" on:click=move |_| clear.run(())>"Clear this list"</button>
            }
        })
    }
}

#[component]
fn ResolveForm(id: String) -> impl IntoView {
    let field = format!("note-{id}");
    view! {
        <form method="post" action=format!("/sync-issues/{id}/resolve") class="resolve">
            <CsrfField />
            <label for=field.clone()>"Resolution note"</label>
            <input id=field type="text" name="note" required maxlength=MAX_NOTE.to_string() />
            <button type="submit">"Mark resolved"</button>
        </form>
    }
}

/// The latest issues closed by a discard on the device or an LM/ADMIN's resolution.
#[component]
fn ClosedTable(list: Vec<RejectedOperation>) -> impl IntoView {
    let empty = list.is_empty();
    view! {
        <h3>"Resolved or discarded"</h3>
        <table class="data closed-issues">
            <caption>{format!("The latest {} closed issues", list.len())}</caption>
            <thead><tr>
                <th scope="col">"Closed"</th><th scope="col">"User"</th><th scope="col">"Kind"</th>
                <th scope="col">"Hub"</th><th scope="col">"Reason"</th><th scope="col">"Outcome"</th>
                <th scope="col">"Note"</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|r| {
                    let by = r.resolved_by.unwrap_or_default();
                    let outcome = match r.resolution.as_deref() {
                        Some("resolved") => format!("Resolved by {by}"),
                        _ => format!("Discarded by {by}"),
                    };
                    view! {
                        <tr data-op-id=r.id>
                            <td>{display_time(&r.resolved_at.unwrap_or_default())}</td>
                            <td>{r.username}</td><td>{r.kind}</td><td>{r.hub.unwrap_or_default()}</td>
                            <td><strong>{r.reason}</strong>": "{r.message}</td>
                            <td>{outcome}</td><td>{r.note.unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"Nothing resolved or discarded yet."</p> })}
    }
}

/// Rows of the outbox listed on the page (the oldest, sent first); the rest are counted.
const WAITING_SHOWN: usize = 200;

/// What waits in this device's outbox: sent as soon as the server can be reached.
#[component]
fn WaitingList(waiting: RwSignal<Vec<PendingOp>>, names: RwSignal<Names>) -> impl IntoView {
    move || {
        let list = waiting.get();
        let total = list.len();
        (!list.is_empty()).then(|| {
            view! {
                <table class="data waiting">
                    <caption>{format!("{total} operations waiting to sync on this device")}</caption>
                    <thead><tr>
                        <th scope="col">"Recorded"</th><th scope="col">"What was entered"</th>
                        <th scope="col" class="num">"Attempts"</th><th scope="col">"Last error"</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().take(WAITING_SHOWN).map(|p| {
                            let summary = names.with(|n| p.op.summary(n));
                            view! {
                                <tr>
                                    <td>{display_time(&p.op.created_at)}</td>
                                    <td>{summary}</td>
                                    <td class="num">{p.attempts}</td>
                                    <td>{p.last_error.unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {(total > WAITING_SHOWN).then(|| view! {
                    <p class="hint">{format!("The oldest {WAITING_SHOWN} are listed; {} more wait after them.", total - WAITING_SHOWN)}</p>
                })}
            }
        })
    }
}
