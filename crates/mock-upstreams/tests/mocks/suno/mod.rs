//! The Suno mock: the `/mock/...` control routes, faults, and healthy behaviour.

mod control;
mod faults;
mod lifecycle;
mod support;
