//! Database row types and their conversion into wire types. Rows never leave the server.
use app::domain::{HubRef, HubStatus, HubType, Role};
use app::model::{DisasterEvent, Hub, Item, UserSummary};
use sqlx::FromRow;

/// Roles and types are CHECK-constrained in the schema, so unknown codes cannot occur; the
/// fallbacks are the least privileged values all the same.
pub fn parse_role(code: &str) -> Role {
    Role::from_code(code).unwrap_or(Role::Auditor)
}

fn parse_hub_type(code: &str) -> HubType {
    HubType::from_code(code).unwrap_or(HubType::Agency)
}

#[derive(FromRow)]
pub struct HubRow {
    pub id: i64,
    pub name: String,
    pub hub_type: String,
    pub status: String,
    pub activated_at: Option<String>,
}

impl HubRow {
    pub fn hub_ref(&self) -> HubRef {
        HubRef {
            id: self.id,
            hub_type: parse_hub_type(&self.hub_type),
        }
    }
}

impl From<HubRow> for Hub {
    fn from(r: HubRow) -> Self {
        Hub {
            id: r.id,
            hub_type: parse_hub_type(&r.hub_type),
            status: HubStatus::from_code(&r.status).unwrap_or(HubStatus::Inactive),
            name: r.name,
            activated_at: r.activated_at,
        }
    }
}

#[derive(FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub sku: String,
    pub barcode: Option<String>,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub min_qty: i64,
    pub description: Option<String>,
}

impl From<ItemRow> for Item {
    fn from(r: ItemRow) -> Self {
        Item {
            id: r.id,
            sku: r.sku,
            barcode: r.barcode,
            name: r.name,
            category: r.category,
            unit: r.unit,
            min_qty: r.min_qty,
            description: r.description,
        }
    }
}

#[derive(FromRow)]
pub struct EventRow {
    pub id: i64,
    pub name: String,
    pub event_type: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub status: String,
}

impl From<EventRow> for DisasterEvent {
    fn from(r: EventRow) -> Self {
        DisasterEvent {
            id: r.id,
            name: r.name,
            event_type: r.event_type,
            start_date: r.start_date,
            end_date: r.end_date,
            status: r.status,
        }
    }
}

#[derive(FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub hub_id: Option<i64>,
    pub hub_name: Option<String>,
    pub active: i64,
}

impl From<UserRow> for UserSummary {
    fn from(r: UserRow) -> Self {
        UserSummary {
            id: r.id,
            role: parse_role(&r.role),
            username: r.username,
            display_name: r.display_name,
            hub_id: r.hub_id,
            hub_name: r.hub_name,
            active: r.active != 0,
        }
    }
}
