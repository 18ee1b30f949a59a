//! Home: who you are, where you work, and what your role lets you do. The per-role dashboards
//! with figures build on this page.
use leptos::prelude::*;

use crate::components::layout::use_user;
use crate::components::notice::Flash;
use crate::model::SessionUser;
use crate::permissions::{may_ever, Action};

#[component]
pub fn HomePage() -> impl IntoView {
    let user = use_user();
    view! {
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! { <Welcome user /> }.into_any(),
                    _ => view! {
                        <h1>"Disaster Relief Inventory Management"</h1>
                        <p><a href="/login">"Sign in"</a>" to continue."</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Welcome(user: SessionUser) -> impl IntoView {
    let actor = user.actor();
    let abilities: Vec<&'static str> = Action::ALL
        .into_iter()
        .filter(|a| may_ever(&actor, *a))
        .map(capability_label)
        .collect();
    let hub = match (&user.hub_name, user.hub_type) {
        (Some(name), Some(t)) => format!("{name} ({} hub)", t.code()),
        _ => "All government hubs".to_string(),
    };
    view! {
        <h1>{format!("Welcome, {}", user.display_name)}</h1>
        <dl class="facts">
            <dt>"Role"</dt><dd>{user.role.name()}</dd>
            <dt>"Hub"</dt><dd>{hub}</dd>
        </dl>
        <section aria-labelledby="can-do">
            <h2 id="can-do">"What your role can do"</h2>
            <ul class="capabilities">
                {abilities.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
            </ul>
        </section>
    }
}

fn capability_label(action: Action) -> &'static str {
    match action {
        Action::ManageUsers => "Manage users, devices and offline policy",
        Action::ManageHubsAndEvents => "Create and edit hubs and disaster events",
        Action::ManageItems => "Create and edit items",
        Action::ViewInventory => "View inventory",
        Action::RecordIntake => "Record intake (stock in)",
        Action::RecordDistribution => "Record distributions (stock out)",
        Action::NeedsListEdit => "Create and edit needs lists",
        Action::NeedsListSubmit => "Submit needs lists",
        Action::NeedsListDelete => "Delete draft needs lists",
        Action::PrepareFulfilment => "Prepare fulfilments",
        Action::ApproveFulfilment => "Approve or reject fulfilments",
        Action::Dispatch => "Dispatch approved lists",
        Action::ConfirmReceipt => "Confirm receipt",
        Action::RequestFulfilmentChange => "Request fulfilment changes",
        Action::ApproveChangeRequest => "Approve change requests",
        Action::RejectOrClarifyChangeRequest => "Reject or clarify change requests",
        Action::EditAfterCompletion => "Edit fulfilments after completion",
        Action::RequestTransfer => "Request transfers",
        Action::ReviewTransfer => "Approve or reject transfers",
        Action::ViewTransactions => "View transactions and audit history",
    }
}
