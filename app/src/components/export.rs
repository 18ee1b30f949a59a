//! "Export pending operations": the device's unsynced work written to a file encrypted under a
//! passphrase the user types, for a Logistics Manager or ADMIN to import at any connected DRIMS.
//! Needs the browser client (the work lives in the device's IndexedDB).
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::offline::client::{use_offline, SignInForm};

/// Shortest passphrase accepted for an export file.
pub const MIN_PASSPHRASE: usize = 12;

/// Checks the two passphrase fields before any work is done.
pub fn check_passphrase(passphrase: &str, again: &str) -> Result<(), String> {
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(format!(
            "Use a passphrase of at least {MIN_PASSPHRASE} characters."
        ));
    }
    if passphrase != again {
        return Err("The two passphrases differ.".into());
    }
    Ok(())
}

#[component]
pub fn ExportForm(
    /// For an account the server deactivated: the profile is opened with these.
    #[prop(optional)]
    credentials: Option<SignInForm>,
) -> impl IntoView {
    let offline = use_offline();
    let passphrase = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (p, a) = (passphrase.get_untracked(), again.get_untracked());
        if let Err(e) = check_passphrase(&p, &a) {
            message.set(Some(Err(e)));
            return;
        }
        let Some(port) = offline.port() else {
            message.set(Some(Err(
                "Exporting needs JavaScript: the work is kept in this browser.".into(),
            )));
            return;
        };
        let credentials = credentials.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = port.export(p, credentials).await;
            busy.set(false);
            message.set(Some(result.map(|n| {
                format!("Exported {n} operations to a file. Give it to a Logistics Manager to import; keep the passphrase separate.")
            })));
            passphrase.set(String::new());
            again.set(String::new());
        });
    };
    view! {
        <form class="stack export-form" id="export" on:submit=submit aria-label="Export pending operations">
            <label for="export-passphrase">"Export passphrase"</label>
            <input id="export-passphrase" type="password" autocomplete="new-password" required
                minlength=MIN_PASSPHRASE bind:value=passphrase />
            <label for="export-again">"Repeat the passphrase"</label>
            <input id="export-again" type="password" autocomplete="new-password" required
                minlength=MIN_PASSPHRASE bind:value=again />
            <button type="submit" class="secondary" disabled=move || busy.get()>
                "Export pending operations"
            </button>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
            })}
        </form>
    }
}
