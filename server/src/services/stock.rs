//! Stock ledger writes and balance reads. Movements are append-only; the database keeps the
//! balance per (hub, item) in step (migration 0003's trigger) and refuses negative stock.
use sqlx::AnyConnection;

use crate::db;

pub struct NewMovement<'a> {
    pub item_id: i64,
    pub hub_id: i64,
    pub direction: &'static str,
    pub quantity: i64,
    pub event_id: Option<i64>,
    pub donor_id: Option<i64>,
    pub beneficiary_id: Option<i64>,
    pub expiry_date: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub created_by: i64,
    pub created_at: &'a str,
    pub operation_id: &'a str,
    /// Pairs the OUT and IN of a transfer or dispatch.
    pub link_id: Option<&'a str>,
}

/// Appends a movement. A refusal (the balance's check) leaves the transaction usable on both
/// engines: on PostgreSQL the insert runs under its own savepoint, since a failed statement
/// would otherwise end the whole transaction and the caller still reads the balance to say why.
pub async fn insert_movement(
    conn: &mut AnyConnection,
    m: NewMovement<'_>,
) -> Result<i64, sqlx::Error> {
    if db::Engine::of_conn(conn) == db::Engine::Sqlite {
        return insert(conn, m).await;
    }
    db::savepoint!(conn, "movement", insert(conn, m))
}

async fn insert(conn: &mut AnyConnection, m: NewMovement<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO stock_movements (item_id, hub_id, direction, quantity, event_id, donor_id, beneficiary_id, \
         expiry_date, notes, created_by, created_at, operation_id, link_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(m.item_id)
    .bind(m.hub_id)
    .bind(m.direction)
    .bind(m.quantity)
    .bind(m.event_id)
    .bind(m.donor_id)
    .bind(m.beneficiary_id)
    .bind(m.expiry_date)
    .bind(m.notes)
    .bind(m.created_by)
    .bind(m.created_at)
    .bind(m.operation_id)
    .bind(m.link_id)
    .fetch_one(conn)
    .await
}

/// Whether an insert failed the balance's `quantity >= 0` check (stock would go negative).
/// SQLite names the column in its message; PostgreSQL names the constraint
/// (`stock_balances_quantity_check`).
pub fn is_stock_check(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_check_violation()
        && (db.message().contains("quantity") || db.constraint().is_some_and(|c| c.contains("quantity"))))
}

pub async fn on_hand(
    conn: &mut AnyConnection,
    hub_id: i64,
    item_id: i64,
) -> Result<i64, sqlx::Error> {
    Ok(
        sqlx::query_scalar(
            "SELECT quantity FROM stock_balances WHERE hub_id = $1 AND item_id = $2",
        )
        .bind(hub_id)
        .bind(item_id)
        .fetch_optional(conn)
        .await?
        .unwrap_or(0),
    )
}

/// The donor with this name (case-insensitive), created if new.
pub async fn donor_id(conn: &mut AnyConnection, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO donors (name, created_at) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET name = donors.name RETURNING id",
    )
    .bind(name)
    .bind(db::now())
    .fetch_one(conn)
    .await
}

/// The first beneficiary with this name (case-insensitive), created if none.
pub async fn beneficiary_id(conn: &mut AnyConnection, name: &str) -> Result<i64, sqlx::Error> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM beneficiaries WHERE name = $1 COLLATE NOCASE ORDER BY id LIMIT 1",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    match existing {
        Some(id) => Ok(id),
        None => {
            sqlx::query_scalar(
                "INSERT INTO beneficiaries (name, created_at) VALUES ($1, $2) RETURNING id",
            )
            .bind(name)
            .bind(db::now())
            .fetch_one(conn)
            .await
        }
    }
}
