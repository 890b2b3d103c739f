//! The video mock's side of the shared `/mock/...` control routes: plain JSON answers,
//! OpenAI error bodies, and only the four real statuses may be forced.

use serde_json::Value;

use super::error::ApiError;
use super::request::VideoStatus;
use super::state::State;
use crate::control::Controlled;
use crate::reply::Answer;

impl Controlled for State {
    fn force_status(&self, id: &str, status: &str) -> Result<bool, String> {
        let status = VideoStatus::parse(status).ok_or_else(|| {
            format!("unknown status {status:?}: queued, in_progress, completed or failed")
        })?;
        Ok(self.set_status(id, status))
    }

    fn forget_task(&self, id: &str) -> bool {
        self.remove(id)
    }

    fn ok(data: Value) -> Answer {
        Answer {
            status: warp::http::StatusCode::OK,
            body: data.to_string().into_bytes(),
        }
    }

    fn bad_request(message: &str) -> Answer {
        ApiError::bad_request(message).answer()
    }

    fn unknown_id(id: &str) -> Answer {
        ApiError::video_not_found(id).answer()
    }
}
