//! The needs-list transitions after creation. Each loads the list, checks the actor at the
//! list's hub with the one rule, checks the state, writes the change and one timeline row.
//! Dispatch writes an OUT at every source and an IN at the requester, all carrying one link
//! id, in the caller's savepoint: all or nothing.
use std::collections::BTreeMap;

use app::domain::HubType;
use app::ops::needs_list::{status, LOCK_MINUTES};
use app::ops::{
    Allocation, ChangeDecision, ChangeRequestPayload, ChangeRequestProcessPayload,
    FulfilmentEditPayload, FulfilmentPayload, NeedsListCreatePayload, NeedsListRef,
    NeedsListUpdatePayload, Operation, Reason,
};
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::AnyConnection;

use super::{reject, Applied, BatchContext, Failure};

mod allocations;
mod change_request;
mod correction;
mod dispatch;
mod draft;
mod fulfilment;
mod notify;

use crate::db;
use crate::services::stock;
use allocations::*;
pub use change_request::{change_request_create, change_request_process};
pub use correction::fulfilment_edit;
pub use dispatch::{dispatch, receive};
pub use draft::{check_lines, delete, insert_lines, submit, update};
pub use fulfilment::{fulfilment, review};
pub use notify::announce_created;
use notify::*;

#[derive(sqlx::FromRow)]
pub(super) struct ListRow {
    id: i64,
    number: String,
    hub_id: i64,
    status: String,
    locked_by: Option<i64>,
    locked_at: Option<String>,
}

pub(super) struct List {
    row: ListRow,
    hub_name: String,
}

/// The list, with the actor allowed to do `action` at its hub (the requester). The operation
/// must name that hub, so a pending confirmation is listed for the right people.
pub(super) async fn load(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    id: i64,
    action: Action,
) -> Result<List, Failure> {
    let row = find(conn, ctx, id).await?;
    if op.hub_id != row.hub_id {
        return Err(reject(
            Reason::Invalid,
            format!(
                "Needs list {} belongs to another hub than the one named.",
                row.number
            ),
        ));
    }
    let (_, hub_name) = ctx.hub_for(conn, row.hub_id, action).await?;
    Ok(List { row, hub_name })
}

/// The list, if the actor may see it; a list they may not see answers exactly like one that
/// does not exist (no number, no hub), so ids reveal nothing.
pub(super) async fn find(
    conn: &mut AnyConnection,
    ctx: &BatchContext,
    id: i64,
) -> Result<ListRow, Failure> {
    let row = find_any(conn, id).await?;
    if visible(conn, ctx, &row).await? {
        Ok(row)
    } else {
        Err(not_found(id))
    }
}

fn not_found(id: i64) -> Failure {
    reject(Reason::Invalid, format!("Needs list #{id} does not exist."))
}

/// Who may see a list (as `services::needs_lists::may_see`): global government roles and
/// auditors all; a hub user their hub's own lists and those their hub is a source of.
pub(super) async fn visible(
    conn: &mut AnyConnection,
    ctx: &BatchContext,
    row: &ListRow,
) -> Result<bool, Failure> {
    use app::domain::Role;
    let user = &ctx.user;
    if matches!(
        user.role,
        Role::Admin | Role::LogisticsManager | Role::LogisticsOfficer | Role::Auditor
    ) {
        return Ok(true);
    }
    let Some(own) = user.hub_id else {
        return Ok(false);
    };
    if own == row.hub_id {
        return Ok(true);
    }
    let source: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM needs_list_allocations WHERE needs_list_id = $1 AND source_hub_id = $2 LIMIT 1",
    )
    .bind(row.id)
    .bind(own)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(source.is_some())
}

/// The list whatever the actor may see (internal use: notifications).
pub(super) async fn find_any(conn: &mut AnyConnection, id: i64) -> Result<ListRow, Failure> {
    sqlx::query_as(
        "SELECT id, number, hub_id, status, locked_by, locked_at FROM needs_lists WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| not_found(id))
}

/// Stock on hand, told only to someone who may see that hub's inventory: nobody learns an
/// agency's (or another source's) quantities from a refusal.
pub(super) async fn on_hand_for(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    hub_id: i64,
    item_id: i64,
) -> Result<Option<i64>, Failure> {
    let actor = ctx.user.actor();
    let may = match ctx.hub(conn, hub_id).await? {
        Some(hub) => authorize(&actor, Action::ViewInventory, Some(hub.hub_ref())).is_ok(),
        None => false,
    };
    if !may {
        return Ok(None);
    }
    Ok(Some(stock::on_hand(conn, hub_id, item_id).await?))
}

pub(super) fn expect(list: &ListRow, allowed: &[&str], doing: &str) -> Result<(), Failure> {
    if allowed.contains(&list.status.as_str()) {
        return Ok(());
    }
    Err(reject(
        Reason::Invalid,
        format!(
            "Needs list {} is {}; it can be {doing} only when {}.",
            list.number,
            list.status,
            allowed.join(" or ")
        ),
    ))
}

/// Moves the list to `to` and records the transition on its timeline.
#[allow(clippy::too_many_arguments)]
pub(super) async fn transition(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    list: &ListRow,
    to: &str,
    action: &'static str,
    note: Option<&str>,
) -> Result<(), Failure> {
    let now = db::now();
    sqlx::query("UPDATE needs_lists SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to)
        .bind(&now)
        .bind(list.id)
        .execute(&mut *conn)
        .await?;
    timeline(conn, ctx, op, list.id, action, Some(&list.status), to, note).await?;
    ctx.audit(
        op,
        action,
        "needs_list",
        list.id.to_string(),
        json!({ "number": list.number, "from": list.status, "to": to, "note": note }),
    );
    announce(conn, ctx, list, action, note).await
}

#[allow(clippy::too_many_arguments)]
pub async fn timeline(
    conn: &mut AnyConnection,
    ctx: &BatchContext,
    op: &Operation,
    list_id: i64,
    action: &str,
    from: Option<&str>,
    to: &str,
    note: Option<&str>,
) -> Result<(), Failure> {
    sqlx::query(
        "INSERT INTO needs_list_events (needs_list_id, action, from_status, to_status, user_id, at, note, operation_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(list_id)
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(ctx.user.id)
    .bind(db::now())
    .bind(note)
    .bind(op.id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) fn done(list: &ListRow, message: String) -> Result<Applied, Failure> {
    Ok(Applied {
        reference: list.number.clone(),
        message,
    })
}
