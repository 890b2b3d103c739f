mod auth;
mod helpers;
#[path = "../../examples/mock_suno/mock.rs"]
mod mock;
mod task_list;
mod users;
