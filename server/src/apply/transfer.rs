//! Transfers: a request from the source hub (stock checked then, re-checked on approval), and
//! the review. Approval writes an OUT at the source and an IN at the destination carrying one
//! link id, in the caller's savepoint: both or neither.
use app::domain::HubType;
use app::ops::{Operation, Reason, TransferRequestPayload, TransferReviewPayload};
use app::permissions::Action;
use serde_json::json;
use sqlx::AnyConnection;

use super::{reject, Applied, BatchContext, Failure};
use crate::db;
use crate::error::AppError;
use crate::services::stock;

pub async fn request(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &TransferRequestPayload,
) -> Result<Applied, Failure> {
    let (from, from_name) = ctx
        .hub_for(conn, op.hub_id, Action::RequestTransfer)
        .await?;
    let (to, to_name) = ctx.active_hub(conn, p.to_hub_id).await?;
    if to.hub_type == HubType::Agency || from.hub_type == HubType::Agency {
        return Err(reject(
            Reason::Forbidden,
            "Transfers move government stock between government hubs; agency hubs keep their own stock.",
        ));
    }
    let item = ctx.item(conn, p.item_id).await?;
    let have = stock::on_hand(conn, from.id, p.item_id).await?;
    if have < p.quantity {
        return Err(reject(
            Reason::StockInsufficient,
            format!(
                "Only {have} {} of {} in stock at {from_name}; {} requested for transfer.",
                item.unit, item.name, p.quantity
            ),
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO transfers (from_hub_id, to_hub_id, item_id, quantity, status, notes, \
         requested_by, requested_at, operation_id) VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8) RETURNING id",
    )
    .bind(from.id)
    .bind(to.id)
    .bind(p.item_id)
    .bind(p.quantity)
    .bind(p.notes.as_deref())
    .bind(ctx.user.id)
    .bind(db::now())
    .bind(op.id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    ctx.audit(
        op,
        "transfer_request",
        "transfer",
        id.to_string(),
        json!({ "from_hub_id": from.id, "to_hub_id": to.id, "item_id": p.item_id, "quantity": p.quantity }),
    );
    Ok(Applied {
        reference: format!("transfer:{id}"),
        message: format!(
            "Transfer #{id} requested: {} {} of {} from {from_name} to {to_name}; waiting for approval.",
            p.quantity, item.unit, item.name
        ),
    })
}

#[derive(sqlx::FromRow)]
struct TransferRow {
    from_hub_id: i64,
    to_hub_id: i64,
    item_id: i64,
    quantity: i64,
    status: String,
}

pub async fn review(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &TransferReviewPayload,
    approve: bool,
) -> Result<Applied, Failure> {
    let row: Option<TransferRow> = sqlx::query_as(
        "SELECT from_hub_id, to_hub_id, item_id, quantity, status FROM transfers WHERE id = $1",
    )
    .bind(p.transfer_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(t) = row else {
        return Err(reject(
            Reason::Invalid,
            format!("Transfer #{} does not exist.", p.transfer_id),
        ));
    };
    // Both hubs: the reviewer must be allowed at each, and each must still be Active.
    let (from, from_name) = ctx
        .hub_for(conn, t.from_hub_id, Action::ReviewTransfer)
        .await?;
    let (to, to_name) = ctx
        .hub_for(conn, t.to_hub_id, Action::ReviewTransfer)
        .await?;
    if t.status != "PENDING" {
        return Err(reject(
            Reason::Invalid,
            format!(
                "Transfer #{} is already {}.",
                p.transfer_id,
                t.status.to_lowercase()
            ),
        ));
    }
    let item = ctx.item(conn, t.item_id).await?;
    let now = db::now();
    if !approve {
        sqlx::query(
            "UPDATE transfers SET status = 'REJECTED', reviewed_by = $1, reviewed_at = $2, review_reason = $3 \
             WHERE id = $4",
        )
        .bind(ctx.user.id)
        .bind(&now)
        .bind(p.reason.as_deref())
        .bind(p.transfer_id)
        .execute(&mut *conn)
        .await?;
        ctx.audit(
            op,
            "transfer_reject",
            "transfer",
            p.transfer_id.to_string(),
            json!({ "reason": p.reason }),
        );
        return Ok(Applied {
            reference: format!("transfer:{}", p.transfer_id),
            message: format!("Transfer #{} rejected.", p.transfer_id),
        });
    }
    let link = format!("transfer:{}", p.transfer_id);
    let operation_id = op.id.to_string();
    let movement = |hub_id, direction| stock::NewMovement {
        item_id: t.item_id,
        hub_id,
        direction,
        quantity: t.quantity,
        event_id: None,
        donor_id: None,
        beneficiary_id: None,
        expiry_date: None,
        notes: None,
        created_by: ctx.user.id,
        created_at: &now,
        operation_id: &operation_id,
        link_id: Some(&link),
    };
    let out = movement(from.id, "OUT");
    let inn = movement(to.id, "IN");
    match stock::insert_movement(conn, out).await {
        Ok(_) => {}
        Err(e) if stock::is_stock_check(&e) => {
            let have = stock::on_hand(conn, from.id, t.item_id).await?;
            return Err(reject(
                Reason::StockInsufficient,
                format!(
                    "Only {have} {} of {} in stock at {from_name} now; the transfer needs {}.",
                    item.unit, item.name, t.quantity
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    stock::insert_movement(conn, inn).await?;
    sqlx::query(
        "UPDATE transfers SET status = 'APPROVED', reviewed_by = $1, reviewed_at = $2, review_reason = $3, \
         link_id = $4 WHERE id = $5",
    )
    .bind(ctx.user.id)
    .bind(&now)
    .bind(p.reason.as_deref())
    .bind(&link)
    .bind(p.transfer_id)
    .execute(&mut *conn)
    .await?;
    ctx.audit(
        op,
        "transfer_approve",
        "transfer",
        p.transfer_id.to_string(),
        json!({ "from_hub_id": from.id, "to_hub_id": to.id, "item_id": t.item_id, "quantity": t.quantity }),
    );
    Ok(Applied {
        reference: link.clone(),
        message: format!(
            "Transfer #{} approved: {} {} of {} moved from {from_name} to {to_name}.",
            p.transfer_id, t.quantity, item.unit, item.name
        ),
    })
}

/// An operation that must not take effect through sync alone: kept for a person to confirm
/// online. The sender must be allowed to do it at the operation's hub.
pub async fn record_pending(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
) -> Result<String, Failure> {
    ctx.hub_for(conn, op.hub_id, op.body.action()).await?;
    let json = serde_json::to_string(op)
        .map_err(|e| Failure::Internal(AppError::Internal(e.to_string())))?;
    sqlx::query(
        "INSERT INTO pending_confirmations (operation_id, user_id, device_id, kind, hub_id, operation, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (operation_id) DO NOTHING",
    )
    .bind(op.id.to_string())
    .bind(ctx.user.id)
    .bind(&op.device_id)
    .bind(op.body.kind())
    .bind(op.hub_id)
    .bind(json)
    .bind(db::now())
    .execute(&mut *conn)
    .await?;
    ctx.audit(
        op,
        "pending_confirmation",
        "operation",
        op.id.to_string(),
        json!({ "kind": op.body.kind() }),
    );
    Ok("Recorded, not yet done: it needs confirmation online (Pending confirmations).".into())
}
