//! `distribution`: one OUT movement. The ledger trigger takes the stock in the same statement;
//! if the hub holds less than asked, the balance's CHECK aborts the statement (movement and
//! all), so concurrent writers can never drive stock below zero, and the user gets the figure.
use app::ops::{DistributionPayload, Operation, Reason};
use app::permissions::Action;
use serde_json::json;
use sqlx::AnyConnection;

use super::{reject, Applied, BatchContext, Failure};
use crate::db;
use crate::services::stock;

pub async fn run(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &DistributionPayload,
) -> Result<Applied, Failure> {
    let (hub, hub_name) = ctx
        .hub_for(conn, op.hub_id, Action::RecordDistribution)
        .await?;
    let item = ctx.item(conn, p.item_id).await?;
    if let Some(event_id) = p.event_id {
        ctx.active_event(conn, event_id).await?;
    }
    // Checked before the beneficiary is created, so a refusal leaves nothing behind (the batch
    // holds the write lock: the figure stays true; the balance's CHECK remains the guard).
    let have = stock::on_hand(conn, hub.id, p.item_id).await?;
    if have < p.quantity {
        return Err(short(have, &item, &hub_name, p.quantity));
    }
    let beneficiary_id = ctx.beneficiary_id(conn, p.beneficiary.trim()).await?;
    let now = db::now();
    let inserted = stock::insert_movement(
        conn,
        stock::NewMovement {
            item_id: p.item_id,
            hub_id: hub.id,
            direction: "OUT",
            quantity: p.quantity,
            event_id: p.event_id,
            donor_id: None,
            beneficiary_id: Some(beneficiary_id),
            expiry_date: None,
            notes: p.notes.as_deref(),
            created_by: ctx.user.id,
            created_at: &now,
            operation_id: &op.id.to_string(),
            link_id: None,
        },
    )
    .await;
    let movement_id = match inserted {
        Ok(id) => id,
        Err(e) if stock::is_stock_check(&e) => {
            let have = stock::on_hand(conn, hub.id, p.item_id).await?;
            return Err(short(have, &item, &hub_name, p.quantity));
        }
        Err(e) => return Err(e.into()),
    };
    ctx.audit(
        op,
        "distribution",
        "stock_movement",
        movement_id.to_string(),
        json!({ "hub_id": hub.id, "item_id": p.item_id, "quantity": p.quantity }),
    );
    Ok(Applied {
        reference: format!("movement:{movement_id}"),
        message: format!(
            "Distributed {} {} of {} from {hub_name}.",
            p.quantity, item.unit, item.name
        ),
    })
}

fn short(have: i64, item: &super::context::ItemInfo, hub_name: &str, wanted: i64) -> Failure {
    reject(
        Reason::StockInsufficient,
        format!(
            "Only {have} {} of {} in stock at {hub_name}; {wanted} requested.",
            item.unit, item.name
        ),
    )
}
