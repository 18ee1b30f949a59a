//! Server integration tests: each test starts the real app on port 0 with a fresh SQLite file
//! (demo data seeded) and talks to it over HTTP.
mod admin;
mod common;
mod devices;
mod fuzz;
mod needs_lists;
mod offline_access;
mod offline_import;
mod pages;
mod security;
mod session;
mod snapshot;
mod stock_pages;
mod sync;
mod sync_compressed;
mod sync_crash;
mod sync_issues;
mod transfers;
mod two_servers;
