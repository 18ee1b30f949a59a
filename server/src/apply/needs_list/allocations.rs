//! The allocation table: its rules (sources, stock, totals), reading and replacing it, and
//! fulfilment versions (before/after, reason).
use super::*;

/// Allocation rules: items on the list, Active MAIN/SUB sources other than the requester,
/// each within that hub's stock (when `stock` is checked now), totals within what was
/// requested.
pub(super) async fn check_allocations(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    row: &ListRow,
    allocations: &[Allocation],
    check_stock: bool,
) -> Result<(), Failure> {
    let requested: BTreeMap<i64, i64> =
        sqlx::query_as("SELECT item_id, quantity FROM needs_list_lines WHERE needs_list_id = $1")
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

pub(super) async fn current_allocations(
    conn: &mut AnyConnection,
    list_id: i64,
) -> Result<Vec<Allocation>, Failure> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT item_id, source_hub_id, quantity FROM needs_list_allocations WHERE needs_list_id = $1 ORDER BY id",
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

pub(super) async fn replace_allocations(
    conn: &mut AnyConnection,
    list_id: i64,
    allocations: &[Allocation],
) -> Result<(), Failure> {
    sqlx::query("DELETE FROM needs_list_allocations WHERE needs_list_id = $1")
        .bind(list_id)
        .execute(&mut *conn)
        .await?;
    for a in allocations {
        sqlx::query(
            "INSERT INTO needs_list_allocations (needs_list_id, item_id, source_hub_id, quantity) VALUES ($1, $2, $3, $4)",
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

pub(super) fn to_json(allocations: &[Allocation]) -> String {
    serde_json::to_string(allocations).unwrap_or_else(|_| "[]".into())
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn version(
    conn: &mut AnyConnection,
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
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
