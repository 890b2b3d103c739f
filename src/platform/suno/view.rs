//! What a relay client sees of a task: no channel, upstream id or key.

use serde_json::{Value, json};

use crate::store::tasks::Task;

/// A task as `/suno/fetch` answers it.
pub fn relay_view(t: &Task) -> Value {
    json!({
        "task_id": t.task_id,
        "action": t.action,
        "status": t.status,
        "fail_reason": t.fail_reason,
        "submit_time": t.submit_time,
        "start_time": t.start_time,
        "finish_time": t.finish_time,
        "progress": t.progress,
        "data": crate::store::json_value(&t.data),
    })
}
