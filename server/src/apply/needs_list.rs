//! The needs-list transitions after creation. Each loads the list, checks the actor at the
//! list's hub with the one rule, checks the state, writes the change and one timeline row.
//! Dispatch writes an OUT at every source and an IN at the requester, all carrying one link
//! id, in the caller's savepoint: all or nothing.
use std::collections::BTreeMap;

use app::domain::HubType;
use app::ops::needs_list::{status, LOCK_MINUTES};
use app::ops::{
    FulfilmentPayload, NeedsListCreatePayload, NeedsListRef, NeedsListUpdatePayload, Operation,
    Reason,
};
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::SqliteConnection;

use super::{reject, Applied, BatchContext, Failure};
use crate::db;
use crate::services::stock;

#[derive(sqlx::FromRow)]
struct ListRow {
    id: i64,
    number: String,
    hub_id: i64,
    status: String,
    locked_by: Option<i64>,
    locked_at: Option<String>,
}

struct List {
    row: ListRow,
    hub_name: String,
}

/// The list, with the actor allowed to do `action` at its hub (the requester). The operation
/// must name that hub, so a pending confirmation is listed for the right people.
async fn load(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    id: i64,
    action: Action,
) -> Result<List, Failure> {
    let row = find(conn, id).await?;
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

async fn find(conn: &mut SqliteConnection, id: i64) -> Result<ListRow, Failure> {
    sqlx::query_as(
        "SELECT id, number, hub_id, status, locked_by, locked_at FROM needs_lists WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| reject(Reason::Invalid, format!("Needs list #{id} does not exist.")))
}

fn expect(list: &ListRow, allowed: &[&str], doing: &str) -> Result<(), Failure> {
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
async fn transition(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    list: &ListRow,
    to: &str,
    action: &'static str,
    note: Option<&str>,
) -> Result<(), Failure> {
    let now = db::now();
    sqlx::query("UPDATE needs_lists SET status = ?, updated_at = ? WHERE id = ?")
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
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn timeline(
    conn: &mut SqliteConnection,
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
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

fn done(list: &ListRow, message: String) -> Result<Applied, Failure> {
    Ok(Applied {
        reference: list.number.clone(),
        message,
    })
}

pub async fn update(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListUpdatePayload,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::NeedsListEdit).await?;
    expect(&list.row, &[status::DRAFT], "edited")?;
    if p.list.submit {
        ctx.hub_for(conn, list.row.hub_id, Action::NeedsListSubmit)
            .await?;
    }
    check_lines(conn, ctx, &p.list).await?;
    sqlx::query(
        "UPDATE needs_lists SET event_id = ?, priority = ?, notes = ?, updated_at = ? WHERE id = ?",
    )
    .bind(p.list.event_id)
    .bind(p.list.priority.code())
    .bind(p.list.notes.as_deref())
    .bind(db::now())
    .bind(list.row.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM needs_list_lines WHERE needs_list_id = ?")
        .bind(list.row.id)
        .execute(&mut *conn)
        .await?;
    insert_lines(conn, list.row.id, &p.list).await?;
    transition(
        conn,
        ctx,
        op,
        &list.row,
        status::DRAFT,
        "needs_list_update",
        None,
    )
    .await?;
    if p.list.submit {
        let mut row = find(conn, list.row.id).await?;
        row.status = status::DRAFT.into();
        submit_row(conn, ctx, op, &row).await?;
        return done(
            &list.row,
            format!("Needs list {} saved and submitted.", list.row.number),
        );
    }
    done(
        &list.row,
        format!("Needs list {} saved as Draft.", list.row.number),
    )
}

/// The event is Active and every item exists (shared by create and edit).
pub async fn check_lines(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    p: &NeedsListCreatePayload,
) -> Result<(), Failure> {
    ctx.active_event(conn, p.event_id).await?;
    for line in &p.lines {
        ctx.item(conn, line.item_id).await?;
    }
    Ok(())
}

pub async fn insert_lines(
    conn: &mut SqliteConnection,
    list_id: i64,
    p: &NeedsListCreatePayload,
) -> Result<(), Failure> {
    for line in &p.lines {
        sqlx::query("INSERT INTO needs_list_lines (needs_list_id, item_id, quantity, justification) VALUES (?, ?, ?, ?)")
            .bind(list_id)
            .bind(line.item_id)
            .bind(line.quantity)
            .bind(line.justification.as_deref())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn delete(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListRef,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::NeedsListDelete).await?;
    expect(&list.row, &[status::DRAFT], "deleted")?;
    // Lines, allocations and timeline go with it (ON DELETE CASCADE); the audit log keeps it.
    sqlx::query("DELETE FROM needs_lists WHERE id = ?")
        .bind(list.row.id)
        .execute(&mut *conn)
        .await?;
    ctx.audit(
        op,
        "needs_list_delete",
        "needs_list",
        list.row.id.to_string(),
        json!({ "number": list.row.number, "hub_id": list.row.hub_id }),
    );
    done(
        &list.row,
        format!("Needs list {} deleted.", list.row.number),
    )
}

pub async fn submit(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListRef,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::NeedsListSubmit).await?;
    expect(&list.row, &[status::DRAFT], "submitted")?;
    submit_row(conn, ctx, op, &list.row).await?;
    done(
        &list.row,
        format!(
            "Needs list {} from {} submitted.",
            list.row.number, list.hub_name
        ),
    )
}

async fn submit_row(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    row: &ListRow,
) -> Result<(), Failure> {
    let lines: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM needs_list_lines WHERE needs_list_id = ? AND quantity > 0",
    )
    .bind(row.id)
    .fetch_one(&mut *conn)
    .await?;
    if lines == 0 {
        return Err(reject(
            Reason::Invalid,
            "A needs list needs at least one line with a quantity to be submitted.",
        ));
    }
    sqlx::query("UPDATE needs_lists SET submitted_by = ?, submitted_at = ? WHERE id = ?")
        .bind(ctx.user.id)
        .bind(db::now())
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    transition(
        conn,
        ctx,
        op,
        row,
        status::SUBMITTED,
        "needs_list_submit",
        None,
    )
    .await
}

/// Whether someone other than `user` holds a live lock.
fn held_by_other(row: &ListRow, user: i64) -> Option<i64> {
    let holder = row.locked_by.filter(|h| *h != user)?;
    let at = row
        .locked_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())?;
    let live = chrono::Utc::now() - at.with_timezone(&chrono::Utc)
        < chrono::Duration::minutes(LOCK_MINUTES);
    live.then_some(holder)
}

pub async fn fulfilment(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &FulfilmentPayload,
    submitting: bool,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::PrepareFulfilment).await?;
    let row = &list.row;
    expect(
        row,
        &[status::SUBMITTED, status::PREPARED],
        if submitting {
            "submitted for approval"
        } else {
            "prepared"
        },
    )?;
    if let Some(holder) = held_by_other(row, ctx.user.id) {
        let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = ?")
            .bind(holder)
            .fetch_one(&mut *conn)
            .await?;
        return Err(reject(
            Reason::Locked,
            format!(
                "{name} is preparing needs list {} right now; only they can save it until their lock ends.",
                row.number
            ),
        ));
    }
    let requested: BTreeMap<i64, i64> =
        sqlx::query_as("SELECT item_id, quantity FROM needs_list_lines WHERE needs_list_id = ?")
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut totals: BTreeMap<i64, i64> = BTreeMap::new();
    for a in &p.allocations {
        let item = ctx.item(conn, a.item_id).await?;
        let Some(wanted) = requested.get(&a.item_id) else {
            return Err(reject(
                Reason::Invalid,
                format!("{} is not on needs list {}.", item.name, row.number),
            ));
        };
        let (source, source_name) = ctx.active_hub(conn, a.source_hub_id).await?;
        if source.hub_type == HubType::Agency {
            return Err(reject(
                Reason::Invalid,
                format!(
                    "{source_name} is an agency hub; fulfilments come from MAIN and SUB hubs only."
                ),
            ));
        }
        if source.id == row.hub_id {
            return Err(reject(
                Reason::Invalid,
                format!("{source_name} is the requesting hub; choose another source."),
            ));
        }
        let have = stock::on_hand(conn, source.id, a.item_id).await?;
        if a.quantity > have {
            return Err(reject(
                Reason::StockInsufficient,
                format!(
                    "Only {have} {} of {} in stock at {source_name}; {} allocated.",
                    item.unit, item.name, a.quantity
                ),
            ));
        }
        let total = totals.entry(a.item_id).or_default();
        *total += a.quantity;
        if *total > *wanted {
            return Err(reject(
                Reason::Invalid,
                format!(
                    "{} allocated of {} in total, but {wanted} requested.",
                    total, item.name
                ),
            ));
        }
    }
    sqlx::query("DELETE FROM needs_list_allocations WHERE needs_list_id = ?")
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    for a in &p.allocations {
        sqlx::query(
            "INSERT INTO needs_list_allocations (needs_list_id, item_id, source_hub_id, quantity) VALUES (?, ?, ?, ?)",
        )
        .bind(row.id)
        .bind(a.item_id)
        .bind(a.source_hub_id)
        .bind(a.quantity)
        .execute(&mut *conn)
        .await?;
    }
    // Saving keeps (or takes) the lock; submitting hands the list on and releases it.
    let (locked_by, locked_at) = if submitting {
        (None, None)
    } else {
        (Some(ctx.user.id), Some(db::now()))
    };
    sqlx::query(
        "UPDATE needs_lists SET prepared_by = ?, locked_by = ?, locked_at = ? WHERE id = ?",
    )
    .bind(ctx.user.id)
    .bind(locked_by)
    .bind(locked_at)
    .bind(row.id)
    .execute(&mut *conn)
    .await?;
    let (to, action, message) = if submitting {
        (
            status::AWAITING_APPROVAL,
            "fulfilment_submit",
            format!("Fulfilment of {} submitted for approval.", row.number),
        )
    } else {
        (
            status::PREPARED,
            "fulfilment_save",
            format!("Fulfilment of {} saved.", row.number),
        )
    };
    let note = format!("{} allocation(s)", p.allocations.len());
    transition(conn, ctx, op, row, to, action, Some(&note)).await?;
    done(row, message)
}

pub async fn review(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListRef,
    approve: bool,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::ApproveFulfilment).await?;
    let row = &list.row;
    expect(
        row,
        &[status::AWAITING_APPROVAL],
        if approve { "approved" } else { "rejected" },
    )?;
    if approve {
        let allocations: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM needs_list_allocations WHERE needs_list_id = ?",
        )
        .bind(row.id)
        .fetch_one(&mut *conn)
        .await?;
        if allocations == 0 {
            return Err(reject(
                Reason::Invalid,
                format!("Needs list {} has no allocations to approve.", row.number),
            ));
        }
        transition(
            conn,
            ctx,
            op,
            row,
            status::APPROVED,
            "needs_list_approve",
            p.reason.as_deref(),
        )
        .await?;
        return done(
            row,
            format!("Needs list {} approved for dispatch.", row.number),
        );
    }
    sqlx::query("DELETE FROM needs_list_allocations WHERE needs_list_id = ?")
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    transition(
        conn,
        ctx,
        op,
        row,
        status::SUBMITTED,
        "needs_list_reject",
        p.reason.as_deref(),
    )
    .await?;
    done(
        row,
        format!(
            "Fulfilment of {} rejected; the list is back to Submitted with its allocations cleared.",
            row.number
        ),
    )
}

#[derive(sqlx::FromRow)]
struct AllocationRow {
    item_id: i64,
    source_hub_id: i64,
    quantity: i64,
}

pub async fn dispatch(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListRef,
) -> Result<Applied, Failure> {
    let row = find(conn, p.needs_list_id).await?;
    let allocations: Vec<AllocationRow> = sqlx::query_as(
        "SELECT item_id, source_hub_id, quantity FROM needs_list_allocations WHERE needs_list_id = ? ORDER BY id",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    // Global roles anywhere; a hub user only when their hub is one of the sources, and the
    // operation names that hub (or the requester).
    let actor = ctx.user.actor();
    let mut allowed = None;
    for a in &allocations {
        if let Some(hub) = ctx.hub(conn, a.source_hub_id).await? {
            if authorize(&actor, Action::Dispatch, Some(hub.hub_ref())).is_ok() {
                allowed = Some(());
            }
        }
    }
    if op.hub_id != row.hub_id && !allocations.iter().any(|a| a.source_hub_id == op.hub_id) {
        return Err(reject(
            Reason::Invalid,
            format!(
                "Needs list {} is not requested by or sourced from the hub named.",
                row.number
            ),
        ));
    }
    if allowed.is_none() {
        return Err(reject(
            Reason::Forbidden,
            format!(
                "Your role ({}) may dispatch needs list {} only when your hub is one of its sources.",
                actor.role.name(),
                row.number
            ),
        ));
    }
    expect(&row, &[status::APPROVED, status::RESENT], "dispatched")?;
    let (_, requester) = ctx.active_hub(conn, row.hub_id).await?;
    let link = format!("dispatch:{}", row.number);
    let now = db::now();
    let operation_id = op.id.to_string();
    let notes = format!("Needs list {}", row.number);
    for a in &allocations {
        let (_, source_name) = ctx.active_hub(conn, a.source_hub_id).await?;
        let item = ctx.item(conn, a.item_id).await?;
        let movement = |hub_id, direction| stock::NewMovement {
            item_id: a.item_id,
            hub_id,
            direction,
            quantity: a.quantity,
            event_id: None,
            donor_id: None,
            beneficiary_id: None,
            expiry_date: None,
            notes: Some(&notes),
            created_by: ctx.user.id,
            created_at: &now,
            operation_id: &operation_id,
            link_id: Some(&link),
        };
        match stock::insert_movement(conn, movement(a.source_hub_id, "OUT")).await {
            Ok(_) => {}
            Err(e) if stock::is_stock_check(&e) => {
                let have = stock::on_hand(conn, a.source_hub_id, a.item_id).await?;
                return Err(reject(
                    Reason::StockInsufficient,
                    format!(
                        "Only {have} {} of {} in stock at {source_name} now; the dispatch needs {}. Nothing was dispatched.",
                        item.unit, item.name, a.quantity
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        stock::insert_movement(conn, movement(row.hub_id, "IN")).await?;
    }
    sqlx::query("UPDATE needs_lists SET dispatch_link = ? WHERE id = ?")
        .bind(&link)
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    transition(
        conn,
        ctx,
        op,
        &row,
        status::DISPATCHED,
        "needs_list_dispatch",
        None,
    )
    .await?;
    done(
        &row,
        format!(
            "Needs list {} dispatched to {requester}: {} allocation(s) moved.",
            row.number,
            allocations.len()
        ),
    )
}

pub async fn receive(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListRef,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::ConfirmReceipt).await?;
    expect(&list.row, &[status::DISPATCHED], "received")?;
    transition(
        conn,
        ctx,
        op,
        &list.row,
        status::COMPLETED,
        "needs_list_receive",
        p.reason.as_deref(),
    )
    .await?;
    done(
        &list.row,
        format!(
            "Receipt of needs list {} confirmed at {}; the list is Completed.",
            list.row.number, list.hub_name
        ),
    )
}
