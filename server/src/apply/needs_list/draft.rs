//! Draft lists: edit (lines replaced), delete, submit; shared with create: the event and
//! items are checked and the lines written the same way.
use super::*;

pub async fn update(
    conn: &mut AnyConnection,
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
        "UPDATE needs_lists SET event_id = $1, priority = $2, notes = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(p.list.event_id)
    .bind(p.list.priority.code())
    .bind(p.list.notes.as_deref())
    .bind(db::now())
    .bind(list.row.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM needs_list_lines WHERE needs_list_id = $1")
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
        let mut row = find_any(conn, list.row.id).await?;
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
    conn: &mut AnyConnection,
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
    conn: &mut AnyConnection,
    list_id: i64,
    p: &NeedsListCreatePayload,
) -> Result<(), Failure> {
    for line in &p.lines {
        sqlx::query("INSERT INTO needs_list_lines (needs_list_id, item_id, quantity, justification) VALUES ($1, $2, $3, $4)")
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
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &NeedsListRef,
) -> Result<Applied, Failure> {
    let list = load(conn, ctx, op, p.needs_list_id, Action::NeedsListDelete).await?;
    expect(&list.row, &[status::DRAFT], "deleted")?;
    // Lines, allocations and timeline go with it (ON DELETE CASCADE); the audit log keeps it.
    sqlx::query("DELETE FROM needs_lists WHERE id = $1")
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
    conn: &mut AnyConnection,
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

pub(super) async fn submit_row(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    row: &ListRow,
) -> Result<(), Failure> {
    let lines: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM needs_list_lines WHERE needs_list_id = $1 AND quantity > 0",
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
    sqlx::query("UPDATE needs_lists SET submitted_by = $1, submitted_at = $2 WHERE id = $3")
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
