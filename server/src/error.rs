//! The server's error type and its one mapping to HTTP. Internal details are logged, never sent.
use app::domain::ValidationError;
use app::error::{ApiError, ErrorCode};
use app::permissions::Denied;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(ValidationError),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RateLimited(String),
    /// 403 `device_revoked`.
    #[error("{0}")]
    DeviceRevoked(String),
    /// 409 `device_limit_reached`.
    #[error("{0}")]
    DeviceLimitReached(String),
    /// 413 `too_large`: the body is over the limit (inflated size for a compressed one).
    #[error("{0}")]
    TooLarge(String),
    /// 415 `unsupported_encoding`.
    #[error("{0}")]
    UnsupportedEncoding(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            // PostgreSQL stores no NUL character in text (SQLSTATE 22021); the statement, and
            // with it the transaction, wrote nothing.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => {
                AppError::Invalid(ValidationError::new(
                    "text",
                    "Text may not contain the NUL character (U+0000).",
                ))
            }
            _ => AppError::Internal(err.to_string()),
        }
    }
}

impl From<ValidationError> for AppError {
    fn from(err: ValidationError) -> Self {
        AppError::Invalid(err)
    }
}

impl From<Denied> for AppError {
    fn from(denied: Denied) -> Self {
        AppError::Forbidden(denied.message)
    }
}

/// Turns a unique-constraint violation into a conflict with `message`; other errors pass.
pub fn unique_conflict(err: sqlx::Error, message: impl FnOnce() -> String) -> AppError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => AppError::Conflict(message()),
        _ => err.into(),
    }
}

impl AppError {
    pub fn device_revoked() -> Self {
        AppError::DeviceRevoked(app::offline::devices::REVOKED_MESSAGE.into())
    }

    pub fn signed_out() -> Self {
        AppError::Unauthorized("You are signed out. Please sign in again.".into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::DeviceRevoked(_) => StatusCode::FORBIDDEN,
            AppError::DeviceLimitReached(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client may see.
    pub fn to_api(&self) -> ApiError {
        let code = match self {
            AppError::Unauthorized(_) => ErrorCode::Unauthorized,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Invalid(_) => ErrorCode::Invalid,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::RateLimited(_) => ErrorCode::RateLimited,
            AppError::DeviceRevoked(_) => ErrorCode::DeviceRevoked,
            AppError::DeviceLimitReached(_) => ErrorCode::DeviceLimitReached,
            AppError::TooLarge(_) => ErrorCode::TooLarge,
            AppError::UnsupportedEncoding(_) => ErrorCode::UnsupportedEncoding,
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                return ApiError::new(
                    ErrorCode::Internal,
                    "Something went wrong on the server; nothing was changed. Please try again.",
                );
            }
        };
        match self {
            AppError::Invalid(v) => v.clone().into(),
            other => ApiError::new(code, other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        (status, Json(serde_json::json!({ "error": self.to_api() }))).into_response()
    }
}
