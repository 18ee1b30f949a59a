//! Import of exported unsynced work (LM, ADMIN): the file is opened with its passphrase, its
//! grant checked for our signature, and every operation applied through the one write path as
//! the importer (their permissions; idempotent by operation id), then recorded and audited.
mod open;
mod report;

use std::collections::HashMap;

use crate::db::Sql;
use app::model::SessionUser;
use app::offline::access::{ExportContents, ImportReport, ImportRequest};
use app::ops::sync::{SyncResult, MAX_BATCH};
use app::ops::Operation;
use app::permissions::{authorize, Action};
use serde_json::Value;

use crate::apply::{self, Incoming, Writer};
use crate::auth::grant::GrantKey;
use crate::db::Db;
use crate::error::AppResult;
pub use open::{MAX_ITERATIONS, MAX_OPERATIONS};
pub use report::load;

pub async fn run(
    writer: &Writer,
    key: &GrantKey,
    importer: &SessionUser,
    req: ImportRequest,
) -> AppResult<ImportReport> {
    authorize(&importer.actor(), Action::ReviewSyncIssues, None)?;
    let contents = open::open(req.file, req.passphrase).await?;
    let grant_verified = verified(key, &contents);
    let results = apply_all(writer, importer, &contents.operations).await?;
    report::store(&writer.db, importer, &contents, grant_verified, &results).await
}

/// The file's grant carries our signature (expired or not) for the file's user and device.
fn verified(key: &GrantKey, contents: &ExportContents) -> bool {
    contents
        .grant
        .as_deref()
        .and_then(|g| key.signed_claims(g).ok())
        .is_some_and(|c| c.user_id == contents.user_id && c.device_id == contents.device_id)
}

/// One result per operation, in the file's order. Operations another user already sent
/// (the device synced them, or someone imported this file before) are reported as they stand
/// and not applied again; the rest go through `apply_batch`, which replays the importer's own.
async fn apply_all(
    writer: &Writer,
    importer: &SessionUser,
    ops: &[Operation],
) -> AppResult<Vec<SyncResult>> {
    let ids: Vec<String> = ops.iter().map(|o| o.id.to_string()).collect();
    let mut done = received_from_others(&writer.db, &ids, importer.id).await?;
    let fresh: Vec<&Operation> = ops
        .iter()
        .filter(|o| !done.contains_key(&o.id.to_string()))
        .collect();
    for chunk in fresh.chunks(MAX_BATCH) {
        let batch = chunk
            .iter()
            .map(|o| Incoming::Parsed((*o).clone()))
            .collect();
        for result in apply::apply_batch(writer, importer, batch).await? {
            let id = result.id.as_str().unwrap_or_default().to_string();
            done.insert(id, result);
        }
    }
    Ok(ids.iter().filter_map(|id| done.get(id).cloned()).collect())
}

type StoredRow = (String, String, Option<String>);

async fn received_from_others(
    db: &Db,
    ids: &[String],
    importer_id: i64,
) -> AppResult<HashMap<String, SyncResult>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(
            "SELECT id, status, reference FROM operations WHERE status IN \
             ('applied', 'pending_confirmation') AND user_id <> ",
        );
        q.bind(importer_id).push(" AND id IN ");
        q.bind_list(chunk.iter().cloned());
        let rows: Vec<StoredRow> = q.fetch_all(&mut *db.acquire().await?).await?;
        for (id, status, reference) in rows {
            let result = SyncResult {
                id: Value::String(id.clone()),
                message: "Already received earlier (synced or imported); nothing changed."
                    .to_string(),
                status,
                reason: None,
                reference,
            };
            found.insert(id, result);
        }
    }
    Ok(found)
}
