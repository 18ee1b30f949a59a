//! Fulfilment change requests from a source SUB hub, and their processing: the LM approves
//! (new version, Resent for Dispatch), the LM or LO rejects or asks for clarification.
use super::*;

#[derive(sqlx::FromRow)]
pub(super) struct ChangeRequestRow {
    id: i64,
    needs_list_id: i64,
    requested_by: i64,
    reason: String,
    proposed: String,
    status: String,
}

pub async fn change_request_create(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &ChangeRequestPayload,
) -> Result<Applied, Failure> {
    let row = find(conn, ctx, p.needs_list_id).await?;
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
        "SELECT COUNT(*) FROM fulfilment_change_requests WHERE needs_list_id = $1 AND status = 'PENDING'",
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
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7) RETURNING id",
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
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
    p: &ChangeRequestProcessPayload,
) -> Result<Applied, Failure> {
    let cr: ChangeRequestRow = sqlx::query_as(
        "SELECT id, needs_list_id, requested_by, reason, proposed, status FROM fulfilment_change_requests WHERE id = $1",
    )
    .bind(p.change_request_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| reject(Reason::Invalid, format!("Change request #{} does not exist.", p.change_request_id)))?;
    // A change request on a list the actor may not see does not exist for them either.
    let listed = find_any(conn, cr.needs_list_id).await?;
    if !visible(conn, ctx, &listed).await? {
        return Err(reject(
            Reason::Invalid,
            format!("Change request #{} does not exist.", p.change_request_id),
        ));
    }
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
        "UPDATE fulfilment_change_requests SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5",
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
