//! Users (ADMIN only): list, create with role and hub, edit, deactivate. A hub-bound role
//! without a hub, or on a hub of the wrong type, is refused.
use app::domain::{Role, ValidationError};
use app::model::{SessionUser, UserInput, UserSummary};
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::AnyConnection;

use super::rows::UserRow;
use super::{audit, hubs};
use crate::auth::{password, session};
use crate::db::{self, Db};
use crate::error::{unique_conflict, AppError, AppResult};

const SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.hub_id, \
     h.name AS hub_name, u.active FROM users u LEFT JOIN hubs h ON h.id = u.hub_id";

pub async fn list(db: &Db, user: &SessionUser) -> AppResult<Vec<UserSummary>> {
    authorize(&user.actor(), Action::ManageUsers, None)?;
    let rows: Vec<UserRow> = sqlx::query_as(&format!("{SELECT} ORDER BY u.username"))
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(UserSummary::from).collect())
}

async fn find(conn: &mut AnyConnection, id: i64) -> AppResult<UserRow> {
    sqlx::query_as(&format!("{SELECT} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("User {id} does not exist.")))
}

/// The hub must exist and suit the role (MAIN user on a MAIN hub, and so on).
async fn check_hub(conn: &mut AnyConnection, role: Role, hub_id: Option<i64>) -> AppResult<()> {
    let Some(hub_id) = hub_id else { return Ok(()) };
    let hub = hubs::find(conn, hub_id).await.map_err(|_| {
        AppError::Invalid(ValidationError::new(
            "hub_id",
            format!("Hub {hub_id} does not exist."),
        ))
    })?;
    if let Some(required) = role.required_hub_type() {
        if hub.hub_type != required.code() {
            return Err(AppError::Invalid(ValidationError::new(
                "hub_id",
                format!(
                    "A {} must be assigned to a {} hub; '{}' is a {} hub.",
                    role.name(),
                    required.code(),
                    hub.name,
                    hub.hub_type
                ),
            )));
        }
    }
    Ok(())
}

fn summary(u: &UserRow) -> serde_json::Value {
    json!({ "username": u.username, "display_name": u.display_name, "role": u.role,
            "hub_id": u.hub_id, "active": u.active })
}

pub async fn create(db: &Db, admin: &SessionUser, input: &UserInput) -> AppResult<UserSummary> {
    authorize(&admin.actor(), Action::ManageUsers, None)?;
    let v = input.validate(true)?;
    let hash = match &v.password {
        Some(p) => password::hash(p.expose().to_string()).await?,
        None => return Err(ValidationError::new("password", "Password is required.").into()),
    };
    let now = db::now();
    let mut tx = db::write_tx(db).await?;
    check_hub(&mut tx, v.role, v.hub_id).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, role, hub_id, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id",
    )
    .bind(v.username.as_str())
    .bind(&v.display_name)
    .bind(&hash)
    .bind(v.role.code())
    .bind(v.hub_id)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_conflict(e, || format!("The username '{}' is already taken.", v.username.as_str())))?;
    let user = find(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(admin.id),
        "create",
        "user",
        id,
        summary(&user),
    )
    .await?;
    tx.commit().await?;
    Ok(user.into())
}

/// Edits display name, role, hub, password (when given) and active flag. The username is
/// fixed. Deactivating ends the user's sessions at once.
pub async fn update(
    db: &Db,
    admin: &SessionUser,
    id: i64,
    input: &UserInput,
) -> AppResult<UserSummary> {
    authorize(&admin.actor(), Action::ManageUsers, None)?;
    let mut tx = db::write_tx(db).await?;
    let before = find(&mut tx, id).await?;
    let mut input = input.clone();
    input.username = before.username.clone();
    let v = input.validate(false)?;
    let active = input.active.unwrap_or(before.active != 0);
    if id == admin.id && (!active || v.role != Role::Admin) {
        return Err(AppError::Conflict(
            "You cannot deactivate your own account or remove your own administrator role.".into(),
        ));
    }
    check_hub(&mut tx, v.role, v.hub_id).await?;
    let hash = match &v.password {
        Some(p) => Some(password::hash(p.expose().to_string()).await?),
        None => None,
    };
    sqlx::query(
        "UPDATE users SET display_name = $1, role = $2, hub_id = $3, active = $4, \
         password_hash = COALESCE($5, password_hash), updated_at = $6 WHERE id = $7",
    )
    .bind(&v.display_name)
    .bind(v.role.code())
    .bind(v.hub_id)
    .bind(i64::from(active))
    .bind(&hash)
    .bind(db::now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let after = find(&mut tx, id).await?;
    let mut details = json!({ "before": summary(&before), "after": summary(&after) });
    details["password_changed"] = json!(hash.is_some());
    audit::record(&mut tx, Some(admin.id), "update", "user", id, details).await?;
    tx.commit().await?;
    if !active || hash.is_some() || before.role != after.role || before.hub_id != after.hub_id {
        // Changed rights or credentials take effect now, not at the session's expiry.
        session::delete_for_user(db, id).await?;
    }
    Ok(after.into())
}
