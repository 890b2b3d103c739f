//! Probing auto-disabled channels: each due one gets its platform's
//! cheapest harmless request. One that works is enabled again; one that
//! fails waits twice as long for the next probe, up to an hour. Manual
//! disables (status 2) are never probed. No connection or writer turn is
//! held while a probe waits on the network.

use std::sync::atomic::{AtomicBool, Ordering};

use super::PassReport;
use crate::context::Context;
use crate::health::Outcome;
use crate::platform::probe::probe;

/// Probes the auto-disabled channels due at the clock's now.
pub fn run(ctx: &Context, stop: &AtomicBool, report: &mut PassReport) {
    let due = match ctx.store.channels_due_for_probe(ctx.clock.now()) {
        Ok(due) => due,
        Err(e) => {
            log::error!("worker cannot read channels to probe: {e:?}");
            report.errors += 1;
            return;
        }
    };
    for channel in due {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let answer = probe(&ctx.platforms, &channel);
        report.probes += 1;
        let outcome = match &answer.error {
            None => Outcome::Worked,
            Some(error) => Outcome::Down(format!("probe: {error}")),
        };
        ctx.health
            .record(channel.id, &outcome, answer.latency_ms, ctx.clock.now());
        let written = if answer.ok {
            ctx.store.reenable_after_probe(channel.id).map(|enabled| {
                if enabled {
                    report.channels_enabled += 1;
                    log::info!("channel {} enabled again: a probe worked", channel.id);
                }
            })
        } else {
            ctx.store.postpone_probe(channel.id).map(|wait| {
                if let Some(wait) = wait {
                    log::info!(
                        "probe of auto-disabled channel {} failed; next in {wait} s",
                        channel.id
                    );
                }
            })
        };
        if let Err(e) = written {
            log::error!(
                "worker cannot record the probe of channel {}: {e:?}",
                channel.id
            );
            report.errors += 1;
        }
    }
}
