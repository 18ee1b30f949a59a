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
    announce(conn, ctx, list, action, note).await
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
    check_allocations(conn, ctx, row, &p.allocations, true).await?;
    replace_allocations(conn, row.id, &p.allocations).await?;
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

/// Allocation rules: items on the list, Active MAIN/SUB sources other than the requester,
/// each within that hub's stock (when `stock` is checked now), totals within what was
/// requested.
async fn check_allocations(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    row: &ListRow,
    allocations: &[Allocation],
    check_stock: bool,
) -> Result<(), Failure> {
    let requested: BTreeMap<i64, i64> =
        sqlx::query_as("SELECT item_id, quantity FROM needs_list_lines WHERE needs_list_id = ?")
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut totals: BTreeMap<i64, i64> = BTreeMap::new();
    for a in allocations {
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
        if check_stock {
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
    Ok(())
}

async fn current_allocations(
    conn: &mut SqliteConnection,
    list_id: i64,
) -> Result<Vec<Allocation>, Failure> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT item_id, source_hub_id, quantity FROM needs_list_allocations WHERE needs_list_id = ? ORDER BY id",
    )
    .bind(list_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(item_id, source_hub_id, quantity)| Allocation {
            item_id,
            source_hub_id,
            quantity,
        })
        .collect())
}

async fn replace_allocations(
    conn: &mut SqliteConnection,
    list_id: i64,
    allocations: &[Allocation],
) -> Result<(), Failure> {
    sqlx::query("DELETE FROM needs_list_allocations WHERE needs_list_id = ?")
        .bind(list_id)
        .execute(&mut *conn)
        .await?;
    for a in allocations {
        sqlx::query(
            "INSERT INTO needs_list_allocations (needs_list_id, item_id, source_hub_id, quantity) VALUES (?, ?, ?, ?)",
        )
        .bind(list_id)
        .bind(a.item_id)
        .bind(a.source_hub_id)
        .bind(a.quantity)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn to_json(allocations: &[Allocation]) -> String {
    serde_json::to_string(allocations).unwrap_or_else(|_| "[]".into())
}

#[allow(clippy::too_many_arguments)]
async fn version(
    conn: &mut SqliteConnection,
    ctx: &BatchContext,
    op: &Operation,
    list_id: i64,
    before: &[Allocation],
    after: &[Allocation],
    reason: &str,
    change_request: Option<i64>,
) -> Result<i64, Failure> {
    Ok(sqlx::query_scalar(
        "INSERT INTO fulfilment_versions (needs_list_id, before, after, reason, change_request_id, created_by, created_at, operation_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(list_id)
    .bind(to_json(before))
    .bind(to_json(after))
    .bind(reason)
    .bind(change_request)
    .bind(ctx.user.id)
    .bind(db::now())
    .bind(op.id.to_string())
    .fetch_one(&mut *conn)
    .await?)
}

/// Who hears about a transition.
pub enum Audience {
    Roles(&'static [&'static str]),
    Hubs(Vec<i64>),
    User(i64),
}

/// In-app notifications for everyone in `audience` but the actor, written with the change.
pub async fn notify(
    conn: &mut SqliteConnection,
    ctx: &BatchContext,
    audience: Audience,
    message: &str,
    link: &str,
) -> Result<(), Failure> {
    let (filter, ids): (String, Vec<String>) = match audience {
        Audience::Roles(roles) => (
            format!("role IN ({})", vec!["?"; roles.len()].join(", ")),
            roles.iter().map(|r| r.to_string()).collect(),
        ),
        Audience::Hubs(hubs) if hubs.is_empty() => return Ok(()),
        Audience::Hubs(hubs) => (
            format!("hub_id IN ({})", vec!["?"; hubs.len()].join(", ")),
            hubs.iter().map(|h| h.to_string()).collect(),
        ),
        Audience::User(id) => ("id = ?".to_string(), vec![id.to_string()]),
    };
    let sql = format!(
        "INSERT INTO notifications (user_id, message, link, created_at) \
         SELECT id, ?, ?, ? FROM users WHERE active = 1 AND id <> ? AND {filter}"
    );
    let mut query = sqlx::query(&sql)
        .bind(message)
        .bind(link)
        .bind(db::now())
        .bind(ctx.user.id);
    for id in &ids {
        query = query.bind(id);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

const PLANNERS: &[&str] = &["ADMIN", "LOGISTICS_MANAGER", "LOGISTICS_OFFICER"];
const APPROVERS: &[&str] = &["ADMIN", "LOGISTICS_MANAGER"];

/// The notifications DOMAIN's transitions call for.
async fn announce(
    conn: &mut SqliteConnection,
    ctx: &BatchContext,
    row: &ListRow,
    action: &str,
    note: Option<&str>,
) -> Result<(), Failure> {
    let link = format!("/needs-lists/{}", row.id);
    let n = &row.number;
    let sources: Vec<i64> = current_allocations(conn, row.id)
        .await?
        .into_iter()
        .map(|a| a.source_hub_id)
        .collect();
    let with = |text: String| match note {
        Some(note) => format!("{text} ({note})"),
        None => text,
    };
    let (audience, message) = match action {
        "needs_list_submit" | "created_submitted" => (
            Audience::Roles(PLANNERS),
            format!("Needs list {n} was submitted and waits for a fulfilment."),
        ),
        "fulfilment_submit" => (
            Audience::Roles(APPROVERS),
            format!("The fulfilment of needs list {n} waits for your approval."),
        ),
        "needs_list_approve" => {
            let mut hubs = sources.clone();
            hubs.push(row.hub_id);
            (
                Audience::Hubs(hubs),
                format!("Needs list {n} was approved for dispatch."),
            )
        }
        "needs_list_reject" => (
            Audience::Hubs(vec![row.hub_id]),
            with(format!(
                "The fulfilment of needs list {n} was rejected and will be prepared again"
            )),
        ),
        "needs_list_dispatch" => (
            Audience::Hubs(vec![row.hub_id]),
            format!("Needs list {n} was dispatched to you; confirm receipt when it arrives."),
        ),
        "needs_list_receive" => (
            Audience::Roles(PLANNERS),
            format!("Needs list {n} was received; it is Completed."),
        ),
        "change_request_create" => (
            Audience::Roles(&["LOGISTICS_MANAGER", "LOGISTICS_OFFICER"]),
            with(format!(
                "A change to the fulfilment of needs list {n} was requested"
            )),
        ),
        "change_request_approve" => (
            Audience::Hubs(sources),
            format!(
                "The changed fulfilment of needs list {n} was approved; it is resent for dispatch."
            ),
        ),
        "fulfilment_edit" => {
            let mut hubs = sources.clone();
            hubs.push(row.hub_id);
            (
                Audience::Hubs(hubs),
                with(format!(
                    "The delivered quantities of needs list {n} were corrected"
                )),
            )
        }
        _ => return Ok(()),
    };
    notify(conn, ctx, audience, &message, &link).await
}

#[derive(sqlx::FromRow)]
struct ChangeRequestRow {
    id: i64,
    needs_list_id: i64,
    requested_by: i64,
    reason: String,
    proposed: String,
    status: String,
}

pub async fn change_request_create(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &ChangeRequestPayload,
) -> Result<Applied, Failure> {
    let row = find(conn, p.needs_list_id).await?;
    // A SUB hub user, at their own hub, which must be one of the list's sources.
    let (_, hub_name) = ctx
        .hub_for(conn, op.hub_id, Action::RequestFulfilmentChange)
        .await?;
    let current = current_allocations(conn, row.id).await?;
    if !current.iter().any(|a| a.source_hub_id == op.hub_id) {
        return Err(reject(
            Reason::Forbidden,
            format!(
                "{hub_name} is not a source of needs list {}; only its source hubs may ask for a change.",
                row.number
            ),
        ));
    }
    expect(&row, &[status::APPROVED, status::RESENT], "changed")?;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM fulfilment_change_requests WHERE needs_list_id = ? AND status = 'PENDING'",
    )
    .bind(row.id)
    .fetch_one(&mut *conn)
    .await?;
    if open > 0 {
        return Err(reject(
            Reason::Invalid,
            format!(
                "A change request for needs list {} is already waiting for a decision.",
                row.number
            ),
        ));
    }
    check_allocations(conn, ctx, &row, &p.allocations, false).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO fulfilment_change_requests (needs_list_id, source_hub_id, requested_by, requested_at, reason, proposed, status, operation_id) \
         VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?) RETURNING id",
    )
    .bind(row.id)
    .bind(op.hub_id)
    .bind(ctx.user.id)
    .bind(db::now())
    .bind(&p.reason)
    .bind(to_json(&p.allocations))
    .bind(op.id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    timeline(
        conn,
        ctx,
        op,
        row.id,
        "change_request_create",
        Some(&row.status),
        &row.status,
        Some(&p.reason),
    )
    .await?;
    ctx.audit(
        op,
        "change_request_create",
        "needs_list",
        row.id.to_string(),
        json!({ "change_request_id": id, "reason": p.reason }),
    );
    announce(conn, ctx, &row, "change_request_create", Some(&p.reason)).await?;
    done(
        &row,
        format!(
            "Change request #{id} for needs list {} sent for a decision.",
            row.number
        ),
    )
}

pub async fn change_request_process(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &ChangeRequestProcessPayload,
) -> Result<Applied, Failure> {
    let cr: ChangeRequestRow = sqlx::query_as(
        "SELECT id, needs_list_id, requested_by, reason, proposed, status FROM fulfilment_change_requests WHERE id = ?",
    )
    .bind(p.change_request_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| reject(Reason::Invalid, format!("Change request #{} does not exist.", p.change_request_id)))?;
    let list = load(conn, ctx, op, cr.needs_list_id, op.body.action()).await?;
    let row = &list.row;
    if cr.status != "PENDING" {
        return Err(reject(
            Reason::Invalid,
            format!(
                "Change request #{} was already decided ({}).",
                cr.id,
                cr.status.to_lowercase()
            ),
        ));
    }
    let (new_status, message) = match p.decision {
        ChangeDecision::Approve => {
            expect(row, &[status::APPROVED, status::RESENT], "changed")?;
            let proposed: Vec<Allocation> = serde_json::from_str(&cr.proposed)
                .map_err(|e| Failure::Internal(crate::error::AppError::Internal(e.to_string())))?;
            check_allocations(conn, ctx, row, &proposed, true).await?;
            let before = current_allocations(conn, row.id).await?;
            version(
                conn,
                ctx,
                op,
                row.id,
                &before,
                &proposed,
                &cr.reason,
                Some(cr.id),
            )
            .await?;
            replace_allocations(conn, row.id, &proposed).await?;
            transition(
                conn,
                ctx,
                op,
                row,
                status::RESENT,
                "change_request_approve",
                p.note.as_deref(),
            )
            .await?;
            (
                "APPROVED",
                format!(
                    "Change request #{} approved; needs list {} is resent for dispatch.",
                    cr.id, row.number
                ),
            )
        }
        ChangeDecision::Reject => ("REJECTED", format!("Change request #{} rejected.", cr.id)),
        ChangeDecision::Clarify => (
            "CLARIFICATION_REQUESTED",
            format!("Clarification asked on change request #{}.", cr.id),
        ),
    };
    sqlx::query(
        "UPDATE fulfilment_change_requests SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ?",
    )
    .bind(new_status)
    .bind(ctx.user.id)
    .bind(db::now())
    .bind(p.note.as_deref())
    .bind(cr.id)
    .execute(&mut *conn)
    .await?;
    if p.decision != ChangeDecision::Approve {
        let action = format!("change_request_{}", p.decision.code());
        timeline(
            conn,
            ctx,
            op,
            row.id,
            &action,
            Some(&row.status),
            &row.status,
            p.note.as_deref(),
        )
        .await?;
        ctx.audit(
            op,
            "change_request_process",
            "needs_list",
            row.id.to_string(),
            json!({ "change_request_id": cr.id, "decision": p.decision.code(), "note": p.note }),
        );
        let what = if p.decision == ChangeDecision::Reject {
            "was rejected"
        } else {
            "needs clarification"
        };
        let text = format!(
            "Your change request #{} for needs list {} {what}: {}",
            cr.id,
            row.number,
            p.note.as_deref().unwrap_or_default()
        );
        notify(
            conn,
            ctx,
            Audience::User(cr.requested_by),
            &text,
            &format!("/needs-lists/{}", row.id),
        )
        .await?;
    }
    done(row, message)
}

pub async fn fulfilment_edit(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &FulfilmentEditPayload,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::EditAfterCompletion).await?;
    let row = &list.row;
    expect(row, &[status::COMPLETED], "corrected after completion")?;
    check_allocations(conn, ctx, row, &p.allocations, false).await?;
    let before = current_allocations(conn, row.id).await?;
    let key = |a: &Allocation| (a.item_id, a.source_hub_id);
    let mut changes: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    for a in &before {
        changes.entry(key(a)).or_default().0 = a.quantity;
    }
    for a in &p.allocations {
        changes.entry(key(a)).or_default().1 = a.quantity;
    }
    changes.retain(|_, (old, new)| old != new);
    if changes.is_empty() {
        return Err(reject(
            Reason::Invalid,
            "Nothing changed: the quantities are as delivered.",
        ));
    }
    let versions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM fulfilment_versions WHERE needs_list_id = ?")
            .bind(row.id)
            .fetch_one(&mut *conn)
            .await?;
    let link = format!("correction:{}:{}", row.number, versions + 1);
    let (_, requester) = ctx.active_hub(conn, row.hub_id).await?;
    let now = db::now();
    let operation_id = op.id.to_string();
    let notes = format!("Correction of needs list {}: {}", row.number, p.reason);
    for ((item_id, source), (old, new)) in &changes {
        let item = ctx.item(conn, *item_id).await?;
        let (_, source_name) = ctx.active_hub(conn, *source).await?;
        let delta = new - old;
        // More delivered: out of the source, into the requester. Less: back the other way.
        let (from, from_name, to) = if delta > 0 {
            (*source, source_name.clone(), row.hub_id)
        } else {
            (row.hub_id, requester.clone(), *source)
        };
        let movement = |hub_id, direction| stock::NewMovement {
            item_id: *item_id,
            hub_id,
            direction,
            quantity: delta.abs(),
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
        match stock::insert_movement(conn, movement(from, "OUT")).await {
            Ok(_) => {}
            Err(e) if stock::is_stock_check(&e) => {
                let have = stock::on_hand(conn, from, *item_id).await?;
                return Err(reject(
                    Reason::StockInsufficient,
                    format!(
                        "Only {have} {} of {} at {from_name}; the correction needs {}. Nothing was changed.",
                        item.unit, item.name, delta.abs()
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        stock::insert_movement(conn, movement(to, "IN")).await?;
        sqlx::query(
            "INSERT INTO fulfilment_edit_log (needs_list_id, field, before, after, reason, user_id, at, operation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(row.id)
        .bind(format!("{} from {source_name}", item.name))
        .bind(old.to_string())
        .bind(new.to_string())
        .bind(&p.reason)
        .bind(ctx.user.id)
        .bind(&now)
        .bind(&operation_id)
        .execute(&mut *conn)
        .await?;
    }
    version(
        conn,
        ctx,
        op,
        row.id,
        &before,
        &p.allocations,
        &p.reason,
        None,
    )
    .await?;
    replace_allocations(conn, row.id, &p.allocations).await?;
    timeline(
        conn,
        ctx,
        op,
        row.id,
        "fulfilment_edit",
        Some(&row.status),
        &row.status,
        Some(&p.reason),
    )
    .await?;
    ctx.audit(
        op,
        "fulfilment_edit",
        "needs_list",
        row.id.to_string(),
        json!({ "reason": p.reason, "changes": changes.len(), "link": link }),
    );
    announce(conn, ctx, row, "fulfilment_edit", Some(&p.reason)).await?;
    done(
        row,
        format!(
            "Needs list {}: {} delivered quantit{} corrected; the ledger follows ({link}).",
            row.number,
            changes.len(),
            if changes.len() == 1 { "y" } else { "ies" }
        ),
    )
}

/// A list created as Submitted is announced like a submission.
pub async fn announce_created(
    conn: &mut SqliteConnection,
    ctx: &BatchContext,
    list_id: i64,
) -> Result<(), Failure> {
    let row = find(conn, list_id).await?;
    announce(conn, ctx, &row, "created_submitted", None).await
}
