//! `distribution`: one OUT movement, refused when stock at the hub is short (checked by the same
//! statement that takes it, so concurrent writers can never drive stock below zero).
use app::ops::{DistributionPayload, Operation, Reason};
use app::permissions::Action;
use serde_json::json;
use sqlx::SqliteConnection;

use super::{reject, Applied, BatchContext, Failure};
use crate::db;
use crate::services::audit::{record_op, OpAudit};
use crate::services::stock;

pub async fn run(
    conn: &mut SqliteConnection,
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
    let now = db::now();
    if !stock::take(conn, hub.id, p.item_id, p.quantity, &now).await? {
        let have = stock::on_hand(conn, hub.id, p.item_id).await?;
        return Err(reject(
            Reason::StockInsufficient,
            format!(
                "Only {have} {} of {} in stock at {hub_name}; {} requested.",
                item.unit, item.name, p.quantity
            ),
        ));
    }
    let beneficiary_id = stock::beneficiary_id(conn, p.beneficiary.trim()).await?;
    let movement_id = stock::insert_movement(
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
        },
    )
    .await?;
    record_op(
        conn,
        OpAudit {
            user_id: ctx.user.id,
            device_id: &op.device_id,
            operation_id: &op.id.to_string(),
            action: "distribution",
            entity: "stock_movement",
            entity_id: movement_id.to_string(),
            details: json!({ "hub_id": hub.id, "item_id": p.item_id, "quantity": p.quantity }),
        },
    )
    .await?;
    Ok(Applied {
        reference: format!("movement:{movement_id}"),
        message: format!(
            "Distributed {} {} of {} from {hub_name}.",
            p.quantity, item.unit, item.name
        ),
    })
}
