//! JSON API for hubs, items, events and users. Every handler is a thin adapter over a service,
//! which authorises through the one permission rule.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use super::json::JsonBody;
use crate::auth::extract::RequireUser;
use crate::error::AppResult;
use crate::services::{events, hubs, items, users};
use crate::state::AppState;
use app::model::{
    DisasterEvent, EventInput, Hub, HubInput, Item, ItemInput, UserInput, UserSummary,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/hubs", get(list_hubs).post(create_hub))
        .route("/api/hubs/{id}", put(update_hub))
        .route("/api/hubs/{id}/status", post(hub_status))
        .route("/api/items", get(list_items).post(create_item))
        .route("/api/items/{id}", put(update_item))
        .route("/api/events", get(list_events).post(create_event))
        .route("/api/events/{id}", put(update_event))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{id}", put(update_user))
}

type Created<T> = AppResult<(StatusCode, Json<T>)>;

async fn list_hubs(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
) -> AppResult<Json<Vec<Hub>>> {
    Ok(Json(hubs::list(&s.db, &u).await?))
}

async fn create_hub(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(i): JsonBody<HubInput>,
) -> Created<Hub> {
    Ok((
        StatusCode::CREATED,
        Json(hubs::create(&s.db, &u, &i).await?),
    ))
}

async fn update_hub(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<i64>,
    JsonBody(i): JsonBody<HubInput>,
) -> AppResult<Json<Hub>> {
    Ok(Json(hubs::update(&s.db, &u, id, &i).await?))
}

#[derive(Deserialize, serde::Serialize)]
pub struct StatusInput {
    #[serde(default)]
    pub status: String,
}

async fn hub_status(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<i64>,
    JsonBody(i): JsonBody<StatusInput>,
) -> AppResult<Json<Hub>> {
    Ok(Json(hubs::set_status(&s.db, &u, id, &i.status).await?))
}

async fn list_items(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
) -> AppResult<Json<Vec<Item>>> {
    Ok(Json(items::list(&s.db, &u).await?))
}

async fn create_item(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(i): JsonBody<ItemInput>,
) -> Created<Item> {
    Ok((
        StatusCode::CREATED,
        Json(items::create(&s.db, &u, &i).await?),
    ))
}

async fn update_item(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<i64>,
    JsonBody(i): JsonBody<ItemInput>,
) -> AppResult<Json<Item>> {
    Ok(Json(items::update(&s.db, &u, id, &i).await?))
}

async fn list_events(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
) -> AppResult<Json<Vec<DisasterEvent>>> {
    Ok(Json(events::list(&s.db, &u).await?))
}

async fn create_event(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(i): JsonBody<EventInput>,
) -> Created<DisasterEvent> {
    Ok((
        StatusCode::CREATED,
        Json(events::create(&s.db, &u, &i).await?),
    ))
}

async fn update_event(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<i64>,
    JsonBody(i): JsonBody<EventInput>,
) -> AppResult<Json<DisasterEvent>> {
    Ok(Json(events::update(&s.db, &u, id, &i).await?))
}

async fn list_users(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
) -> AppResult<Json<Vec<UserSummary>>> {
    Ok(Json(users::list(&s.db, &u).await?))
}

async fn create_user(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(i): JsonBody<UserInput>,
) -> Created<UserSummary> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&s.db, &u, &i).await?),
    ))
}

async fn update_user(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<i64>,
    JsonBody(i): JsonBody<UserInput>,
) -> AppResult<Json<UserSummary>> {
    Ok(Json(users::update(&s.db, &u, id, &i).await?))
}
