//! The security review's findings (issue 10), each pinned: sign-in abuse, cross-site requests,
//! headers, form echoes, CSV injection, agency leaks, idempotency conflicts.
mod admin;
mod forms;
mod headers;
mod ids;
mod sign_in;
