//! The one error type of the service and its mapping to HTTP statuses.

use warp::http::StatusCode;

/// Everything that can go wrong while serving a request or running a pass.
///
/// `Display` is the message a client sees; `Debug` keeps the cause.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad parameter or body (400).
    #[error("{0}")]
    BadRequest(String),
    /// Missing or invalid credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// Unknown record (404).
    #[error("{0}")]
    NotFound(String),
    /// No such route (404).
    #[error("route not found")]
    RouteNotFound,
    /// Wrong HTTP method for the route (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Body over the limit (413).
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(u64),
    /// No upstream can take the job (503).
    #[error("{0}")]
    Unavailable(String),
    /// The upstream refused or failed; its HTTP status is passed on.
    #[error("{message}")]
    Upstream {
        /// HTTP status to answer with.
        status: u16,
        /// The upstream's message or the transport error.
        message: String,
    },
    /// A database error (500).
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// The connection pool could not hand out a connection (500).
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::Error),
    /// Anything else internal (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl warp::reject::Reject for AppError {}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::RouteNotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Upstream { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            AppError::Db(_) | AppError::Pool(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// A short machine code, used by the Suno-style envelope.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "invalid_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "task_not_exist",
            AppError::RouteNotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::PayloadTooLarge(_) => "request_too_large",
            AppError::Unavailable(_) => "no_available_channel",
            AppError::Upstream { .. } => "upstream_error",
            AppError::Db(_) | AppError::Pool(_) | AppError::Internal(_) => "internal_error",
        }
    }

    /// Shorthand for a 400.
    pub fn bad(msg: impl Into<String>) -> Self {
        AppError::BadRequest(msg.into())
    }
}

/// Result alias used across the crate.
pub type AppResult<T> = Result<T, AppError>;
