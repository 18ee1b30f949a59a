//! Compressed request bodies for the sync endpoint: `Content-Encoding: gzip` (what a browser's
//! `CompressionStream('gzip')` writes) is inflated by tower-http on the way to the handler.
//! One body limit holds both before and after inflating, so a gzip bomb is refused with 413
//! after reading at most the limit, never buffered whole; any other encoding gets a 415.
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use http_body_util::Limited;
use tower::ServiceBuilder;
use tower_http::decompression::RequestDecompressionLayer;

use crate::error::AppError;
use crate::state::AppState;

/// axum's default limit, stated here so that both checks use the same figure.
pub const SYNC_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What `JsonBody` needs to say why a body was refused (a request extension).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit {
    pub bytes: usize,
    pub compressed: bool,
}

/// A POST route whose body may arrive gzip-compressed, within `SYNC_BODY_LIMIT` either way.
pub fn post_compressible<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    axum::routing::post(handler).layer(
        ServiceBuilder::new()
            .layer(from_fn(accept_encoding))
            .layer(RequestDecompressionLayer::new().gzip(true))
            // The handler's extractor counts the inflated bytes against this.
            .layer(DefaultBodyLimit::max(SYNC_BODY_LIMIT)),
    )
}

#[derive(Debug, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
}

/// The request's content coding, or why it is refused. A list of codings (gzip applied
/// twice, or gzip then something else) is refused: nobody sends one, and each layer would
/// multiply what a small request can inflate to.
fn encoding(headers: &HeaderMap) -> Result<Encoding, String> {
    let mut codings = Vec::new();
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| "an unreadable value".to_string())?;
        codings.extend(
            value
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty() && c != "identity"),
        );
    }
    match codings.as_slice() {
        [] => Ok(Encoding::Identity),
        [one] if one == "gzip" || one == "x-gzip" => Ok(Encoding::Gzip),
        _ => Err(format!("'{}'", codings.join(", "))),
    }
}

async fn accept_encoding(mut req: Request, next: Next) -> Response {
    let compressed = match encoding(req.headers()) {
        Ok(Encoding::Identity) => false,
        Ok(Encoding::Gzip) => true,
        Err(what) => {
            return AppError::UnsupportedEncoding(format!(
                "This server cannot read a body with Content-Encoding {what}: send it as is \
                 or with 'Content-Encoding: gzip'."
            ))
            .into_response()
        }
    };
    req.extensions_mut().insert(BodyLimit {
        bytes: SYNC_BODY_LIMIT,
        compressed,
    });
    if !compressed {
        return next.run(req).await;
    }
    // tower-http matches the coding's name exactly; the compressed bytes are limited too
    // (empty deflate blocks inflate to nothing, so the inflated limit alone would not end a
    // stream of them).
    req.headers_mut().remove(header::CONTENT_ENCODING);
    req.headers_mut()
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    let req = req.map(|body| Body::new(Limited::new(body, SYNC_BODY_LIMIT)));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::CONTENT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn codings() {
        assert_eq!(encoding(&with(&[])), Ok(Encoding::Identity));
        assert_eq!(encoding(&with(&["identity"])), Ok(Encoding::Identity));
        assert_eq!(encoding(&with(&["GZIP"])), Ok(Encoding::Gzip));
        assert_eq!(encoding(&with(&[" x-gzip "])), Ok(Encoding::Gzip));
        assert_eq!(encoding(&with(&["identity, gzip"])), Ok(Encoding::Gzip));
        assert!(encoding(&with(&["br"])).is_err());
        assert!(encoding(&with(&["gzip, gzip"])).is_err());
        assert!(encoding(&with(&["gzip", "deflate"])).is_err());
    }
}
