//! Dispatch (all or nothing: an OUT at every source and an IN at the requester under one
//! link id, stock re-checked) and the requester's confirmation of receipt.
use super::*;

#[derive(sqlx::FromRow)]
pub(super) struct AllocationRow {
    item_id: i64,
    source_hub_id: i64,
    quantity: i64,
}

pub async fn dispatch(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListRef,
) -> Result<Applied, Failure> {
    let row = find(conn, ctx, p.needs_list_id).await?;
    let allocations: Vec<AllocationRow> = sqlx::query_as(
        "SELECT item_id, source_hub_id, quantity FROM needs_list_allocations WHERE needs_list_id = $1 ORDER BY id",
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
                let have = match on_hand_for(conn, ctx, a.source_hub_id, a.item_id).await? {
                    Some(have) => format!("Only {have} {} of", item.unit),
                    None => "Not enough".into(),
                };
                return Err(reject(
                    Reason::StockInsufficient,
                    format!(
                        "{have} {} in stock at {source_name} now; the dispatch needs {} {}. Nothing was dispatched.",
                        item.name, a.quantity, item.unit
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        stock::insert_movement(conn, movement(row.hub_id, "IN")).await?;
    }
    sqlx::query("UPDATE needs_lists SET dispatch_link = $1 WHERE id = $2")
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
    conn: &mut AnyConnection,
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
