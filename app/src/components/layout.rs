//! The page frame: header with the signed-in user, role-filtered navigation, sign-out and the
//! slot (top right) where the sync status pill lives.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;

use crate::components::offline::SyncPill;
use crate::error::ApiError;
use crate::model::SessionUser;
use crate::nav::links_for;

/// The current user, loaded once per page by `App`.
#[derive(Clone, Copy)]
pub struct UserResource(pub Resource<Result<Option<SessionUser>, ApiError>>);

pub fn use_user() -> Resource<Result<Option<SessionUser>, ApiError>> {
    expect_context::<UserResource>().0
}

#[component]
pub fn Header() -> impl IntoView {
    let user = use_user();
    view! {
        <header class="app-header">
            <a class="brand" href="/" aria-label="DRIMS home">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " DRIMS"
            </a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! { <SignedInBar user /> }.into_any(),
                        _ => view! { <span class="signed-out">"Not signed in"</span> }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

#[component]
fn SignedInBar(user: SessionUser) -> impl IntoView {
    let links = links_for(&user);
    let hub = user
        .hub_name
        .clone()
        .map(|h| format!(" · {h}"))
        .unwrap_or_default();
    view! {
        <nav class="main-nav" aria-label="Main">
            <ul>
                {links
                    .into_iter()
                    .map(|l| view! { <li><a href=l.href>{l.label}</a></li> })
                    .collect_view()}
            </ul>
        </nav>
        <div class="user-box">
            <span class="user-name">{user.display_name.clone()}</span>
            <span class="user-role">{format!("{}{hub}", user.role.name())}</span>
            <form method="post" action="/logout" class="inline">
                <CsrfField />
                <button type="submit" class="secondary">"Sign out"</button>
            </form>
        </div>
        <SyncPill />
    }
}
