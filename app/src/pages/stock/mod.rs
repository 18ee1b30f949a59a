//! Stock pages: inventory, intake, distribution, history.
pub mod distribution;
pub mod history;
pub mod intake;
pub mod inventory;

use leptos::prelude::*;

use crate::api::get_stock_form;
use crate::components::offline::or_offline;
use crate::error::ApiError;
use crate::model::Hub;
use crate::offline::client::use_offline;
use crate::offline::project::form_options;
use crate::permissions::Action;
use crate::reports::StockFormOptions;

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

/// A recording form's choices for `action`: from the server, or offline from the device's last
/// snapshot (with a fresh operation id made on the device).
pub fn stock_form_resource(
    action: Action,
    hub: Option<i64>,
) -> Resource<Result<StockFormOptions, ApiError>> {
    let offline = use_offline();
    Resource::new(
        move || hub,
        move |hub| {
            let offline = offline.clone();
            async move {
                or_offline(get_stock_form(action, hub), &offline, |d| {
                    form_options(d, action, hub, uuid::Uuid::new_v4())
                })
                .await
            }
        },
    )
}
