//! Services: one module per aggregate. Each write authorises through the one rule, validates,
//! writes and audits inside one transaction. Handlers and server functions only adapt to these.
pub mod audit;
pub mod confirmations;
pub mod csv;
pub mod dashboard;
pub mod device_policy;
pub mod devices;
pub mod events;
pub mod first_admin;
pub mod history;
pub mod hubs;
pub mod inventory;
pub mod items;
pub mod needs_lists;
pub mod notifications;
pub mod offline_access;
pub mod offline_import;
pub mod offline_policy;
pub mod rows;
pub mod snapshot;
pub mod stock;
pub mod sync_issues;
pub mod transfers;
pub mod users;
