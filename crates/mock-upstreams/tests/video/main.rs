//! The video mock seen from outside: a real server on port 0 and a real HTTP client.
//! One test binary, one module per concern; `support` holds the client.

mod content;
mod errors;
mod faults;
mod lifecycle;
mod list;
mod support;
