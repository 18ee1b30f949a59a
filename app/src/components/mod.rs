//! Reusable view pieces: layout, notices, form fields.
pub mod csrf;
pub mod export;
pub mod layout;
pub mod notice;
pub mod offline;
