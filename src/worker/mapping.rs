//! Turning an upstream's report into a task change (pure, unit-tested).

use crate::domain::TaskStatus;
use crate::platform::UpstreamTask;
use crate::store::poll::{DueTask, TaskChange};

/// Order of the non-final statuses, so a late or confused answer never moves
/// a task backwards (UNKNOWN has no rank: it neither blocks nor is blocked).
fn rank(s: TaskStatus) -> Option<u8> {
    match s {
        TaskStatus::NotStart => Some(0),
        TaskStatus::Submitted => Some(1),
        TaskStatus::Queued => Some(2),
        TaskStatus::InProgress => Some(3),
        _ => None,
    }
}

/// The change an upstream answer asks for; `now` in unix s.
pub fn change_for(task: &DueTask, up: &UpstreamTask, now: i64, next_poll_at_ms: i64) -> TaskChange {
    let mut status = up.status;
    // A start time proves the task reached IN_PROGRESS, even if an odd word
    // (UNKNOWN) came in between.
    let reached = match rank(task.status) {
        Some(r) if task.start_time > 0 => Some(r.max(3)),
        None if task.start_time > 0 => Some(3),
        r => r,
    };
    if let (Some(old), Some(new)) = (reached, rank(up.status))
        && new < old
    {
        status = if task.status == TaskStatus::Unknown {
            TaskStatus::InProgress
        } else {
            task.status
        };
    }
    let progress = match status {
        TaskStatus::Success | TaskStatus::Failure => "100%".to_string(),
        TaskStatus::Unknown => up.progress.clone().unwrap_or_else(|| task.progress.clone()),
        s => up
            .progress
            .clone()
            .unwrap_or_else(|| s.default_progress().to_string()),
    };
    // Upstream times are believed only between the submission and now:
    // the upstream never sets taskcenter's clock (deadlines run from the
    // task's own submit_time, which no answer changes).
    let plausible = |t: i64| (t >= task.submit_time && t <= now).then_some(t);
    let mut start_time = plausible(up.start_time).unwrap_or(0);
    if start_time == 0 && task.start_time == 0 && status == TaskStatus::InProgress {
        start_time = now;
    }
    let finish_time = match status {
        TaskStatus::Success | TaskStatus::Failure => plausible(up.finish_time).unwrap_or(now),
        _ => 0,
    };
    let fail_reason = if status == TaskStatus::Failure {
        if up.fail_reason.trim().is_empty() {
            "upstream reported failure".to_string()
        } else {
            up.fail_reason.clone()
        }
    } else {
        String::new()
    };
    TaskChange {
        id: task.id,
        expected: task.status,
        status,
        progress,
        fail_reason,
        start_time,
        finish_time,
        data: up.data.clone(),
        next_poll_at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(status: TaskStatus) -> DueTask {
        DueTask {
            id: 1,
            status,
            channel_id: 1,
            upstream_task_id: "u".into(),
            poll_failures: 0,
            progress: "10%".into(),
            start_time: 0,
            submit_time: 50,
        }
    }

    fn up(status: TaskStatus) -> UpstreamTask {
        UpstreamTask {
            upstream_id: "u".into(),
            status,
            progress: None,
            fail_reason: String::new(),
            submit_time: 0,
            start_time: 0,
            finish_time: 0,
            data: Some("[]".into()),
        }
    }

    #[test]
    fn maps_statuses_progress_times_and_reasons() {
        use TaskStatus::*;
        // (status read, upstream says) → (status, progress, start, finish, reason)
        let cases = [
            ((Submitted, InProgress), (InProgress, "30%", 100, 0, "")),
            (
                (Submitted, Failure),
                (Failure, "100%", 0, 100, "upstream reported failure"),
            ),
            ((Queued, Success), (Success, "100%", 0, 100, "")),
            // Never backwards: a late QUEUED leaves IN_PROGRESS as it is.
            ((InProgress, Queued), (InProgress, "30%", 100, 0, "")),
        ];
        for ((read, says), (status, progress, start, finish, reason)) in cases {
            let mut u = up(says);
            u.fail_reason = if says == Failure {
                String::new()
            } else {
                "noise".into()
            };
            let c = change_for(&due(read), &u, 100, 0);
            let got = (c.status, c.progress.as_str(), c.start_time, c.finish_time);
            assert_eq!(got, (status, progress, start, finish), "{read} then {says}");
            assert_eq!(c.fail_reason, reason, "{read} then {says}");
        }
    }

    #[test]
    fn upstream_times_outside_submission_to_now_are_not_believed() {
        let mut u = up(TaskStatus::Success);
        u.submit_time = 99_999_999_999;
        u.finish_time = 99_999_999_999;
        u.start_time = 10;
        let c = change_for(&due(TaskStatus::InProgress), &u, 100, 0);
        assert_eq!((c.start_time, c.finish_time), (0, 100));
        u.finish_time = 80;
        let c = change_for(&due(TaskStatus::InProgress), &u, 100, 0);
        assert_eq!(c.finish_time, 80);
    }
}
