//! Administration pages: hubs, items, disaster events, users. Forms post to `/forms/...`.
pub mod events;
pub mod hubs;
pub mod items;
pub mod users;
