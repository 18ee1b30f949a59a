//! The transfers page: the request form's choices, where a transfer may go, and the transfers
//! the user may see (those touching a hub whose inventory they may view).
use app::model::{Hub, SessionUser};
use app::permissions::{authorize, may_ever, Action};
use app::reports::{TransferRow, TransfersView};

use super::inventory;
use super::rows::HubRow;
use crate::db::Db;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    from_hub_id: i64,
    to_hub_id: i64,
    from_hub: String,
    to_hub: String,
    item: String,
    quantity: i64,
    unit: String,
    status: String,
    notes: Option<String>,
    requested_by: String,
    requested_at: String,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    review_reason: Option<String>,
}

pub async fn view(db: &Db, user: &SessionUser, hub: Option<i64>) -> AppResult<TransfersView> {
    let actor = user.actor();
    let form = if may_ever(&actor, Action::RequestTransfer) {
        inventory::form_options(db, user, Action::RequestTransfer, hub)
            .await
            .ok()
    } else {
        None
    };
    let hubs: Vec<HubRow> = sqlx::query_as(
        "SELECT id, name, hub_type, status, activated_at FROM hubs ORDER BY hub_type, name",
    )
    .fetch_all(db)
    .await?;
    let visible = |id: i64| {
        hubs.iter()
            .find(|h| h.id == id)
            .is_some_and(|h| authorize(&actor, Action::ViewInventory, Some(h.hub_ref())).is_ok())
    };
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.from_hub_id, t.to_hub_id, f.name AS from_hub, d.name AS to_hub, i.name AS item, \
         t.quantity, i.unit, t.status, t.notes, u.display_name AS requested_by, t.requested_at, \
         r.display_name AS reviewed_by, t.reviewed_at, t.review_reason \
         FROM transfers t JOIN hubs f ON f.id = t.from_hub_id JOIN hubs d ON d.id = t.to_hub_id \
         JOIN items i ON i.id = t.item_id JOIN users u ON u.id = t.requested_by \
         LEFT JOIN users r ON r.id = t.reviewed_by ORDER BY t.id DESC LIMIT 200",
    )
    .fetch_all(db)
    .await?;
    let transfers = rows
        .into_iter()
        .filter(|r| visible(r.from_hub_id) || visible(r.to_hub_id))
        .map(|r| TransferRow {
            id: r.id,
            from_hub_id: r.from_hub_id,
            from_hub: r.from_hub,
            to_hub: r.to_hub,
            item: r.item,
            quantity: r.quantity,
            unit: r.unit,
            status: r.status,
            notes: r.notes,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            review_reason: r.review_reason,
            op_id: uuid::Uuid::new_v4().to_string(),
        })
        .collect();
    Ok(TransfersView {
        form,
        destinations: hubs
            .into_iter()
            // Government stock moves between government hubs; agency hubs stay independent.
            .filter(|h| h.status == "Active" && h.hub_type != "AGENCY")
            .map(Hub::from)
            .collect(),
        transfers,
        may_review: may_ever(&actor, Action::ReviewTransfer),
    })
}
