//! The mocks seen from outside: real servers on port 0 and a real HTTP client.
//! One test binary: `common` holds the client both platforms' tests use, then one module
//! per platform, each with its own `support` and one module per concern.

mod common;
mod suno;
mod video;
