//! Stock pages: inventory, intake, distribution, history.
pub mod distribution;
pub mod history;
pub mod intake;
pub mod inventory;

use leptos::prelude::*;

use crate::model::Hub;

/// A GET form to switch hub (`?hub=`), shown only when the user has a choice.
#[component]
pub fn HubPicker(hubs: Vec<Hub>, current: Option<i64>, action: &'static str) -> impl IntoView {
    (hubs.len() > 1).then(|| {
        view! {
            <form method="get" action=action class="toolbar">
                <label for="hub-pick">"Hub"</label>
                <select id="hub-pick" name="hub">
                    {hubs.into_iter().map(|h| view! {
                        <option value=h.id.to_string() selected=Some(h.id) == current>
                            {format!("{} ({})", h.name, h.hub_type.code())}
                        </option>
                    }).collect_view()}
                </select>
                <button type="submit" class="secondary">"Show"</button>
            </form>
        }
    })
}

/// The `?hub=` query parameter.
pub fn hub_param() -> Option<i64> {
    leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("hub")
        .and_then(|h| h.parse().ok())
}
