//! The offline snapshot: what the signed-in user may see, and nothing more. Government users
//! get government hubs only (never agency stock); hub-bound users get their own hub. Its
//! entity tag names what the user sees, so an unchanged snapshot costs no body.
use app::domain::{HubStatus, HubType};
use app::model::SessionUser;
use app::ops::sync::{Snapshot, SnapshotEvent, SnapshotHub, SnapshotItem, SnapshotUser, StockLine};
use app::permissions::{may_ever, Action};
use sqlx::FromRow;

use super::rows::HubRow;
use crate::db::{self, Db};
use crate::error::AppResult;

mod needs_lists;
use needs_lists::needs_lists;

/// Every state change writes one audit row, so the newest audit id is the data version.
pub async fn version(db: &Db) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM audit_log")
            .fetch_one(db)
            .await?,
    )
}

/// Hubs whose stock this user may see.
pub async fn visible_hubs(db: &Db, user: &SessionUser) -> AppResult<Vec<HubRow>> {
    let cols = "id, name, hub_type, status, activated_at";
    let rows = if user.role.is_hub_bound() {
        sqlx::query_as(&format!("SELECT {cols} FROM hubs WHERE id = $1"))
            .bind(user.hub_id)
            .fetch_all(db)
            .await?
    } else if may_ever(&user.actor(), Action::ViewInventory) {
        sqlx::query_as(&format!(
            "SELECT {cols} FROM hubs WHERE hub_type IN ('MAIN', 'SUB') ORDER BY hub_type, name"
        ))
        .fetch_all(db)
        .await?
    } else {
        Vec::new()
    };
    Ok(rows)
}

#[derive(FromRow)]
struct StockRow {
    hub_id: i64,
    item_id: i64,
    quantity: i64,
    min_qty: i64,
}

pub async fn build(db: &Db, user: &SessionUser) -> AppResult<Snapshot> {
    let version = version(db).await?;
    let actor = user.actor();
    let hubs = visible_hubs(db, user).await?;
    let hub_ids: Vec<String> = hubs.iter().map(|h| h.id.to_string()).collect();
    let id_list = if hub_ids.is_empty() {
        "NULL".to_string()
    } else {
        hub_ids.join(",")
    };
    let stock: Vec<StockRow> = sqlx::query_as(&format!(
        "SELECT b.hub_id, b.item_id, b.quantity, i.min_qty FROM stock_balances b \
         JOIN items i ON i.id = b.item_id WHERE b.hub_id IN ({id_list}) ORDER BY b.hub_id, i.name"
    ))
    .fetch_all(db)
    .await?;
    let hubs = hubs
        .into_iter()
        .map(|h| SnapshotHub {
            inventory: stock
                .iter()
                .filter(|s| s.hub_id == h.id)
                .map(|s| StockLine {
                    item_id: s.item_id,
                    quantity: s.quantity,
                    min_qty: s.min_qty,
                    low_stock: s.quantity < s.min_qty,
                })
                .collect(),
            id: h.id,
            hub_type: HubType::from_code(&h.hub_type).unwrap_or(HubType::Agency),
            status: HubStatus::from_code(&h.status).unwrap_or(HubStatus::Inactive),
            name: h.name,
        })
        .collect();
    let items: Vec<(i64, String, String, String, String)> =
        sqlx::query_as("SELECT id, sku, name, category, unit FROM items ORDER BY category, name")
            .fetch_all(db)
            .await?;
    let events: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, status FROM disaster_events WHERE status = 'Active' ORDER BY start_date DESC")
            .fetch_all(db)
            .await?;
    let lists = needs_lists(db, user).await?;
    Ok(Snapshot {
        user: SnapshotUser {
            id: user.id,
            username: user.username.clone(),
            display_name: Some(user.display_name.clone()),
            role: user.role,
            hub_id: user.hub_id,
        },
        capabilities: Action::ALL
            .into_iter()
            .filter(|a| may_ever(&actor, *a))
            .collect(),
        hubs,
        items: items
            .into_iter()
            .map(|(id, sku, name, category, unit)| SnapshotItem {
                id,
                sku,
                name,
                category,
                unit,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|(id, name, status)| SnapshotEvent { id, name, status })
            .collect(),
        needs_lists: lists,
        destinations: if may_ever(&actor, Action::RequestTransfer) {
            sqlx::query_as::<_, super::rows::HubRow>(
                "SELECT id, name, hub_type, status, activated_at FROM hubs \
                 WHERE status = 'Active' AND hub_type <> 'AGENCY' ORDER BY hub_type, name",
            )
            .fetch_all(db)
            .await?
            .into_iter()
            .map(app::model::Hub::from)
            .collect()
        } else {
            Vec::new()
        },
        version,
        generated_at: db::now(),
    })
}

/// The snapshot's strong entity tag: SHA-256 of what the user sees, i.e. the serialized
/// snapshot without `generated_at` (new every time) and `version` (the newest audit id, which
/// moves with any change anywhere). The user, role, hub and capabilities are part of it, so
/// one user's tag never validates another's snapshot.
pub fn etag(snapshot: &Snapshot) -> String {
    use sha2::{Digest, Sha256};
    let mut seen = snapshot.clone();
    seen.generated_at = String::new();
    seen.version = 0;
    let json = serde_json::to_vec(&seen).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}
