//! A JSON body extractor whose rejections are specific 400s in the API's error shape.
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use app::domain::ValidationError;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(AppError::Invalid(ValidationError::new(
                "body",
                match rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        "Send the body as JSON with 'Content-Type: application/json'.".to_string()
                    }
                    JsonRejection::JsonSyntaxError(e) => {
                        format!("The body is not valid JSON: {}", e.body_text())
                    }
                    JsonRejection::JsonDataError(e) => format!(
                        "The JSON does not have the expected fields: {}",
                        e.body_text()
                    ),
                    other => format!("The body could not be read: {}", other.body_text()),
                },
            ))),
        }
    }
}
