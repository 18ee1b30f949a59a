//! Server functions: thin adapters that take the backend and user from context and call it.
use leptos::prelude::*;
use leptos::server_fn;

use crate::error::ApiError;
use crate::model::{DisasterEvent, Hub, Item, SessionUser, UserSummary};
use crate::permissions::Action;
use crate::reports::{Dashboard, History, InventoryQuery, InventoryView, StockFormOptions};

/// Server-function results as JSON, read on the client with `serde_json::from_str`. The
/// default (`Json`) reads them with `from_slice`, while everything else the client reads (page
/// data carried in the HTML, the sync API, IndexedDB records) goes through `from_str`; each
/// reader is a separate copy of every type's deserializer in the WASM. Same bytes on the wire.
pub struct JsonText;

impl server_fn::ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl server_fn::FormatType for JsonText {
    const FORMAT_TYPE: server_fn::Format = server_fn::Format::Text;
}

impl<T: serde::Serialize> server_fn::Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<server_fn::Bytes, Self::Error> {
        serde_json::to_vec(output).map(server_fn::Bytes::from)
    }
}

impl<T: serde::de::DeserializeOwned> server_fn::Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: server_fn::Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// A `POST` whose result is [`JsonText`].
pub type TextJson = server_fn::codec::Post<JsonText>;

#[cfg(feature = "ssr")]
mod ctx {
    use leptos::prelude::use_context;

    use crate::backend::{CurrentUser, SharedBackend};
    use crate::error::{ApiError, ErrorCode};
    use crate::model::SessionUser;

    pub fn user() -> Option<SessionUser> {
        use_context::<CurrentUser>().and_then(|c| c.0)
    }

    pub fn signed_in() -> Result<(SharedBackend, SessionUser), ApiError> {
        let backend = use_context::<SharedBackend>()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "Server is not ready."))?;
        let user = user().ok_or_else(ApiError::unauthorized)?;
        Ok((backend, user))
    }
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, ApiError> {
    Ok(ctx::user())
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "hubs")]
pub async fn list_hubs() -> Result<Vec<Hub>, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.hubs(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "items")]
pub async fn list_items() -> Result<Vec<Item>, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.items(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "events")]
pub async fn list_events() -> Result<Vec<DisasterEvent>, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.events(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "users")]
pub async fn list_users() -> Result<Vec<UserSummary>, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.users(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "inventory")]
pub async fn get_inventory(
    #[server(default)] query: InventoryQuery,
) -> Result<InventoryView, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.inventory(&user, query).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "stock_form")]
pub async fn get_stock_form(
    action: Action,
    hub: Option<i64>,
) -> Result<StockFormOptions, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.stock_form(&user, action, hub).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.dashboard(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "history")]
pub async fn get_history(hub: Option<i64>) -> Result<History, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.history(&user, hub).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "sync_issues")]
pub async fn get_sync_issues() -> Result<crate::reports::SyncIssuesView, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.sync_issues(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "transfers")]
pub async fn get_transfers(hub: Option<i64>) -> Result<crate::reports::TransfersView, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.transfers(&user, hub).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "confirmations")]
pub async fn get_confirmations() -> Result<Vec<crate::reports::PendingConfirmation>, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.confirmations(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "needs_lists")]
pub async fn get_needs_lists(
    queue: Option<String>,
) -> Result<crate::reports::NeedsListsView, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.needs_lists(&user, queue).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "needs_list")]
pub async fn get_needs_list(id: i64) -> Result<crate::reports::NeedsListDetail, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.needs_list(&user, id).await
}

/// Opening the prepare screen takes the 15-minute editing lock (when free).
#[server(prefix = "/api/fn", output = TextJson, endpoint = "prepare")]
pub async fn get_prepare(id: i64) -> Result<crate::reports::PrepareView, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.prepare(&user, id).await
}

/// The prepare screen's heartbeat.
#[server(prefix = "/api/fn", output = TextJson, endpoint = "renew_lock")]
pub async fn renew_lock(id: i64) -> Result<String, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.renew_lock(&user, id).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "needs_list_edit")]
pub async fn get_needs_list_edit(id: i64) -> Result<crate::reports::NeedsListEditView, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.needs_list_edit(&user, id).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "notifications")]
pub async fn get_notifications() -> Result<crate::reports::NotificationsView, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.notifications(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "offline_policy")]
pub async fn get_offline_policy() -> Result<crate::offline::access::OfflinePolicy, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.offline_policy(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "devices")]
pub async fn get_devices() -> Result<crate::offline::devices::DeviceList, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.devices(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "device")]
pub async fn get_device(id: String) -> Result<crate::offline::devices::DeviceDetail, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.device(&user, id).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "device_policy")]
pub async fn get_device_policy() -> Result<crate::offline::devices::DevicePolicy, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.device_policy(&user).await
}

#[server(prefix = "/api/fn", output = TextJson, endpoint = "offline_import")]
pub async fn get_offline_import(id: i64) -> Result<crate::offline::access::ImportReport, ApiError> {
    let (backend, user) = ctx::signed_in()?;
    backend.offline_import(&user, id).await
}
