//! Domain vocabulary shared by server and browser: roles, hubs, validated input types.
//! Nothing here touches a database or the DOM.
pub mod hub;
pub mod role;
pub mod text;

pub use hub::{HubRef, HubStatus, HubType};
pub use role::Role;
pub use text::ValidationError;
