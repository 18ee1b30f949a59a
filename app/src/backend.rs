//! The port through which server functions reach the server's services (hexagonal style):
//! `app` never sees sqlx; the server implements this trait and provides it as context.
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::ApiError;
use crate::model::{DisasterEvent, Hub, Item, SessionUser, UserSummary};
use crate::permissions::Action;
use crate::reports::{
    Dashboard, History, InventoryQuery, InventoryView, StockFormOptions, SyncIssuesView,
};

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn hubs(&self, user: &SessionUser) -> Result<Vec<Hub>, ApiError>;
    async fn items(&self, user: &SessionUser) -> Result<Vec<Item>, ApiError>;
    async fn events(&self, user: &SessionUser) -> Result<Vec<DisasterEvent>, ApiError>;
    async fn users(&self, user: &SessionUser) -> Result<Vec<UserSummary>, ApiError>;
    async fn inventory(
        &self,
        user: &SessionUser,
        query: InventoryQuery,
    ) -> Result<InventoryView, ApiError>;
    /// Options for the intake (`RecordIntake`) or distribution (`RecordDistribution`) form.
    async fn stock_form(
        &self,
        user: &SessionUser,
        action: Action,
        hub: Option<i64>,
    ) -> Result<StockFormOptions, ApiError>;
    async fn dashboard(&self, user: &SessionUser) -> Result<Dashboard, ApiError>;
    async fn history(&self, user: &SessionUser, hub: Option<i64>) -> Result<History, ApiError>;
    async fn sync_issues(&self, user: &SessionUser) -> Result<SyncIssuesView, ApiError>;
    async fn transfers(
        &self,
        user: &SessionUser,
        hub: Option<i64>,
    ) -> Result<crate::reports::TransfersView, ApiError>;
    async fn confirmations(
        &self,
        user: &SessionUser,
    ) -> Result<Vec<crate::reports::PendingConfirmation>, ApiError>;
    async fn needs_lists(
        &self,
        user: &SessionUser,
        queue: Option<String>,
    ) -> Result<crate::reports::NeedsListsView, ApiError>;
    async fn needs_list(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<crate::reports::NeedsListDetail, ApiError>;
    /// Opens the prepare screen: takes the editing lock when free.
    async fn prepare(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<crate::reports::PrepareView, ApiError>;
    /// The prepare screen's heartbeat: renews the lock, returns until when it holds.
    async fn renew_lock(&self, user: &SessionUser, id: i64) -> Result<String, ApiError>;
    async fn notifications(
        &self,
        user: &SessionUser,
    ) -> Result<crate::reports::NotificationsView, ApiError>;
    async fn needs_list_edit(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<crate::reports::NeedsListEditView, ApiError>;
    /// The offline policy (ADMIN).
    async fn offline_policy(
        &self,
        user: &SessionUser,
    ) -> Result<crate::offline::access::OfflinePolicy, ApiError>;
    /// The registered devices and the device policy (ADMIN).
    async fn devices(
        &self,
        user: &SessionUser,
    ) -> Result<crate::offline::devices::DeviceList, ApiError>;
    /// One device with its activity log (ADMIN).
    async fn device(
        &self,
        user: &SessionUser,
        id: String,
    ) -> Result<crate::offline::devices::DeviceDetail, ApiError>;
    /// The device policy (ADMIN).
    async fn device_policy(
        &self,
        user: &SessionUser,
    ) -> Result<crate::offline::devices::DevicePolicy, ApiError>;
    /// A stored import of exported unsynced work (LM, ADMIN).
    async fn offline_import(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<crate::offline::access::ImportReport, ApiError>;
}

/// Provided to every render and server function by the server.
pub type SharedBackend = Arc<dyn Backend>;

/// The request's signed-in user, resolved by the server before rendering.
#[derive(Clone, Debug)]
pub struct CurrentUser(pub Option<SessionUser>);
