//! Fulfilment preparation under the editing lock (save keeps or takes it, submit releases
//! it) and the final review: approve, or reject back to Submitted with allocations cleared.
use super::*;

/// Whether someone other than `user` holds a live lock.
pub(super) fn held_by_other(row: &ListRow, user: i64) -> Option<i64> {
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
    conn: &mut AnyConnection,
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
        let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
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
        "UPDATE needs_lists SET prepared_by = $1, locked_by = $2, locked_at = $3 WHERE id = $4",
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
    conn: &mut AnyConnection,
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
            "SELECT COUNT(*) FROM needs_list_allocations WHERE needs_list_id = $1",
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
    sqlx::query("DELETE FROM needs_list_allocations WHERE needs_list_id = $1")
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
