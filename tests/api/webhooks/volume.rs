//! 5,000 settlements make 5,000 events, each delivered once.

use std::collections::HashSet;

use crate::kit::receiver::Receiver;
use crate::kit::{Settings, TaskStatus, new_task_id, spawn_app_with, task, unix_now};

const TASKS: usize = 5_000;

#[test]
fn five_thousand_settlements_make_five_thousand_events_each_delivered_once() {
    let app = spawn_app_with(Settings::manual());
    let receiver = Receiver::start();
    let owner = app.customer("owner", 0);
    app.register_endpoint(&owner.headers, &receiver.url(), &["task.failed"]);
    // In flight past the task timeout: the next pass's sweep fails each
    // one in its own settlement.
    let submitted = unix_now() - 3600;
    let specs: Vec<_> = (0..TASKS)
        .map(|i| {
            let mut t = task(owner.id, submitted);
            t.task_id = new_task_id();
            t.status = TaskStatus::Submitted;
            t.progress = "10%".into();
            t.finish_time = 0;
            t.quota = 0;
            t.upstream_task_id = format!("upstream-{i}");
            t
        })
        .collect();
    app.insert_tasks(&specs);
    let r = app.pass();
    assert_eq!(r.timed_out, TASKS, "{r}");
    assert_eq!(app.outbox().len(), TASKS);

    let report = app.deliver_all();
    assert_eq!(report.delivered, TASKS, "{report:?}");
    let got = receiver.delivered();
    let ids: HashSet<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    let tasks: HashSet<String> = got
        .iter()
        .map(|r| r.json()["data"]["task_id"].as_str().unwrap().to_string())
        .collect();
    let expected: HashSet<String> = specs.iter().map(|t| t.task_id.clone()).collect();
    assert_eq!((got.len(), ids.len()), (TASKS, TASKS));
    assert_eq!(tasks, expected, "one event per settled task");
}
