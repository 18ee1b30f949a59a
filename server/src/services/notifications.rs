//! In-app notifications: written by `apply` with each transition DOMAIN.md names, read here.
use app::model::SessionUser;
use app::reports::{NotificationView, NotificationsView};

use crate::db::{self, Db};
use crate::error::AppResult;

pub async fn list(db: &Db, user: &SessionUser) -> AppResult<NotificationsView> {
    let rows: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, message, link, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT 100",
    )
    .bind(user.id)
    .fetch_all(db)
    .await?;
    let unread: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user.id)
    .fetch_one(db)
    .await?;
    Ok(NotificationsView {
        unread,
        items: rows
            .into_iter()
            .map(
                |(id, message, link, created_at, read_at)| NotificationView {
                    id,
                    message,
                    link,
                    created_at,
                    read: read_at.is_some(),
                },
            )
            .collect(),
    })
}

/// Marks every notification of the user read; returns how many were unread.
pub async fn mark_read(db: &Db, user: &SessionUser) -> AppResult<u64> {
    Ok(
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(db::now())
            .bind(user.id)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
