//! The Suno mock: the `/mock/...` control routes, faults, healthy behaviour, and its media.

mod control;
mod faults;
mod lifecycle;
mod media;
mod support;
