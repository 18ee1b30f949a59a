//! In-app notifications: the needs-list transitions that concern the user.
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::get_notifications;
use crate::components::notice::{show_result, Flash};
use crate::domain::text::display_time;
use crate::reports::NotificationsView;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| in_time(get_notifications()));
    view! {
        <h1>"Notifications"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                show_result(data.await, |v| view! { <Notifications v /> })
            })}
        </Suspense>
    }
}

#[component]
fn Notifications(v: NotificationsView) -> impl IntoView {
    let empty = v.items.is_empty();
    view! {
        <p data-unread=v.unread.to_string()>{format!("{} unread", v.unread)}</p>
        {(v.unread > 0).then(|| view! {
            <form method="post" action="/forms/notifications/read" class="inline">
                <CsrfField />
                <button type="submit">"Mark all as read"</button>
            </form>
        })}
        <ul class="notifications">
            {v.items.into_iter().map(|n| view! {
                <li class:unread=!n.read>
                    <a href=n.link.clone()>{n.message.clone()}</a>
                    {format!(" — {}", display_time(&n.created_at))}
                </li>
            }).collect_view()}
        </ul>
        {empty.then(|| view! { <p class="empty">"No notifications."</p> })}
    }
}
