//! The page frame: header with the signed-in user, role-filtered navigation, sign-out and the
//! slot (top right) where the sync status pill lives.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;

use crate::components::offline::{SyncPill, UpdateBanner};
use crate::error::ApiError;
use crate::model::SessionUser;
use crate::nav::links_for;
use crate::offline::client::{use_offline, SignOut};

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
        <UpdateBanner />
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
            <SignOutForm />
        </div>
        <SyncPill />
    }
}

/// "Sign out": a plain form without JavaScript. With the browser client it first asks when
/// operations wait on this device (Sync now, Export, or delete them), then deletes this user's
/// profile and data from the device and tells every tab.
#[component]
fn SignOutForm() -> impl IntoView {
    let offline = use_offline();
    let waiting = RwSignal::new(None::<usize>);
    let error = RwSignal::new(None::<String>);
    let run = {
        let offline = offline.clone();
        move |force: bool| {
            let Some(port) = offline.port() else {
                return;
            };
            leptos::task::spawn_local(async move {
                match port.sign_out(force).await {
                    Ok(SignOut::Pending(n)) => waiting.set(Some(n)),
                    Ok(SignOut::Done) =>
                    {
                        #[cfg(feature = "hydrate")]
                        if let Some(w) = web_sys::window() {
                            let _ = w
                                .location()
                                .assign("/login?notice=You%20have%20signed%20out.");
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let submit = {
        let offline = offline.clone();
        let run = run.clone();
        move |ev: leptos::ev::SubmitEvent| {
            if offline.port().is_some() {
                ev.prevent_default();
                run(false);
            }
        }
    };
    let sync_now = move |_| {
        if let Some(port) = offline.port() {
            leptos::task::spawn_local(async move {
                port.sync_now().await;
                waiting.set(None);
            });
        }
    };
    view! {
        <form method="post" action="/logout" class="inline" on:submit=submit>
            <CsrfField />
            <button type="submit" class="secondary">"Sign out"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || waiting.get().map(|n| {
            let run = run.clone();
            let sync_now = sync_now.clone();
            view! {
                <div class="card warning sign-out-check" role="alertdialog" aria-labelledby="sign-out-title">
                    <h2 id="sign-out-title">"Unsynced work on this device"</h2>
                    <p>{format!(
                        "{n} operations recorded on this device have not reached the server. Signing out deletes them from this device."
                    )}</p>
                    <button type="button" on:click=sync_now>"Sync now"</button>
                    " "
                    <a href="/sync-issues#export">"Export pending operations"</a>
                    " "
                    <button type="button" class="danger" on:click=move |_| run(true)>
                        "Sign out and delete them"
                    </button>
                    " "
                    <button type="button" class="secondary" on:click=move |_| waiting.set(None)>
                        "Cancel"
                    </button>
                </div>
            }
        })}
    }
}
