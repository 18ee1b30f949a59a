//! `needs_list_create`: a SUB/AGENCY hub's request, created as Draft or Submitted as chosen,
//! numbered NL-NNNNNN from a counter taken inside the write transaction (collision-free).
use app::ops::{NeedsListCreatePayload, Operation};
use app::permissions::Action;
use serde_json::json;
use sqlx::AnyConnection;

use super::{Applied, BatchContext, Failure};
use crate::db;

pub async fn run(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListCreatePayload,
) -> Result<Applied, Failure> {
    let (hub, hub_name) = ctx.hub_for(conn, op.hub_id, Action::NeedsListEdit).await?;
    if p.submit {
        ctx.hub_for(conn, op.hub_id, Action::NeedsListSubmit)
            .await?;
    }
    super::needs_list::check_lines(conn, ctx, p).await?;
    let seq: i64 = sqlx::query_scalar(
        "UPDATE sequences SET value = value + 1 WHERE name = 'needs_list' RETURNING value",
    )
    .fetch_one(&mut *conn)
    .await?;
    let number = format!("NL-{seq:06}");
    let now = db::now();
    let (status, submitted_by, submitted_at) = if p.submit {
        ("Submitted", Some(ctx.user.id), Some(now.as_str()))
    } else {
        ("Draft", None, None)
    };
    let list_id: i64 = sqlx::query_scalar(
        "INSERT INTO needs_lists (number, hub_id, event_id, priority, status, notes, created_by, created_at, \
         submitted_by, submitted_at, updated_at, operation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(&number)
    .bind(hub.id)
    .bind(p.event_id)
    .bind(p.priority.code())
    .bind(status)
    .bind(p.notes.as_deref())
    .bind(ctx.user.id)
    .bind(&now)
    .bind(submitted_by)
    .bind(submitted_at)
    .bind(&now)
    .bind(op.id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    super::needs_list::insert_lines(conn, list_id, p).await?;
    super::needs_list::timeline(conn, ctx, op, list_id, "created", None, status, None).await?;
    if p.submit {
        super::needs_list::announce_created(conn, ctx, list_id).await?;
    }
    let action = if p.submit {
        "needs_list_create_submit"
    } else {
        "needs_list_create"
    };
    ctx.audit(
        op,
        action,
        "needs_list",
        list_id.to_string(),
        json!({ "number": number, "hub_id": hub.id, "lines": p.lines.len(), "status": status }),
    );
    Ok(Applied {
        message: format!("Needs list {number} for {hub_name} saved as {status}."),
        reference: number,
    })
}
