//! Items: the catalogue every signed-in user may read; create and edit for ADMIN/LM/LO/clerks.
use app::domain::text::Sku;
use app::model::{Item, ItemInput, SessionUser};
use app::permissions::{authorize, Action};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use serde_json::json;
use sqlx::AnyConnection;

use super::audit;
use super::rows::ItemRow;
use crate::db::{self, Db};
use crate::error::{unique_conflict, AppError, AppResult};

const COLUMNS: &str = "id, sku, barcode, name, category, unit, min_qty, description";

pub async fn list(db: &Db, _user: &SessionUser) -> AppResult<Vec<Item>> {
    let rows: Vec<ItemRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM items ORDER BY category, name"
    ))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Item::from).collect())
}

async fn find(conn: &mut AnyConnection, id: i64) -> AppResult<ItemRow> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM items WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Item {id} does not exist.")))
}

fn barcode_taken(barcode: &Option<String>) -> String {
    format!(
        "Barcode '{}' is already used by another item.",
        barcode.as_deref().unwrap_or_default()
    )
}

pub async fn create(db: &Db, user: &SessionUser, input: &ItemInput) -> AppResult<Item> {
    authorize(&user.actor(), Action::ManageItems, None)?;
    let valid = input.validate()?;
    let now = db::now();
    let mut tx = db::write_tx(db).await?;
    // 16.7 million SKUs: on the rare collision, draw again.
    let mut attempts = 0;
    let id: i64 = loop {
        let sku = Sku::from_bits(OsRng.next_u32());
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE sku = $1")
            .bind(sku.as_str())
            .fetch_one(&mut *tx)
            .await?;
        attempts += 1;
        if taken > 0 && attempts < 10 {
            continue;
        }
        break sqlx::query_scalar(
            "INSERT INTO items (sku, barcode, name, category, unit, min_qty, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(sku.as_str())
        .bind(&valid.barcode)
        .bind(&valid.name)
        .bind(&valid.category)
        .bind(&valid.unit)
        .bind(valid.min_qty)
        .bind(&valid.description)
        .bind(&now)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_conflict(e, || barcode_taken(&valid.barcode)))?;
    };
    let item = find(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(user.id),
        "create",
        "item",
        id,
        json!({ "sku": item.sku, "name": item.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(item.into())
}

pub async fn update(db: &Db, user: &SessionUser, id: i64, input: &ItemInput) -> AppResult<Item> {
    authorize(&user.actor(), Action::ManageItems, None)?;
    let valid = input.validate()?;
    let mut tx = db::write_tx(db).await?;
    let before = find(&mut tx, id).await?;
    sqlx::query(
        "UPDATE items SET barcode = $1, name = $2, category = $3, unit = $4, min_qty = $5, description = $6, \
         updated_at = $7 WHERE id = $8",
    )
    .bind(&valid.barcode)
    .bind(&valid.name)
    .bind(&valid.category)
    .bind(&valid.unit)
    .bind(valid.min_qty)
    .bind(&valid.description)
    .bind(db::now())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| unique_conflict(e, || barcode_taken(&valid.barcode)))?;
    let after = find(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(user.id),
        "update",
        "item",
        id,
        json!({
            "before": { "name": before.name, "category": before.category, "unit": before.unit,
                        "min_qty": before.min_qty, "barcode": before.barcode },
            "after": { "name": after.name, "category": after.category, "unit": after.unit,
                       "min_qty": after.min_qty, "barcode": after.barcode },
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(after.into())
}
