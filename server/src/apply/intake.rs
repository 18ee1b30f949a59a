//! `intake`: one IN movement for an Active event, donor created by name when new. The ledger
//! trigger updates the balance in the same statement.
use app::ops::{IntakePayload, Operation};
use app::permissions::Action;
use serde_json::json;
use sqlx::AnyConnection;

use super::{Applied, BatchContext, Failure};
use crate::db;
use crate::services::stock;

pub async fn run(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &IntakePayload,
) -> Result<Applied, Failure> {
    let (hub, hub_name) = ctx.hub_for(conn, op.hub_id, Action::RecordIntake).await?;
    let item = ctx.item(conn, p.item_id).await?;
    ctx.active_event(conn, p.event_id).await?;
    let donor_id = match p.donor.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(name) => Some(ctx.donor_id(conn, name).await?),
        None => None,
    };
    let expiry = p
        .expiry_date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let now = db::now();
    let movement_id = stock::insert_movement(
        conn,
        stock::NewMovement {
            item_id: p.item_id,
            hub_id: hub.id,
            direction: "IN",
            quantity: p.quantity,
            event_id: Some(p.event_id),
            donor_id,
            beneficiary_id: None,
            expiry_date: expiry,
            notes: p.notes.as_deref(),
            created_by: ctx.user.id,
            created_at: &now,
            operation_id: &op.id.to_string(),
            link_id: None,
        },
    )
    .await?;
    ctx.audit(
        op,
        "intake",
        "stock_movement",
        movement_id.to_string(),
        json!({ "hub_id": hub.id, "item_id": p.item_id, "quantity": p.quantity }),
    );
    Ok(Applied {
        reference: format!("movement:{movement_id}"),
        message: format!(
            "Received {} {} of {} at {hub_name}.",
            p.quantity, item.unit, item.name
        ),
    })
}
