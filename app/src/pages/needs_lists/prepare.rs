//! The prepare screen: allocations from the sources, under the 15-minute editing lock that
//! opening it takes and the page renews every minute while open.
use super::*;
use crate::components::offline::in_time;

#[component]
pub fn PreparePage() -> impl IntoView {
    let id = id_param().unwrap_or_default();
    let data = Resource::new(move || id, |k| in_time(get_prepare(k)));
    view! {
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(data.await, |v| view! { <Prepare v /> })
            })}
        </Suspense>
    }
}

#[component]
fn Prepare(v: PrepareView) -> impl IntoView {
    let d = v.detail;
    let id = d.list.id;
    let locked_out = v.locked_out.clone();
    let held = locked_out.is_none();
    // With JavaScript: renew the lock every minute while the screen is open.
    let lock_lost = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    if held {
        use leptos::leptos_dom::helpers::set_interval_with_handle;
        if let Ok(handle) = set_interval_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    match crate::api::renew_lock(id).await {
                        Ok(_) => lock_lost.set(None),
                        Err(e) => lock_lost.set(Some(e.message)),
                    }
                });
            },
            std::time::Duration::from_secs(60),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    view! {
        <h1>{format!("Prepare fulfilment of {}", d.list.number)}</h1>
        <p>{format!("Requested by {} ({} priority, {}).", d.list.hub, d.list.priority, d.list.status)}</p>
        {locked_out.map(|m| view! { <p class="banner warn" role="alert">{m}</p> })}
        {move || lock_lost.get().map(|m| view! { <p class="banner warn" role="alert">{format!("Your editing lock could not be renewed: {m}")}</p> })}
        {held.then(|| view! {
            <p class="hint">"You hold this list's editing lock for 15 minutes from opening or saving (renewed every minute while this page is open)."</p>
        })}
        <form method="post" action="/forms/fulfilment" class="stack card">
            <CsrfField />
            <input type="hidden" name="op_id" value=prefill("op_id", d.op_id.clone()) />
            <input type="hidden" name="hub_id" value=d.list.hub_id.to_string() />
            <input type="hidden" name="needs_list_id" value=id.to_string() />
            <table class="data">
                <caption>"Allocate from MAIN and SUB hubs (at most their stock; in total at most what was requested)"</caption>
                <thead><tr>
                    <th scope="col">"Item"</th><th scope="col" class="num">"Requested"</th>
                    <th scope="col">"Source hub"</th><th scope="col" class="num">"On hand"</th><th scope="col">"Allocate"</th>
                </tr></thead>
                <tbody>
                    {d.lines.iter().map(|line| {
                        let sources: Vec<_> = v.sources.iter().filter(|s| s.item_id == line.item_id).cloned().collect();
                        let none = sources.is_empty();
                        let current = |hub: i64| {
                            d.allocations
                                .iter()
                                .find(|a| a.item_id == line.item_id && a.source_hub_id == hub)
                                .map(|a| a.quantity.to_string())
                                .unwrap_or_default()
                        };
                        view! {
                            {sources.iter().map(|s| {
                                let name = format!("alloc_{}_{}", line.item_id, s.hub_id);
                                view! {
                                    <tr>
                                        <td>{line.item.clone()}</td>
                                        <td class="num">{format!("{} {}", line.requested, line.unit)}</td>
                                        <td>{s.hub.clone()}</td>
                                        <td class="num">{s.on_hand}</td>
                                        <td><input type="number" min="0" step="1" max=s.on_hand.to_string() name=name.clone()
                                            aria-label=format!("{} from {}", line.item, s.hub)
                                            value=prefill(&name, current(s.hub_id)) disabled=!held /></td>
                                    </tr>
                                }
                            }).collect_view()}
                            {none.then(|| view! {
                                <tr>
                                    <td>{line.item.clone()}</td>
                                    <td class="num">{format!("{} {}", line.requested, line.unit)}</td>
                                    <td colspan="3">"No MAIN or SUB hub has it in stock."</td>
                                </tr>
                            })}
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="actions">
                <button type="submit" name="decision" value="save" disabled=!held>"Save"</button>
                <button type="submit" name="decision" value="submit" disabled=!held>"Submit for approval"</button>
            </div>
        </form>
        <p><a href=format!("/needs-lists/{id}")>"Back to the list"</a></p>
    }
}
