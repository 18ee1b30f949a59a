//! Per-batch lookups of hubs, items and events. The batch holds SQLite's write lock from its
//! first statement, so nothing else can change these rows until it commits: caching is exact.
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use app::domain::HubRef;
use app::model::SessionUser;
use app::ops::Reason;
use app::permissions::{authorize, Action};
use sqlx::AnyConnection;

use super::record::{self, AuditRow, OutcomeRow};
use super::{reject, Failure};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::services::rows::HubRow;
use crate::services::stock;
use app::ops::{Operation, Outcome};

#[derive(Clone)]
pub struct ItemInfo {
    pub name: String,
    pub unit: String,
}

pub struct BatchContext {
    pub user: SessionUser,
    hubs: HashMap<i64, Option<HubRow>>,
    items: HashMap<i64, Option<ItemInfo>>,
    events: HashMap<i64, Option<(String, String)>>,
    donors: HashMap<String, i64>,
    beneficiaries: HashMap<String, i64>,
    outcomes: Vec<OutcomeRow>,
    outcome_index: HashMap<String, usize>,
    audits: Vec<AuditRow>,
}

impl BatchContext {
    pub fn new(user: SessionUser) -> Self {
        Self {
            user,
            hubs: HashMap::new(),
            items: HashMap::new(),
            events: HashMap::new(),
            donors: HashMap::new(),
            beneficiaries: HashMap::new(),
            outcomes: Vec::new(),
            outcome_index: HashMap::new(),
            audits: Vec::new(),
        }
    }

    pub async fn donor_id(&mut self, conn: &mut AnyConnection, name: &str) -> Result<i64, Failure> {
        let key = name.to_lowercase();
        if let Some(id) = self.donors.get(&key) {
            return Ok(*id);
        }
        let id = stock::donor_id(conn, name).await?;
        self.donors.insert(key, id);
        Ok(id)
    }

    pub async fn beneficiary_id(
        &mut self,
        conn: &mut AnyConnection,
        name: &str,
    ) -> Result<i64, Failure> {
        let key = name.to_lowercase();
        if let Some(id) = self.beneficiaries.get(&key) {
            return Ok(*id);
        }
        let id = stock::beneficiary_id(conn, name).await?;
        self.beneficiaries.insert(key, id);
        Ok(id)
    }

    /// Queues the audit row for a change an operation made.
    pub fn audit(
        &mut self,
        op: &Operation,
        action: &'static str,
        entity: &'static str,
        entity_id: String,
        details: serde_json::Value,
    ) {
        self.audits.push(AuditRow {
            at: db::now(),
            device_id: op.device_id.clone(),
            operation_id: op.id.to_string(),
            action,
            entity,
            entity_id,
            details: details.to_string(),
        });
    }

    /// Queues the operation's outcome (the later one wins if an id comes twice in a batch).
    pub fn record_outcome(&mut self, op: &Operation, outcome: &Outcome) -> AppResult<()> {
        let (reason, message, reference) = match outcome {
            Outcome::Applied { reference, message } => {
                (None, message.clone(), Some(reference.clone()))
            }
            Outcome::Rejected(r) => (Some(r.reason.code()), r.message.clone(), None),
            Outcome::PendingConfirmation { message } => (None, message.clone(), None),
        };
        let row = OutcomeRow {
            id: op.id.to_string(),
            kind: op.body.kind(),
            hub_id: op.hub_id,
            device_id: op.device_id.clone(),
            client_created_at: op.created_at.clone(),
            received_at: db::now(),
            status: outcome.status(),
            reason,
            message,
            reference,
            payload: serde_json::to_string(&op.body)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            digest: record::digest(op),
        };
        match self.outcome_index.get(&row.id) {
            Some(&i) => self.outcomes[i] = row,
            None => {
                self.outcome_index
                    .insert(row.id.clone(), self.outcomes.len());
                self.outcomes.push(row);
            }
        }
        Ok(())
    }

    /// Writes the queued outcomes and audit rows (inside the batch's transaction).
    pub async fn flush(&mut self, conn: &mut AnyConnection) -> AppResult<()> {
        record::write_outcomes(conn, self.user.id, &self.outcomes).await?;
        record::write_audits(conn, self.user.id, &self.audits).await?;
        self.outcomes.clear();
        self.outcome_index.clear();
        self.audits.clear();
        Ok(())
    }

    pub async fn hub(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<Option<&HubRow>, Failure> {
        if let Entry::Vacant(slot) = self.hubs.entry(id) {
            let row: Option<HubRow> = sqlx::query_as(
                "SELECT id, name, hub_type, status, activated_at FROM hubs WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            slot.insert(row);
        }
        Ok(self.hubs[&id].as_ref())
    }

    /// The hub, if it exists, the actor may do `action` there, and it is Active. Permission is
    /// checked before status so that a refused user learns nothing about the hub.
    pub async fn hub_for(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
        action: Action,
    ) -> Result<(HubRef, String), Failure> {
        let actor = self.user.actor();
        let Some(hub) = self.hub(conn, id).await? else {
            // Hub-bound users get "forbidden" for any hub but theirs, existing or not.
            return Err(match authorize(&actor, action, None) {
                Ok(()) => reject(Reason::HubUnknown, format!("Hub {id} does not exist.")),
                Err(denied) => reject(Reason::Forbidden, denied.message),
            });
        };
        let hub_ref = hub.hub_ref();
        authorize(&actor, action, Some(hub_ref))
            .map_err(|d| reject(Reason::Forbidden, d.message))?;
        if hub.status != "Active" {
            return Err(reject(
                Reason::HubInactive,
                format!(
                    "{} is inactive and accepts no new stock movements or needs lists.",
                    hub.name
                ),
            ));
        }
        Ok((hub_ref, hub.name.clone()))
    }

    /// A destination hub: it must exist and be Active (no permission needed to send to it).
    pub async fn active_hub(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<(HubRef, String), Failure> {
        let Some(hub) = self.hub(conn, id).await? else {
            return Err(reject(
                Reason::HubUnknown,
                format!("Hub {id} does not exist."),
            ));
        };
        if hub.status != "Active" {
            return Err(reject(
                Reason::HubInactive,
                format!("{} is inactive and accepts no transfers.", hub.name),
            ));
        }
        Ok((hub.hub_ref(), hub.name.clone()))
    }

    pub async fn item(&mut self, conn: &mut AnyConnection, id: i64) -> Result<ItemInfo, Failure> {
        if let Entry::Vacant(slot) = self.items.entry(id) {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT name, unit FROM items WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            slot.insert(row.map(|(name, unit)| ItemInfo { name, unit }));
        }
        self.items[&id]
            .clone()
            .ok_or_else(|| reject(Reason::ItemUnknown, format!("Item {id} does not exist.")))
    }

    /// The event's name, if it exists and is Active.
    pub async fn active_event(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<String, Failure> {
        if let Entry::Vacant(slot) = self.events.entry(id) {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT name, status FROM disaster_events WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            slot.insert(row);
        }
        match &self.events[&id] {
            None => Err(reject(
                Reason::EventUnknown,
                format!("Disaster event {id} does not exist."),
            )),
            Some((name, status)) if status != "Active" => Err(reject(
                Reason::EventInactive,
                format!("The event '{name}' is closed; record against an Active event."),
            )),
            Some((name, _)) => Ok(name.clone()),
        }
    }
}
