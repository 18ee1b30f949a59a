//! The client-visible error: a stable code, a human message and, for bad input, the field.
//! Server functions return it; the server maps its own errors into it in one place.
use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

use crate::domain::ValidationError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    Invalid,
    Conflict,
    RateLimited,
    /// The device was revoked by an administrator: refused everywhere, its data to be wiped.
    DeviceRevoked,
    /// Enabling offline use would exceed the policy's most devices kept offline.
    DeviceLimitReached,
    /// 413: the request body is over the limit (counted after decompression): send less.
    TooLarge,
    /// 415: the request body's `Content-Encoding` is not one the server reads.
    UnsupportedEncoding,
    /// The request never reached the server, or its answer could not be read.
    Transport,
    Internal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "You are signed out. Please sign in again.",
        )
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self {
            code: ErrorCode::Invalid,
            message: err.message,
            field: Some(err.field),
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::new(ErrorCode::Transport, value.to_string())
    }
}
