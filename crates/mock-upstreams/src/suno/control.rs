//! The Suno mock's side of the shared `/mock/...` control routes: every answer uses the
//! Suno envelope, and any status word may be forced (even one Suno never sends).

use serde_json::Value;

use super::envelope::{bad_request, success, task_not_found};
use super::state::State;
use crate::control::Controlled;
use crate::reply::Answer;

impl Controlled for State {
    fn force_status(&self, id: &str, status: &str) -> Result<bool, String> {
        Ok(self.set_status(id, status))
    }

    fn forget_task(&self, id: &str) -> bool {
        self.forget(id)
    }

    fn ok(data: Value) -> Answer {
        success(data)
    }

    fn bad_request(message: &str) -> Answer {
        bad_request(message)
    }

    fn unknown_id(_id: &str) -> Answer {
        task_not_found()
    }
}

#[cfg(test)]
mod tests {
    use crate::suno::MockConfig;
    use crate::suno::state::State;

    #[test]
    fn resetting_stats_zeroes_the_counts() {
        let state = State::new(MockConfig::default());
        state.base.counts.bump(|stats| stats.submit += 3);
        state.base.counts.reset();
        assert_eq!(state.stats().submit, 0);
    }
}
