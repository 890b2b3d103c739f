//! SIGKILL while a delivery is in flight: the outbox row was never marked,
//! so the restarted server sends it again, with the same webhook-id.

use std::time::{Duration, Instant};

use crate::kit::process::ServerProcess;
use crate::kit::receiver::Receiver;
use crate::kit::webhooks::seed_settled_event;

const ROOT: &str = "webhook-root-token-0123456789abcdef";

#[test]
#[ignore = "compiled binary, SIGKILL and restart"]
fn a_delivery_cut_off_by_sigkill_is_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let receiver = Receiver::start();
    let seeded = seed_settled_event(&db, &receiver.url());
    // The receiver holds its answer: the server is killed mid-delivery.
    receiver.hold(30_000);
    let server = ServerProcess::start(&db, ROOT, &["--allow-private-webhooks"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.arrived() == 0 {
        assert!(Instant::now() < deadline, "no delivery started");
        std::thread::sleep(Duration::from_millis(10));
    }
    server.signal("KILL");
    drop(server);
    receiver.hold(0);

    let _restarted = ServerProcess::start(&db, ROOT, &["--allow-private-webhooks"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = receiver.received();
        let same: Vec<_> = got
            .iter()
            .filter(|r| r.header("webhook-id") == seeded.msg_id)
            .collect();
        if same.len() >= 2 {
            assert_eq!(same[1].json()["data"]["task_id"], seeded.task_id.as_str());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered after restart: {got:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while seeded.status(&db) != "delivered" {
        assert!(
            Instant::now() < deadline,
            "the outbox row is not marked delivered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
