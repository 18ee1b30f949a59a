//! A JSON body extractor whose rejections are specific errors in the API's error shape: 400
//! for a body that cannot be read or parsed, 413 for one over the body limit.
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::request_encoding::BodyLimit;
use crate::error::AppError;
use app::domain::ValidationError;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let limit = req.extensions().get::<BodyLimit>().copied();
        let compressed = limit.is_some_and(|l| l.compressed);
        let rejection = match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => return Ok(JsonBody(value)),
            Err(rejection) => rejection,
        };
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE || over_limit(&rejection) {
            return Err(AppError::TooLarge(match limit {
                Some(l) => format!(
                    "The request body is over the limit of {} MB{}: send fewer operations \
                     at a time.",
                    l.bytes / (1024 * 1024),
                    if l.compressed {
                        " once decompressed"
                    } else {
                        ""
                    }
                ),
                None => "The request body is too large.".to_string(),
            }));
        }
        let message = match rejection {
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
            other if compressed => format!(
                "The body is not valid gzip data (Content-Encoding: gzip): {}",
                innermost(&other)
            ),
            other => format!("The body could not be read: {}", other.body_text()),
        };
        Err(AppError::Invalid(ValidationError::new("body", message)))
    }
}

/// Whether a body limit ended the read anywhere down the error chain: the compressed bytes'
/// limit surfaces through the decompressor, wrapped in I/O errors (whose `source` skips the
/// error they wrap, hence `get_ref`).
fn over_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if over_limit(inner) {
                return true;
            }
        }
        next = e.source();
    }
    false
}

/// The deepest cause's text (the decompressor's own words, e.g. "invalid gzip header").
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    loop {
        let io_inner = last
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|e| e as &(dyn std::error::Error + 'static));
        match io_inner.or_else(|| last.source()) {
            Some(next) => last = next,
            None => return last.to_string(),
        }
    }
}
