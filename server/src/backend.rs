//! The server's implementation of `app::backend::Backend`: server functions reach the
//! services through it, and service errors become client-visible `ApiError`s here.
use app::backend::Backend;
use app::error::ApiError;
use app::model::{DisasterEvent, Hub, Item, SessionUser, UserSummary};
use async_trait::async_trait;

use crate::db::Db;
use crate::services::{events, hubs, items, users};

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
}
