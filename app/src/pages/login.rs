//! Sign-in page. A plain form posting to `/login`, so it works with JavaScript off. With the
//! browser client it signs in through the device: online with the server (keeping the device
//! ready for offline use when ticked), offline with this device's profile and the password.
//! It is also what every page shows while the device is locked.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

use crate::components::export::ExportForm;
use crate::components::layout::use_user;
use crate::components::notice::{prefill, Flash};
use crate::domain::text::{NewPassword, Username};
use crate::offline::client::{use_offline, SignInForm};

/// Only a local path is followed after sign-in: a single `/` then a path character.
pub fn safe_next(next: &str) -> String {
    let mut chars = next.chars();
    let local = chars.next() == Some('/')
        && chars
            .next()
            .is_none_or(|c| c != '/' && c != '\\' && !c.is_control() && !c.is_whitespace());
    if local && !next.starts_with("/login") {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let user = use_user();
    let offline = use_offline();
    let status = offline.status;
    let location = use_location();
    // Where to go afterwards: `?next=`, or the page the lock screen stands in front of.
    let next = use_query_map()
        .get_untracked()
        .get("next")
        .unwrap_or_else(|| {
            let path = location.pathname.get_untracked();
            if path == "/login" {
                String::new()
            } else {
                format!("{path}{}", location.search.get_untracked())
            }
        });
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let deactivated = RwSignal::new(None::<(SignInForm, usize)>);
    let target = next.clone();
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        let go = {
            let navigate = navigate.clone();
            move |to: &str| navigate(to, Default::default())
        };
        #[cfg(feature = "hydrate")]
        browser::submit(&offline, &target, error, busy, deactivated, go, ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&offline, &target, go, ev);
    };
    view! {
        <section class="card narrow" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in to DRIMS"</h1>
            {move || (status.read().ready && !status.read().online).then(|| view! {
                <p class="notice" role="status">
                    "No connection: sign in with this device's offline access."
                </p>
            })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|u| view! {
                        <p class="notice" role="status">
                            {format!("You are signed in as {}. ", u.display_name)}
                            <a href="/">"Go to the dashboard"</a>
                        </p>
                    })
                })}
            </Suspense>
            <Flash />
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <form method="post" action="/login" class="stack" on:submit=submit>
                <CsrfField />
                <input type="hidden" name="next" value=next />
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username"
                    required maxlength=Username::MAX value=prefill("username", "") />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password"
                    autocomplete="current-password" required maxlength=NewPassword::MAX />
                <label class="check">
                    <input id="keep_offline" name="keep_offline" type="checkbox" value="true" />
                    " Keep this device ready for offline use"
                </label>
                <p class="hint">
                    "Only on a device you are responsible for: your hub's data is kept on it, encrypted under your password."
                </p>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            {move || deactivated.get().map(|(credentials, pending)| view! {
                <div class="card warning" role="alert">
                    <h2>"This account has been deactivated"</h2>
                    <p>{format!(
                        "{pending} operations recorded on this device have not reached the server. They are kept here. Export them to a file for a Logistics Manager to import."
                    )}</p>
                    <ExportForm credentials />
                </div>
            })}
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::ev::SubmitEvent;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    use super::safe_next;
    use crate::offline::client::{Offline, SignInForm, SignedIn};

    fn field(form: &web_sys::HtmlFormElement, name: &str) -> Option<web_sys::HtmlInputElement> {
        form.query_selector(&format!("[name={name}]"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into().ok())
    }

    pub fn submit(
        offline: &Offline,
        next: &str,
        error: RwSignal<Option<String>>,
        busy: RwSignal<bool>,
        deactivated: RwSignal<Option<(SignInForm, usize)>>,
        go: impl Fn(&str) + 'static,
        ev: SubmitEvent,
    ) {
        let Some(port) = offline.port() else {
            return; // no client: the browser posts the form
        };
        ev.prevent_default();
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let value = |name| field(&form, name).map(|i| i.value()).unwrap_or_default();
        let sign_in = SignInForm {
            username: value("username"),
            password: value("password"),
            keep_offline: field(&form, "keep_offline").is_some_and(|i| i.checked()),
        };
        let next = safe_next(next);
        let status = offline.status;
        busy.set(true);
        error.set(None);
        deactivated.set(None);
        leptos::task::spawn_local(async move {
            let result = port.sign_in(sign_in.clone()).await;
            busy.set(false);
            match result {
                Ok(SignedIn::Online) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().assign(&next);
                    }
                }
                Ok(SignedIn::Offline) => {
                    if let Some(p) = field(&form, "password") {
                        p.set_value("");
                    }
                    // The lock screen simply gives way; on /login, go where the user meant to.
                    let on_login = web_sys::window()
                        .and_then(|w| w.location().pathname().ok())
                        .is_some_and(|p| p.starts_with("/login"));
                    status.update(|s| s.needs_unlock = false);
                    if on_login {
                        go(&next);
                    }
                }
                Ok(SignedIn::Deactivated { pending }) => {
                    deactivated.set(Some((sign_in, pending)));
                }
                Err(message) => error.set(Some(message)),
            }
        });
    }
}
