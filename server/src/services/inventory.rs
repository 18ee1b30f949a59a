//! Hub inventory (search, category filter, low-stock flag) and the options the intake and
//! distribution forms offer. Reads the balance table, never sums the ledger.
use app::domain::HubStatus;
use app::model::{Hub, SessionUser};
use app::permissions::{authorize, Action};
use app::reports::{InventoryLine, InventoryQuery, InventoryView, StockFormOptions};
use sqlx::FromRow;

use super::rows::HubRow;
use super::{csv, events, hubs, items, snapshot};
use crate::db::Db;
use crate::error::{AppError, AppResult};

#[derive(FromRow)]
struct LineRow {
    item_id: i64,
    sku: String,
    name: String,
    category: String,
    unit: String,
    min_qty: i64,
    quantity: i64,
    last_movement_at: Option<String>,
}

/// The hub to show: the one asked for, else the user's own, else the first they may see.
async fn chosen_hub(
    db: &Db,
    user: &SessionUser,
    asked: Option<i64>,
    visible: &[HubRow],
) -> AppResult<HubRow> {
    let id = asked
        .or(user.hub_id.filter(|id| visible.iter().any(|h| h.id == *id)))
        .or(visible.first().map(|h| h.id))
        .ok_or_else(|| {
            AppError::Forbidden("There is no hub whose inventory you may view.".into())
        })?;
    let mut conn = db.acquire().await?;
    hubs::find(&mut conn, id).await
}

pub async fn view(db: &Db, user: &SessionUser, query: &InventoryQuery) -> AppResult<InventoryView> {
    let visible = snapshot::visible_hubs(db, user).await?;
    let hub = chosen_hub(db, user, query.hub, &visible).await?;
    authorize(&user.actor(), Action::ViewInventory, Some(hub.hub_ref()))?;
    let q = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let category = query
        .category
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT i.id AS item_id, i.sku, i.name, i.category, i.unit, i.min_qty, \
         COALESCE(b.quantity, 0) AS quantity, b.last_movement_at \
         FROM items i LEFT JOIN stock_balances b ON b.item_id = i.id AND b.hub_id = $1 \
         WHERE ($2 IS NULL OR instr(lower(i.name), lower($3)) > 0 OR instr(lower(i.sku), lower($4)) > 0) \
         AND ($5 IS NULL OR i.category = $6) ORDER BY i.category, i.name",
    )
    .bind(hub.id)
    .bind(q)
    .bind(q)
    .bind(q)
    .bind(category)
    .bind(category)
    .fetch_all(db)
    .await?;
    let categories: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT category FROM items ORDER BY category")
            .fetch_all(db)
            .await?;
    let lines: Vec<InventoryLine> = rows
        .into_iter()
        .map(|r| InventoryLine {
            low_stock: r.quantity < r.min_qty,
            item_id: r.item_id,
            sku: r.sku,
            name: r.name,
            category: r.category,
            unit: r.unit,
            quantity: r.quantity,
            min_qty: r.min_qty,
            last_movement_at: r.last_movement_at,
            pending: 0,
        })
        .collect();
    Ok(InventoryView {
        total_quantity: lines.iter().map(|l| l.quantity).sum(),
        low_stock_count: lines.iter().filter(|l| l.low_stock).count(),
        hub: hub.into(),
        hubs: visible.into_iter().map(Hub::from).collect(),
        categories,
        lines,
        offline: None,
    })
}

/// Active hubs where the user may do `action`, the catalogue, Active events and stock on hand.
pub async fn form_options(
    db: &Db,
    user: &SessionUser,
    action: Action,
    asked: Option<i64>,
) -> AppResult<StockFormOptions> {
    if !matches!(
        action,
        Action::RecordIntake
            | Action::RecordDistribution
            | Action::NeedsListEdit
            | Action::RequestTransfer
    ) {
        return Err(AppError::NotFound("No such form.".into()));
    }
    let actor = user.actor();
    let all: Vec<HubRow> = sqlx::query_as(
        "SELECT id, name, hub_type, status, activated_at FROM hubs ORDER BY hub_type, name",
    )
    .fetch_all(db)
    .await?;
    let hubs: Vec<Hub> = all
        .into_iter()
        .filter(|h| authorize(&actor, action, Some(h.hub_ref())).is_ok())
        .map(Hub::from)
        .filter(|h| h.status == HubStatus::Active)
        .collect();
    if hubs.is_empty() {
        authorize(&actor, action, None)?;
        return Err(AppError::Forbidden(
            "There is no active hub where you may record this.".into(),
        ));
    }
    let hub_id = asked
        .filter(|id| hubs.iter().any(|h| h.id == *id))
        .or(user.hub_id.filter(|id| hubs.iter().any(|h| h.id == *id)))
        .or(hubs.first().map(|h| h.id));
    let stock: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT item_id, quantity FROM stock_balances WHERE hub_id = $1 AND quantity > 0",
    )
    .bind(hub_id)
    .fetch_all(db)
    .await?;
    let events = events::list(db, user)
        .await?
        .into_iter()
        .filter(|e| e.status == "Active")
        .collect();
    Ok(StockFormOptions {
        hubs,
        hub_id,
        items: items::list(db, user).await?,
        events,
        stock,
        op_id: uuid::Uuid::new_v4().to_string(),
    })
}

/// The inventory as CSV, under the same permission and filters as the page.
pub fn to_csv(view: &InventoryView) -> String {
    let mut out =
        String::from("SKU,Item,Category,Unit,Quantity,Min qty,Low stock,Last movement\r\n");
    for l in &view.lines {
        let cells = [
            csv::field(&l.sku),
            csv::field(&l.name),
            csv::field(&l.category),
            csv::field(&l.unit),
            l.quantity.to_string(),
            l.min_qty.to_string(),
            if l.low_stock { "yes" } else { "no" }.to_string(),
            csv::field(l.last_movement_at.as_deref().unwrap_or("")),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}
