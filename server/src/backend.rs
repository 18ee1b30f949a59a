//! The server's implementation of `app::backend::Backend`: server functions reach the
//! services through it, and service errors become client-visible `ApiError`s here.
use app::backend::Backend;
use app::error::ApiError;
use app::model::{DisasterEvent, Hub, Item, SessionUser, UserSummary};
use async_trait::async_trait;

use crate::db::Db;
use crate::services::{
    dashboard, events, history, hubs, inventory, items, needs_lists, sync_issues, users,
};
use app::permissions::Action;
use app::reports::{Dashboard, History, InventoryQuery, InventoryView, StockFormOptions};

pub struct ServerBackend {
    pub db: Db,
}

fn api<T>(r: crate::error::AppResult<T>) -> Result<T, ApiError> {
    r.map_err(|e| e.to_api())
}

#[async_trait]
impl Backend for ServerBackend {
    async fn hubs(&self, user: &SessionUser) -> Result<Vec<Hub>, ApiError> {
        api(hubs::list(&self.db, user).await)
    }
    async fn items(&self, user: &SessionUser) -> Result<Vec<Item>, ApiError> {
        api(items::list(&self.db, user).await)
    }
    async fn events(&self, user: &SessionUser) -> Result<Vec<DisasterEvent>, ApiError> {
        api(events::list(&self.db, user).await)
    }
    async fn users(&self, user: &SessionUser) -> Result<Vec<UserSummary>, ApiError> {
        api(users::list(&self.db, user).await)
    }
    async fn inventory(
        &self,
        user: &SessionUser,
        query: InventoryQuery,
    ) -> Result<InventoryView, ApiError> {
        api(inventory::view(&self.db, user, &query).await)
    }
    async fn stock_form(
        &self,
        user: &SessionUser,
        action: Action,
        hub: Option<i64>,
    ) -> Result<StockFormOptions, ApiError> {
        api(inventory::form_options(&self.db, user, action, hub).await)
    }
    async fn dashboard(&self, user: &SessionUser) -> Result<Dashboard, ApiError> {
        api(dashboard::build(&self.db, user).await)
    }
    async fn history(&self, user: &SessionUser, hub: Option<i64>) -> Result<History, ApiError> {
        api(history::build(&self.db, user, hub).await)
    }
    async fn sync_issues(
        &self,
        user: &SessionUser,
    ) -> Result<app::reports::SyncIssuesView, ApiError> {
        api(sync_issues::view(&self.db, user).await)
    }
    async fn transfers(
        &self,
        user: &SessionUser,
        hub: Option<i64>,
    ) -> Result<app::reports::TransfersView, ApiError> {
        api(crate::services::transfers::view(&self.db, user, hub).await)
    }
    async fn confirmations(
        &self,
        user: &SessionUser,
    ) -> Result<Vec<app::reports::PendingConfirmation>, ApiError> {
        api(crate::services::confirmations::list(&self.db, user).await)
    }
    async fn needs_lists(
        &self,
        user: &SessionUser,
        queue: Option<String>,
    ) -> Result<app::reports::NeedsListsView, ApiError> {
        api(needs_lists::list(&self.db, user, queue).await)
    }
    async fn needs_list(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<app::reports::NeedsListDetail, ApiError> {
        api(needs_lists::detail(&self.db, user, id).await)
    }
    async fn prepare(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<app::reports::PrepareView, ApiError> {
        api(needs_lists::prepare(&self.db, user, id).await)
    }
    async fn renew_lock(&self, user: &SessionUser, id: i64) -> Result<String, ApiError> {
        api(needs_lists::take_lock(&self.db, user, id).await)
    }
    async fn notifications(
        &self,
        user: &SessionUser,
    ) -> Result<app::reports::NotificationsView, ApiError> {
        api(crate::services::notifications::list(&self.db, user).await)
    }
    async fn needs_list_edit(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<app::reports::NeedsListEditView, ApiError> {
        api(needs_lists::edit(&self.db, user, id).await)
    }
    async fn offline_policy(
        &self,
        user: &SessionUser,
    ) -> Result<app::offline::access::OfflinePolicy, ApiError> {
        api(crate::services::offline_policy::get(&self.db, user).await)
    }
    async fn devices(
        &self,
        user: &SessionUser,
    ) -> Result<app::offline::devices::DeviceList, ApiError> {
        api(crate::services::devices::admin::list(&self.db, user).await)
    }
    async fn device(
        &self,
        user: &SessionUser,
        id: String,
    ) -> Result<app::offline::devices::DeviceDetail, ApiError> {
        api(crate::services::devices::admin::detail(&self.db, user, &id).await)
    }
    async fn device_policy(
        &self,
        user: &SessionUser,
    ) -> Result<app::offline::devices::DevicePolicy, ApiError> {
        api(crate::services::device_policy::get(&self.db, user).await)
    }
    async fn offline_import(
        &self,
        user: &SessionUser,
        id: i64,
    ) -> Result<app::offline::access::ImportReport, ApiError> {
        api(crate::services::offline_import::load(&self.db, user, id).await)
    }
}
