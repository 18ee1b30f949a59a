//! Authentication: password hashing, server-side sessions, sign-in rate limiting, and the
//! extractors that resolve the signed-in user from the session cookie.
pub mod client_address;
pub mod device;
pub mod extract;
pub mod grant;
pub mod password;
pub mod rate_limit;
pub mod session;
pub mod sign_in;
