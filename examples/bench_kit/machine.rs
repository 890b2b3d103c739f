//! The machine around a measurement: the load average (the 2 cores are
//! shared, so every figure is printed next to it) and a process's memory.

/// `/proc/loadavg`'s 1, 5 and 15 minute averages, e.g. `1.12 1.52 1.95`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// A process's resident memory now and at its peak (`VmRSS`, `VmHWM` of
/// `/proc/<pid>/status`), in KiB.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rss {
    /// Resident now.
    pub now_kib: u64,
    /// The peak since the process started.
    pub peak_kib: u64,
}

impl Rss {
    /// Reads `pid`'s; `None` when the process is gone.
    pub fn of(pid: u32) -> Option<Rss> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        };
        Some(Rss {
            now_kib: field("VmRSS:")?,
            peak_kib: field("VmHWM:")?,
        })
    }
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
