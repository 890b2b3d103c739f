//! Domain types that parse and reject bad input at the edge, so the inside
//! never checks twice. Every parser fails with [`Invalid`].

pub mod address;
pub mod base_url;
pub mod idempotency_key;
pub mod invalid;
pub mod model_mapping;
pub mod page;
pub mod query;
pub mod quota;
pub mod role;
pub mod status;
pub mod webhook;

pub use base_url::parse_base_url;
pub use idempotency_key::IdempotencyKey;
pub use invalid::Invalid;
pub use model_mapping::ModelMapping;
pub use page::Page;
pub use query::QueryParams;
pub use role::Role;
pub use status::TaskStatus;
