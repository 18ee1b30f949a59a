//! Import of exported unsynced work (LM, ADMIN): a multipart form posting the export file and
//! its passphrase to `/forms/import`, and the report of one import (`/admin/imports/{id}`).
use crate::components::csrf::CsrfField;
use crate::components::offline::in_time;
use leptos::prelude::*;

use crate::api::get_offline_import;
use crate::components::layout::use_user;
use crate::components::notice::{id_param, show_result, Flash};
use crate::offline::access::ImportReport;
use crate::permissions::{may_ever, Action};

#[component]
pub fn ImportPage() -> impl IntoView {
    let user = use_user();
    view! {
        <h1>"Import offline work"</h1>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let allowed = user
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|u| may_ever(&u.actor(), Action::ReviewSyncIssues));
                if allowed {
                    view! { <ImportForm /> }.into_any()
                } else {
                    view! {
                        <p class="error" role="alert">
                            "Only a Logistics Manager or an administrator may import offline work."
                        </p>
                    }
                    .into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn ImportForm() -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="import-form">
            <h2 id="import-form">"Import an export file"</h2>
            <p>
                "Each operation in the file is applied as if you recorded it, with your "
                "permissions; operations already received change nothing."
            </p>
            <form method="post" action="/forms/import" enctype="multipart/form-data" class="stack">
                <CsrfField />
                <label for="import-file">"Export file"</label>
                <input id="import-file" name="file" type="file" required
                    accept=".json,application/json" />
                <label for="import-passphrase">"Passphrase"</label>
                <input id="import-passphrase" name="passphrase" type="password" required
                    autocomplete="off" />
                <button type="submit">"Import"</button>
            </form>
        </section>
    }
}

#[component]
pub fn ImportReportPage() -> impl IntoView {
    let id = id_param().unwrap_or_default();
    let report = Resource::new(move || id, |k| in_time(get_offline_import(k)));
    view! {
        <p><a href="/admin/import">"← Import another file"</a></p>
        <Flash />
        <Suspense fallback=|| view! { <p>"Loading the import report…"</p> }>
            {move || Suspend::new(async move {
                show_result(report.await, |report| view! { <Report report /> })
            })}
        </Suspense>
    }
}

#[component]
fn Report(report: ImportReport) -> impl IntoView {
    let count = |status: &str| report.results.iter().filter(|r| r.status == status).count();
    let summary = format!(
        "{} operations: {} applied, {} waiting for confirmation, {} refused.",
        report.results.len(),
        count("applied"),
        count("pending_confirmation"),
        count("rejected")
    );
    let grant = if report.grant_verified {
        "Yes: the file carries this server's signed grant for that user and device."
    } else {
        "No: the file's origin could not be verified (no grant, or not signed by this server)."
    };
    view! {
        <h1>{format!("Import {}", report.id)}</h1>
        <dl class="facts">
            <dt>"Source user"</dt><dd>{report.source_user.clone()}</dd>
            <dt>"Source device"</dt><dd>{report.source_device.clone()}</dd>
            <dt>"Grant verified"</dt><dd>{grant}</dd>
            <dt>"Imported by"</dt><dd>{report.imported_by.clone()}</dd>
            <dt>"Imported at"</dt><dd>{report.imported_at.clone()}</dd>
        </dl>
        <p role="status">{summary}</p>
        <table class="data">
            <caption>"Outcome of each operation, in the file's order"</caption>
            <thead><tr>
                <th scope="col">"Operation id"</th><th scope="col">"Status"</th>
                <th scope="col">"Reason"</th><th scope="col">"Message"</th>
            </tr></thead>
            <tbody>
                {report.results.into_iter().map(|r| {
                    let id = r.id.as_str().map(str::to_string).unwrap_or_else(|| r.id.to_string());
                    view! {
                        <tr>
                            <td><code>{id}</code></td>
                            <td>{r.status}</td>
                            <td>{r.reason.unwrap_or_default()}</td>
                            <td>{r.message}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
