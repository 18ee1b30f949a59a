//! One module per page; folders mirror the routes.
pub mod admin;
pub mod home;
pub mod login;
pub mod needs_list;
pub mod needs_lists;
pub mod not_found;
pub mod notifications;
pub mod stock;
pub mod sync_issues;
pub mod transfers;
