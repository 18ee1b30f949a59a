//! Sign-in page. A plain form posting to `/login`, so it works with JavaScript off.
use crate::components::csrf::CsrfField;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::layout::use_user;
use crate::components::notice::{prefill, Flash};
use crate::domain::text::{NewPassword, Username};

#[component]
pub fn LoginPage() -> impl IntoView {
    let user = use_user();
    let next = use_query_map()
        .get_untracked()
        .get("next")
        .unwrap_or_default();
    view! {
        <section class="card narrow" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in to DRIMS"</h1>
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
            <form method="post" action="/login" class="stack">
                <CsrfField />
                <input type="hidden" name="next" value=next />
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username"
                    required maxlength=Username::MAX value=prefill("username", "") />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password"
                    autocomplete="current-password" required maxlength=NewPassword::MAX />
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}
