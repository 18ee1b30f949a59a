//! In-app notifications, written with each transition for the people DOMAIN.md names.
use super::*;

/// Who hears about a transition.
pub enum Audience {
    Roles(&'static [&'static str]),
    Hubs(Vec<i64>),
    User(i64),
}

/// In-app notifications for everyone in `audience` but the actor, written with the change.
pub async fn notify(
    conn: &mut AnyConnection,
    ctx: &BatchContext,
    audience: Audience,
    message: &str,
    link: &str,
) -> Result<(), Failure> {
    let mut q =
        db::Sql::new("INSERT INTO notifications (user_id, message, link, created_at) SELECT id, ");
    q.bind(message.to_string())
        .push(", ")
        .bind(link.to_string())
        .push(", ");
    q.bind(db::now())
        .push(" FROM users WHERE active = 1 AND id <> ")
        .bind(ctx.user.id);
    match audience {
        Audience::Roles(roles) => q.push(" AND role IN ").bind_list(roles.iter().copied()),
        Audience::Hubs(hubs) if hubs.is_empty() => return Ok(()),
        Audience::Hubs(hubs) => q.push(" AND hub_id IN ").bind_list(hubs),
        Audience::User(id) => q.push(" AND id = ").bind(id),
    };
    q.execute(&mut *conn).await?;
    Ok(())
}

pub(super) const PLANNERS: &[&str] = &["ADMIN", "LOGISTICS_MANAGER", "LOGISTICS_OFFICER"];
pub(super) const APPROVERS: &[&str] = &["ADMIN", "LOGISTICS_MANAGER"];

/// The notifications DOMAIN's transitions call for.
pub(super) async fn announce(
    conn: &mut AnyConnection,
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

/// A list created as Submitted is announced like a submission.
pub async fn announce_created(
    conn: &mut AnyConnection,
    ctx: &BatchContext,
    list_id: i64,
) -> Result<(), Failure> {
    let row = find_any(conn, list_id).await?;
    announce(conn, ctx, &row, "created_submitted", None).await
}
