//! Edits after completion: corrected delivered quantities, each changed field logged, and
//! corrective OUT/IN pairs so that the ledger and the fulfilment agree.
use super::*;

pub async fn fulfilment_edit(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &FulfilmentEditPayload,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::EditAfterCompletion).await?;
    let row = &list.row;
    expect(row, &[status::COMPLETED], "corrected after completion")?;
    // Agency receipts are the agency's record: the government may not move agency stock by
    // correcting a delivery. The agency records a return or an intake itself.
    if let Some(hub) = ctx.hub(conn, row.hub_id).await? {
        if hub.hub_ref().hub_type == HubType::Agency {
            return Err(reject(
                Reason::Forbidden,
                format!(
                    "Needs list {} was received by an agency hub; its receipt is the agency's own record and cannot be corrected here. The agency records any return or extra delivery itself.",
                    row.number
                ),
            ));
        }
    }
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
        sqlx::query_scalar("SELECT COUNT(*) FROM fulfilment_versions WHERE needs_list_id = $1")
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
                let have = match on_hand_for(conn, ctx, from, *item_id).await? {
                    Some(have) => format!("Only {have} {} of", item.unit),
                    None => "Not enough".into(),
                };
                return Err(reject(
                    Reason::StockInsufficient,
                    format!(
                        "{have} {} at {from_name}; the correction needs {} {}. Nothing was changed.",
                        item.name,
                        delta.abs(),
                        item.unit
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        stock::insert_movement(conn, movement(to, "IN")).await?;
        sqlx::query(
            "INSERT INTO fulfilment_edit_log (needs_list_id, field, before, after, reason, user_id, at, operation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
