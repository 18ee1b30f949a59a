//! Disaster events: readable by every signed-in user; created and edited by ADMIN/LM/LO.
use app::model::{DisasterEvent, EventInput, SessionUser};
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::AnyConnection;

use super::audit;
use super::rows::EventRow;
use crate::db::{self, Db};
use crate::error::{unique_conflict, AppError, AppResult};

const COLUMNS: &str = "id, name, event_type, start_date, end_date, status";

pub async fn list(db: &Db, _user: &SessionUser) -> AppResult<Vec<DisasterEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM disaster_events ORDER BY status, start_date DESC"
    ))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(DisasterEvent::from).collect())
}

async fn find(conn: &mut AnyConnection, id: i64) -> AppResult<EventRow> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM disaster_events WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("Disaster event {id} does not exist.")))
}

fn details(e: &EventRow) -> serde_json::Value {
    json!({ "name": e.name, "type": e.event_type, "start": e.start_date,
            "end": e.end_date, "status": e.status })
}

pub async fn create(db: &Db, user: &SessionUser, input: &EventInput) -> AppResult<DisasterEvent> {
    authorize(&user.actor(), Action::ManageHubsAndEvents, None)?;
    let v = input.validate()?;
    let now = db::now();
    let mut tx = db::write_tx(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO disaster_events (name, event_type, start_date, end_date, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&v.name)
    .bind(&v.event_type)
    .bind(&v.start_date)
    .bind(&v.end_date)
    .bind(v.status)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_conflict(e, || format!("An event named '{}' already exists.", v.name)))?;
    let event = find(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(user.id),
        "create",
        "disaster_event",
        id,
        details(&event),
    )
    .await?;
    tx.commit().await?;
    Ok(event.into())
}

pub async fn update(
    db: &Db,
    user: &SessionUser,
    id: i64,
    input: &EventInput,
) -> AppResult<DisasterEvent> {
    authorize(&user.actor(), Action::ManageHubsAndEvents, None)?;
    let v = input.validate()?;
    let mut tx = db::write_tx(db).await?;
    let before = find(&mut tx, id).await?;
    sqlx::query(
        "UPDATE disaster_events SET name = $1, event_type = $2, start_date = $3, end_date = $4, status = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(&v.name)
    .bind(&v.event_type)
    .bind(&v.start_date)
    .bind(&v.end_date)
    .bind(v.status)
    .bind(db::now())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| unique_conflict(e, || format!("An event named '{}' already exists.", v.name)))?;
    let after = find(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(user.id),
        "update",
        "disaster_event",
        id,
        json!({ "before": details(&before), "after": details(&after) }),
    )
    .await?;
    tx.commit().await?;
    Ok(after.into())
}
