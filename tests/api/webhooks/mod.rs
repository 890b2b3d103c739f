//! Completion webhooks: endpoints through the API, signed deliveries to a
//! real receiver (`kit/receiver.rs`), the outbox written with the
//! settlement, retries on schedule, and a crash during a delivery.

mod callbacks;
mod crash;
mod delivery;
mod endpoints;
mod retries;
mod volume;
