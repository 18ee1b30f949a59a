//! Users (ADMIN only): list, create, set role and hub, deactivate/reactivate.
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::{list_hubs, list_users};
use crate::components::notice::{id_param, prefill, show_result, Flash};
use crate::domain::Role;
use crate::model::{Hub, UserSummary};

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| in_time(list_users()));
    let hubs = Resource::new(|| (), |_| in_time(list_hubs()));
    view! {
        <h1>"Users"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading users…"</p> }>
            {move || Suspend::new(async move {
                let (users, hubs) = (users.await, hubs.await);
                show_result(users.and_then(|u| hubs.map(|h| (u, h))), |(users, hubs)| view! {
                    <UserTable users />
                    <section class="card" aria-labelledby="new-user">
                        <h2 id="new-user">"Add a user"</h2>
                        <UserForm action="/forms/users".into() user=None hubs submit="Create user" />
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn UserTable(users: Vec<UserSummary>) -> impl IntoView {
    view! {
        <table class="data">
            <caption>{format!("{} users", users.len())}</caption>
            <thead><tr>
                <th scope="col">"Username"</th><th scope="col">"Name"</th><th scope="col">"Role"</th>
                <th scope="col">"Hub"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                {users.into_iter().map(|u| view! {
                    <tr class:inactive=!u.active>
                        <td>{u.username.clone()}</td>
                        <td>{u.display_name.clone()}</td>
                        <td>{u.role.name()}</td>
                        <td>{u.hub_name.clone().unwrap_or_default()}</td>
                        <td><span class="badge" class:off=!u.active>
                            {if u.active { "Active" } else { "Deactivated" }}</span></td>
                        <td><a href=format!("/admin/users/{}", u.id)
                            aria-label=format!("Edit {}", u.username)>"Edit"</a></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn UserForm(
    action: String,
    user: Option<UserSummary>,
    hubs: Vec<Hub>,
    submit: &'static str,
) -> impl IntoView {
    let editing = user.is_some();
    let username = prefill(
        "username",
        user.as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default(),
    );
    let display = prefill(
        "display_name",
        user.as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
    );
    let role = prefill("role", user.as_ref().map(|u| u.role.code()).unwrap_or(""));
    let hub = prefill(
        "hub_id",
        user.as_ref()
            .and_then(|u| u.hub_id)
            .map(|h| h.to_string())
            .unwrap_or_default(),
    );
    let active = user.as_ref().is_none_or(|u| u.active);
    view! {
        <form method="post" action=action class="stack">
            <CsrfField />
            <label for="user-username">"Username"</label>
            <input id="user-username" name="username" required maxlength="64" value=username
                readonly=editing />
            <label for="user-display">"Display name"</label>
            <input id="user-display" name="display_name" required maxlength="100" value=display />
            <label for="user-password">
                {if editing { "New password (leave empty to keep)" } else { "Password" }}
            </label>
            <input id="user-password" name="password" type="password" minlength="8"
                maxlength="256" autocomplete="new-password" required=!editing />
            <label for="user-role">"Role"</label>
            <select id="user-role" name="role" required>
                <option value="" selected=role.is_empty()>"Choose a role"</option>
                {Role::ALL.into_iter().map(|r| view! {
                    <option value=r.code() selected=role == r.code()>{r.name()}</option>
                }).collect_view()}
            </select>
            <label for="user-hub">"Hub (required for hub users and clerks)"</label>
            <select id="user-hub" name="hub_id">
                <option value="" selected=hub.is_empty()>"No hub"</option>
                {hubs.into_iter().map(|h| {
                    let id = h.id.to_string();
                    view! {
                        <option value=id.clone() selected=hub == id>
                            {format!("{} ({})", h.name, h.hub_type.code())}
                        </option>
                    }
                }).collect_view()}
            </select>
            {editing.then(|| view! {
                <label for="user-active">"Account status"</label>
                <select id="user-active" name="active">
                    <option value="true" selected=active>"Active"</option>
                    <option value="false" selected=!active>"Deactivated"</option>
                </select>
            })}
            <button type="submit">{submit}</button>
        </form>
    }
}

#[component]
pub fn UserEditPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| in_time(list_users()));
    let hubs = Resource::new(|| (), |_| in_time(list_hubs()));
    let id = id_param();
    view! {
        <p><a href="/admin/users">"← All users"</a></p>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (users, hubs) = (users.await, hubs.await);
                show_result(users.and_then(|u| hubs.map(|h| (u, h))), move |(users, hubs)| {
                    match users.into_iter().find(|u| Some(u.id) == id) {
                        Some(user) => view! {
                            <h1>{format!("Edit user: {}", user.username)}</h1>
                            <UserForm action=format!("/forms/users/{}", user.id) user=Some(user) hubs submit="Save user" />
                        }.into_any(),
                        None => view! { <h1>"User not found"</h1> }.into_any(),
                    }
                })
            })}
        </Suspense>
    }
}
