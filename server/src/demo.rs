//! Demo data (`DRIMS_DEMO=1` or `--demo`): seeded only into an empty database, never otherwise.
use crate::auth::password;
use crate::db::{self, Db};
use crate::error::AppResult;

pub const PASSWORD: &str = "drims-demo";

const HUBS: [(&str, &str); 7] = [
    ("Kingston Central Warehouse", "MAIN"),
    ("Montego Bay National Depot", "MAIN"),
    ("St. Catherine Parish Depot", "SUB"),
    ("Manchester Parish Depot", "SUB"),
    ("St. Thomas Parish Depot", "SUB"),
    ("Red Cross Kingston", "AGENCY"),
    ("Food for the Poor Spanish Town", "AGENCY"),
];

/// (username, display name, role, index into HUBS)
const USERS: [(&str, &str, &str, Option<usize>); 8] = [
    ("admin", "Ada Administrator", "ADMIN", None),
    ("lm", "Leon Manager", "LOGISTICS_MANAGER", None),
    ("lo", "Olive Officer", "LOGISTICS_OFFICER", None),
    ("main", "Marcus Main", "MAIN_HUB_USER", Some(0)),
    ("sub", "Sasha Sub", "SUB_HUB_USER", Some(2)),
    ("agency", "Grace Agency", "AGENCY_HUB_USER", Some(5)),
    ("clerk", "Carl Clerk", "INVENTORY_CLERK", Some(2)),
    ("auditor", "Audrey Auditor", "AUDITOR", None),
];

/// (category, unit, min qty, names)
const ITEMS: [(&str, &str, i64, &[&str]); 8] = [
    (
        "Food",
        "case",
        50,
        &[
            "Rice 5 kg",
            "Canned beans",
            "Canned sardines",
            "Cornmeal 2 kg",
            "Flour 2 kg",
            "Cooking oil 1 L",
        ],
    ),
    (
        "Water",
        "case",
        100,
        &[
            "Bottled water 24x500 ml",
            "Water purification tablets",
            "Water container 20 L",
            "Water filter kit",
        ],
    ),
    (
        "Hygiene",
        "kit",
        40,
        &[
            "Family hygiene kit",
            "Soap bar",
            "Toothpaste",
            "Sanitary pads",
            "Hand sanitiser 500 ml",
            "Toilet paper 12 rolls",
        ],
    ),
    (
        "Shelter",
        "each",
        20,
        &[
            "Tarpaulin 4x6 m",
            "Family tent",
            "Sleeping mat",
            "Blanket",
            "Rope 30 m",
        ],
    ),
    (
        "Medical",
        "box",
        10,
        &[
            "First aid kit",
            "Oral rehydration salts",
            "Paracetamol 500 mg",
            "Bandages",
            "Surgical masks",
            "Disposable gloves",
        ],
    ),
    (
        "Tools",
        "each",
        5,
        &[
            "Shovel",
            "Hammer",
            "Nails 1 kg",
            "Chainsaw",
            "Generator 5 kW",
        ],
    ),
    (
        "Clothing",
        "pack",
        25,
        &[
            "Adult clothing pack",
            "Child clothing pack",
            "Rubber boots",
            "Raincoat",
        ],
    ),
    (
        "Baby care",
        "pack",
        15,
        &[
            "Diapers size 3",
            "Infant formula",
            "Baby wipes",
            "Baby blanket",
        ],
    ),
];

pub struct Seeded {
    pub usernames: Vec<&'static str>,
}

pub async fn seed_if_empty(db: &Db) -> AppResult<Option<Seeded>> {
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db)
        .await?;
    let hubs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hubs")
        .fetch_one(db)
        .await?;
    if users > 0 || hubs > 0 {
        return Ok(None);
    }
    let hash = password::hash(PASSWORD.to_string()).await?;
    let now = db::now();
    let mut tx = db::write_tx(db).await?;
    let mut hub_ids = Vec::new();
    for (name, hub_type) in HUBS {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO hubs (name, hub_type, status, activated_at, created_at, updated_at) \
             VALUES ($1, $2, 'Active', $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(hub_type)
        .bind(&now)
        .bind(&now)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        hub_ids.push(id);
    }
    for (username, display, role, hub) in USERS {
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, hub_id, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
        )
        .bind(username)
        .bind(display)
        .bind(&hash)
        .bind(role)
        .bind(hub.map(|i| hub_ids[i]))
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    let mut n = 0u32;
    for (category, unit, min_qty, names) in ITEMS {
        for name in names {
            n += 1;
            sqlx::query(
                "INSERT INTO items (sku, barcode, name, category, unit, min_qty, description, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
            )
            .bind(app::domain::text::Sku::from_bits(0xD0_0000 + n).as_str())
            .bind(format!("876000{n:04}"))
            .bind(*name)
            .bind(category)
            .bind(unit)
            .bind(min_qty)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query(
        "INSERT INTO disaster_events (name, event_type, start_date, end_date, status, created_at, updated_at) \
         VALUES ('Hurricane Melissa 2026', 'Hurricane', '2026-10-28', NULL, 'Active', $1, $2)",
    )
    .bind(&now)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    crate::services::audit::record(
        &mut tx,
        None,
        "seed",
        "demo",
        "all",
        serde_json::json!({ "users": USERS.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Seeded {
        usernames: USERS.iter().map(|u| u.0).collect(),
    }))
}
