//! Domain types that parse and reject bad input at the edge.

pub mod channel_input;
pub mod page;
pub mod query;
pub mod role;
pub mod status;

pub use page::Page;
pub use query::QueryParams;
pub use role::Role;
pub use status::TaskStatus;
