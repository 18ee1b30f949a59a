//! Home: who you are, where you work, and what your role lets you do. The per-role dashboards
//! with figures build on this page.
use leptos::prelude::*;

use crate::api::get_dashboard;
use crate::components::layout::use_user;
use crate::components::notice::{show_result, Flash};
use crate::components::offline::or_offline;
use crate::model::SessionUser;
use crate::offline::client::use_offline;
use crate::offline::project;
use crate::permissions::{may_ever, Action};
use crate::reports::{BarChart, Dashboard};

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
    let offline = use_offline();
    let dashboard = Resource::new(
        || (),
        move |_| {
            let offline = offline.clone();
            async move { or_offline(get_dashboard(), &offline, project::dashboard).await }
        },
    );
    view! {
        <h1>{format!("Welcome, {}", user.display_name)}</h1>
        <dl class="facts">
            <dt>"Role"</dt><dd>{user.role.name()}</dd>
            <dt>"Hub"</dt><dd>{hub}</dd>
        </dl>
        <Suspense fallback=|| view! { <p>"Loading dashboard…"</p> }>
            {move || Suspend::new(async move {
                show_result(dashboard.await, |d| view! { <DashboardView d /> })
            })}
        </Suspense>
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
        Action::ReviewSyncIssues => "Review every user's sync issues",
    }
}

#[component]
fn DashboardView(d: Dashboard) -> impl IntoView {
    view! {
        <section aria-labelledby="dash-title" class="dashboard">
            <h2 id="dash-title">{d.title}</h2>
            <dl class="stats">
                {d.stats.into_iter().map(|s| view! {
                    <div class="stat"><dt>{s.label}</dt><dd>{s.value}</dd></div>
                }).collect_view()}
            </dl>
            {d.chart.map(|chart| view! { <Chart chart /> })}
            {d.tables.into_iter().map(|t| {
                let empty = t.rows.is_empty();
                view! {
                    <table class="data">
                        <caption>{t.title}</caption>
                        <thead><tr>
                            {t.headers.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {t.rows.into_iter().map(|row| view! {
                                <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {empty.then(|| view! { <p class="empty">{t.empty}</p> })}
                }
            }).collect_view()}
        </section>
    }
}

/// A horizontal bar chart as inline SVG: readable without JavaScript, labelled for screen readers.
#[component]
fn Chart(chart: BarChart) -> impl IntoView {
    let bars = chart.scaled();
    let row = 28;
    let height = (bars.len().max(1) * row + 8).to_string();
    let summary = bars
        .iter()
        .map(|(l, v, _)| format!("{l}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <figure class="chart">
            <figcaption>{chart.title.clone()}</figcaption>
            <svg viewBox=format!("0 0 640 {height}") width="100%" role="img" aria-label=format!("{}. {summary}", chart.title)>
                {bars.into_iter().enumerate().map(|(i, (label, value, pct))| {
                    let y = i * row + 4;
                    view! {
                        <text x="0" y=(y + 18).to_string() class="chart-label">{label}</text>
                        <rect x="150" y=y.to_string() height="20" width=(pct * 4).to_string() class="chart-bar" />
                        <text x=(156 + pct * 4).to_string() y=(y + 15).to_string() class="chart-value">{value.to_string()}</text>
                    }
                }).collect_view()}
            </svg>
            {chart.bars.is_empty().then(|| view! { <p class="empty">"No government stock recorded yet."</p> })}
        </figure>
    }
}
