//! Transactions (stock movements) and audit history, scoped by role: hub-bound roles see their
//! hub's movements; global roles see government hubs' movements and the audit log, without
//! anything that would reveal agency stock.
use app::model::SessionUser;
use app::permissions::{authorize, Action};
use app::reports::{AuditEntry, History, Movement};
use sqlx::FromRow;

use super::hubs;
use crate::db::Db;
use crate::error::AppResult;

#[derive(FromRow)]
struct MovementRow {
    id: i64,
    created_at: String,
    hub: String,
    item: String,
    direction: String,
    quantity: i64,
    unit: String,
    party: Option<String>,
    by: String,
}

pub async fn build(db: &Db, user: &SessionUser, hub: Option<i64>) -> AppResult<History> {
    let actor = user.actor();
    let scope = match (hub, user.role.is_hub_bound()) {
        (Some(id), _) => {
            let mut conn = db.acquire().await?;
            let row = hubs::find(&mut conn, id).await?;
            authorize(&actor, Action::ViewTransactions, Some(row.hub_ref()))?;
            format!("m.hub_id = {}", row.id)
        }
        (None, true) => {
            authorize(&actor, Action::ViewTransactions, actor.hub)?;
            format!("m.hub_id = {}", user.hub_id.unwrap_or_default())
        }
        (None, false) => {
            authorize(&actor, Action::ViewTransactions, None)?;
            "h.hub_type IN ('MAIN', 'SUB')".to_string()
        }
    };
    let rows: Vec<MovementRow> = sqlx::query_as(&format!(
        "SELECT m.id, m.created_at, h.name AS hub, i.name AS item, m.direction, m.quantity, i.unit, \
         COALESCE(d.name, b.name) AS party, u.username AS by FROM stock_movements m \
         JOIN hubs h ON h.id = m.hub_id JOIN items i ON i.id = m.item_id JOIN users u ON u.id = m.created_by \
         LEFT JOIN donors d ON d.id = m.donor_id LEFT JOIN beneficiaries b ON b.id = m.beneficiary_id \
         WHERE {scope} ORDER BY m.id DESC LIMIT 200"
    ))
    .fetch_all(db)
    .await?;
    let audit = if user.role.is_hub_bound() {
        Vec::new()
    } else {
        audit_log(db).await?
    };
    Ok(History {
        movements: rows
            .into_iter()
            .map(|r| Movement {
                id: r.id,
                at: r.created_at,
                hub: r.hub,
                item: r.item,
                direction: r.direction,
                quantity: r.quantity,
                unit: r.unit,
                party: r.party,
                by: r.by,
            })
            .collect(),
        audit,
    })
}

#[derive(FromRow)]
struct AuditRow {
    at: String,
    username: Option<String>,
    action: String,
    entity: String,
    entity_id: Option<String>,
    device_id: Option<String>,
}

async fn audit_log(db: &Db) -> AppResult<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT a.at, u.username, a.action, a.entity, a.entity_id, a.device_id FROM audit_log a \
         LEFT JOIN users u ON u.id = a.user_id \
         WHERE NOT (a.entity = 'stock_movement' AND EXISTS (SELECT 1 FROM stock_movements m JOIN hubs h ON h.id = m.hub_id \
             WHERE m.id = CASE WHEN a.entity = 'stock_movement' THEN CAST(a.entity_id AS INTEGER) END \
             AND h.hub_type = 'AGENCY')) \
         ORDER BY a.id DESC LIMIT 200",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            at: r.at,
            user: r.username,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            device_id: r.device_id,
        })
        .collect())
}
