//! The editing lock (taken atomically, renewed by the prepare screen), the prepare screen
//! and the edit form of a Draft.
use super::*;

/// (holder, until) when the lock is live.
pub(super) fn live_lock(by: Option<i64>, at: Option<&str>) -> Option<(i64, String)> {
    let by = by?;
    let at = chrono::DateTime::parse_from_rfc3339(at?)
        .ok()?
        .with_timezone(&chrono::Utc);
    let until = at + chrono::Duration::minutes(LOCK_MINUTES);
    (until > chrono::Utc::now()).then(|| (by, db::timestamp(until)))
}

/// Takes or renews the editing lock, atomically: one conditional UPDATE succeeds only when
/// the lock is free, expired or already the user's. Returns until when it holds.
pub async fn take_lock(db: &Db, user: &SessionUser, id: i64) -> AppResult<String> {
    let d = detail(db, user, id).await?;
    if !d.may.prepare {
        return Err(AppError::Forbidden(format!(
            "Needs list {} is {}; you cannot prepare its fulfilment now.",
            d.list.number, d.list.status
        )));
    }
    let now = chrono::Utc::now();
    let expired = db::timestamp(now - chrono::Duration::minutes(LOCK_MINUTES));
    let taken = sqlx::query(
        "UPDATE needs_lists SET locked_by = $1, locked_at = $2 WHERE id = $3 \
         AND (locked_by IS NULL OR locked_by = $4 OR locked_at < $5)",
    )
    .bind(user.id)
    .bind(db::timestamp(now))
    .bind(id)
    .bind(user.id)
    .bind(&expired)
    .execute(db)
    .await?
    .rows_affected();
    if taken == 1 {
        return Ok(db::timestamp(now + chrono::Duration::minutes(LOCK_MINUTES)));
    }
    let lock = detail(db, user, id).await?.lock;
    Err(AppError::Conflict(match lock {
        Some(l) => format!(
            "{} is preparing needs list {} until {} (unless they save or leave first); you can view it but not change it.",
            l.holder,
            d.list.number,
            app::domain::text::display_time(&l.until)
        ),
        None => format!("Needs list {} is being prepared by someone else.", d.list.number),
    }))
}

/// The prepare screen: takes the lock (or says who holds it) and offers the sources.
pub async fn prepare(db: &Db, user: &SessionUser, id: i64) -> AppResult<PrepareView> {
    let locked_out = match take_lock(db, user, id).await {
        Ok(_) => None,
        Err(AppError::Conflict(message)) => Some(message),
        Err(e) => return Err(e),
    };
    let detail = detail(db, user, id).await?;
    let sources: Vec<SourceStock> = sqlx::query_as::<_, (i64, i64, String, i64)>(
        "SELECT b.item_id, h.id, h.name, b.quantity FROM stock_balances b JOIN hubs h ON h.id = b.hub_id \
         WHERE h.status = 'Active' AND h.hub_type IN ('MAIN', 'SUB') AND h.id <> $1 AND b.quantity > 0 \
         AND b.item_id IN (SELECT item_id FROM needs_list_lines WHERE needs_list_id = $2) ORDER BY h.hub_type, h.name",
    )
    .bind(detail.list.hub_id)
    .bind(id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|(item_id, hub_id, hub, on_hand)| SourceStock {
        item_id,
        hub_id,
        hub,
        on_hand,
    })
    .collect();
    Ok(PrepareView {
        detail,
        sources,
        locked_out,
    })
}

/// The edit form of a Draft, filled with the list as it is.
pub async fn edit(db: &Db, user: &SessionUser, id: i64) -> AppResult<NeedsListEditView> {
    let d = detail(db, user, id).await?;
    if !d.may.edit {
        return Err(AppError::Forbidden(format!(
            "Needs list {} is {}; only a Draft can be edited, by its hub.",
            d.list.number, d.list.status
        )));
    }
    if d.lines.len() > NeedsListForm::LINES {
        return Err(AppError::Forbidden(format!(
            "Needs list {} has {} lines, more than this form shows ({}); edit it through the API.",
            d.list.number,
            d.lines.len(),
            NeedsListForm::LINES
        )));
    }
    let options =
        inventory::form_options(db, user, Action::NeedsListEdit, Some(d.list.hub_id)).await?;
    let (event_id, priority): (i64, String) =
        sqlx::query_as("SELECT event_id, priority FROM needs_lists WHERE id = $1")
            .bind(id)
            .fetch_one(db)
            .await?;
    let mut values = vec![
        ("event_id".to_string(), event_id.to_string()),
        ("priority".to_string(), priority),
        ("notes".to_string(), d.notes.clone().unwrap_or_default()),
    ];
    for (n, line) in d.lines.iter().enumerate().take(NeedsListForm::LINES) {
        let n = n + 1;
        values.push((format!("item_id_{n}"), line.item_id.to_string()));
        values.push((format!("quantity_{n}"), line.requested.to_string()));
        values.push((
            format!("justification_{n}"),
            line.justification.clone().unwrap_or_default(),
        ));
    }
    Ok(NeedsListEditView {
        needs_list_id: id,
        number: d.list.number,
        options,
        values,
    })
}
