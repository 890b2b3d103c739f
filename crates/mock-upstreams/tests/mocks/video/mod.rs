//! The video mock: downloads, refusals, faults, healthy behaviour and list pages.

mod content;
mod errors;
mod faults;
mod lifecycle;
mod list;
mod support;
