//! Hubs: listing scoped by agency independence; create, edit and (de)activate for ADMIN/LM/LO.
use app::domain::{HubStatus, HubType, Role};
use app::model::{Hub, HubInput, SessionUser};
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::AnyConnection;

use super::audit;
use super::rows::HubRow;
use crate::db::{self, Db};
use crate::error::{unique_conflict, AppError, AppResult};

const COLUMNS: &str = "id, name, hub_type, status, activated_at";

/// Government users see every hub (agency hubs as names, never their stock); agency users
/// see only their own hub.
pub async fn list(db: &Db, user: &SessionUser) -> AppResult<Vec<Hub>> {
    let rows: Vec<HubRow> = if user.role.is_government() {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM hubs ORDER BY hub_type, name"
        ))
        .fetch_all(db)
        .await?
    } else {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM hubs WHERE id = $1"))
            .bind(user.hub_id)
            .fetch_all(db)
            .await?
    };
    Ok(rows.into_iter().map(Hub::from).collect())
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> AppResult<HubRow> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM hubs WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Hub {id} does not exist.")))
}

pub async fn create(db: &Db, user: &SessionUser, input: &HubInput) -> AppResult<Hub> {
    authorize(&user.actor(), Action::ManageHubsAndEvents, None)?;
    let valid = input.validate()?;
    let now = db::now();
    let mut tx = db::write_tx(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hubs (name, hub_type, status, activated_at, created_at, updated_at) \
         VALUES ($1, $2, 'Active', $3, $4, $5) RETURNING id",
    )
    .bind(&valid.name)
    .bind(valid.hub_type.code())
    .bind(&now)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        unique_conflict(e, || {
            format!("A hub named '{}' already exists.", valid.name)
        })
    })?;
    audit::record(
        &mut tx,
        Some(user.id),
        "create",
        "hub",
        id,
        json!({ "name": valid.name, "type": valid.hub_type.code() }),
    )
    .await?;
    let hub = find(&mut tx, id).await?;
    tx.commit().await?;
    Ok(hub.into())
}

pub async fn update(db: &Db, user: &SessionUser, id: i64, input: &HubInput) -> AppResult<Hub> {
    authorize(&user.actor(), Action::ManageHubsAndEvents, None)?;
    let valid = input.validate()?;
    let mut tx = db::write_tx(db).await?;
    let before = find(&mut tx, id).await?;
    if before.hub_type != valid.hub_type.code() {
        // Agency stock is the agency's: retyping would turn it into government stock (or
        // back). A hub that changes hands is a new hub.
        let agency = HubType::Agency.code();
        if before.hub_type == agency || valid.hub_type == HubType::Agency {
            return Err(AppError::Conflict(format!(
                "'{}' cannot change type to or from AGENCY; create a new hub instead.",
                before.name
            )));
        }
        ensure_no_bound_users(&mut tx, id, valid.hub_type).await?;
    }
    sqlx::query("UPDATE hubs SET name = $1, hub_type = $2, updated_at = $3 WHERE id = $4")
        .bind(&valid.name)
        .bind(valid.hub_type.code())
        .bind(db::now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            unique_conflict(e, || {
                format!("A hub named '{}' already exists.", valid.name)
            })
        })?;
    audit::record(
        &mut tx,
        Some(user.id),
        "update",
        "hub",
        id,
        json!({
            "before": { "name": before.name, "type": before.hub_type },
            "after": { "name": valid.name, "type": valid.hub_type.code() },
        }),
    )
    .await?;
    let hub = find(&mut tx, id).await?;
    tx.commit().await?;
    Ok(hub.into())
}

/// A hub's type cannot change under users whose role needs the old type.
async fn ensure_no_bound_users(
    conn: &mut AnyConnection,
    id: i64,
    new_type: HubType,
) -> AppResult<()> {
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT role FROM users WHERE hub_id = $1 AND active = 1")
            .bind(id)
            .fetch_all(conn)
            .await?;
    let blocking = roles
        .iter()
        .filter_map(|r| Role::from_code(r))
        .filter(|r| r.required_hub_type().is_some_and(|t| t != new_type))
        .count();
    if blocking > 0 {
        return Err(AppError::Conflict(format!(
            "{blocking} active user(s) assigned to this hub need its current type; reassign them first."
        )));
    }
    Ok(())
}

pub async fn set_status(db: &Db, user: &SessionUser, id: i64, status: &str) -> AppResult<Hub> {
    authorize(&user.actor(), Action::ManageHubsAndEvents, None)?;
    let status = HubStatus::from_code(status.trim()).ok_or_else(|| {
        AppError::Invalid(app::domain::ValidationError::new(
            "status",
            format!(
                "Status '{}' is not recognised (Active or Inactive).",
                status.trim()
            ),
        ))
    })?;
    let mut tx = db::write_tx(db).await?;
    let before = find(&mut tx, id).await?;
    if before.status == status.code() {
        return Ok(before.into());
    }
    let now = db::now();
    let sql = match status {
        HubStatus::Active => {
            "UPDATE hubs SET status = 'Active', activated_at = $1, updated_at = $2 WHERE id = $3"
        }
        HubStatus::Inactive => "UPDATE hubs SET status = 'Inactive', updated_at = $1 WHERE id = $2",
    };
    let mut query = sqlx::query(sql);
    if status == HubStatus::Active {
        query = query.bind(&now);
    }
    query.bind(&now).bind(id).execute(&mut *tx).await?;
    let action = match status {
        HubStatus::Active => "activate",
        HubStatus::Inactive => "deactivate",
    };
    audit::record(
        &mut tx,
        Some(user.id),
        action,
        "hub",
        id,
        json!({ "before": before.status, "after": status.code() }),
    )
    .await?;
    let hub = find(&mut tx, id).await?;
    tx.commit().await?;
    Ok(hub.into())
}
