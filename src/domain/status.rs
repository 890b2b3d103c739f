//! Task status words and their meaning.

use super::Invalid;

/// The seven status words of new-api's task center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Created, not yet accepted by an upstream.
    NotStart,
    /// Accepted by the upstream.
    Submitted,
    /// Waiting upstream.
    Queued,
    /// Running upstream.
    InProgress,
    /// Final: failed (and refunded).
    Failure,
    /// Final: done.
    Success,
    /// The upstream said something we do not know; keeps being polled.
    Unknown,
}

/// Every status, in the order the API documents them.
pub const ALL_STATUSES: [TaskStatus; 7] = [
    TaskStatus::NotStart,
    TaskStatus::Submitted,
    TaskStatus::Queued,
    TaskStatus::InProgress,
    TaskStatus::Failure,
    TaskStatus::Success,
    TaskStatus::Unknown,
];

impl TaskStatus {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::NotStart => "NOT_START",
            TaskStatus::Submitted => "SUBMITTED",
            TaskStatus::Queued => "QUEUED",
            TaskStatus::InProgress => "IN_PROGRESS",
            TaskStatus::Failure => "FAILURE",
            TaskStatus::Success => "SUCCESS",
            TaskStatus::Unknown => "UNKNOWN",
        }
    }

    /// Exact (case-insensitive) parse; `None` for anything else.
    pub fn from_word(s: &str) -> Option<Self> {
        ALL_STATUSES
            .iter()
            .copied()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Parse a filter value, with a 400 naming the valid values.
    pub fn parse_filter(s: &str) -> Result<Self, Invalid> {
        Self::from_word(s).ok_or_else(|| {
            let valid: Vec<&str> = ALL_STATUSES.iter().map(|s| s.as_str()).collect();
            Invalid::new(format!(
                "invalid status '{}': valid values are {}",
                s,
                valid.join(", ")
            ))
        })
    }

    /// SUCCESS and FAILURE never change again.
    pub fn is_final(self) -> bool {
        matches!(self, TaskStatus::Success | TaskStatus::Failure)
    }

    /// The progress string new-api shows for this status.
    pub fn default_progress(self) -> &'static str {
        match self {
            TaskStatus::NotStart => "0%",
            TaskStatus::Submitted => "10%",
            TaskStatus::Queued => "20%",
            TaskStatus::InProgress => "30%",
            TaskStatus::Unknown => "0%",
            TaskStatus::Success | TaskStatus::Failure => "100%",
        }
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_rejects_others() {
        assert_eq!(
            TaskStatus::from_word("in_progress"),
            Some(TaskStatus::InProgress)
        );
        assert!(TaskStatus::from_word("DONE").is_none());
        let err = TaskStatus::parse_filter("done").unwrap_err().to_string();
        assert!(err.contains("NOT_START") && err.contains("UNKNOWN"));
    }
}
