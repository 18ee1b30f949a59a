//! Administration pages: hubs, items, disaster events, users, devices, the offline policy and the import
//! of offline work. Forms post to `/forms/...`.
pub mod devices;
pub mod events;
pub mod hubs;
pub mod import;
pub mod items;
pub mod offline_policy;
pub mod users;
