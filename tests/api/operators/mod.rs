//! Operators' HTTP tools: the user list and lookup, user updates with their
//! permission rules, quota adjustments with their log rows, and the two log
//! lists with their filters, pagination and 400s.

mod channel_probe;
mod health;
mod log_lists;
mod quota;
mod repairs;
mod user_list;
mod user_updates;
